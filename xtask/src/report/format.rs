//! How the report writes numbers, goals and figures not measured yet.

use std::fmt::Write as _;

/// Formats nanoseconds with a unit that keeps 3 significant digits.
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// How a section that has no figures yet begins its one line.
pub const NOT_MEASURED: &str = "Not measured yet: run `";

/// Writes the line a section shows instead of figures that have not been measured,
/// naming the `command` that measures them.
pub fn not_measured(md: &mut String, command: &str) {
    let _ = writeln!(md, "{NOT_MEASURED}{command}`.\n");
}

/// The number at `path` (object keys, outermost first) in figures a bench stored as JSON.
pub fn number_at(value: &serde_json::Value, path: &[&str]) -> Option<f64> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))
        .and_then(serde_json::Value::as_f64)
}

/// How a report marks a goal: met or not met, in bold.
pub fn goal(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

/// `10000` → `10,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

pub fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(4_200.0), "4.2 µs");
        assert_eq!(duration(3_450_000.0), "3.45 ms");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(150), "150");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
