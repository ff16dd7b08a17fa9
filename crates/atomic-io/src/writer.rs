//! Streaming replacement: write the new content piece by piece, then commit.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::temp::Pending;
use crate::{Committed, Durability, Error, Operation, commit};

/// Bytes collected before they go to the temporary file in one `write`.
const BUFFER_CAPACITY: usize = 64 * 1024;
/// A write at least this long, with nothing buffered before it, goes to the file as it
/// is: one system call is already cheap for it, and copying it into the buffer would
/// only add the buffer to the caller's memory (a caller writing in pieces of this size
/// keeps one piece in memory, not a piece and the buffer).
const DIRECT_WRITE: usize = BUFFER_CAPACITY / 4;

/// A replacement in progress, from [`Options::open`](crate::Options::open).
///
/// Implements [`std::io::Write`] (buffered internally, so small writes are cheap).
/// [`commit`](Writer::commit) makes the new content the target's; dropping the writer
/// without committing removes the temporary file and leaves the target untouched. While
/// the writer lives it holds a lock on its temporary file, so
/// [`cleanup_stale`](crate::cleanup_stale) never removes it.
///
/// If any write fails, the writer is poisoned: `commit` then refuses, so a partly written
/// content can never replace the target even when the caller ignored the write error.
///
/// ```
/// use std::io::Write;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("log.sdn");
/// let mut writer = atomic_io::Options::new().open(&path)?;
/// for line in ["a: 1", "b: 2"] {
///     writeln!(writer, "{line}")?;
/// }
/// writer.commit()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "a: 1\nb: 2\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Writer {
    pending: Pending,
    durability: Durability,
    buffer: Vec<u8>,
    /// The first write error, kept so `commit` refuses to publish a partial content.
    poisoned: Option<io::Error>,
}

impl Writer {
    pub(crate) fn new(pending: Pending, durability: Durability) -> Self {
        Writer {
            pending,
            durability,
            buffer: Vec::new(),
            poisoned: None,
        }
    }

    /// The file this writer will replace (after following symbolic links, if asked to).
    pub fn path(&self) -> &Path {
        &self.pending.target.path
    }

    /// The temporary file's path while it has a name in the directory: always for
    /// [`TempStrategy::Named`](crate::TempStrategy::Named), never for an anonymous
    /// (`O_TMPFILE`) temporary file before commit.
    pub fn temp_path(&self) -> Option<PathBuf> {
        self.pending.temp_path()
    }

    /// Writes any buffered bytes, flushes and renames the temporary file over the target
    /// and flushes the directory, as the [`Durability`] asks.
    ///
    /// On error the temporary file is removed and, unless
    /// [`Error::target_changed`] says otherwise, the target is untouched.
    pub fn commit(mut self) -> Result<Committed, Error> {
        if let Err(e) = self.drain_buffer() {
            self.poison(&e);
        }
        if let Some(error) = self.poisoned.take() {
            return Err(Error::io(
                Operation::WriteTemp,
                &self.pending.target.path,
                false,
                error,
            ));
        }
        commit::finish(self.pending, self.durability)
    }

    fn drain_buffer(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let result = self.pending.file.write_all(&self.buffer);
            self.buffer.clear();
            result?;
        }
        Ok(())
    }

    fn poison(&mut self, error: &io::Error) {
        // An interrupted write wrote nothing and may simply be retried.
        if self.poisoned.is_none() && error.kind() != io::ErrorKind::Interrupted {
            self.poisoned = Some(io::Error::new(error.kind(), error.to_string()));
        }
    }

    fn check_poisoned(&self) -> io::Result<()> {
        match &self.poisoned {
            Some(error) => Err(io::Error::new(
                error.kind(),
                format!("an earlier write to this atomic-io writer failed: {error}"),
            )),
            None => Ok(()),
        }
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check_poisoned()?;
        if self.buffer.len() + buf.len() > BUFFER_CAPACITY
            && let Err(e) = self.drain_buffer()
        {
            self.poison(&e);
            return Err(e);
        }
        if buf.len() >= BUFFER_CAPACITY || (self.buffer.is_empty() && buf.len() >= DIRECT_WRITE) {
            return self.pending.file.write(buf).inspect_err(|e| self.poison(e));
        }
        let needed = self.buffer.len() + buf.len();
        if needed > self.buffer.capacity() {
            // Doubling up to the capacity, not the capacity at once: the short last piece
            // of a file written in big pieces costs its own size, not 64 KiB.
            let grown = needed
                .max(2 * self.buffer.capacity())
                .min(BUFFER_CAPACITY);
            self.buffer.reserve_exact(grown - self.buffer.len());
        }
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// Moves buffered bytes into the temporary file. This is not a durability flush: that
    /// happens in [`commit`](Writer::commit).
    fn flush(&mut self) -> io::Result<()> {
        self.check_poisoned()?;
        self.drain_buffer().inspect_err(|e| self.poison(e))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{BUFFER_CAPACITY, DIRECT_WRITE};

    #[test]
    fn pieces_of_every_size_arrive_in_order_and_big_ones_skip_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut writer = crate::Options::new().open(&path).unwrap();
        let piece = |byte: u8, len: usize| vec![byte; len];
        // Nothing buffered and a piece of `DIRECT_WRITE` bytes: it goes to the file as it is.
        writer.write_all(&piece(b'a', DIRECT_WRITE)).unwrap();
        assert_eq!(writer.buffer.capacity(), 0);
        // A small piece is buffered; the big one after it must follow it, not overtake it.
        writer.write_all(&piece(b'b', 10)).unwrap();
        // A short piece costs about its own size, not the whole buffer.
        assert!(writer.buffer.capacity() < 1024, "{}", writer.buffer.capacity());
        writer.write_all(&piece(b'c', DIRECT_WRITE)).unwrap();
        writer.write_all(&piece(b'd', BUFFER_CAPACITY + 1)).unwrap();
        writer.write_all(&piece(b'e', 3)).unwrap();
        // Many short pieces grow the buffer up to its capacity, never past it.
        for _ in 0..1000 {
            writer.write_all(&piece(b'f', 100)).unwrap();
            assert!(writer.buffer.capacity() <= BUFFER_CAPACITY);
        }
        writer.commit().unwrap();
        let mut expected = piece(b'a', DIRECT_WRITE);
        expected.extend(piece(b'b', 10));
        expected.extend(piece(b'c', DIRECT_WRITE));
        expected.extend(piece(b'd', BUFFER_CAPACITY + 1));
        expected.extend(piece(b'e', 3));
        expected.extend(piece(b'f', 100_000));
        assert!(std::fs::read(&path).unwrap() == expected);
    }
}
