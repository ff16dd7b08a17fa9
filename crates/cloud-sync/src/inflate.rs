//! A snapshot decompressed and hashed while its download arrives, with the decompressed
//! size bounded as it grows: one pass over the data instead of buffering the compressed
//! object, then decompressing it, then hashing the result.

use std::io::{self, Write};

use sha2::{Digest, Sha256};

use crate::digest::hex_digest;
use crate::error::{Error, Operation};

/// Where decompressed bytes go: kept, hashed, and refused past the bound.
struct Sink {
    content: Vec<u8>,
    hasher: Sha256,
    limit: u64,
    overflowed: bool,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_add(1) - self.content.len() as u64;
        if buf.len() as u64 >= room {
            // One byte past the bound proves the bound was passed; keep no more.
            let taken = usize::try_from(room).unwrap_or(usize::MAX);
            self.content.extend_from_slice(&buf[..taken]);
            self.overflowed = true;
            return Err(io::Error::other("the decompressed size bound was passed"));
        }
        self.content.extend_from_slice(buf);
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decompresses a zstd stream fed in chunks into at most `limit` bytes.
pub(crate) struct Inflater {
    decoder: zstd::stream::write::Decoder<'static, Sink>,
    full: String,
}

impl Inflater {
    /// An inflater for the object `full` (named in errors) of at most `limit` bytes once
    /// decompressed.
    pub(crate) fn new(limit: u64, full: &str) -> Result<Inflater, Error> {
        let sink = Sink {
            // A lying size must not make us reserve a gigabyte up front.
            content: Vec::with_capacity(usize::try_from(limit.min(1 << 26)).unwrap_or(0)),
            hasher: Sha256::new(),
            limit,
            overflowed: false,
        };
        let decoder =
            zstd::stream::write::Decoder::new(sink).map_err(|source| codec_error(full, source))?;
        Ok(Inflater {
            decoder,
            full: full.to_owned(),
        })
    }

    /// Decompresses the next chunk of the stored object.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let written = self.decoder.write_all(chunk);
        written.map_err(|source| self.error(source))
    }

    /// The decompressed content and its sha256 (lowercase hex).
    pub(crate) fn finish(mut self) -> Result<(Vec<u8>, String), Error> {
        let flushed = self.decoder.flush();
        flushed.map_err(|source| self.error(source))?;
        let sink = self.decoder.into_inner();
        Ok((sink.content, hex_digest(&sink.hasher.finalize())))
    }

    fn error(&self, source: io::Error) -> Error {
        let sink = self.decoder.get_ref();
        if sink.overflowed {
            Error::TooLarge {
                what: "decompressed snapshot",
                key: self.full.clone(),
                size: sink.content.len() as u64,
                limit: sink.limit,
            }
        } else {
            codec_error(&self.full, source)
        }
    }
}

fn codec_error(full: &str, source: io::Error) -> Error {
    Error::Codec {
        operation: Operation::Decompress,
        key: full.to_owned(),
        source,
    }
}
