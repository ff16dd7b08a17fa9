//! `cloud-sync files ...` through the real binary: the catalogue travels with the store
//! (`push` / `pull`), the content on demand.

mod cli_support;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Value {
    cli_support::run_json(dir, args)
}

fn device(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    cli_support::init(&dir, "library.sdn", "lib", name);
    dir
}

fn availability(dir: &Path, path: &str) -> String {
    let status = run(dir, &["files", "status"]);
    let file = status["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap();
    file["availability"].as_str().unwrap().to_owned()
}

#[test]
fn files_commands_upload_open_download_evict_and_report_usage() {
    let root = tempfile::tempdir().unwrap();
    let laptop = device(root.path(), "laptop");
    let desktop = device(root.path(), "desktop");
    let rom = b"a rom image ".repeat(1000);
    std::fs::create_dir_all(laptop.join("files/roms")).unwrap();
    std::fs::write(laptop.join("files/roms/game.bin"), &rom).unwrap();
    std::fs::write(laptop.join("files/notes.txt"), b"only here").unwrap();

    let uploaded = run(&laptop, &["files", "upload"]);
    assert_eq!(
        uploaded["uploaded"].as_array().unwrap().len(),
        2,
        "{uploaded}"
    );
    assert_eq!(availability(&laptop, "roms/game.bin"), "Synchronized");

    // The catalogue is a table of the synced store.
    run(&laptop, &["push"]);
    run(&desktop, &["pull"]);
    assert_eq!(availability(&desktop, "roms/game.bin"), "CloudOnly");
    let du = run(&desktop, &["files", "du"]);
    assert_eq!(du["folders"]["roms"]["cloud_bytes"], rom.len() as u64);
    assert_eq!(du["folders"]["roms"]["local_bytes"], 0);

    let opened = run(&desktop, &["files", "open", "roms/game.bin"]);
    assert_eq!(opened["downloaded"], true);
    assert_eq!(
        std::fs::read(opened["path"].as_str().unwrap()).unwrap(),
        rom
    );

    let evicted = run(&desktop, &["files", "evict", "--folder", "roms"]);
    assert_eq!(evicted["evicted"].as_array().unwrap().len(), 1, "{evicted}");
    let all = run(&desktop, &["files", "download-all"]);
    assert_eq!(all["downloaded"].as_array().unwrap().len(), 2, "{all}");

    // The laptop's local-only edit is never evicted.
    std::fs::write(laptop.join("files/notes.txt"), b"edited, not uploaded").unwrap();
    let kept = run(&laptop, &["files", "evict"]);
    assert_eq!(kept["refused"][0]["path"], "notes.txt", "{kept}");
    assert_eq!(kept["refused"][0]["availability"], "Modified");
}
