//! Scale settings of long-running tests, read from the environment, so that a plain
//! `cargo test` stays quick and `cargo xtask` can run the same test bigger.

use std::str::FromStr;

/// The number in environment variable `name`, or `default` when it is unset or not a
/// number of type `T`.
pub fn number<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn unset_or_unparsable_gives_the_default() {
        assert_eq!(number("TEST_SUPPORT_SURELY_UNSET_KNOB", 7usize), 7);
        // PATH is set but is not a number.
        assert_eq!(number("PATH", 3u64), 3);
    }
}
