//! 4 device processes, each with its own local store, editing and syncing in random
//! order through one remote (a local directory, and s3s-fs on 127.0.0.1); afterwards
//! every device converges to identical bytes with no edit lost.

mod record_devices;
mod support;

use cloud_sync::{Prefix, Remote};
use rand::Rng;
use record_devices::{Ledger, SimDevice, assert_nothing_lost, converge};
use test_support::worker::{self, Worker};

/// How long one device process may run.
const DEVICE_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

const PROCESSES: usize = 4;
const STEPS: usize = 12;

fn remote_from_env() -> Remote {
    let prefix = Prefix::new("todo").unwrap();
    match std::env::var("CLOUD_SYNC_REMOTE")
        .unwrap()
        .split_once(':')
        .unwrap()
    {
        ("dir", path) => Remote::local_dir(path, prefix).unwrap(),
        ("s3", endpoint) => {
            let config = cloud_sync::S3Config {
                endpoint: Some(endpoint.to_owned()),
                access_key_id: Some(support::ACCESS_KEY.into()),
                secret_access_key: Some(cloud_sync::Secret::new(support::SECRET_KEY)),
                allow_http: true,
                region: Some("us-east-1".into()),
                ..cloud_sync::S3Config::new(support::BUCKET)
            };
            Remote::s3(&config, prefix).unwrap()
        }
        (other, _) => panic!("unknown remote kind {other}"),
    }
}

/// Worker entry point; a no-op unless this process was spawned as a device.
#[test]
fn device_worker() {
    let Some(number) = worker::role("CLOUD_SYNC_DEVICE") else {
        return;
    };
    let number: usize = number.parse().unwrap();
    let dir = worker::path_var("CLOUD_SYNC_DEVICE_DIR");
    let remote = remote_from_env();
    let mut device = SimDevice::open(number, &remote, &dir);
    let mut ledger = Ledger::default();
    let mut rng = rand::rng();
    for _ in 0..STEPS {
        match rng.random_range(0..4) {
            0 => device.insert(&mut ledger),
            1 => device.update_shared(rng.random_range(0..3), &mut ledger),
            2 => device.push(&mut ledger),
            _ => device.pull(),
        }
    }
    device.push(&mut ledger);
    for value in &ledger.written {
        println!("@@written {value}");
    }
    for value in &ledger.superseded {
        println!("@@superseded {value}");
    }
    for head in &ledger.pushed_heads {
        println!("@@pushed {head}");
    }
}

fn run_devices(remote_spec: &str, remote: &Remote) {
    let root = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::default();
    // Every device starts from one pushed store holding the shared records.
    let dirs: Vec<_> = (0..PROCESSES)
        .map(|d| root.path().join(format!("device-{d}")))
        .collect();
    for dir in &dirs {
        std::fs::create_dir_all(dir).unwrap();
    }
    {
        let start: Vec<SimDevice> = (0..PROCESSES)
            .map(|d| SimDevice::open(d, remote, &dirs[d]))
            .collect();
        record_devices::seed(&start, &mut ledger);
    }
    let workers: Vec<Worker> = dirs
        .iter()
        .enumerate()
        .map(|(d, dir)| {
            let mut command = worker::command("device_worker", "CLOUD_SYNC_DEVICE", &d.to_string());
            command
                .env("CLOUD_SYNC_DEVICE_DIR", dir)
                .env("CLOUD_SYNC_REMOTE", remote_spec);
            Worker::spawn(command, "@@", format!("device {d}"))
        })
        .collect();
    for worker in workers {
        for said in worker.answers_until_exit(DEVICE_LIMIT) {
            let (kind, value) = said.split_once(' ').unwrap();
            let value = value.to_owned();
            match kind {
                "written" => ledger.written.insert(value),
                "superseded" => ledger.superseded.insert(value),
                "pushed" => {
                    ledger.pushed_heads.push(value);
                    true
                }
                _ => panic!("unknown report {said}"),
            };
        }
    }
    let devices: Vec<SimDevice> = (0..PROCESSES)
        .map(|d| SimDevice::open(d, remote, &dirs[d]))
        .collect();
    let text = converge(&devices, &mut ledger);
    assert_nothing_lost(&text, &ledger, &devices);
    println!(
        "{PROCESSES} processes: {} edits, {} pushes, all kept",
        ledger.written.len(),
        ledger.pushed_heads.len()
    );
}

#[test]
fn four_device_processes_sync_through_a_local_directory_and_lose_nothing() {
    if std::env::var("CLOUD_SYNC_DEVICE").is_ok() {
        return;
    }
    let shared = tempfile::tempdir().unwrap();
    let remote = Remote::local_dir(shared.path(), Prefix::new("todo").unwrap()).unwrap();
    run_devices(&format!("dir:{}", shared.path().display()), &remote);
}

#[test]
fn four_device_processes_sync_through_s3s_fs_and_lose_nothing() {
    if std::env::var("CLOUD_SYNC_DEVICE").is_ok() {
        return;
    }
    let Some(server) = support::S3Server::start("four_device_processes_sync_through_s3s_fs") else {
        return;
    };
    let remote = Remote::s3(&server.config(), Prefix::new("todo").unwrap()).unwrap();
    run_devices(&format!("s3:{}", server.endpoint), &remote);
}
