//! Database sync against a real S3 server (s3s-fs on 127.0.0.1), side by side in one run:
//!
//! 1. A push of an unchanged database: every request that reaches the client is counted
//!    by a wrapper around the S3 client (goal: one, the manifest read). Each remote has
//!    a client of its own (a `Remote` drives its client on its own runtime).
//! 2. Push and pull of an SDN record store of about 1 MB and 50 MB (generated task
//!    records) through `RecordSync`, next to a raw PUT / GET of the same bytes through the
//!    same client; rounds interleave ours and raw, and each round first changes one
//!    record, so every push publishes and every pull fast-forwards (goal: ≤ 1.2x raw).
//! 3. The merging pull of two diverged 10,000-record stores (1% of the records changed on
//!    each side), end to end, next to `versioning::merge::merge` alone on the same texts.
//!
//! Figures are printed and stored in `sync.json` under `BENCH_RESULTS_DIR` for
//! `cargo xtask bench sync`. `SYNC_BENCH_SIZES_MB` overrides the sizes (`1,50`).
//! Temporary directories (local files and the server's data) follow `TMPDIR`, which
//! `cargo xtask bench` points under `target/`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use cloud_sync::{Device, Key, Prefer, Prefix, PullOutcome, RecordSync, Remote};
use futures_util::stream::BoxStream;
use object_store::path::Path as StorePath;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use serde_json::json;
use versioning::merge::{MergeOptions, merge};

// The s3s-fs launcher of cloud-sync's own tests: one launcher for tests and benches.
#[path = "../../cloud-sync/tests/support/mod.rs"]
mod s3s;

/// Requests by kind, as they reach the S3 client.
#[derive(Debug, Default)]
struct Counts {
    get: AtomicU64,
    head: AtomicU64,
    put: AtomicU64,
    list: AtomicU64,
    other: AtomicU64,
}

impl Counts {
    fn snapshot(&self) -> [u64; 5] {
        [&self.get, &self.head, &self.put, &self.list, &self.other]
            .map(|count| count.load(Ordering::SeqCst))
    }
}

/// Wraps the S3 client and counts every request sent through it.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn ObjectStore>,
    counts: Counts,
}

impl fmt::Display for Counting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.counts.put.fetch_add(1, Ordering::SeqCst);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.counts.other.fetch_add(1, Ordering::SeqCst);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &StorePath,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        let count = if options.head {
            &self.counts.head
        } else {
            &self.counts.get
        };
        count.fetch_add(1, Ordering::SeqCst);
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.counts.other.fetch_add(1, Ordering::SeqCst);
        self.inner.delete_stream(locations)
    }

    fn list(
        &self,
        prefix: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.counts.list.fetch_add(1, Ordering::SeqCst);
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(
        &self,
        prefix: Option<&StorePath>,
    ) -> object_store::Result<ListResult> {
        self.counts.list.fetch_add(1, Ordering::SeqCst);
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &StorePath,
        to: &StorePath,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.counts.other.fetch_add(1, Ordering::SeqCst);
        self.inner.copy_opts(from, to, options).await
    }
}

/// A small deterministic generator (no extra dependency; the same bytes every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.next() as usize % from.len()]
    }

    fn words(&mut self, min: usize, max: usize) -> String {
        let count = min + self.next() as usize % (max - min + 1);
        (0..count)
            .map(|_| self.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const WORDS: &[&str] = &[
    "fix", "the", "parser", "crash", "on", "empty", "input", "review", "release", "notes", "for",
    "version", "update", "cache", "index", "after", "timeout", "when", "syncing", "large", "files",
    "add", "tests", "to", "merge", "of", "diverged", "stores", "document", "error", "messages",
    "customer", "report", "slow", "startup", "migrate", "settings", "backup", "restore", "check",
    "login", "page", "layout", "mobile", "offline", "mode", "invoice", "export", "import",
    "schema", "and", "with", "from", "before", "during",
];
const PROJECTS: &[&str] = &["parser", "runtime", "docs", "website", "billing", "mobile"];
const STATUSES: &[&str] = &["open", "in-progress", "blocked", "review", "done"];
const OWNERS: &[&str] = &[
    "Alice Martin",
    "Bob Chen",
    "Carla Diaz",
    "Dmitri Ivanov",
    "Emeka Obi",
    "Fatima Khan",
];

const HEADER: &str =
    "tasks |id, title, project, status, priority, owner, due, estimate, tags, notes|\n";

/// One realistic task record as an SDN row.
fn row(id: usize, status: &str, rng: &mut Lcg) -> String {
    format!(
        "  {id}, \"{}\", {}, {status}, {}, \"{}\", \"2026-{:02}-{:02}\", {}, \"{}, {}\", \"{}\"\n",
        rng.words(3, 7),
        rng.pick(PROJECTS),
        1 + rng.next() % 4,
        rng.pick(OWNERS),
        1 + rng.next() % 12,
        1 + rng.next() % 28,
        1 + rng.next() % 40,
        rng.pick(PROJECTS),
        rng.pick(STATUSES),
        rng.words(6, 18),
    )
}

/// A store of about `bytes` bytes: its rows, to be edited and joined.
fn rows_of_size(bytes: usize, seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    let mut rows = Vec::new();
    let mut size = HEADER.len();
    while size < bytes {
        let id = rows.len() + 1;
        let status = rng.pick(STATUSES);
        let row = row(id, status, &mut rng);
        size += row.len();
        rows.push(row);
    }
    rows
}

fn rows_of_count(count: usize, seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    (1..=count)
        .map(|id| {
            let status = rng.pick(STATUSES);
            row(id, status, &mut rng)
        })
        .collect()
}

fn text(rows: &[String]) -> String {
    let mut text = String::with_capacity(rows.iter().map(String::len).sum::<usize>() + 100);
    text.push_str(HEADER);
    rows.iter().for_each(|row| text.push_str(row));
    text
}

/// Rewrites row `index` (id `index + 1`) with a new status and fresh text.
fn edit(rows: &mut [String], index: usize, status: &str, seed: u64) {
    rows[index] = row(index + 1, status, &mut Lcg(seed));
}

fn seconds<T>(work: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let value = work();
    (start.elapsed().as_secs_f64(), value)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

struct Bench {
    server: s3s::S3Server,
    dir: tempfile::TempDir,
}

/// One device: its sync, and the counting client its remote sends through.
struct Synced {
    sync: RecordSync,
    counts: Arc<Counting>,
}

impl Bench {
    /// A remote with a client of its own: a `Remote` drives its client's connections on
    /// its own runtime, so two remotes must not share one client.
    fn remote(&self, prefix: &str) -> (Remote, Arc<Counting>) {
        let counting = Arc::new(Counting {
            inner: self.server.config().object_store().unwrap(),
            counts: Counts::default(),
        });
        let remote = Remote::from_store(
            counting.clone(),
            Prefix::new(prefix).unwrap(),
            "s3s-fs on 127.0.0.1",
        )
        .unwrap();
        (remote, counting)
    }

    /// A device with its own folder and store, syncing under `prefix`.
    fn device(&self, prefix: &str, name: &str) -> Synced {
        let home = self.dir.path().join(prefix).join(name);
        std::fs::create_dir_all(&home).unwrap();
        let device = Device::load_or_create(home.join("device.json"), name).unwrap();
        let (remote, counts) = self.remote(prefix);
        Synced {
            sync: RecordSync::new(remote, home.join("tasks.sdn"), device),
            counts,
        }
    }
}

/// A local edit, made as a program's commit makes it: the file replaced whole. (Written
/// in place, it would make the next pull's commit wait for it to settle, up to
/// record-store's settle time of 1 s, as for any writer that may still be writing.)
fn write(path: &Path, text: &str) {
    atomic_io::write(path, text).unwrap();
}

/// Requests of a push with nothing to publish, counted by kind.
fn unchanged_push(bench: &Bench) -> serde_json::Value {
    let Synced {
        sync: device,
        counts,
    } = bench.device("unchanged", "a");
    write(device.path(), &text(&rows_of_size(1 << 20, 1)));
    device.push().unwrap();
    let before = counts.counts.snapshot();
    let (time, report) = seconds(|| device.push().unwrap());
    assert!(!report.push.published);
    let after = counts.counts.snapshot();
    let [get, head, put, list, other] = [0, 1, 2, 3, 4].map(|i| after[i] - before[i]);
    let requests = get + head + put + list + other;
    println!(
        "unchanged push: {requests} request(s) (get {get}, head {head}, put {put}, list {list}, other {other}), {:.2} ms",
        time * 1e3
    );
    json!({"requests": requests, "get": get, "head": head, "put": put, "list": list,
        "other": other, "seconds": time})
}

/// Push and pull of a store of about `mb` MB against raw PUT / GET of the same bytes.
fn transfer(bench: &Bench, mb: usize) -> serde_json::Value {
    let prefix = format!("db-{mb}mb");
    let (a, b) = (
        bench.device(&prefix, "a").sync,
        bench.device(&prefix, "b").sync,
    );
    // The raw transfers go through the same clients: PUT through the pusher's, GET
    // through the puller's (a key outside the sync layout, under the same prefix).
    let raw_key = Key::new("raw/tasks.sdn").unwrap();
    let mut rows = rows_of_size(mb << 20, 7);
    write(a.path(), &text(&rows));
    a.push().unwrap();
    b.pull(Prefer::Merge).unwrap();
    let rounds = if mb >= 10 { 5 } else { 15 };
    let (mut push, mut put, mut pull, mut get) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    for round in 0..rounds {
        let index = (round * 7919) % rows.len();
        edit(
            &mut rows,
            index,
            STATUSES[round % STATUSES.len()],
            round as u64,
        );
        let content = text(&rows);
        bytes = content.len();
        write(a.path(), &content);
        let payload = bytes::Bytes::from(content.into_bytes());
        // Alternate which goes first, so neither always meets a warmer server.
        let mut ours = || {
            let (t, report) = seconds(|| a.push().unwrap());
            assert!(report.push.published && report.push.uploaded);
            push.push(t);
            let (t, report) = seconds(|| b.pull(Prefer::Merge).unwrap());
            assert_eq!(report.outcome, PullOutcome::FastForward);
            pull.push(t);
        };
        let mut theirs = || {
            let pusher = a.files().remote();
            put.push(seconds(|| pusher.put_overwrite(&raw_key, payload.clone()).unwrap()).0);
            let puller = b.files().remote();
            let (t, fetched) = seconds(|| puller.get(&raw_key, u64::MAX).unwrap());
            assert_eq!(fetched.bytes.len(), bytes);
            get.push(t);
        };
        if round % 2 == 0 {
            ours();
            theirs();
        } else {
            theirs();
            ours();
        }
    }
    assert_eq!(
        std::fs::read(a.path()).unwrap(),
        std::fs::read(b.path()).unwrap()
    );
    let stored = a.check().unwrap().remote.unwrap().snapshot.stored_size;
    let (push, put, pull, get) = (median(push), median(put), median(pull), median(get));
    println!(
        "{mb} MB ({bytes} bytes, {} records, stored {stored}): push {:.1} ms vs raw PUT {:.1} ms ({:.2}x); pull {:.1} ms vs raw GET {:.1} ms ({:.2}x); medians of {rounds}",
        rows.len(),
        push * 1e3,
        put * 1e3,
        push / put,
        pull * 1e3,
        get * 1e3,
        pull / get
    );
    json!({"label": format!("{mb} MB"), "bytes": bytes, "records": rows.len(),
        "stored_bytes": stored, "rounds": rounds, "push_s": push, "raw_put_s": put,
        "pull_s": pull, "raw_get_s": get})
}

const MERGE_RECORDS: usize = 10_000;
const MERGE_RUNS: usize = 3;

/// Two devices synced on one store, then each changes 1% of the records (a tenth of
/// them the same records, the same field: conflicts kept); B's merging pull is timed.
fn merge_pull(bench: &Bench) -> serde_json::Value {
    let changed = MERGE_RECORDS / 100;
    let (mut pulls, mut merges, mut conflicts) = (vec![], vec![], 0);
    for run in 0..MERGE_RUNS {
        let prefix = format!("merge-{run}");
        let (a, b) = (
            bench.device(&prefix, "a").sync,
            bench.device(&prefix, "b").sync,
        );
        let base = rows_of_count(MERGE_RECORDS, 11);
        write(a.path(), &text(&base));
        a.push().unwrap();
        b.pull(Prefer::Merge).unwrap();
        let (mut ours, mut theirs) = (base.clone(), base.clone());
        for i in 0..changed {
            edit(&mut theirs, i * 97 % MERGE_RECORDS, "done", 1000 + i as u64);
            let index = if i < changed / 10 {
                i * 97 % MERGE_RECORDS
            } else {
                (i * 89 + 13) % MERGE_RECORDS
            };
            edit(&mut ours, index, "review", 5000 + i as u64);
        }
        write(a.path(), &text(&theirs));
        a.push().unwrap();
        write(b.path(), &text(&ours));
        let (t, report) = seconds(|| b.pull(Prefer::Merge).unwrap());
        assert_eq!(report.outcome, PullOutcome::Merged);
        conflicts = report.conflicts.len();
        pulls.push(t);
        let (base, ours, theirs) = (text(&base), text(&ours), text(&theirs));
        merges.push(seconds(|| merge(&base, &ours, &theirs, &MergeOptions::default()).unwrap()).0);
    }
    let (pull, merge_only) = (median(pulls), median(merges));
    println!(
        "merge, {MERGE_RECORDS} records, {changed} changed on each side: merging pull {:.1} ms, versioning::merge alone {:.1} ms, {conflicts} conflict(s) kept; medians of {MERGE_RUNS}",
        pull * 1e3,
        merge_only * 1e3
    );
    json!({"records": MERGE_RECORDS, "changed_each_side": changed, "runs": MERGE_RUNS,
        "pull_merge_s": pull, "merge_only_s": merge_only, "conflicts": conflicts})
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SYNC_BENCH_SIZES_MB")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 50]);
    let bench = Bench {
        server: s3s::S3Server::start("bench sync").expect("the sync bench needs s3s-fs"),
        dir: tempfile::tempdir().unwrap(),
    };
    let unchanged = unchanged_push(&bench);
    let transfers: Vec<_> = sizes.iter().map(|&mb| transfer(&bench, mb)).collect();
    let merged = merge_pull(&bench);
    let results = json!({"server": "s3s-fs on 127.0.0.1", "unchanged_push": unchanged,
        "transfers": transfers, "merge": merged});
    if let Some(dir) = std::env::var_os("BENCH_RESULTS_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            Path::new(&dir).join(bench_suite::results::SYNC_FILE),
            serde_json::to_vec_pretty(&results).unwrap(),
        )
        .unwrap();
    }
}
