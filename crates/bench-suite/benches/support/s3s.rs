//! A real S3 server for the benches: s3s-fs on 127.0.0.1, on a free port, with
//! credentials (it checks SigV4 signatures). Shared by the `files` and `sync` benches.
//!
//! `S3S_FS` names the server binary (else `s3s-fs` in `~/.cargo/bin`, else on `PATH`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use cloud_sync::{Prefix, Remote, S3Config, Secret};

/// The bucket every bench uses.
pub const BUCKET: &str = "bench";

/// The running server; killed when dropped.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn s3s_fs() -> PathBuf {
    if let Some(path) = std::env::var_os("S3S_FS") {
        return path.into();
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let installed = home.join("bin/s3s-fs");
    if installed.is_file() {
        installed
    } else {
        PathBuf::from("s3s-fs")
    }
}

/// Starts s3s-fs serving `root` (with the bucket [`BUCKET`] in it); returns the server
/// and its endpoint URL once it accepts requests.
pub fn start(root: &Path) -> (Server, String) {
    std::fs::create_dir_all(root.join(BUCKET)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(s3s_fs())
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--access-key",
            "bench",
            "--secret-key",
            "bench-secret",
        ])
        .arg(root)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("s3s-fs (cargo install s3s-fs --features binary)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("server is running at"))),
        "s3s-fs did not start"
    );
    std::thread::spawn(move || lines.for_each(drop));
    (Server(child), format!("http://127.0.0.1:{port}"))
}

/// The client configuration for the server at `endpoint`.
pub fn config(endpoint: &str) -> S3Config {
    S3Config {
        endpoint: Some(endpoint.to_owned()),
        access_key_id: Some("bench".into()),
        secret_access_key: Some(Secret::new("bench-secret")),
        allow_http: true,
        region: Some("us-east-1".into()),
        ..S3Config::new(BUCKET)
    }
}

/// A remote on the server at `endpoint`, under `prefix`.
#[allow(dead_code)] // not every bench builds its remotes this way
pub fn remote(endpoint: &str, prefix: &str) -> Remote {
    Remote::s3(&config(endpoint), Prefix::new(prefix).unwrap()).unwrap()
}
