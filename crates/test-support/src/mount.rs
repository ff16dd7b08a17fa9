//! Filesystems mounted for one test (a tiny tmpfs to fill, a loop-mounted image to cut
//! power on), unmounted when the guard drops, also when the test panics. Mounting needs
//! root: tests check [`is_root`] first.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Whether this process runs as root (effective user id 0), which `mount` needs.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A mounted filesystem; unmounted (and a loop device released) when dropped.
#[derive(Debug)]
#[must_use = "the filesystem is unmounted when the guard drops"]
pub struct Mount {
    point: PathBuf,
}

impl Mount {
    /// Runs `mount <args> <point>`. An error names the arguments when `mount` fails.
    pub fn new(args: &[&str], point: &Path) -> io::Result<Mount> {
        let output = Command::new("mount")
            .args(args)
            .arg(point)
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "mount {args:?} {} failed ({}): {}",
                point.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(Mount {
            point: point.to_path_buf(),
        })
    }

    /// A tmpfs of `size` (as `mount -o size=` takes it: `64k`, `1m`) at `point`.
    pub fn tmpfs(size: &str, point: &Path) -> io::Result<Mount> {
        Mount::new(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            point,
        )
    }

    /// Where it is mounted.
    pub fn point(&self) -> &Path {
        &self.point
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.point).status();
        if !matches!(unmounted, Ok(status) if status.success()) {
            // Busy (a test's file still open): detach now, released when closed.
            let _ = Command::new("umount").arg("-l").arg(&self.point).status();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_is_mounted_until_the_guard_drops() {
        if !is_root() {
            eprintln!("SKIPPED: tmpfs_is_mounted_until_the_guard_drops: needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mount = Mount::tmpfs("64k", dir.path()).unwrap();
        std::fs::write(mount.point().join("file"), b"on tmpfs").unwrap();
        drop(mount);
        assert!(!dir.path().join("file").exists(), "the tmpfs is gone");
    }

    #[test]
    fn a_failing_mount_is_an_error_naming_its_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let error = Mount::new(&["-t", "no-such-filesystem-type", "x"], dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("no-such-filesystem-type"),
            "{error}"
        );
    }
}
