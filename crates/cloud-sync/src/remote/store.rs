//! The `object_store` backend: S3, S3-compatible servers, `InMemory`.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use super::ChunkConsumer;
use super::object::{Fetched, ObjectVersion, PutKind, RawListed, RawMeta};
use crate::error::{Error, Operation};

fn path(full: &str) -> Result<Path, Error> {
    // Keys are validated before they get here, so parsing only fails on a bug; report it
    // as an invalid key rather than panic.
    Path::parse(full).map_err(|_| Error::InvalidKey {
        key: full.to_owned(),
        reason: "not a valid object store path",
    })
}

/// Maps the store's conditional-request and not-found errors to the typed ones.
fn map_error(operation: Operation, full: &str, source: object_store::Error) -> Error {
    let key = full.to_owned();
    match source {
        object_store::Error::NotFound { .. } if operation == Operation::PutIfMatch => {
            Error::Precondition { key }
        }
        object_store::Error::NotFound { .. } => Error::NotFound { key },
        object_store::Error::AlreadyExists { .. } => Error::AlreadyExists { key },
        object_store::Error::Precondition { .. } if operation == Operation::PutCreate => {
            Error::AlreadyExists { key }
        }
        object_store::Error::Precondition { .. } => Error::Precondition { key },
        source => Error::Remote {
            operation,
            key,
            source: Box::new(source),
        },
    }
}

fn version(etag: Option<String>, version: Option<String>) -> ObjectVersion {
    ObjectVersion { etag, version }
}

pub(crate) async fn get(
    store: &Arc<dyn ObjectStore>,
    full: String,
    max_size: u64,
) -> Result<Fetched, Error> {
    let mut buffer = BytesMut::new();
    let version = get_chunks(store, &full, max_size, &mut |size_hint, chunk| {
        if buffer.is_empty() {
            buffer.reserve(size_hint);
        }
        buffer.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    Ok(Fetched {
        bytes: buffer.freeze(),
        version,
    })
}

/// Reads `full` chunk by chunk as the body arrives, handing each chunk (with the announced
/// size, for a first allocation) to `consume`; refuses objects larger than `max_size`
/// before and while downloading them.
pub(crate) async fn get_chunks(
    store: &Arc<dyn ObjectStore>,
    full: &str,
    max_size: u64,
    consume: &mut ChunkConsumer<'_>,
) -> Result<ObjectVersion, Error> {
    let location = path(full)?;
    let result = store
        .get_opts(&location, GetOptions::default())
        .await
        .map_err(|e| map_error(Operation::Get, full, e))?;
    let too_large = |size| Error::TooLarge {
        what: "remote object",
        key: full.to_owned(),
        size,
        limit: max_size,
    };
    if result.meta.size > max_size {
        return Err(too_large(result.meta.size));
    }
    let object_version = version(result.meta.e_tag.clone(), result.meta.version.clone());
    let size_hint = usize::try_from(result.meta.size).unwrap_or(0);
    let mut received = 0u64;
    let mut stream = result.into_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| map_error(Operation::Get, full, e))?;
        // The size in the response header is the server's word; the body is checked too.
        received += chunk.len() as u64;
        if received > max_size {
            return Err(too_large(received));
        }
        consume(size_hint, &chunk)?;
    }
    Ok(object_version)
}

pub(crate) async fn head(
    store: &Arc<dyn ObjectStore>,
    full: String,
) -> Result<Option<RawMeta>, Error> {
    let location = path(&full)?;
    match store.head(&location).await {
        Ok(meta) => Ok(Some((
            meta.size,
            Some(meta.last_modified),
            version(meta.e_tag, meta.version),
        ))),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(map_error(Operation::Head, &full, e)),
    }
}

pub(crate) async fn put(
    store: &Arc<dyn ObjectStore>,
    full: String,
    bytes: Bytes,
    kind: PutKind,
) -> Result<ObjectVersion, Error> {
    let location = path(&full)?;
    let operation = kind.operation();
    let mode = match kind {
        PutKind::Create => PutMode::Create,
        PutKind::Overwrite => PutMode::Overwrite,
        PutKind::IfMatch(expected) => {
            if expected.etag.is_none() && expected.version.is_none() {
                // Nothing to match against: a conditional write cannot be expressed.
                return Err(Error::Precondition { key: full });
            }
            PutMode::Update(UpdateVersion {
                e_tag: expected.etag,
                version: expected.version,
            })
        }
    };
    let options = PutOptions {
        mode,
        ..PutOptions::default()
    };
    let result = store
        .put_opts(&location, PutPayload::from_bytes(bytes), options)
        .await
        .map_err(|e| map_error(operation, &full, e))?;
    Ok(version(result.e_tag, result.version))
}

pub(crate) async fn list(
    store: &Arc<dyn ObjectStore>,
    full: String,
) -> Result<Vec<RawListed>, Error> {
    let location = if full.is_empty() {
        None
    } else {
        Some(path(&full)?)
    };
    let mut stream = store.list(location.as_ref());
    let mut listed = Vec::new();
    while let Some(meta) = stream.next().await {
        let meta = meta.map_err(|e| map_error(Operation::List, &full, e))?;
        listed.push((
            meta.location.to_string(),
            meta.size,
            Some(meta.last_modified),
            version(meta.e_tag, meta.version),
        ));
    }
    Ok(listed)
}

pub(crate) async fn delete(store: &Arc<dyn ObjectStore>, full: String) -> Result<(), Error> {
    let location = path(&full)?;
    match store.delete(&location).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(map_error(Operation::Delete, &full, e)),
    }
}
