//! Who holds a lock: the record a holder writes into the sidecar, and its parser.
//!
//! The record is a few `key: value` lines padded to a fixed length, so every holder
//! overwrites the same bytes in place with one `pwrite` and concurrent shared holders
//! never leave a mix of two records behind.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{Error, Mode, Operation, sidecar_path_for};

/// Length every record is padded to; far more than pid, a 64-byte host name and a time need.
pub(crate) const RECORD_LEN: usize = 256;
/// Reading stops here: a sidecar somebody filled with other data cannot make us read it all.
const READ_LIMIT: usize = 4096;
const HEADER: &str = "file-lock holder";

/// The process that most recently took the lock, as it described itself in the sidecar.
///
/// With shared locks several processes hold the lock at once; the sidecar then names the
/// last one that wrote its record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holder {
    /// Process id of the holder.
    pub pid: u32,
    /// Host name (`uname` node name) of the machine the holder runs on.
    pub host: String,
    /// When the holder acquired the lock, by its own clock.
    pub since: SystemTime,
    /// The mode the holder holds the lock in (after a downgrade: `Shared`).
    pub mode: Mode,
}

impl Holder {
    /// The sidecar record: `key: value` lines, space-padded to [`RECORD_LEN`].
    #[cfg(test)]
    pub(crate) fn to_record(&self) -> Vec<u8> {
        let mut record = Vec::with_capacity(RECORD_LEN);
        // Writing into a `Vec` cannot fail.
        let _ = write_fields(&mut record, self.pid, &self.host, self.mode, self.since);
        pad(record)
    }

    /// Parses a record; `None` when a field is missing or malformed, as it is in an empty
    /// sidecar (nobody locked yet) or one read while a holder was rewriting it.
    pub(crate) fn from_record(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let (mut pid, mut host, mut mode, mut since) = (None, None, None, None);
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "pid" => pid = value.parse::<u32>().ok(),
                "host" => host = Some(value.to_owned()),
                "mode" => mode = Mode::from_word(value),
                "since" => since = parse_unix_time(value),
                _ => {}
            }
        }
        Some(Holder {
            pid: pid?,
            host: host?,
            since: since?,
            mode: mode?,
        })
    }

    /// Reads the record from an open sidecar; an unreadable or malformed record reads as `None`
    /// because this only feeds diagnostics of a lock we failed to get.
    pub(crate) fn read_from(sidecar: &File) -> Option<Self> {
        let mut buffer = vec![0; READ_LIMIT];
        let len = sidecar.read_at(&mut buffer, 0).ok()?;
        Holder::from_record(&buffer[..len])
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "held by pid {} on host {} since {} ({})",
            self.pid,
            self.host,
            Utc(self.since),
            self.mode
        )
    }
}

/// Reads what the most recent holder of the lock on `path` wrote into its sidecar
/// (`<path>.lock`).
///
/// Returns `Ok(None)` when the sidecar does not exist or holds no complete record. The record
/// outlives its writer: after a release (or a crash) it still names the last holder, so it
/// says who held the lock *last*, not that anybody holds it now; use
/// [`FileLock::try_exclusive`](crate::FileLock::try_exclusive) to find that out.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let data = dir.path().join("todo.sdn");
/// let guard = file_lock::FileLock::new(&data).exclusive()?;
/// let holder = file_lock::read_holder(&data)?.expect("the holder wrote its record");
/// assert_eq!(holder.pid, std::process::id());
/// assert_eq!(holder.mode, file_lock::Mode::Exclusive);
/// drop(guard);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_holder(path: impl AsRef<Path>) -> Result<Option<Holder>, Error> {
    let sidecar = sidecar_path_for(path.as_ref());
    let file = match File::open(&sidecar) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                operation: Operation::ReadHolder,
                path: sidecar,
                source,
            });
        }
    };
    let mut buffer = vec![0; READ_LIMIT];
    let len = file.read_at(&mut buffer, 0).map_err(|source| Error::Io {
        operation: Operation::ReadHolder,
        path: sidecar.clone(),
        source,
    })?;
    Ok(Holder::from_record(&buffer[..len]))
}

/// Records process `pid` as holding the lock in `mode` since `since`: overwrites the record
/// at the start of the sidecar in place with one `pwrite` (no truncation, no `fsync`: the
/// record is only a diagnostic, and the file is never renamed or deleted because other
/// processes may be waiting on this very inode). `trim` also cuts off anything after the
/// record, for a sidecar that was found longer than one.
pub(crate) fn write_record(
    sidecar: &File,
    pid: u32,
    mode: Mode,
    since: SystemTime,
    trim: bool,
) -> io::Result<()> {
    let mut buffer = [b' '; RECORD_LEN];
    let mut unwritten = &mut buffer[..RECORD_LEN - 1];
    let len = if write_fields(&mut unwritten, pid, this_host(), mode, since).is_ok() {
        buffer[RECORD_LEN - 1] = b'\n';
        sidecar.write_all_at(&buffer, 0)?;
        RECORD_LEN
    } else {
        // A host name too long for the fixed record (not possible on Linux, whose limit is
        // 64 bytes): write it unpadded.
        let mut record = Vec::with_capacity(2 * RECORD_LEN);
        write_fields(&mut record, pid, this_host(), mode, since)?;
        let record = pad(record);
        sidecar.write_all_at(&record, 0)?;
        record.len()
    };
    if trim {
        sidecar.set_len(len as u64)?;
    }
    Ok(())
}

/// Writes the record's `key: value` lines, unpadded.
fn write_fields(
    out: &mut impl io::Write,
    pid: u32,
    host: &str,
    mode: Mode,
    since: SystemTime,
) -> io::Result<()> {
    let since = since.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    write!(
        out,
        "{HEADER}\npid: {pid}\nhost: {host}\nmode: {mode}\nsince: {}.{:09}\n",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// Pads a record with spaces and a final newline to [`RECORD_LEN`], if it is shorter.
fn pad(mut record: Vec<u8>) -> Vec<u8> {
    if record.len() < RECORD_LEN {
        record.resize(RECORD_LEN - 1, b' ');
        record.push(b'\n');
    }
    record
}

/// This machine's node name, asked once per process.
fn this_host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    })
}

fn parse_unix_time(value: &str) -> Option<SystemTime> {
    let (seconds, nanos) = value.split_once('.').unwrap_or((value, "0"));
    let seconds: u64 = seconds.parse().ok()?;
    if nanos.is_empty() || nanos.len() > 9 || !nanos.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // "5" after the point means 500_000_000 ns.
    let nanos: u32 = format!("{nanos:0<9}").parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

/// Formats a time as an ISO 8601 UTC timestamp with milliseconds.
struct Utc(SystemTime);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ok(since_epoch) = self.0.duration_since(UNIX_EPOCH) else {
            return write!(f, "{:?}", self.0);
        };
        let seconds = since_epoch.as_secs();
        let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
        let second_of_day = seconds % 86_400;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
            since_epoch.subsec_millis()
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); Howard Hinnant's
/// `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Holder {
        Holder {
            pid: 4242,
            host: "build-box".to_owned(),
            since: UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
            mode: Mode::Shared,
        }
    }

    #[test]
    fn record_round_trips_and_has_fixed_length() {
        let record = sample().to_record();
        assert_eq!(record.len(), RECORD_LEN);
        assert_eq!(Holder::from_record(&record), Some(sample()));
    }

    #[test]
    fn written_record_matches_the_format_and_trims_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::write(&path, vec![b'#'; 3 * RECORD_LEN]).unwrap();
        let file = File::options().read(true).write(true).open(&path).unwrap();
        let mine = Holder {
            pid: 4242,
            host: this_host().to_owned(),
            ..sample()
        };
        write_record(&file, mine.pid, mine.mode, mine.since, false).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.len(),
            3 * RECORD_LEN,
            "an untrimmed write must not truncate"
        );
        assert_eq!(&bytes[..RECORD_LEN], mine.to_record().as_slice());
        write_record(&file, mine.pid, mine.mode, mine.since, true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), mine.to_record());
        assert_eq!(Holder::read_from(&file), Some(mine));
    }

    #[test]
    fn incomplete_or_foreign_records_read_as_none() {
        let record = sample().to_record();
        assert_eq!(Holder::from_record(b""), None);
        assert_eq!(Holder::from_record(&record[..30]), None);
        assert_eq!(
            Holder::from_record(b"pid: x\nhost: a\nmode: shared\nsince: 1.0\n"),
            None
        );
        assert_eq!(
            Holder::from_record(b"pid: 1\nhost: a\nmode: both\nsince: 1.0\n"),
            None
        );
        assert_eq!(
            Holder::from_record(b"pid: 1\nhost: a\nmode: shared\nsince: 1.x\n"),
            None
        );
    }

    #[test]
    fn fractional_seconds_keep_their_scale() {
        assert_eq!(
            parse_unix_time("3.5"),
            Some(UNIX_EPOCH + Duration::from_millis(3500))
        );
        assert_eq!(
            parse_unix_time("3"),
            Some(UNIX_EPOCH + Duration::from_secs(3))
        );
        assert_eq!(parse_unix_time("3.1234567890"), None);
    }

    #[test]
    fn display_names_pid_host_time_and_mode() {
        assert_eq!(
            sample().to_string(),
            "held by pid 4242 on host build-box since 2023-11-14T22:13:20.123Z (shared)"
        );
    }

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
