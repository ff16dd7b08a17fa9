//! Hybrid logical clock: physical milliseconds, a logical counter and the writer's id,
//! rendered as a sortable, readable RFC 3339–based string.
//!
//! A [`Stamp`] reads like `2026-12-01T15:22:18.123Z+00003@laptop-a`: the UTC time in
//! milliseconds, the logical counter (five digits) and the writer. Comparing two stamps'
//! strings gives the same order as comparing the stamps (years 1000 to 9999), and the
//! order is total: equal times and counters are ordered by writer id.

use std::fmt;
use std::sync::Arc;

use crate::shim::Mutex;

/// The largest logical counter a stamp renders (five digits); past it the clock moves
/// its physical part on by one millisecond instead.
pub const MAX_LOGICAL: u32 = 99_999;

/// The latest time a stamp can render with a four-digit year (9999-12-31T23:59:59.999Z).
const MAX_MS: u64 = 253_402_300_799_999;

/// A source of wall-clock time in milliseconds since the Unix epoch. Injected so tests
/// can step the clock forwards and backwards without sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
            })
    }
}

/// A clock set by hand (for tests and simulations); shared by clones.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    ms: Arc<std::sync::atomic::AtomicU64>,
}

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: u64) -> Self {
        ManualClock {
            ms: Arc::new(std::sync::atomic::AtomicU64::new(ms)),
        }
    }

    /// Sets the time (backwards too).
    pub fn set(&self, ms: u64) {
        self.ms.store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// Moves the time by `delta` milliseconds (negative: backwards).
    pub fn advance(&self, delta: i64) {
        let now = self.now_ms();
        self.set(now.saturating_add_signed(delta));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.ms.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The wall clock moved by a fixed offset (a device whose clock is wrong).
#[derive(Debug, Clone)]
pub struct OffsetClock<C> {
    /// The clock read.
    pub inner: C,
    /// Milliseconds added to its reading (negative: the clock is behind).
    pub offset_ms: i64,
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now_ms(&self) -> u64 {
        self.inner.now_ms().saturating_add_signed(self.offset_ms)
    }
}

/// A stamp from another replica that lies too far in the future.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stamp {stamp} lies {ahead_ms} ms ahead of the local clock (at most {max_ahead_ms} ms allowed)"
)]
pub struct ClockSkew {
    /// The stamp, as written.
    pub stamp: String,
    /// How far ahead of the local wall clock it lies.
    pub ahead_ms: u64,
    /// The bound it broke.
    pub max_ahead_ms: u64,
}

/// A writer id with characters a stamp cannot hold (converts into
/// [`Error::InvalidWriterId`](crate::Error::InvalidWriterId)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid writer id {id:?}: use 1 to 64 characters of A-Z a-z 0-9 . _ -")]
pub struct InvalidWriterId {
    /// The id given.
    pub id: String,
}

/// Who wrote a change: a device or process identity, 1 to 64 characters of
/// `A-Z a-z 0-9 . _ -`, so a stamp stays one readable, unquoted word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriterId(Arc<str>);

impl WriterId {
    /// Checks and wraps `id`.
    pub fn new(id: impl AsRef<str>) -> Result<Self, InvalidWriterId> {
        let id = id.as_ref();
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(WriterId(id.into()))
        } else {
            Err(InvalidWriterId { id: id.to_owned() })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One hybrid-logical-clock reading of one writer. Ordered by time, then counter, then
/// writer: a total order that every replica agrees on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Physical part, milliseconds since the Unix epoch.
    pub ms: u64,
    /// Logical counter within the millisecond.
    pub logical: u32,
    /// The writer that issued it (empty for a plain wall-clock time read from a file).
    pub writer: String,
}

impl Stamp {
    /// Parses a stamp: `2026-12-01T15:22:18.123Z+00003@laptop-a`, or a plain RFC 3339
    /// time as the baseline wrote (`2026-12-01T15:22:18Z`, any offset), read with
    /// counter 0 and no writer.
    pub fn parse(text: &str) -> Option<Stamp> {
        let text = text.trim();
        let (time_and_counter, writer) = match text.rsplit_once('@') {
            Some((head, writer)) => (head, writer),
            None => (text, ""),
        };
        let (time, logical) = match time_and_counter.split_once("Z+") {
            Some((time, counter)) => (format!("{time}Z"), counter.parse::<u32>().ok()?),
            None => (time_and_counter.to_owned(), 0),
        };
        let parsed = chrono::DateTime::parse_from_rfc3339(&time).ok()?;
        let ms = u64::try_from(parsed.timestamp_millis()).ok()?;
        Some(Stamp {
            ms,
            logical,
            writer: writer.to_owned(),
        })
    }

    /// The stamp's wall-clock time, as RFC 3339 in UTC with milliseconds.
    pub fn time(&self) -> String {
        let ms = i64::try_from(self.ms.min(MAX_MS)).unwrap_or(0);
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{:05}@{}", self.time(), self.logical, self.writer)
    }
}

/// What to do with a stamp from another replica that lies further in the future than
/// [`HlcOptions::max_ahead_ms`] allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkewPolicy {
    /// Refuse: the operation fails with [`Error::ClockSkew`](crate::Error::ClockSkew).
    #[default]
    Error,
    /// Accept the data, but move the local clock only up to the bound, and record a
    /// warning ([`Hlc::take_warnings`]).
    Clamp,
}

/// Settings of a [`Hlc`].
#[derive(Debug, Clone)]
pub struct HlcOptions {
    /// How far ahead of the local wall clock a remote stamp may lie (default 5 minutes).
    pub max_ahead_ms: u64,
    /// What happens beyond that bound.
    pub skew: SkewPolicy,
}

impl Default for HlcOptions {
    fn default() -> Self {
        HlcOptions {
            max_ahead_ms: 5 * 60 * 1000,
            skew: SkewPolicy::Error,
        }
    }
}

/// A hybrid logical clock of one writer, shared by the threads of a process.
///
/// Stamps it issues strictly increase, even when the wall clock steps backwards (the
/// counter grows instead); observing another replica's stamp moves the clock past it,
/// but never further than the skew bound ahead of the wall clock.
#[derive(Debug)]
pub struct Hlc {
    writer: WriterId,
    clock: Arc<dyn Clock>,
    options: HlcOptions,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    ms: u64,
    logical: u32,
    warnings: usize,
    pending: Option<ClockSkew>,
}

impl Hlc {
    /// A clock for `writer` reading `clock`.
    pub fn new(writer: WriterId, clock: Arc<dyn Clock>, options: HlcOptions) -> Self {
        Hlc {
            writer,
            clock,
            options,
            state: Mutex::new(State::default()),
        }
    }

    /// The writer whose stamps this clock issues.
    pub fn writer(&self) -> &WriterId {
        &self.writer
    }

    /// The wall clock this HLC reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A new stamp, greater than every stamp issued or observed before.
    pub fn now(&self) -> Stamp {
        let physical = self.clock.now_ms().min(MAX_MS);
        let mut state = self.state.lock();
        if physical > state.ms {
            state.ms = physical;
            state.logical = 0;
        } else if state.logical >= MAX_LOGICAL {
            state.ms += 1;
            state.logical = 0;
        } else {
            state.logical += 1;
        }
        Stamp {
            ms: state.ms,
            logical: state.logical,
            writer: self.writer.to_string(),
        }
    }

    /// Moves the clock past `remote` (a stamp read from a file or another replica), so
    /// the next stamp orders after it. A stamp beyond the skew bound fails or is clamped
    /// to the bound, as [`HlcOptions::skew`] says.
    pub fn observe(&self, remote: &Stamp) -> Result<(), ClockSkew> {
        let physical = self.clock.now_ms();
        let bound = physical.saturating_add(self.options.max_ahead_ms);
        let mut state = self.state.lock();
        let (ms, logical) = if remote.ms > bound {
            let skew = ClockSkew {
                stamp: remote.to_string(),
                ahead_ms: remote.ms - physical,
                max_ahead_ms: self.options.max_ahead_ms,
            };
            match self.options.skew {
                SkewPolicy::Error => return Err(skew),
                SkewPolicy::Clamp => {
                    state.warnings += 1;
                    state.pending = Some(skew);
                    (bound, 0)
                }
            }
        } else {
            (remote.ms, remote.logical)
        };
        if (ms, logical) > (state.ms, state.logical) {
            state.ms = ms;
            state.logical = logical;
        }
        Ok(())
    }

    /// Restores the clock after a restart from the last stamp this writer (or anyone)
    /// wrote: later stamps order after it, whatever the wall clock says now. Unlike
    /// [`Hlc::observe`] no skew bound applies: the stamp is the store's own history.
    pub fn recover(&self, last: &Stamp) {
        let mut state = self.state.lock();
        if (last.ms, last.logical) > (state.ms, state.logical) {
            state.ms = last.ms;
            state.logical = last.logical;
        }
    }

    /// How many remote stamps were clamped so far, and the latest of them; clears the
    /// latest.
    pub fn take_warnings(&self) -> (usize, Option<ClockSkew>) {
        let mut state = self.state.lock();
        (state.warnings, state.pending.take())
    }
}
