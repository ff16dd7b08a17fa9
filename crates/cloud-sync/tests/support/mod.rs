//! Test support: the backends every conformance test runs against, including a real
//! S3-protocol server (s3s-fs) started on 127.0.0.1 for the test and killed afterwards.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use cloud_sync::{Prefix, Remote, S3Config, Secret};
use object_store::ObjectStore;

pub const ACCESS_KEY: &str = "cloud-sync-test-access";
pub const SECRET_KEY: &str = "cloud-sync-test-secret-9f2c7e";
pub const BUCKET: &str = "sync-test";

/// A running s3s-fs, killed on drop.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
    _root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The s3s-fs binary: `$S3S_FS` when set (a path that is not a file means "none"), else
/// `s3s-fs` on `PATH`, else `$CARGO_HOME/bin/s3s-fs` (`~/.cargo/bin`).
pub fn s3s_fs_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("S3S_FS").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("s3s-fs"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
        let candidate = home.join("bin").join("s3s-fs");
        candidate.is_file().then_some(candidate)
    })
}

impl S3Server {
    /// Starts s3s-fs on a free loopback port with a fresh root holding one bucket; `None`
    /// (after printing `SKIPPED`) only when the binary cannot be found.
    pub fn start(test: &str) -> Option<S3Server> {
        let Some(binary) = s3s_fs_binary() else {
            println!(
                "SKIPPED: {test}: s3s-fs not found (cargo install s3s-fs@0.14.1 --features binary --locked)"
            );
            return None;
        };
        for _ in 0..5 {
            let root = tempfile::tempdir().expect("temp root");
            std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root.path())
                .env("RUST_LOG", "info")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn s3s-fs");
            // Ready when it says so; if it exits (port taken meanwhile), try another port.
            let stdout = child.stdout.take().expect("piped stdout");
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines
                .by_ref()
                .any(|line| line.is_ok_and(|line| line.contains("server is running at")));
            if ready {
                // Keep draining its output so the server never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Some(S3Server {
                    child,
                    endpoint: format!("http://127.0.0.1:{port}"),
                    _root: root,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("s3s-fs did not start on any of 5 ports");
    }

    /// A remote on this server under `prefix`, with a client of its own.
    pub fn remote(&self, prefix: &str) -> Remote {
        Remote::s3(&self.config(), Prefix::new(prefix).unwrap()).unwrap()
    }

    pub fn config(&self) -> S3Config {
        S3Config {
            endpoint: Some(self.endpoint.clone()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(Secret::new(SECRET_KEY)),
            allow_http: true,
            region: Some("us-east-1".into()),
            ..S3Config::new(BUCKET)
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// One backend under test; `remote(prefix)` gives independent clients of the same store.
pub enum Backend {
    InMemory(Arc<dyn ObjectStore>),
    LocalDir(tempfile::TempDir),
    S3(S3Server),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::InMemory(_) => "in-memory",
            Backend::LocalDir(_) => "local-dir",
            Backend::S3(_) => "s3s-fs",
        }
    }

    pub fn remote(&self, prefix: &str) -> Remote {
        match self {
            Backend::InMemory(store) => {
                Remote::from_store(Arc::clone(store), Prefix::new(prefix).unwrap(), "in-memory")
                    .unwrap()
            }
            Backend::LocalDir(dir) => {
                Remote::local_dir(dir.path(), Prefix::new(prefix).unwrap()).unwrap()
            }
            Backend::S3(server) => server.remote(prefix),
        }
    }

    /// Whether the backend enforces create-only and If-Match (s3s-fs may not).
    pub fn enforces_conditions(&self) -> bool {
        !matches!(self, Backend::S3(_))
    }
}

/// Every backend: InMemory, a local directory, and s3s-fs when it can be found.
pub fn backends(test: &str) -> Vec<Backend> {
    let mut backends = vec![
        Backend::InMemory(Arc::new(object_store::memory::InMemory::new())),
        Backend::LocalDir(tempfile::tempdir().unwrap()),
    ];
    if let Some(server) = S3Server::start(test) {
        backends.push(Backend::S3(server));
    }
    backends
}

/// Content files of device `name` living in `home` (created): identity `device.json`,
/// files under `content/`, catalogue `catalogue.sdn`, parts of `part_size` bytes.
pub fn content_files(
    home: &std::path::Path,
    remote: Remote,
    name: &str,
    part_size: usize,
) -> cloud_sync::files::ContentFiles {
    std::fs::create_dir_all(home).unwrap();
    let device = cloud_sync::Device::load_or_create(home.join("device.json"), name).unwrap();
    cloud_sync::files::ContentFiles::new(
        home.join("content"),
        home.join("catalogue.sdn"),
        remote,
        device,
    )
    .unwrap()
    .with_part_size(part_size)
}
