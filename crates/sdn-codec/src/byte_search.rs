//! Byte searches shared by the parser and the direct deserializer: word-at-a-time and
//! vectorizable scans over text that is mostly free of the bytes searched for.

/// The first index `>= from` where `bytes` holds one of `stops`, or `bytes.len()`.
/// Examines eight bytes at a time with the exact "has a zero byte" test on
/// `chunk ^ stop`: its lowest flagged byte is always a true match (borrows only flag
/// bytes above a true zero), so the first hit in a word is the answer.
pub(crate) fn skip_to_any<const N: usize>(bytes: &[u8], from: usize, stops: [u8; N]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(chunk);
        let hit = stops.iter().fold(0, |acc, &stop| {
            let y = word ^ (ONES * u64::from(stop));
            acc | (y.wrapping_sub(ONES) & !y & HIGHS)
        });
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !stops.contains(&bytes[i]) {
        i += 1;
    }
    i
}

/// True when `bytes` holds `needle`. Compares whole 32-byte blocks without an early
/// exit, which the compiler turns into vector compares: several times faster than a
/// byte-by-byte or word-at-a-time search on text that (as usual) has no match.
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    let blocks = bytes.chunks_exact(32);
    let tail = blocks.remainder();
    for block in blocks {
        if block.iter().fold(false, |found, &b| found | (b == needle)) {
            return true;
        }
    }
    tail.contains(&needle)
}

/// How many times `bytes` holds `needle`. Counts per 64-byte block in a `u8` (at
/// most 64), which the compiler turns into byte-wide vector adds.
pub(crate) fn count_byte(bytes: &[u8], needle: u8) -> usize {
    let blocks = bytes.chunks_exact(64);
    let tail = blocks.remainder();
    let mut count = 0;
    for block in blocks {
        let in_block = block.iter().fold(0u8, |n, &b| n + u8::from(b == needle));
        count += usize::from(in_block);
    }
    count + tail.iter().filter(|&&b| b == needle).count()
}

/// How many leading bytes `a` and `b` share (compared a block at a time: this runs over
/// a whole file whenever another writer changed it).
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 32;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many trailing bytes `a` and `b` share.
pub(crate) fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 32;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0;
    while i + BLOCK <= n && a[n - i - BLOCK..n - i] == b[n - i - BLOCK..n - i] {
        i += BLOCK;
    }
    i + a[..n - i]
        .iter()
        .rev()
        .zip(b[..n - i].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every start offset and every match position (across word boundaries and the
    /// tail), against a plain byte search.
    #[test]
    fn scans_agree_with_a_byte_by_byte_search() {
        let text = b"abc,def\"ghi\\jkl\nmno#pqr stu,vwx\r\nyz0123456789abcdefghij\xc3\xa9,";
        let stops = [b',', b'#', b'\n'];
        for from in 0..=text.len() {
            let expected = (from..text.len())
                .find(|&i| stops.contains(&text[i]))
                .unwrap_or(text.len());
            assert_eq!(skip_to_any(text, from, stops), expected, "from {from}");
        }
        let long: Vec<u8> = text.iter().cycle().take(1000).copied().collect();
        for (hay, needle) in [(&long[..], b'\n'), (&long[..], b'a'), (&long[3..], b',')] {
            let count = hay.iter().filter(|&&b| b == needle).count();
            assert_eq!(count_byte(hay, needle), count);
        }
        for len in 0..text.len() {
            let hay = &text[..len];
            for needle in [b',', b'\r', b'\\', b'z', b'!'] {
                assert_eq!(contains_byte(hay, needle), hay.contains(&needle));
                let count = hay.iter().filter(|&&b| b == needle).count();
                assert_eq!(count_byte(hay, needle), count);
            }
        }
        let long = [b'a'; 100];
        assert!(!contains_byte(&long, b'\r'));
        let mut with_cr = long;
        with_cr[70] = b'\r';
        assert!(contains_byte(&with_cr, b'\r'));
        assert_eq!(skip_to_any(&with_cr, 3, [b'\r']), 70);
    }

    #[test]
    fn common_prefix_and_suffix_match_a_byte_by_byte_count() {
        let naive_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let naive_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        let base: Vec<u8> = (0..200u32).map(|i| b'a' + (i % 7) as u8).collect();
        for len in [0, 1, 31, 32, 33, 64, 65, 100, 200] {
            let a = &base[..len];
            for at in 0..=len {
                let mut b = a.to_vec();
                if at < len {
                    b[at] = b'#';
                } else {
                    b.push(b'#');
                }
                for (x, y) in [(a, b.as_slice()), (b.as_slice(), a)] {
                    assert_eq!(
                        common_prefix(x, y),
                        naive_prefix(x, y),
                        "len {len}, at {at}"
                    );
                    assert_eq!(
                        common_suffix(x, y),
                        naive_suffix(x, y),
                        "len {len}, at {at}"
                    );
                }
            }
            assert_eq!(common_prefix(a, a), len);
            assert_eq!(common_suffix(a, a), len);
        }
    }
}
