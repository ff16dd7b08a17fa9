//! A remote that fails on the Nth request: refused before the server sees it, applied
//! by the server with the answer lost (a dropped connection), or hanging past the
//! remote's request timeout before or after the server applied it (the timeout must
//! fire). For every request of a merging push, each fault leaves a state from which the
//! next push finishes with nothing lost and both devices converge.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use cloud_sync::{Device, Prefer, Prefix, RecordSync, Remote, RetryPolicy};

/// What the Nth request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Fails without reaching the server.
    Refuse,
    /// Reaches the server, which applies it; the answer is lost (the caller sees an
    /// error, as after a dropped connection).
    DropAnswer,
    /// Never answers and never reaches the server: only the request timeout ends it.
    Hang,
    /// Reaches the server, which applies (or refuses) it, and then never answers.
    HangAfterApply,
}

/// Wraps a store; counts requests; injects `fault` at request number `at` (from 1).
#[derive(Debug)]
struct Faulty {
    inner: Arc<InMemory>,
    requests: AtomicU64,
    plan: Mutex<Option<(u64, Fault)>>,
}

impl Faulty {
    fn new(inner: Arc<InMemory>) -> Faulty {
        Faulty {
            inner,
            requests: AtomicU64::new(0),
            plan: Mutex::new(None),
        }
    }

    fn arm(&self, at: u64, fault: Fault) {
        self.requests.store(0, Ordering::SeqCst);
        *self.plan.lock().unwrap() = Some((at, fault));
    }

    fn disarm(&self) -> u64 {
        *self.plan.lock().unwrap() = None;
        self.requests.load(Ordering::SeqCst)
    }

    /// This request's fault, if it is the armed one.
    fn next(&self) -> Option<Fault> {
        let number = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        match *self.plan.lock().unwrap() {
            Some((at, fault)) if at == number => Some(fault),
            _ => None,
        }
    }
}

fn injected(what: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "Faulty",
        source: format!("injected fault: {what}").into(),
    }
}

impl fmt::Display for Faulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Faulty")
    }
}

/// Runs `request` under the armed fault.
async fn faulty<T>(
    fault: Option<Fault>,
    request: impl std::future::Future<Output = object_store::Result<T>>,
) -> object_store::Result<T> {
    match fault {
        Some(Fault::Refuse) => Err(injected("request refused")),
        Some(Fault::DropAnswer) => {
            request.await?;
            Err(injected(
                "connection dropped after the server applied the request",
            ))
        }
        Some(Fault::Hang) => std::future::pending().await,
        Some(Fault::HangAfterApply) => {
            // Whatever the server answered (a refusal too) never arrives.
            let _ = request.await;
            std::future::pending().await
        }
        None => request.await,
    }
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        faulty(self.next(), self.inner.put_opts(location, payload, opts)).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        faulty(self.next(), self.inner.put_multipart_opts(location, opts)).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        faulty(self.next(), self.inner.get_opts(location, options)).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        match self.next() {
            Some(Fault::Refuse) => {
                futures_util::stream::once(async { Err(injected("delete refused")) }).boxed()
            }
            Some(Fault::Hang) => futures_util::stream::pending().boxed(),
            _ => self.inner.delete_stream(locations),
        }
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        match self.next() {
            Some(Fault::Hang | Fault::HangAfterApply) => futures_util::stream::pending().boxed(),
            Some(_) => futures_util::stream::once(async { Err(injected("list failed")) }).boxed(),
            None => self.inner.list(prefix),
        }
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        faulty(self.next(), self.inner.list_with_delimiter(prefix)).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        faulty(self.next(), self.inner.copy_opts(from, to, options)).await
    }
}

struct World {
    _dir: tempfile::TempDir,
    a: RecordSync,
    b: RecordSync,
    b_store: Arc<Faulty>,
}

/// How long B waits for any one request before giving up on it: long enough for an
/// in-memory request on a loaded machine, short enough for a test of dozens of hangs.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);

/// Two synced devices; B's requests go through the fault wrapper and are bounded by
/// [`REQUEST_TIMEOUT`].
fn world() -> World {
    let shared = Arc::new(InMemory::new());
    let dir = tempfile::tempdir().unwrap();
    let prefix = Prefix::new("todo").unwrap();
    let quick = RetryPolicy {
        attempts: 3,
        first_pause: std::time::Duration::from_millis(1),
        max_pause: std::time::Duration::from_millis(2),
    };
    let open = |name: &str, store: Arc<dyn ObjectStore>| {
        let remote = Remote::from_store(store, prefix.clone(), "faulty in-memory")
            .unwrap()
            .with_request_timeout(REQUEST_TIMEOUT);
        let device = Device::load_or_create(dir.path().join(format!("{name}.json")), name).unwrap();
        RecordSync::new(remote, dir.path().join(format!("{name}.sdn")), device).with_retry(quick)
    };
    let b_store = Arc::new(Faulty::new(shared.clone()));
    let a = open("a", shared);
    let b = open("b", b_store.clone());
    std::fs::write(a.path(), "todos |id, title|\n  1, base\n").unwrap();
    a.push().unwrap();
    b.pull(Prefer::Merge).unwrap();
    World {
        _dir: dir,
        a,
        b,
        b_store,
    }
}

/// Two synced devices that then both edit: A adds a record and pushes, B changes
/// another (not pushed yet).
fn diverged_world() -> World {
    let world = world();
    std::fs::write(
        world.a.path(),
        "todos |id, title|\n  1, base\n  2, from a\n",
    )
    .unwrap();
    world.a.push().unwrap();
    std::fs::write(world.b.path(), "todos |id, title|\n  1, from b\n").unwrap();
    world
}

/// A pushes one record, B edits another and pushes through the fault; B then pushes
/// again without it; both must converge with both edits. Returns whether the faulted
/// push failed.
fn run(at: u64, fault: Fault) -> bool {
    let world = diverged_world();
    world.b_store.arm(at, fault);
    let started = Instant::now();
    let faulted = match world.b.push() {
        Ok(report) => {
            // Only the bookkeeping after the head moved may fail without failing the push.
            if matches!(fault, Fault::Hang | Fault::HangAfterApply) {
                assert!(
                    report.push.warnings.iter().any(|w| w.contains("timed out"))
                        || report
                            .pulls
                            .iter()
                            .any(|p| p.warnings.iter().any(|w| w.contains("timed out"))),
                    "fault {fault:?} at request {at}: a hung request neither failed the push nor warned: {report:?}"
                );
            }
            false
        }
        Err(e) => {
            if matches!(fault, Fault::Hang | Fault::HangAfterApply) {
                assert!(
                    matches!(
                        e,
                        cloud_sync::Error::Timeout {
                            after: REQUEST_TIMEOUT,
                            ..
                        }
                    ),
                    "fault {fault:?} at request {at}: expected the request timeout, got {e}"
                );
                // The timeout fired: the push did not wait for the hung request.
                assert!(started.elapsed() < REQUEST_TIMEOUT * 20);
            }
            true
        }
    };
    world.b_store.disarm();
    world
        .b
        .push()
        .unwrap_or_else(|e| panic!("push after fault {fault:?} at request {at}: {e}"));
    world.a.pull(Prefer::Merge).unwrap();
    let a = std::fs::read_to_string(world.a.path()).unwrap();
    let b = std::fs::read_to_string(world.b.path()).unwrap();
    assert_eq!(a, b, "fault {fault:?} at request {at}: devices differ");
    assert!(
        a.contains("from a") && a.contains("from b"),
        "fault {fault:?} at request {at}: an edit was lost:\n{a}"
    );
    assert_eq!(
        world.a.check().unwrap().status,
        cloud_sync::SyncStatus::UpToDate
    );
    assert_eq!(
        world.b.check().unwrap().status,
        cloud_sync::SyncStatus::UpToDate
    );
    faulted
}

/// How many requests a merging push makes, measured without a fault.
fn requests_per_merging_push() -> u64 {
    let world = diverged_world();
    world.b_store.arm(u64::MAX, Fault::Refuse);
    world.b.push().unwrap();
    let requests = world.b_store.disarm();
    assert!(
        requests >= 8,
        "a merging push makes several requests ({requests})"
    );
    requests
}

/// Injects each of `faults` at every request of a merging push in turn.
fn every_request(faults: &[Fault]) {
    let requests = requests_per_merging_push();
    let mut faulted = 0;
    for &fault in faults {
        for at in 1..=requests {
            faulted += usize::from(run(at, fault));
        }
    }
    assert!(faulted > 0, "the faults must make some pushes fail");
    println!("{requests} requests per merging push; {faulted} faulted pushes recovered");
}

#[test]
fn a_fault_on_any_request_of_a_merging_push_is_finished_by_the_next_push() {
    every_request(&[Fault::Refuse, Fault::DropAnswer]);
}

#[test]
fn a_request_hanging_past_the_timeout_fails_and_the_next_push_finishes_the_job() {
    every_request(&[Fault::Hang, Fault::HangAfterApply]);
}
