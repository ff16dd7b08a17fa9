//! Whole-file push / pull / check / backups / restore, end to end on real files, a
//! local-directory remote, real SQLite databases and (for the secrets test) s3s-fs.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use cloud_sync::log::{Resolution, SyncKind};
use cloud_sync::{
    Device, Error, FileKind, FileSync, Key, Prefix, PullMode, Remote, S3Config, Secret, SyncStatus,
};

struct Setup {
    remote_dir: tempfile::TempDir,
    local: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            remote_dir: tempfile::tempdir().unwrap(),
            local: tempfile::tempdir().unwrap(),
        }
    }

    fn remote(&self) -> Remote {
        Remote::local_dir(self.remote_dir.path(), Prefix::new("team/db").unwrap()).unwrap()
    }

    /// Device `name` with its own folder and its copy of the database file.
    fn device(&self, name: &str, file: &str, kind: FileKind) -> FileSync {
        let folder = self.local.path().join(name);
        fs::create_dir_all(&folder).unwrap();
        let device = Device::load_or_create(folder.join("device.json"), name).unwrap();
        FileSync::new(self.remote(), folder.join(file), kind, device)
    }
}

impl Setup {
    /// A laptop and a desktop whose files both hold `content`, pushed and pulled.
    fn two_synced_devices(&self, content: &str) -> (FileSync, FileSync) {
        let laptop = self.device("laptop", "db.sdn", FileKind::Plain);
        let desktop = self.device("desktop", "db.sdn", FileKind::Plain);
        write(&laptop, content);
        laptop.push_file().unwrap();
        desktop.pull_file(PullMode::FastForwardOnly).unwrap();
        (laptop, desktop)
    }
}

fn write(sync: &FileSync, text: &str) {
    fs::write(sync.path(), text).unwrap();
}

fn read(sync: &FileSync) -> String {
    fs::read_to_string(sync.path()).unwrap()
}

fn status(sync: &FileSync) -> SyncStatus {
    sync.check().unwrap().status
}

#[test]
fn push_pull_and_check_move_a_file_between_devices() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "todo.sdn", FileKind::Plain);
    let desktop = setup.device("desktop", "todo.sdn", FileKind::Plain);

    assert_eq!(status(&laptop), SyncStatus::NoRemoteHead);
    write(&laptop, "todo |id, title|\n  1, first\n");
    let pushed = laptop.push_file().unwrap();
    assert!(pushed.published && pushed.uploaded && pushed.warnings.is_empty());
    assert_eq!(status(&laptop), SyncStatus::UpToDate);

    // A fresh device has nothing: it is behind, and a pull fetches the file.
    assert_eq!(status(&desktop), SyncStatus::Behind);
    let pulled = desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert!(pulled.applied);
    assert_eq!(read(&desktop), read(&laptop));
    assert_eq!(status(&desktop), SyncStatus::UpToDate);

    // Desktop edits: ahead; laptop behind until it pulls.
    write(&desktop, "todo |id, title|\n  1, first\n  2, second\n");
    assert_eq!(status(&desktop), SyncStatus::Ahead);
    assert_eq!(
        desktop.push_file().unwrap().head,
        desktop.check().unwrap().remote.unwrap().head
    );
    assert_eq!(status(&laptop), SyncStatus::Behind);
    assert!(matches!(
        laptop.push_file(),
        Err(Error::NotFastForward {
            action: cloud_sync::SyncAction::Push,
            status: SyncStatus::Behind
        })
    ));
    laptop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert_eq!(read(&laptop), read(&desktop));

    // The log says who did what; both devices are published.
    let log = laptop.log().unwrap();
    let kinds: Vec<SyncKind> = log.iter().map(|entry| entry.kind).collect();
    assert_eq!(
        kinds,
        [
            SyncKind::Push,
            SyncKind::Pull,
            SyncKind::Push,
            SyncKind::Pull
        ]
    );
    assert!(
        log.iter()
            .all(|entry| entry.resolution == Resolution::NoConflict)
    );
    let devices = cloud_sync::device::list_devices(laptop.remote(), &Default::default()).unwrap();
    assert_eq!(devices.len(), 2);
}

#[test]
fn check_and_an_unchanged_push_cost_one_request() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "db.sdn", FileKind::Plain);
    write(&laptop, "x\n");
    laptop.push_file().unwrap();

    let before = laptop.remote().request_count();
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    assert_eq!(
        laptop.remote().request_count() - before,
        1,
        "check reads the manifest only"
    );

    let before = laptop.remote().request_count();
    let report = laptop.push_file().unwrap();
    assert!(!report.published);
    assert_eq!(
        laptop.remote().request_count() - before,
        1,
        "nothing to push: one request"
    );
}

#[test]
fn diverged_devices_refuse_to_overwrite_and_overwrite_local_backs_up_first() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.two_synced_devices("base\n");

    write(&laptop, "laptop edit\n");
    write(&desktop, "desktop edit\n");
    laptop.push_file().unwrap();
    assert_eq!(status(&desktop), SyncStatus::Diverged);
    assert!(matches!(
        desktop.push_file(),
        Err(Error::NotFastForward {
            status: SyncStatus::Diverged,
            ..
        })
    ));
    assert!(matches!(
        desktop.pull_file(PullMode::FastForwardOnly),
        Err(Error::NotFastForward {
            status: SyncStatus::Diverged,
            ..
        })
    ));
    assert_eq!(read(&desktop), "desktop edit\n", "refusals change nothing");

    let pulled = desktop.pull_file(PullMode::OverwriteLocal).unwrap();
    assert_eq!(read(&desktop), "laptop edit\n");
    let saved = pulled.local_backup.expect("local content backed up");
    let backups = desktop.backups().unwrap();
    let entry = backups.iter().find(|b| b.head == saved).unwrap();
    assert_eq!(
        entry.snapshot.sha256,
        cloud_sync::sha256_hex(b"desktop edit\n")
    );
    let last = desktop.log().unwrap().pop().unwrap();
    assert!(last.conflict_detected);
    assert_eq!(last.resolution, Resolution::UsedCloud);
}

#[test]
fn backups_are_listed_and_a_restore_is_a_new_logged_head() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "db.sdn", FileKind::Plain);
    let desktop = setup.device("desktop", "db.sdn", FileKind::Plain);
    let mut heads = Vec::new();
    for version in ["v1\n", "v2\n", "v3\n"] {
        write(&laptop, version);
        heads.push(laptop.push_file().unwrap().head);
    }
    let backups = laptop.backups().unwrap();
    assert_eq!(
        backups.iter().map(|b| b.head.clone()).collect::<Vec<_>>(),
        heads
    );
    assert!(backups.iter().all(|b| b.device == laptop.device().id));

    let restored = laptop.restore(&heads[0]).unwrap();
    assert_eq!(read(&laptop), "v1\n");
    assert_eq!(status(&laptop), SyncStatus::UpToDate);
    let head = laptop.check().unwrap().remote.unwrap();
    assert_eq!(head.head, restored.head);
    assert_eq!(
        head.parent.as_deref(),
        Some(heads[2].as_str()),
        "a restore moves the head forward"
    );
    assert_eq!(
        laptop.backups().unwrap().len(),
        4,
        "the restore is itself a backup"
    );
    assert_eq!(
        laptop.log().unwrap().last().unwrap().kind,
        SyncKind::Restore
    );

    // Another device follows the restore like any push.
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert_eq!(read(&desktop), "v1\n");
    // And it is reversible: restore v3.
    laptop.restore(&heads[2]).unwrap();
    assert_eq!(read(&laptop), "v3\n");
}

#[test]
fn missing_or_damaged_state_is_rebuilt_from_checksums() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.two_synced_devices("v1\n");

    // Damaged: rebuilt to the head, whose content local content is.
    fs::write(desktop.state_path(), b"{ torn").unwrap();
    let report = desktop.check().unwrap();
    assert!(report.state_rebuilt);
    assert_eq!(report.status, SyncStatus::UpToDate);
    assert!(
        !desktop.check().unwrap().state_rebuilt,
        "saved once rebuilt"
    );

    // Missing, and local content is an older version: rebuilt from that version's backup,
    // so the device is behind (not diverged) and a pull fast-forwards.
    write(&laptop, "v2\n");
    laptop.push_file().unwrap();
    fs::remove_file(desktop.state_path()).unwrap();
    let report = desktop.check().unwrap();
    assert!(report.state_rebuilt);
    assert_eq!(report.status, SyncStatus::Behind);
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert_eq!(read(&desktop), "v2\n");

    // Missing, and local content matches nothing on the remote: diverged, never behind.
    write(&desktop, "unknown local work\n");
    fs::remove_file(desktop.state_path()).unwrap();
    assert_eq!(status(&desktop), SyncStatus::Diverged);
}

#[test]
fn a_push_whose_state_was_not_saved_is_recognised_as_our_own() {
    let setup = Setup::new();
    let (laptop, desktop) = setup.two_synced_devices("v1\n");
    // A push killed after the head moved, before its state was saved: the state file
    // still names the previous head.
    let before = fs::read(laptop.state_path()).unwrap();
    write(&laptop, "v2\n");
    laptop.push_file().unwrap();
    fs::write(laptop.state_path(), before).unwrap();

    // The next edit is simply ahead of our own push, not diverged from it.
    write(&laptop, "v3\n");
    assert_eq!(status(&laptop), SyncStatus::Ahead);
    laptop.push_file().unwrap();
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    assert_eq!(read(&desktop), "v3\n");
}

#[test]
fn a_changed_snapshot_object_fails_verification_and_local_is_untouched() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "db.sdn", FileKind::Plain);
    let desktop = setup.device("desktop", "db.sdn", FileKind::Plain);
    write(&laptop, "the real content\n");
    laptop.push_file().unwrap();
    write(&desktop, "desktop before\n");

    let manifest = laptop.check().unwrap().remote.unwrap();
    // Same size, other bytes: flip one byte of the stored object.
    let object = setup
        .remote_dir
        .path()
        .join("team/db")
        .join(&manifest.snapshot.key);
    let mut bytes = fs::read(&object).unwrap();
    let last = bytes.len() - 5;
    bytes[last] ^= 0xff;
    fs::write(&object, bytes).unwrap();

    let err = desktop.pull_file(PullMode::OverwriteLocal).unwrap_err();
    assert!(
        matches!(err, Error::Integrity { .. } | Error::Codec { .. }),
        "{err}"
    );
    assert_eq!(read(&desktop), "desktop before\n");
}

#[test]
fn a_manifest_naming_a_path_outside_the_prefix_is_rejected() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "db.sdn", FileKind::Plain);
    write(&laptop, "x\n");
    laptop.push_file().unwrap();
    let manifest_key = Key::new("manifest.json").unwrap();
    let current = laptop.remote().get(&manifest_key, 1 << 16).unwrap();
    let evil = String::from_utf8(current.bytes.to_vec())
        .unwrap()
        .replace("snapshots/", "../../../../outside/");
    laptop.remote().put_overwrite(&manifest_key, evil).unwrap();

    let desktop = setup.device("desktop", "db.sdn", FileKind::Plain);
    let err = desktop.pull_file(PullMode::FastForwardOnly).unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err}");
    assert!(!desktop.path().exists());
    assert!(
        !setup
            .remote_dir
            .path()
            .parent()
            .unwrap()
            .join("outside")
            .exists()
    );
}

fn sqlite_rows(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM files", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn a_live_wal_sqlite_database_syncs_without_stale_wal_files() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "collection.db", FileKind::Sqlite);
    let desktop = setup.device("desktop", "collection.db", FileKind::Sqlite);

    // The laptop's database is live: a writer connection in WAL mode stays open, and its
    // last commits are only in the -wal when the push snapshots it.
    let writer = rusqlite::Connection::open(laptop.path()).unwrap();
    writer
        .query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .unwrap();
    writer
        .execute_batch("CREATE TABLE files(id INTEGER PRIMARY KEY, sha1 TEXT, size INTEGER)")
        .unwrap();
    for i in 0..500 {
        writer
            .execute(
                "INSERT INTO files(sha1, size) VALUES (?1, ?2)",
                (format!("{i:040x}"), i),
            )
            .unwrap();
    }
    assert!(wal_len(laptop.path()) > 0);
    laptop.push_file().unwrap();
    assert_eq!(
        status(&laptop),
        SyncStatus::UpToDate,
        "an unchanged live database stays up to date"
    );

    // The desktop has an older database of its own open in WAL mode with a reader.
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    let reader = rusqlite::Connection::open(desktop.path()).unwrap();
    reader
        .query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .unwrap();
    assert_eq!(sqlite_rows(desktop.path()), 500);

    writer
        .execute("INSERT INTO files(sha1, size) VALUES ('new', 1)", [])
        .unwrap();
    assert_eq!(status(&laptop), SyncStatus::Ahead);
    laptop.push_file().unwrap();
    assert_eq!(status(&desktop), SyncStatus::Behind);
    desktop.pull_file(PullMode::FastForwardOnly).unwrap();
    let seen: i64 = reader
        .query_row("SELECT count(*) FROM files", [], |row| row.get(0))
        .unwrap();
    assert_eq!(seen, 501, "the open reader sees the pulled content");
    assert_eq!(
        wal_len(desktop.path()),
        0,
        "no stale -wal content after the apply"
    );
    assert_eq!(status(&desktop), SyncStatus::UpToDate);
    let check: String = reader
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    fs::metadata(PathBuf::from(wal))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[test]
fn a_corrupt_sqlite_download_is_refused_before_it_touches_the_local_database() {
    let setup = Setup::new();
    let laptop = setup.device("laptop", "db.sqlite", FileKind::Sqlite);
    let desktop = setup.device("desktop", "db.sqlite", FileKind::Sqlite);
    let remote = setup.remote();
    // A "database" whose header is fine but whose pages are garbage, pushed through the
    // protocol by a broken client: verified by checksum (it is what was pushed), then
    // refused by integrity_check.
    let c = rusqlite::Connection::open(laptop.path()).unwrap();
    c.execute_batch("CREATE TABLE files(id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    for i in 0..300 {
        c.execute("INSERT INTO files(v) VALUES (?1)", [format!("value {i}")])
            .unwrap();
    }
    drop(c);
    let mut broken = fs::read(laptop.path()).unwrap();
    let page = 4096;
    for byte in &mut broken[page + 8..page + 400] {
        *byte = 0xa5;
    }
    let plain = FileSync::new(
        remote,
        laptop.path().with_extension("raw"),
        FileKind::Plain,
        laptop.device().clone(),
    );
    fs::write(plain.path(), &broken).unwrap();
    plain.push_file().unwrap();

    let c = rusqlite::Connection::open(desktop.path()).unwrap();
    c.execute_batch(
        "CREATE TABLE files(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO files(v) VALUES ('mine')",
    )
    .unwrap();
    drop(c);
    let err = desktop.pull_file(PullMode::OverwriteLocal).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SqliteIntegrity { .. }
                | Error::Sqlite {
                    operation: cloud_sync::Operation::CheckSqlite,
                    ..
                }
        ),
        "{err}"
    );
    assert_eq!(sqlite_rows(desktop.path()), 1);
}

#[test]
fn secrets_never_appear_in_errors_or_debug_output() {
    const SECRET: &str = "s3cr3t-never-print-me-7d1e";
    const TOKEN: &str = "t0ken-never-print-me-55aa";
    let config = S3Config {
        endpoint: Some("http://127.0.0.1:9".into()), // discard port: nothing listens
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some(Secret::new(SECRET)),
        session_token: Some(Secret::new(TOKEN)),
        allow_http: true,
        max_retries: 0,
        ..S3Config::new("bucket")
    };
    let remote = Remote::s3(&config, Prefix::new("p").unwrap()).unwrap();
    let mut texts = vec![format!("{config:?}"), format!("{remote:?}")];
    let err = remote
        .get(&Key::new("manifest.json").unwrap(), 1024)
        .unwrap_err();
    texts.extend(error_texts(&err));

    // Against the real server, with a wrong secret (an authentication failure) and with
    // the right one (a missing object).
    if let Some(server) = support::S3Server::start("secrets_never_appear_in_errors_or_debug_output")
    {
        let wrong = S3Config {
            secret_access_key: Some(Secret::new(SECRET)),
            max_retries: 0,
            ..server.config()
        };
        let remote = Remote::s3(&wrong, Prefix::new("p").unwrap()).unwrap();
        let err = remote
            .put_create(&Key::new("x").unwrap(), &b"x"[..])
            .unwrap_err();
        texts.extend(error_texts(&err));
        let right = Remote::s3(&server.config(), Prefix::new("p").unwrap()).unwrap();
        let err = right.get(&Key::new("missing").unwrap(), 10).unwrap_err();
        texts.extend(error_texts(&err));
        texts.push(format!("{:?}", server.config()));
        for text in &texts {
            assert!(!text.contains(support::SECRET_KEY), "secret in: {text}");
        }
    }
    assert!(texts.len() >= 4);
    for text in &texts {
        assert!(
            !text.contains(SECRET) && !text.contains(TOKEN),
            "secret in: {text}"
        );
    }
    assert!(
        Remote::s3(
            &S3Config {
                endpoint: Some("http://user:pw@127.0.0.1:9".into()),
                ..S3Config::new("b")
            },
            Prefix::default()
        )
        .is_err(),
        "credentials inside the endpoint are refused"
    );
}

/// `Display` of an error and of each of its sources, and its `Debug`.
fn error_texts(err: &Error) -> Vec<String> {
    let mut texts = vec![format!("{err:?}"), format!("{err}")];
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        texts.push(inner.to_string());
        source = inner.source();
    }
    texts
}

#[test]
fn the_async_api_works_inside_a_runtime_where_the_blocking_one_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::local_dir(dir.path(), Prefix::new("p").unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = Key::new("k").unwrap();
    runtime.block_on(async {
        assert!(matches!(
            remote.get(&key, 10),
            Err(Error::InsideAsyncRuntime)
        ));
        let remote_async = remote.as_async();
        remote_async.put_create(&key, "v".into()).await.unwrap();
        assert_eq!(&remote_async.get(&key, 10).await.unwrap().bytes[..], b"v");
    });
    assert_eq!(&remote.get(&key, 10).unwrap().bytes[..], b"v");
}
