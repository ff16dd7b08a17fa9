//! Whole files through the object layer: a file of one part is sent as one whole-file
//! object in the calling thread; a larger one goes through a pipeline in which the calling thread reads
//! (or writes) the file in order and hashes the whole, while workers compress, hash and
//! send (or fetch, decompress and check) parts in parallel, each holding a transfer
//! [`Slot`](super::parallel::Slots) from the moment its part is in memory until it is
//! done, so memory and requests stay within the bound.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::digest::{hex_digest, sha256_hex};
use crate::error::Error;
use crate::key::Key;
use crate::remote::Remote;

use super::objects::{
    CloudCopy, FileManifest, MANIFEST_FORMAT, PartRef, UploadCounts, find_in_cloud, manifest_key,
    whole_key,
};
use super::parallel::{Slot, Slots};
use super::part_io::{Stored, fetch_part, store_part};
use super::whole::store_whole;
use super::{FileOperation, FilesError};

/// What a transfer needs: the remote, the part size and the bound on transfers.
pub(crate) struct Transfers<'a> {
    pub(crate) remote: &'a Remote,
    pub(crate) part_size: usize,
    pub(crate) slots: &'a Slots,
}

/// Whether an upload first asks the cloud for the file's manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// Ask for the whole-file object (HEAD) or the manifest (GET), the layout a file of
    /// its size is most likely in first: a file already in the cloud costs one request.
    AskTheCloud,
    /// A listing taken for this batch said the file is absent: go straight to storing
    /// it (the create-only PUTs still settle a race with another device).
    ListedAbsent,
}

/// A part finished by a worker: its index, and the reference or the error.
type Finished<T> = (usize, Result<T, FilesError>);

impl Transfers<'_> {
    /// Uploads `local` (whose content hashes to `sha256`): a file of at most one part as
    /// one whole-file object, a larger one in parts, skipping parts already present and
    /// verifying every object it stores, with its manifest last, create-only. `on_part`
    /// is told each finished part's size, in the calling thread.
    pub(crate) fn upload_file(
        &self,
        local: &Path,
        sha256: &str,
        lookup: Lookup,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(CloudCopy, UploadCounts), FilesError> {
        let mut counts = UploadCounts::default();
        let mut file =
            File::open(local).map_err(FilesError::local(FileOperation::Opening, local))?;
        let expected_size = file
            .metadata()
            .map_err(FilesError::local(FileOperation::ReadingMetadata, local))?
            .len();
        let small = expected_size <= self.part_size as u64;
        if lookup == Lookup::AskTheCloud
            && let Some(copy) = find_in_cloud(self.remote, sha256, small)?
        {
            counts.already_in_cloud = true;
            return Ok((copy, counts));
        }
        let changed = |actual: String, key: Key| FilesError::Checksum {
            path: local.display().to_string(),
            key: self.remote.full_key(&key),
            expected: sha256.to_owned(),
            actual,
        };
        if small {
            let mut content = Vec::with_capacity(self.part_size.min(1 << 20));
            // One byte more than a part: a file that grew past the part size since its
            // metadata was read is a changed file, caught by the hash.
            (&mut file)
                .take(self.part_size as u64 + 1)
                .read_to_end(&mut content)
                .map_err(FilesError::local(FileOperation::Reading, local))?;
            let actual = sha256_hex(&content);
            if actual != sha256 {
                // Changed since it was hashed: nothing is stored under a wrong address.
                return Err(changed(actual, whole_key(sha256)?));
            }
            let (stored_size, stored) = {
                let _slot = self.slots.acquire();
                store_whole(self.remote, &content, sha256)?
            };
            count(&mut counts, stored_size, stored);
            on_part(content.len() as u64);
            return Ok((CloudCopy::Whole { stored_size }, counts));
        }
        let (parts, size, actual) = self.upload_parts(&mut file, local, &mut counts, on_part)?;
        let key = manifest_key(sha256)?;
        if actual != sha256 {
            // The file changed since it was hashed: its parts are harmless garbage, the
            // manifest is not written under a wrong address.
            return Err(changed(actual, key));
        }
        let manifest = FileManifest {
            format: MANIFEST_FORMAT,
            sha256: sha256.to_owned(),
            size,
            parts,
        };
        let bytes = Bytes::from(crate::json::encode(&manifest));
        let _slot = self.slots.acquire();
        match self.remote.put_create(&key, bytes) {
            Ok(_) | Err(Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok((CloudCopy::Parts(manifest), counts))
    }

    /// A file of several parts: read and hashed in order here, parts sent by workers.
    fn upload_parts(
        &self,
        file: &mut File,
        local: &Path,
        counts: &mut UploadCounts,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(Vec<PartRef>, u64, String), FilesError> {
        let mut whole = Sha256::new();
        let mut size = 0u64;
        let mut parts: BTreeMap<usize, PartRef> = BTreeMap::new();
        let (jobs, job_queue) = mpsc::channel::<(usize, Vec<u8>, Slot<'_>)>();
        let job_queue = Mutex::new(job_queue);
        let (done, finished) = mpsc::channel::<Finished<(PartRef, Stored)>>();
        let mut failure = None;
        std::thread::scope(|scope| {
            for _ in 0..self.slots.capacity() {
                let done = done.clone();
                let job_queue = &job_queue;
                scope.spawn(move || {
                    while let Ok((index, chunk, slot)) = next_job(job_queue) {
                        // HEAD first: a resumed upload finds its stored parts unsent.
                        let outcome = store_part(self.remote, &chunk, sha256_hex(&chunk), true);
                        drop(slot);
                        if done.send((index, outcome)).is_err() {
                            return;
                        }
                    }
                });
            }
            let mut in_flight = 0usize;
            let mut end = false;
            let mut index = 0usize;
            loop {
                while !end && failure.is_none() && in_flight < self.slots.capacity() {
                    let slot = self.slots.acquire();
                    let mut chunk = Vec::with_capacity(self.part_size);
                    match (&mut *file)
                        .take(self.part_size as u64)
                        .read_to_end(&mut chunk)
                    {
                        Ok(read) => {
                            end = read < self.part_size;
                            if read == 0 && index > 0 {
                                break;
                            }
                        }
                        Err(e) => {
                            failure = Some(FilesError::local(FileOperation::Reading, local)(e));
                            break;
                        }
                    }
                    whole.update(&chunk);
                    size += chunk.len() as u64;
                    if jobs.send((index, chunk, slot)).is_err() {
                        break;
                    }
                    index += 1;
                    in_flight += 1;
                }
                if in_flight == 0 {
                    break;
                }
                let Ok((at, outcome)) = finished.recv() else {
                    break;
                };
                in_flight -= 1;
                match outcome {
                    Ok((part, stored)) => {
                        count(counts, part.stored_size, stored);
                        on_part(part.size);
                        parts.insert(at, part);
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            // Closing the queue lets the workers finish.
            drop(jobs);
        });
        if let Some(e) = failure {
            return Err(e);
        }
        Ok((
            parts.into_values().collect(),
            size,
            hex_digest(&whole.finalize()),
        ))
    }

    /// Downloads the file `manifest` describes into `writer`, checking every part and the
    /// whole; `path` names the file in errors. Nothing is committed here: the caller
    /// commits the writer only when this succeeds.
    pub(crate) fn download_file(
        &self,
        manifest: &FileManifest,
        path: &str,
        writer: &mut impl Write,
        local: &Path,
        on_part: &mut dyn FnMut(u64),
    ) -> Result<(), FilesError> {
        let whole_key = || -> Result<String, FilesError> {
            Ok(self.remote.full_key(&manifest_key(&manifest.sha256)?))
        };
        let write = |writer: &mut dyn Write, bytes: &[u8]| {
            writer
                .write_all(bytes)
                .map_err(FilesError::local(FileOperation::Writing, local))
        };
        if let [part] = manifest.parts.as_slice()
            && part.sha256 == manifest.sha256
        {
            // One part holding the whole file: its check is the whole file's.
            let (content, _) = {
                let _slot = self.slots.acquire();
                fetch_part(self.remote, part, path)?
            };
            write(writer, &content)?;
            on_part(part.size);
            return Ok(());
        }
        let mut whole = Sha256::new();
        let (jobs, job_queue) = mpsc::channel::<(usize, Slot<'_>)>();
        let job_queue = Mutex::new(job_queue);
        let (done, finished) = mpsc::channel::<Finished<Vec<u8>>>();
        let window = self.slots.capacity();
        let mut failure = None;
        std::thread::scope(|scope| {
            for _ in 0..window.min(manifest.parts.len()) {
                let done = done.clone();
                let job_queue = &job_queue;
                scope.spawn(move || {
                    while let Ok((index, slot)) = next_job(job_queue) {
                        let outcome = fetch_part(self.remote, &manifest.parts[index], path)
                            .map(|(content, _)| content);
                        drop(slot);
                        if done.send((index, outcome)).is_err() {
                            return;
                        }
                    }
                });
            }
            // Parts arrive in any order and are written in order; at most `window` parts
            // past the next one to write are requested, so the wait list stays bounded.
            let mut waiting: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
            let (mut requested, mut written) = (0usize, 0usize);
            while written < manifest.parts.len() && failure.is_none() {
                while requested < manifest.parts.len() && requested < written + window {
                    let slot = self.slots.acquire();
                    if jobs.send((requested, slot)).is_err() {
                        break;
                    }
                    requested += 1;
                }
                let Ok((at, outcome)) = finished.recv() else {
                    break;
                };
                match outcome {
                    Ok(content) => {
                        waiting.insert(at, content);
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
                while let Some(content) = waiting.remove(&written) {
                    whole.update(&content);
                    if let Err(e) = write(writer, &content) {
                        failure = Some(e);
                        break;
                    }
                    on_part(content.len() as u64);
                    written += 1;
                }
            }
            drop(jobs);
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let actual = hex_digest(&whole.finalize());
        if actual != manifest.sha256 {
            return Err(FilesError::Checksum {
                path: path.to_owned(),
                key: whole_key()?,
                expected: manifest.sha256.clone(),
                actual,
            });
        }
        Ok(())
    }
}

fn next_job<T>(queue: &Mutex<mpsc::Receiver<T>>) -> Result<T, mpsc::RecvError> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .recv()
}

fn count(counts: &mut UploadCounts, stored_size: u64, stored: Stored) {
    match stored {
        Stored::Sent => {
            counts.parts_sent += 1;
            counts.bytes_sent += stored_size;
        }
        Stored::Found => counts.parts_skipped += 1,
    }
}
