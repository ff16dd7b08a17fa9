//! Local facts about a content file: present or not, and its sha256, hashed only when
//! its size or modification time changed since the last look (the cache is a
//! device-local record-store table next to the state directory).

use std::fs::{self, File};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::digest::sha256_hex_reader;

use super::catalogue::LocalHash;
use super::{ContentFiles, FileOperation, FilesError};

/// A file whose mtime is this close to the time it was hashed may still change within
/// the same mtime tick ("racily clean"): its hash is used but not cached.
const RACY_WINDOW_NS: i64 = 2_000_000_000;

/// What is on disk for a catalogue path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalFact {
    /// No regular file at the path.
    Missing,
    /// A file with this size and sha256.
    Present {
        /// Size in bytes.
        size: u64,
        /// sha256 of the content.
        sha256: String,
    },
}

fn mtime_ns(modified: SystemTime) -> i64 {
    match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}

impl ContentFiles {
    /// The local fact for `path`, from the cache when size and mtime are unchanged.
    pub fn local_fact(&self, path: &str) -> Result<LocalFact, FilesError> {
        let facts = self.local_facts(&[path])?;
        Ok(facts
            .into_iter()
            .next()
            .map(|(_, fact)| fact)
            .unwrap_or(LocalFact::Missing))
    }

    /// Local facts for several paths with one cache read and at most one cache commit.
    pub(crate) fn local_facts<'a>(
        &self,
        paths: &[&'a str],
    ) -> Result<Vec<(&'a str, LocalFact)>, FilesError> {
        let cache_path = self.cache.path().to_path_buf();
        let snapshot = self
            .cache
            .read()
            .map_err(FilesError::catalogue(&cache_path))?;
        let cached = snapshot
            .table::<LocalHash>()
            .map_err(FilesError::catalogue(&cache_path))?;
        let now = mtime_ns(SystemTime::now());
        let mut fresh = Vec::new();
        let mut facts = Vec::with_capacity(paths.len());
        for &path in paths {
            let local = self.local_path(path);
            let meta = match fs::metadata(&local) {
                Ok(meta) if meta.is_file() => meta,
                Ok(_) => {
                    facts.push((path, LocalFact::Missing));
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    facts.push((path, LocalFact::Missing));
                    continue;
                }
                Err(e) => return Err(FilesError::local(FileOperation::ReadingMetadata, &local)(e)),
            };
            let mtime = mtime_ns(
                meta.modified()
                    .map_err(FilesError::local(FileOperation::ReadingMtime, &local))?,
            );
            let size = meta.len();
            if let Some(hit) = cached
                .get(&path.to_owned())
                .filter(|hit| hit.size == size && hit.mtime_ns == mtime)
            {
                facts.push((
                    path,
                    LocalFact::Present {
                        size,
                        sha256: hit.sha256.clone(),
                    },
                ));
                continue;
            }
            let sha256 = hash_file(&local)?;
            if now.saturating_sub(mtime) > RACY_WINDOW_NS {
                fresh.push(LocalHash {
                    path: path.to_owned(),
                    size,
                    mtime_ns: mtime,
                    sha256: sha256.clone(),
                });
            }
            facts.push((path, LocalFact::Present { size, sha256 }));
        }
        if !fresh.is_empty() {
            self.remember_hashes(fresh)?;
        }
        Ok(facts)
    }

    pub(crate) fn remember_hashes(&self, entries: Vec<LocalHash>) -> Result<(), FilesError> {
        let cache_path = self.cache.path().to_path_buf();
        self.cache
            .update(|tx| {
                let table = tx.table::<LocalHash>()?;
                for entry in entries {
                    table.upsert(entry);
                }
                Ok::<_, record_store::Error>(())
            })
            .map_err(FilesError::catalogue(cache_path))
    }

    /// Caches the hash of a file this process just wrote (a download), when its mtime is
    /// old enough to be trusted later.
    pub(crate) fn remember_written(&self, path: &str, sha256: &str) -> Result<(), FilesError> {
        let local = self.local_path(path);
        let meta = fs::metadata(&local)
            .map_err(FilesError::local(FileOperation::ReadingMetadata, &local))?;
        let mtime = mtime_ns(
            meta.modified()
                .map_err(FilesError::local(FileOperation::ReadingMtime, &local))?,
        );
        if mtime_ns(SystemTime::now()).saturating_sub(mtime) > RACY_WINDOW_NS {
            self.remember_hashes(vec![LocalHash {
                path: path.to_owned(),
                size: meta.len(),
                mtime_ns: mtime,
                sha256: sha256.to_owned(),
            }])?;
        }
        Ok(())
    }
}

pub(crate) fn hash_file(path: &Path) -> Result<String, FilesError> {
    let file = File::open(path).map_err(FilesError::local(FileOperation::Opening, path))?;
    let size = file
        .metadata()
        .map_err(FilesError::local(FileOperation::ReadingMetadata, path))?
        .len();
    // A buffer no larger than the file: many small files cost no 1 MiB allocation each.
    let capacity = usize::try_from(size.clamp(8 << 10, 1 << 20)).unwrap_or(1 << 20);
    sha256_hex_reader(std::io::BufReader::with_capacity(capacity, file))
        .map_err(FilesError::local(FileOperation::Hashing, path))
}
