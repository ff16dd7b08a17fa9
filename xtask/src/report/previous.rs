//! A report rewritten from partial figures keeps the sections it could not measure from
//! the previous report.

use super::format::NOT_MEASURED;

/// Splits a report at its `## ` headings; the text before the first heading is a part too.
pub fn sections(md: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = md.match_indices("\n## ").map(|(at, _)| at + 1).collect();
    starts.insert(0, 0);
    starts.push(md.len());
    starts
        .windows(2)
        .map(|bounds| &md[bounds[0]..bounds[1]])
        .filter(|section| !section.is_empty())
        .collect()
}

/// A report rewritten after a partial run (`bench io`, or another checkout whose target/
/// lacks some figures) keeps each section of `previous` that had more of its figures than
/// the fresh text: a fresh section showing a "not measured" line is replaced by the
/// previous one of the same heading unless that one shows as many. Returns the merged
/// text and the headings of the sections kept.
pub fn keep_measured_sections<'a>(fresh: &str, previous: &'a str) -> (String, Vec<&'a str>) {
    let heading = |section: &'a str| section.lines().next().unwrap_or_default();
    let missing = |section: &str| section.matches(NOT_MEASURED).count();
    let previous = sections(previous);
    let mut merged = String::with_capacity(fresh.len());
    let mut kept = Vec::new();
    for section in sections(fresh) {
        let older = previous
            .iter()
            .find(|old| heading(old) == section.lines().next().unwrap_or_default())
            .filter(|old| missing(old) < missing(section));
        match older {
            Some(old) => {
                merged.push_str(old);
                if !old.ends_with("\n\n") {
                    merged.push_str(if old.ends_with('\n') { "\n" } else { "\n\n" });
                }
                kept.push(heading(old));
            }
            None => merged.push_str(section),
        }
    }
    (merged, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::format::not_measured;

    #[test]
    fn a_partial_run_keeps_the_sections_it_did_not_measure() {
        let mut previous = String::from("# Benchmarks\n\nold intro\n\n## 1. Io\n\n");
        previous.push_str("| io | 5 ms |\n\n## 2. Locks\n\n### Uncontended\n\n");
        previous.push_str("| lock | 1 µs |\n\n### Hand-off\n\n");
        not_measured(&mut previous, "cargo xtask bench lock");
        previous.push_str("## 3. Sdn\n\n| sdn | 2 ms |\n");
        let mut fresh = String::from("# Benchmarks\n\nnew intro\n\n## 1. Io\n\n");
        fresh.push_str("| io | 4 ms |\n\n## 2. Locks\n\n### Uncontended\n\n");
        not_measured(&mut fresh, "cargo xtask bench lock");
        fresh.push_str("### Hand-off\n\n");
        not_measured(&mut fresh, "cargo xtask bench lock");
        fresh.push_str("## 3. Sdn\n\n");
        not_measured(&mut fresh, "cargo xtask bench sdn");
        fresh.push_str("## 4. New\n\n");
        not_measured(&mut fresh, "cargo xtask bench new");

        let (merged, kept) = keep_measured_sections(&fresh, &previous);

        let expected = "# Benchmarks\n\nnew intro\n\n## 1. Io\n\n| io | 4 ms |\n\n\
            ## 2. Locks\n\n### Uncontended\n\n| lock | 1 µs |\n\n### Hand-off\n\n\
            Not measured yet: run `cargo xtask bench lock`.\n\n\
            ## 3. Sdn\n\n| sdn | 2 ms |\n\n\
            ## 4. New\n\nNot measured yet: run `cargo xtask bench new`.\n\n";
        assert_eq!(merged, expected);
        assert_eq!(kept, ["## 2. Locks", "## 3. Sdn"]);
        let (unchanged, kept) = keep_measured_sections(&fresh, "");
        assert_eq!((unchanged.as_str(), kept.len()), (fresh.as_str(), 0));
    }
}
