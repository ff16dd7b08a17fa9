//! The manifest's read-back verification, made deterministic with a store that ignores
//! conditional writes (as some S3-compatible servers do) and can land a rival device's
//! write between our write and our read-back.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use cloud_sync::manifest::{self, Manifest};
use cloud_sync::snapshot::{self, Limits};
use cloud_sync::{Device, Error, FileKind, FileSync, Prefix, PullMode, Remote, SyncStatus};

/// Accepts every write whatever its condition; after the next write to the armed path,
/// writes the armed rival bytes there too.
#[derive(Debug, Default)]
struct IgnoresConditions {
    inner: InMemory,
    rival: Mutex<Option<(Path, PutPayload)>>,
}

impl fmt::Display for IgnoresConditions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IgnoresConditions")
    }
}

#[async_trait]
impl ObjectStore for IgnoresConditions {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let opts = PutOptions {
            mode: PutMode::Overwrite,
            ..opts
        };
        let result = self.inner.put_opts(location, payload, opts).await?;
        let rival = {
            let mut armed = self.rival.lock().unwrap();
            if armed.as_ref().is_some_and(|(path, _)| path == location) {
                armed.take()
            } else {
                None
            }
        };
        if let Some((path, bytes)) = rival {
            self.inner
                .put_opts(&path, bytes, PutOptions::default())
                .await?;
        }
        Ok(result)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// Whether some backup entry holds exactly `content`.
fn has_backup_of(sync: &FileSync, content: &[u8]) -> bool {
    let sha = cloud_sync::sha256_hex(content);
    sync.backups()
        .unwrap()
        .iter()
        .any(|b| b.snapshot.sha256 == sha)
}

struct World {
    store: Arc<IgnoresConditions>,
    local: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World {
            store: Arc::new(IgnoresConditions::default()),
            local: tempfile::tempdir().unwrap(),
        }
    }

    fn remote(&self) -> Remote {
        Remote::from_store(
            self.store.clone(),
            Prefix::new("p").unwrap(),
            "non-enforcing",
        )
        .unwrap()
    }

    fn device(&self, name: &str) -> FileSync {
        let device =
            Device::load_or_create(self.local.path().join(format!("{name}.json")), name).unwrap();
        FileSync::new(
            self.remote(),
            self.local.path().join(format!("{name}.sdn")),
            FileKind::Plain,
            device,
        )
    }

    /// A manifest from another device, based on the current head, as raw bytes.
    fn rival_manifest(&self, content: &[u8]) -> Manifest {
        let remote = self.remote();
        let limits = Limits::default();
        let prepared = snapshot::prepare(content).unwrap();
        let (reference, _) = snapshot::upload(&remote, &prepared, &limits).unwrap();
        let head = manifest::read(&remote, &limits).unwrap().unwrap();
        Manifest::next(
            Some(&head.manifest),
            reference,
            "0000aaaa-0000-4000-8000-00000000beef",
            "rival".into(),
        )
    }
}

#[test]
fn read_back_catches_a_rival_write_the_server_let_through() {
    let world = World::new();
    let laptop = world.device("laptop");
    std::fs::write(laptop.path(), "base\n").unwrap();
    laptop.push_file().unwrap();
    std::fs::write(laptop.path(), "laptop edit\n").unwrap();

    // Between the laptop's manifest write and its read-back, a rival's lands.
    let rival = world.rival_manifest(b"rival edit\n");
    *world.store.rival.lock().unwrap() = Some((
        Path::from("p/manifest.json"),
        PutPayload::from(rival.to_bytes()),
    ));

    match laptop.push_file() {
        Err(Error::LostRace { theirs, .. }) => assert_eq!(theirs, Some(rival.head.clone())),
        other => panic!("expected a lost race, got {other:?}"),
    }
    // Nothing is lost: the laptop is diverged (its edit is local and backed up).
    assert_eq!(laptop.check().unwrap().status, SyncStatus::Diverged);
    assert!(has_backup_of(
        &laptop,
        b"laptop edit
"
    ));
}

#[test]
fn a_push_overwritten_after_its_read_back_is_seen_as_diverged_not_behind() {
    let world = World::new();
    let laptop = world.device("laptop");
    let desktop = world.device("desktop");
    std::fs::write(laptop.path(), "base\n").unwrap();
    laptop.push_file().unwrap();
    let base = manifest::read(&world.remote(), &Limits::default())
        .unwrap()
        .unwrap();

    std::fs::write(laptop.path(), "laptop edit\n").unwrap();
    let pushed = laptop.push_file().unwrap();
    assert!(pushed.published, "the laptop was told it won");

    // A rival that read the head before the laptop's push writes with that stale ETag;
    // the server does not enforce If-Match, so it overwrites the laptop's head, and the
    // rival's own read-back succeeds.
    let mut rival = world.rival_manifest(b"rival edit\n");
    rival.parent = Some(base.manifest.head.clone());
    rival.history = vec![base.manifest.head.clone()];
    manifest::publish(&world.remote(), &rival, Some(&base), &Limits::default()).unwrap();

    // The laptop must not consider itself behind: a pull would drop its edit.
    assert_eq!(laptop.check().unwrap().status, SyncStatus::Diverged);
    assert!(matches!(
        laptop.pull_file(PullMode::FastForwardOnly),
        Err(Error::NotFastForward {
            status: SyncStatus::Diverged,
            ..
        })
    ));
    assert_eq!(
        std::fs::read_to_string(laptop.path()).unwrap(),
        "laptop edit\n"
    );
    // Its version is still a backup; a fresh device simply takes the current head.
    assert!(has_backup_of(
        &laptop,
        b"laptop edit
"
    ));
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert_eq!(
        std::fs::read_to_string(desktop.path()).unwrap(),
        "rival edit\n"
    );
}
