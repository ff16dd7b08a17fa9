//! Comparing two versions of a file's text cheaply: where they start and stop to differ,
//! so a replacement that changed one line is told apart from others without parsing.

/// Whether `old` and `new` differ within one line only (after their common prefix and
/// before their common suffix, neither has a line break): the only case
/// [`Document::update_text`] can bring a document up to date without parsing `new`
/// whole. A few memory compares, to skip trying otherwise.
pub(crate) fn one_line_differs(old: &str, new: &str) -> bool {
    let (old, new) = (old.as_bytes(), new.as_bytes());
    let prefix = common_len(old, new, false);
    let suffix = common_len(&old[prefix..], &new[prefix..], true);
    let no_break = |bytes: &[u8]| !bytes.iter().any(|b| matches!(b, b'\n' | b'\r'));
    no_break(&old[prefix..old.len() - suffix]) && no_break(&new[prefix..new.len() - suffix])
}

/// How many bytes `a` and `b` share at their start (`rev`: at their end). Compared a
/// block at a time (a memory compare) first: a byte loop over megabytes would cost more
/// than the rest of a one-row replacement.
fn common_len(a: &[u8], b: &[u8], rev: bool) -> usize {
    const BLOCK: usize = 1 << 12;
    let len = a.len().min(b.len());
    let at = |bytes: &'_ [u8], n: usize| -> std::ops::Range<usize> {
        match rev {
            true => bytes.len() - n - BLOCK..bytes.len() - n,
            false => n..n + BLOCK,
        }
    };
    let mut done = 0;
    while done + BLOCK <= len && a[at(a, done)] == b[at(b, done)] {
        done += BLOCK;
    }
    let byte = |bytes: &[u8], n: usize| match rev {
        true => bytes[bytes.len() - 1 - n],
        false => bytes[n],
    };
    done + (done..len)
        .take_while(|&n| byte(a, n) == byte(b, n))
        .count()
}

#[cfg(test)]
mod tests {
    use super::{common_len, one_line_differs};

    /// The blocks of `common_len` agree with a byte loop, across block boundaries.
    #[test]
    fn common_len_counts_what_a_byte_loop_counts() {
        let naive = |a: &[u8], b: &[u8], rev: bool| match rev {
            false => a.iter().zip(b).take_while(|(x, y)| x == y).count(),
            true => a
                .iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count(),
        };
        let base: Vec<u8> = (0..3 * 4096 + 77).map(|i| b'a' + (i % 23) as u8).collect();
        for at in [0, 1, 4095, 4096, 4097, 8191, 8192, 9000, base.len() - 1] {
            let mut changed = base.clone();
            changed[at] = b'#';
            let shorter = &base[..base.len() - 5];
            for (a, b) in [
                (&base[..], &changed[..]),
                (&changed[..], shorter),
                (&base[..], shorter),
            ] {
                for rev in [false, true] {
                    assert_eq!(
                        common_len(a, b, rev),
                        naive(a, b, rev),
                        "at {at}, rev {rev}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_line_differs_only_within_a_line() {
        let old = format!(
            "{}t |id|\n  1\n  2\n{}",
            "# x\n".repeat(2000),
            "# y\n".repeat(2000)
        );
        assert!(one_line_differs(&old, &old.replace("  2\n", "  3\n")));
        assert!(one_line_differs(&old, &old.replace("  2\n", "  22\n")));
        assert!(!one_line_differs(&old, &old.replace("  2\n", "  2\n  3\n")));
        assert!(!one_line_differs(
            &old,
            &old.replace("  1\n  2\n", "  0\n  2\n  9\n")
        ));
        assert!(!one_line_differs(&old, &old.replace("  2\n", "  2\r\n")));
    }
}
