//! The on-disk text of journals and intents.
//!
//! Every path inside is stored **relative to the directory of the file that holds it**
//! (a journal names its members relative to the journal's directory, an intent names its
//! journal relative to the intent's directory), so a directory moved or copied as a whole
//! still finds its own files. Version 1 stored absolute paths; they are still read
//! (joining an absolute path to a directory gives the absolute path).
//!
//! The magic lines keep the name of the crate the journal was born in (record-store), so
//! files written before it moved here and files written now read the same.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::paths::{normalize, parent_dir, relative};

const JOURNAL_MAGIC: &str = "record-store commit journal v2";
const JOURNAL_MAGIC_V1: &str = "record-store commit journal v1";
const INTENT_MAGIC: &str = "record-store commit intent v2";
const INTENT_MAGIC_V1: &str = "record-store commit intent v1";

/// FNV-1a, 64 bit: a cheap checksum against torn or foreign journal contents.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn encode_path(path: &Path) -> String {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn decode_path(hex: &str) -> Option<PathBuf> {
    if !hex.len().is_multiple_of(2) || hex.is_empty() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let bytes = bytes?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// `stored`, read from a file in `dir`, as an absolute path.
fn resolve_in(dir: &Path, stored: &Path) -> PathBuf {
    normalize(&dir.join(stored))
}

/// One target of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// Absolute, as resolved from where the journal lies.
    pub(crate) target: PathBuf,
    pub(crate) len: u64,
    pub(crate) checksum: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Journal {
    pub(crate) transaction: u64,
    pub(crate) members: Vec<Member>,
}

impl Journal {
    /// The journal's text, for a journal file at `journal_path`.
    pub(crate) fn render(&self, journal_path: &Path) -> String {
        let dir = parent_dir(journal_path);
        let mut text = format!("{JOURNAL_MAGIC}\ntransaction {:016x}\n", self.transaction);
        for member in &self.members {
            text.push_str(&format!(
                "member {} {} {:016x}\n",
                encode_path(&relative(dir, &member.target)),
                member.len,
                member.checksum
            ));
        }
        let sum = checksum(text.as_bytes());
        text.push_str(&format!("end {} {sum:016x}\n", self.members.len()));
        text
    }

    /// The journal in `text`, read from the file at `journal_path`; `None` for anything
    /// but a complete, self-consistent journal.
    pub(crate) fn parse(text: &str, journal_path: &Path) -> Option<Journal> {
        let body_end = text.rfind("end ")?;
        let (body, end) = text.split_at(body_end);
        let mut end_fields = end.trim_end().split(' ').skip(1);
        let count: usize = end_fields.next()?.parse().ok()?;
        let sum = u64::from_str_radix(end_fields.next()?, 16).ok()?;
        if sum != checksum(body.as_bytes()) || !end.ends_with('\n') {
            return None;
        }
        let mut lines = body.lines();
        if !matches!(lines.next()?, JOURNAL_MAGIC | JOURNAL_MAGIC_V1) {
            return None;
        }
        let transaction =
            u64::from_str_radix(lines.next()?.strip_prefix("transaction ")?, 16).ok()?;
        let dir = parent_dir(journal_path);
        let mut members = Vec::new();
        for line in lines {
            let mut fields = line.strip_prefix("member ")?.split(' ');
            members.push(Member {
                target: resolve_in(dir, &decode_path(fields.next()?)?),
                len: fields.next()?.parse().ok()?,
                checksum: u64::from_str_radix(fields.next()?, 16).ok()?,
            });
        }
        (members.len() == count).then_some(Journal {
            transaction,
            members,
        })
    }

    /// Whether `target` is one of the members.
    pub(crate) fn lists(&self, target: &Path) -> bool {
        self.members.iter().any(|member| member.target == target)
    }

    /// The members' paths.
    pub(crate) fn targets(&self) -> Vec<PathBuf> {
        self.members
            .iter()
            .map(|member| member.target.clone())
            .collect()
    }
}

/// What `F.rs-intent` says: which journal commits `F`, and under which transaction id.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Intent {
    /// Absolute, as resolved from where the intent lies.
    pub(crate) journal: PathBuf,
    pub(crate) transaction: u64,
}

impl Intent {
    /// The intent's text, for an intent file at `intent_path`.
    pub(crate) fn render(&self, intent_path: &Path) -> String {
        format!(
            "{INTENT_MAGIC}\njournal {}\ntransaction {:016x}\n",
            encode_path(&relative(parent_dir(intent_path), &self.journal)),
            self.transaction
        )
    }

    /// The intent in `text`, read from the file at `intent_path`.
    pub(crate) fn parse(text: &str, intent_path: &Path) -> Option<Intent> {
        let mut lines = text.lines();
        if !matches!(lines.next()?, INTENT_MAGIC | INTENT_MAGIC_V1) {
            return None;
        }
        let journal = decode_path(lines.next()?.strip_prefix("journal ")?)?;
        let transaction =
            u64::from_str_radix(lines.next()?.strip_prefix("transaction ")?, 16).ok()?;
        Some(Intent {
            journal: resolve_in(parent_dir(intent_path), &journal),
            transaction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_relative_to_where_it_lies_and_rejects_tampering() {
        let journal = Journal {
            transaction: 42,
            members: vec![
                Member {
                    target: PathBuf::from("/tmp/x/a b.sdn"),
                    len: 3,
                    checksum: checksum(b"abc"),
                },
                Member {
                    target: PathBuf::from("/tmp/other/b.sdn"),
                    len: 0,
                    checksum: checksum(b""),
                },
            ],
        };
        let at = Path::new("/tmp/x/a b.sdn.rs-journal");
        let text = journal.render(at);
        assert!(!text.contains(&encode_path(Path::new("/tmp"))), "{text}");
        assert_eq!(Journal::parse(&text, at), Some(journal.clone()));
        // The same text found in a moved directory names the moved files.
        let moved = Journal::parse(&text, Path::new("/srv/y/a b.sdn.rs-journal")).unwrap();
        assert_eq!(moved.members[0].target, Path::new("/srv/y/a b.sdn"));
        assert_eq!(moved.members[1].target, Path::new("/srv/other/b.sdn"));
        assert_eq!(Journal::parse(&text[..text.len() - 1], at), None);
        assert_eq!(Journal::parse(&text.replace("member", "membre"), at), None);
    }

    #[test]
    fn intent_round_trips_and_reads_version_one() {
        let at = Path::new("/x/b.sdn.rs-intent");
        let intent = Intent {
            journal: PathBuf::from("/x/a.sdn.rs-journal"),
            transaction: 7,
        };
        assert_eq!(Intent::parse(&intent.render(at), at), Some(intent));
        assert_eq!(Intent::parse("garbage", at), None);
        let v1 = format!(
            "{INTENT_MAGIC_V1}\njournal {}\ntransaction {:016x}\n",
            encode_path(Path::new("/old/a.sdn.rs-journal")),
            9
        );
        assert_eq!(
            Intent::parse(&v1, at).map(|i| i.journal),
            Some(PathBuf::from("/old/a.sdn.rs-journal"))
        );
    }
}
