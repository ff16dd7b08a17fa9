//! A self-checking counter record: several KiB of text with a checksum, so a read that
//! sees a half-written or mixed file is detected instead of parsed.
//!
//! Layout (every line ends with `\n`; the pad makes the record exactly `size` bytes):
//!
//! ```text
//! value: 00000000000000000042
//! writer: 12345
//! pad: qrstuvwxyzabcdef...
//! checksum: 0123456789abcdef
//! ```

/// The smallest record [`encode`] can make.
pub const MIN_SIZE: usize = 128;

/// The record size of the demo's counter and of the stress check: several pages, so a
/// read of a half-written file is visible.
pub const MULTI_PAGE_SIZE: usize = 8 * 1024;

const CHECKSUM_LINE_LEN: usize = "checksum: ".len() + 16 + 1;

/// Encodes a counter `value` written by process `writer` as a record of exactly `size`
/// bytes (at least [`MIN_SIZE`]).
///
/// ```
/// let record = bench_suite::counter::encode(42, 7, 4096);
/// assert_eq!(record.len(), 4096);
/// assert_eq!(bench_suite::counter::decode(&record), Some(42));
/// ```
pub fn encode(value: u64, writer: u32, size: usize) -> Vec<u8> {
    let size = size.max(MIN_SIZE);
    let mut out = format!("value: {value:020}\nwriter: {writer}\npad: ").into_bytes();
    let pad_len = size - out.len() - 1 - CHECKSUM_LINE_LEN;
    // The pad depends on the value, so two versions differ all over the file and a read
    // mixing them fails the checksum.
    let shift = (value % 26) as usize;
    out.extend((0..pad_len).map(|i| b'a' + ((shift + i) % 26) as u8));
    out.push(b'\n');
    let checksum = fnv1a(&out);
    out.extend(format!("checksum: {checksum:016x}\n").into_bytes());
    debug_assert_eq!(out.len(), size);
    out
}

/// Decodes a record made by [`encode`]; `None` when the bytes are not one complete,
/// intact record (empty, cut short, or mixed from two versions).
///
/// ```
/// let mut record = bench_suite::counter::encode(9, 1, 2048);
/// record[100] ^= 1;
/// assert_eq!(bench_suite::counter::decode(&record), None);
/// assert_eq!(bench_suite::counter::decode(b""), None);
/// ```
pub fn decode(bytes: &[u8]) -> Option<u64> {
    if bytes.len() < MIN_SIZE {
        return None;
    }
    let (body, checksum_line) = bytes.split_at(bytes.len() - CHECKSUM_LINE_LEN);
    let checksum_text = checksum_line
        .strip_prefix(b"checksum: ")?
        .strip_suffix(b"\n")?;
    let checksum = u64::from_str_radix(std::str::from_utf8(checksum_text).ok()?, 16).ok()?;
    if checksum != fnv1a(body) {
        return None;
    }
    let value_line = body.strip_prefix(b"value: ")?.get(..20)?;
    std::str::from_utf8(value_line).ok()?.parse().ok()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_many_sizes_and_values() {
        for size in [MIN_SIZE, 1000, 8192, 40 * 1024] {
            for value in [0, 1, 25, 26, u64::MAX] {
                let record = encode(value, 99, size);
                assert_eq!(record.len(), size);
                assert_eq!(decode(&record), Some(value));
            }
        }
    }

    #[test]
    fn torn_and_mixed_records_are_rejected() {
        let old = encode(1, 1, 4096);
        let new = encode(2, 1, 4096);
        assert_eq!(decode(&old[..2048]), None);
        let mut mixed = new[..2048].to_vec();
        mixed.extend_from_slice(&old[2048..]);
        assert_eq!(decode(&mixed), None);
        let mut zeroed = old.clone();
        zeroed[3000..3100].fill(0);
        assert_eq!(decode(&zeroed), None);
    }
}
