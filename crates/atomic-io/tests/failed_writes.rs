//! Failed writes keep the old content: a writer whose source fails part-way, and a full
//! disk (a tiny tmpfs, mounted when the tests run as root).

use std::fs;
use std::io::{self, Read, Write};

use atomic_io::{Operation, Options};
use test_support::mount::{Mount, is_root};

mod support;
use support::*;

/// Yields some bytes, then fails, like a serializer that hits an error part-way.
struct FailingSource {
    left: usize,
}

impl Read for FailingSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("serializer failed"));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(b'n');
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn failed_write_keeps_old_content_on_writer_error() {
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("todo.sdn");
        fs::write(&path, b"old content").unwrap();
        let options = Options::new().temp_strategy(strategy);

        // (a) The producer fails mid-stream; the caller drops the writer.
        let mut writer = options.open(&path).unwrap();
        let copied = io::copy(&mut FailingSource { left: 150_000 }, &mut writer);
        assert!(copied.is_err());
        drop(writer);
        assert_eq!(fs::read(&path).unwrap(), b"old content");
        assert_eq!(names_in(dir.path()), ["todo.sdn"], "{strategy:?}");

        // The rename step fails (the target is a non-empty directory): no temp remains.
        let occupied = dir.path().join("occupied");
        fs::create_dir(&occupied).unwrap();
        fs::write(occupied.join("inside"), b"x").unwrap();
        let error = options.write(&occupied, b"new").unwrap_err();
        assert_eq!(error.operation(), Operation::Rename);
        assert!(!error.target_changed());
        assert_eq!(error.path(), occupied);
        assert_eq!(
            names_in(dir.path()),
            ["occupied", "todo.sdn"],
            "{strategy:?}"
        );
        fs::remove_dir_all(&occupied).unwrap();

        // The directory does not exist: nothing is created.
        let error = options
            .write(dir.path().join("missing/file"), b"new")
            .unwrap_err();
        assert_eq!(error.operation(), Operation::OpenDir);
        assert!(!error.target_changed());
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}

#[test]
fn full_disk_keeps_old_content_and_leaves_no_temp() {
    if !is_root() {
        eprintln!("SKIPPED: full_disk_keeps_old_content_and_leaves_no_temp: needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let point = dir.path().join("small");
    fs::create_dir(&point).unwrap();
    let _mount = Mount::tmpfs("64k", &point).unwrap();
    let target = point.join("todo.sdn");
    let old = version(7);
    let old = &old[..old.len().min(8 * 1024)];
    fs::write(&target, old).unwrap();

    // Fill the filesystem.
    let mut filler = fs::File::create(point.join("filler")).unwrap();
    let full = loop {
        if let Err(e) = filler.write_all(&[0u8; 4096]) {
            break e;
        }
    };
    assert_eq!(
        full.raw_os_error(),
        Some(rustix::io::Errno::NOSPC.raw_os_error())
    );

    let bigger = vec![b'n'; 32 * 1024];
    for strategy in STRATEGIES {
        let options = Options::new().temp_strategy(strategy);
        let error = options.write(&target, &bigger).unwrap_err();
        assert_eq!(error.operation(), Operation::WriteTemp, "{error}");
        assert!(!error.target_changed());
        assert_eq!(error.path(), target);
        assert_eq!(fs::read(&target).unwrap(), old);
        assert_eq!(names_in(&point), ["filler", "todo.sdn"], "{strategy:?}");

        // Streaming: the write fails; a commit that ignores it is refused.
        let mut writer = options.open(&target).unwrap();
        let write_error = writer.write_all(&vec![b'n'; 128 * 1024]).unwrap_err();
        assert_eq!(
            write_error.raw_os_error(),
            Some(rustix::io::Errno::NOSPC.raw_os_error())
        );
        let error = writer.commit().unwrap_err();
        assert_eq!(error.operation(), Operation::WriteTemp);
        assert!(!error.target_changed());
        assert_eq!(fs::read(&target).unwrap(), old);
        assert_eq!(names_in(&point), ["filler", "todo.sdn"], "{strategy:?}");
    }
}
