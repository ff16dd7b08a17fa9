//! The real `cloud-sync` binary, spawned as a user would run it: two devices syncing one
//! store through a local-directory remote.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

struct DeviceDir {
    dir: PathBuf,
}

impl DeviceDir {
    fn new(root: &Path, name: &str) -> DeviceDir {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        DeviceDir { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        cli_support::run(&self.dir, args)
    }

    /// Runs with `--json`, asserts success, returns the document.
    fn json(&self, args: &[&str]) -> Value {
        cli_support::run_json(&self.dir, args)
    }

    fn init(&self, name: &str) {
        cli_support::init(&self.dir, "todo.sdn", "todo", name);
    }

    fn write(&self, text: &str) {
        std::fs::write(self.dir.join("todo.sdn"), text).unwrap();
    }

    fn read(&self) -> String {
        std::fs::read_to_string(self.dir.join("todo.sdn")).unwrap()
    }
}

fn two_devices() -> (tempfile::TempDir, DeviceDir, DeviceDir) {
    let root = tempfile::tempdir().unwrap();
    let laptop = DeviceDir::new(root.path(), "laptop");
    let desktop = DeviceDir::new(root.path(), "desktop");
    laptop.init("laptop");
    desktop.init("desktop");
    (root, laptop, desktop)
}

#[test]
fn two_devices_push_pull_and_merge_concurrent_edits_through_the_binary() {
    let (_root, laptop, desktop) = two_devices();
    laptop.write("todos |id, title|\n  1, write docs\n");
    assert_eq!(laptop.json(&["push"])["published"], true);
    assert_eq!(desktop.json(&["check"])["status"], "behind");
    assert_eq!(desktop.json(&["pull"])["outcome"], "fastforward");
    assert_eq!(desktop.read(), laptop.read());

    // Both edit different records: the second push merges first, nothing is lost.
    laptop.write("todos |id, title|\n  1, write docs\n  2, from laptop\n");
    desktop.write("todos |id, title|\n  1, write better docs\n  3, from desktop\n");
    laptop.json(&["push"]);
    let pushed = desktop.json(&["push"]);
    assert_eq!(pushed["merges"], 1);
    assert_eq!(pushed["published"], true);
    assert_eq!(laptop.json(&["pull"])["outcome"], "fastforward");
    let merged = laptop.read();
    assert_eq!(merged, desktop.read());
    for edit in ["write better docs", "from laptop", "from desktop"] {
        assert!(merged.contains(edit), "{edit} lost: {merged}");
    }

    // The same field changed two ways: both values are kept and reported.
    laptop.write(&merged.replace("write better docs", "laptop title"));
    desktop.write(&merged.replace("write better docs", "desktop title"));
    laptop.json(&["push"]);
    let pulled = desktop.json(&["pull", "--prefer", "merge"]);
    assert_eq!(pulled["outcome"], "merged");
    let values: Vec<&str> = pulled["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert!(
        values.iter().any(|v| v.contains("laptop title")),
        "{values:?}"
    );
    assert!(
        values.iter().any(|v| v.contains("desktop title")),
        "{values:?}"
    );
    assert_eq!(desktop.json(&["status"])["status"], "ahead");
    desktop.json(&["push"]);
    laptop.json(&["pull"]);
    assert_eq!(laptop.read(), desktop.read());
    assert!(laptop.read().contains("versioning_conflicts"));

    let log = laptop.json(&["log"]);
    let kinds: Vec<&str> = log["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"merge") && kinds.contains(&"push") && kinds.contains(&"pull"),
        "{kinds:?}"
    );
}

#[test]
fn prefer_cloud_and_prefer_local_settle_a_divergence_as_asked() {
    let (_root, laptop, desktop) = two_devices();
    laptop.write("todos |id, title|\n  1, base\n");
    laptop.json(&["push"]);
    desktop.json(&["pull"]);
    laptop.write("todos |id, title|\n  1, cloud wins\n");
    laptop.json(&["push"]);
    desktop.write("todos |id, title|\n  1, local loses\n");
    let pulled = desktop.json(&["pull", "--prefer", "cloud"]);
    assert_eq!(pulled["outcome"], "usedcloud");
    assert!(
        pulled["local_backup"].is_string(),
        "local content is backed up first"
    );
    assert_eq!(desktop.read(), laptop.read());

    desktop.write("todos |id, title|\n  1, local wins\n");
    laptop.write("todos |id, title|\n  1, cloud loses\n");
    laptop.json(&["push"]);
    assert_eq!(
        desktop.json(&["pull", "--prefer", "local"])["outcome"],
        "keptlocal"
    );
    assert_eq!(desktop.json(&["check"])["status"], "ahead");
    desktop.json(&["push"]);
    laptop.json(&["pull", "--prefer", "cloud"]);
    assert!(laptop.read().contains("local wins"));
}

#[test]
fn diff_backups_restore_and_device_rename() {
    let (_root, laptop, desktop) = two_devices();
    laptop.write("todos |id, title|\n  1, one\n  2, two\n");
    let first = laptop.json(&["push"])["head"].as_str().unwrap().to_owned();
    laptop.write("todos |id, title|\n  1, uno\n  3, three\n");
    let diff = laptop.json(&["diff"]);
    let table = &diff["tables"][0];
    assert_eq!(table["table"], "todos");
    assert_eq!(table["added"][0]["key"], "3");
    assert_eq!(table["removed"][0]["key"], "2");
    assert_eq!(table["modified"][0]["old"]["title"], "one");
    assert_eq!(table["modified"][0]["new"]["title"], "uno");
    laptop.json(&["push"]);

    let backups = desktop.json(&["backups"]);
    assert_eq!(backups["backups"].as_array().unwrap().len(), 2);
    let against_first = desktop.json(&["diff", "--backup", &first]);
    // The desktop has no local store yet: every record of that backup is "removed".
    assert_eq!(
        against_first["tables"][0]["removed"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    desktop.json(&["restore", &first]);
    assert_eq!(desktop.read(), "todos |id, title|\n  1, one\n  2, two\n");
    laptop.json(&["pull"]);
    assert_eq!(laptop.read(), desktop.read());

    let renamed = laptop.json(&["device", "rename", "work laptop"]);
    assert_eq!(renamed["device"]["name"], "work laptop");
    assert_eq!(
        laptop.json(&["device", "show"])["device"]["name"],
        "work laptop"
    );
}

#[test]
fn failures_have_distinct_exit_codes_and_say_what_to_do() {
    let root = tempfile::tempdir().unwrap();
    let fresh = DeviceDir::new(root.path(), "fresh");
    let missing = fresh.run(&["status"]);
    assert_eq!(missing.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("cloud-sync init"), "{stderr}");

    fresh.init("fresh");
    let again = fresh.run(&[
        "init",
        "--store",
        "x.sdn",
        "--dir",
        "../remote",
        "--device",
        "x",
    ]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "init never overwrites silently"
    );

    let nothing = fresh.run(&["pull", "--json"]);
    assert_eq!(
        nothing.status.code(),
        Some(0),
        "pulling an empty remote changes nothing"
    );
    let diff = fresh.run(&["diff", "--json"]);
    assert_eq!(diff.status.code(), Some(4));
    let document: Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert!(document["hint"].as_str().unwrap().contains("push"));

    fresh.write("not [ valid sdn");
    fresh.json(&["push"]);
    let other = DeviceDir::new(root.path(), "other");
    other.init("other");
    other.write("todos |id|\n  1\n");
    let merge = other.run(&["pull"]);
    assert_eq!(
        merge.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    assert_eq!(
        other.read(),
        "todos |id|\n  1\n",
        "a failed merge changes nothing"
    );

    let usage = fresh.run(&["pull", "--prefer", "sideways"]);
    assert_eq!(usage.status.code(), Some(2));
}
