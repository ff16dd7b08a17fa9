//! Part 3 of the demo: two devices editing one TODO database and syncing it
//! through a local-directory remote, first with the original design's timestamp check,
//! then with cloud-sync.
//!
//! The original design (BASELINE.md, multi-device plan), reproduced faithfully: the cloud
//! copy is one object (`metadata/collection.sdn`, a file in the shared folder) and its
//! last-modified time (the file's mtime) is compared with the device's local "last
//! synced" time. Cloud newer than the last sync: pull; if local changed too, that is a
//! conflict, and the device answers "use the cloud copy" (discard local). Local changed:
//! push (a timestamped backup copy, then the object). Two devices syncing close together
//! both see "no conflict" in their check and the later upload overwrites the earlier.
//!
//! Each round, both devices add TODOs (each one edit, named uniquely); odd rounds the
//! devices sync one after the other, even rounds at the same moment (each device's sync
//! runs on its own thread; a barrier lines the baseline's checks up before either
//! upload, as two devices that press "sync" together do). Lost edits are counted in the
//! final cloud copy after both devices synced once more.

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::time::SystemTime;

use cloud_sync::{Device, Prefer, Prefix, RecordSync, Remote};

use crate::table::print_table;

const HEADER: &str = "todos |id, title|\n";

/// Edits, syncs and what survived, for one design.
pub struct SyncReport {
    pub edits: usize,
    pub kept: usize,
    pub conflicts_detected: usize,
}

impl SyncReport {
    pub fn lost(&self) -> usize {
        self.edits - self.kept
    }
}

/// Appends `count` new TODOs from `device` in `round`; returns their ids.
fn add_todos(
    path: &Path,
    device: usize,
    round: usize,
    count: usize,
) -> Result<Vec<String>, String> {
    let mut text = std::fs::read_to_string(path).unwrap_or_else(|_| HEADER.to_owned());
    let mut ids = Vec::new();
    for i in 0..count {
        let id = format!("d{device}r{round}n{i}");
        text.push_str(&format!("  {id}, todo {id}\n"));
        ids.push(id);
    }
    std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    Ok(ids)
}

fn count_kept(text: &str, ids: &[String]) -> usize {
    ids.iter()
        .filter(|id| text.contains(&format!("todo {id}")))
        .count()
}

/// Runs `work` on every device at the same moment, one thread each.
fn at_once<D: Send, T: Send>(
    devices: impl Iterator<Item = D>,
    work: impl Fn(D) -> Result<T, String> + Sync,
) -> Result<Vec<T>, String> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = devices.map(|device| scope.spawn(|| work(device))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a device thread panicked".into()))
            })
            .collect()
    })
}

/// One device of the original design.
struct TimestampDevice {
    local: PathBuf,
    cloud: PathBuf,
    backups: PathBuf,
    last_synced: SystemTime,
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl TimestampDevice {
    /// `check_conflicts`: has the cloud object changed since our last sync?
    fn cloud_changed(&self) -> bool {
        mtime(&self.cloud).is_some_and(|cloud| cloud > self.last_synced)
    }

    fn local_changed(&self) -> bool {
        mtime(&self.local).is_some_and(|local| local > self.last_synced)
    }

    /// Pull (when the check said so) then push, as the settings panel's buttons do;
    /// `between` runs after the check and before any transfer. Returns whether a
    /// conflict was detected.
    fn sync(&mut self, between: impl FnOnce()) -> Result<bool, String> {
        let cloud_changed = self.cloud_changed();
        let local_changed = self.local_changed();
        between();
        let copy = |from: &Path, to: &Path| {
            std::fs::copy(from, to)
                .map(|_| ())
                .map_err(|e| format!("copy {}: {e}", from.display()))
        };
        let conflict = cloud_changed && local_changed;
        if cloud_changed {
            // On a conflict the user answers "use the cloud copy": local is discarded.
            copy(&self.cloud, &self.local)?;
        } else if local_changed {
            let stamp = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            copy(
                &self.local,
                &self.backups.join(format!("collection_{stamp}.sdn")),
            )?;
            copy(&self.local, &self.cloud)?;
        }
        self.last_synced = SystemTime::now();
        Ok(conflict)
    }
}

/// The original design: `rounds` rounds of both devices adding `per_round` TODOs.
pub fn run_timestamp(dir: &Path, rounds: usize, per_round: usize) -> Result<SyncReport, String> {
    let shared = dir.join("timestamp-remote").join("metadata");
    let backups = shared.join("backups");
    std::fs::create_dir_all(&backups).map_err(|e| format!("create {}: {e}", backups.display()))?;
    let cloud = shared.join("collection.sdn");
    let mut devices: Vec<TimestampDevice> = (0..2)
        .map(|d| {
            let local = dir.join(format!("timestamp-device-{d}.sdn"));
            std::fs::write(&local, HEADER).map_err(|e| format!("write: {e}"))?;
            Ok(TimestampDevice {
                local,
                cloud: cloud.clone(),
                backups: backups.clone(),
                last_synced: SystemTime::now(),
            })
        })
        .collect::<Result<_, String>>()?;
    let mut ids = Vec::new();
    let mut conflicts = 0;
    for round in 0..rounds {
        for (d, device) in devices.iter().enumerate() {
            ids.extend(add_todos(&device.local, d, round, per_round)?);
        }
        if round % 2 == 0 {
            let barrier = Barrier::new(2);
            let detected = at_once(devices.iter_mut(), |device| {
                device.sync(|| {
                    barrier.wait();
                })
            })?;
            conflicts += detected.into_iter().filter(|&c| c).count();
        } else {
            for device in &mut devices {
                conflicts += usize::from(device.sync(|| {})?);
            }
        }
    }
    for device in &mut devices {
        conflicts += usize::from(device.sync(|| {})?);
    }
    let text = std::fs::read_to_string(&cloud).map_err(|e| format!("read cloud copy: {e}"))?;
    Ok(SyncReport {
        edits: ids.len(),
        kept: count_kept(&text, &ids),
        conflicts_detected: conflicts,
    })
}

/// cloud-sync: the same rounds through a local-directory remote with record-level merge.
pub fn run_cloud_sync(dir: &Path, rounds: usize, per_round: usize) -> Result<SyncReport, String> {
    let shared = dir.join("cloud-sync-remote");
    let err = |e: cloud_sync::Error| e.to_string();
    let prefix = Prefix::new("todo").map_err(err)?;
    let devices: Vec<RecordSync> = (0..2)
        .map(|d| {
            let remote = Remote::local_dir(&shared, prefix.clone()).map_err(err)?;
            let device = Device::load_or_create(
                dir.join(format!("device-{d}.json")),
                &format!("device-{d}"),
            )
            .map_err(err)?;
            let path = dir.join(format!("cloud-sync-device-{d}.sdn"));
            std::fs::write(&path, HEADER).map_err(|e| format!("write: {e}"))?;
            Ok(RecordSync::new(remote, path, device))
        })
        .collect::<Result<_, String>>()?;
    let mut ids = Vec::new();
    let mut merges = 0;
    let count_merges = |report: cloud_sync::RecordPushReport| {
        report
            .pulls
            .iter()
            .filter(|p| p.outcome == cloud_sync::PullOutcome::Merged)
            .count()
    };
    for round in 0..rounds {
        for (d, device) in devices.iter().enumerate() {
            ids.extend(add_todos(device.path(), d, round, per_round)?);
        }
        if round % 2 == 0 {
            let pushed = at_once(devices.iter(), |device| {
                device.push().map(count_merges).map_err(err)
            })?;
            merges += pushed.into_iter().sum::<usize>();
        } else {
            for device in &devices {
                merges += device.push().map(count_merges).map_err(err)?;
            }
        }
    }
    for device in &devices {
        merges += device.push().map(count_merges).map_err(err)?;
    }
    for device in &devices {
        device.pull(Prefer::Merge).map_err(err)?;
    }
    let texts: Vec<String> = devices
        .iter()
        .map(|d| std::fs::read_to_string(d.path()).unwrap_or_default())
        .collect();
    if texts[0] != texts[1] {
        return Err("cloud-sync devices did not converge".into());
    }
    Ok(SyncReport {
        edits: ids.len(),
        kept: count_kept(&texts[0], &ids),
        conflicts_detected: merges,
    })
}

/// Runs part 3; Ok(false) when cloud-sync lost an edit.
pub fn run(dir: &Path, rounds: usize, per_round: usize) -> Result<bool, String> {
    println!("Part 3: two devices syncing the TODO database through a shared folder");
    println!(
        "{rounds} rounds; each round both devices add {per_round} TODOs, then sync (even rounds at the same moment, odd rounds one after the other).\n"
    );
    let baseline = run_timestamp(dir, rounds, per_round)?;
    let ours = run_cloud_sync(dir, rounds, per_round)?;
    print_table(
        &["timestamp check", "cloud-sync"],
        &[
            (
                "edits made",
                vec![baseline.edits.to_string(), ours.edits.to_string()],
            ),
            (
                "edits in the final cloud copy",
                vec![baseline.kept.to_string(), ours.kept.to_string()],
            ),
            (
                "edits lost",
                vec![baseline.lost().to_string(), ours.lost().to_string()],
            ),
            (
                "conflicts detected / merges",
                vec![
                    baseline.conflicts_detected.to_string(),
                    ours.conflicts_detected.to_string(),
                ],
            ),
        ],
    );
    println!();
    let ok = ours.lost() == 0;
    if ok {
        println!(
            "Part 3: the timestamp check lost {} of {} edits; cloud-sync lost none",
            baseline.lost(),
            baseline.edits
        );
    } else {
        println!("Part 3: FAILED: cloud-sync lost {} edits", ours.lost());
    }
    Ok(ok)
}
