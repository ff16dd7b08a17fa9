//! Durable replacement, measured interleaved: atomic-io and the bare syscall sequence
//! alternate round by round, so load from other processes on a shared machine hits both
//! alike (criterion measures one function after the other, so a burst of background I/O
//! can land on one of them only).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use crate::stats::Summary;

/// What a careful program does by hand: write a temp, fsync it, rename it over the
/// target, fsync the directory.
pub fn bare_durable_replace(dir: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = dir.join(".bare.tmp");
    let mut file = File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, target)?;
    File::open(dir)?.sync_all()
}

/// Latencies of both methods over `rounds` alternating rounds.
#[derive(Debug, Clone, Copy)]
pub struct Interleaved {
    /// atomic-io `write` (durable).
    pub atomic_io: Summary,
    /// [`bare_durable_replace`].
    pub bare: Summary,
}

/// Replaces a `size`-byte file in `dir` `rounds` times with each method, alternating
/// which goes first.
pub fn measure(dir: &Path, size: usize, rounds: usize) -> Result<Interleaved, String> {
    let bytes: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let ours_target = dir.join(format!("interleaved-atomic-io-{size}.dat"));
    let bare_target = dir.join(format!("interleaved-bare-{size}.dat"));
    let (mut ours, mut bare) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    let time_ours = |samples: &mut Vec<u64>| -> Result<(), String> {
        let started = Instant::now();
        atomic_io::write(&ours_target, &bytes).map_err(|e| e.to_string())?;
        samples.push(started.elapsed().as_nanos() as u64);
        Ok(())
    };
    let time_bare = |samples: &mut Vec<u64>| -> Result<(), String> {
        let started = Instant::now();
        bare_durable_replace(dir, &bare_target, &bytes).map_err(|e| e.to_string())?;
        samples.push(started.elapsed().as_nanos() as u64);
        Ok(())
    };
    // One untimed round each creates the targets (a first write differs from a replace).
    time_ours(&mut Vec::new())?;
    time_bare(&mut Vec::new())?;
    for round in 0..rounds {
        if round % 2 == 0 {
            time_ours(&mut ours)?;
            time_bare(&mut bare)?;
        } else {
            time_bare(&mut bare)?;
            time_ours(&mut ours)?;
        }
    }
    Ok(Interleaved {
        atomic_io: Summary::of(ours),
        bare: Summary::of(bare),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_methods_replace_the_file_and_are_timed_every_round() {
        let dir = tempfile::tempdir().unwrap();
        let result = measure(dir.path(), 4096, 3).unwrap();
        assert_eq!(result.atomic_io.count, 3);
        assert_eq!(result.bare.count, 3);
        let written = fs::read(dir.path().join("interleaved-bare-4096.dat")).unwrap();
        assert_eq!(written.len(), 4096);
        assert_eq!(
            fs::read(dir.path().join("interleaved-atomic-io-4096.dat")).unwrap(),
            written
        );
    }
}
