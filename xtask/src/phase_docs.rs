//! `cargo xtask phase --write-docs`: the checklist tables of `docs/phases.md`, generated
//! from [`PHASES`] so that the document cannot drift from what `cargo xtask phase N`
//! runs.
//!
//! The prose of the document is written by hand; each phase's table sits between two
//! marker comments and is rewritten from [`PHASES`]. The test below fails
//! when the file on disk differs from what would be generated (rust-analyzer's
//! "sourcegen" pattern), naming the command that fixes it.

use std::path::PathBuf;

use crate::phase::{Check, PHASES, Phase};
use crate::util;

/// The generated document, relative to the workspace root.
const DOC: &str = "docs/phases.md";

fn begin_marker(number: u32) -> String {
    format!(
        "<!-- phase {number} checklist: generated from xtask/src/phase.rs by \
         `cargo xtask phase --write-docs`; do not edit by hand -->"
    )
}

fn end_marker(number: u32) -> String {
    format!("<!-- end of the generated phase {number} checklist -->")
}

/// A table cell: pipes would end the cell early.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn proof(check: &Check) -> String {
    match check {
        Check::Tests {
            package,
            target,
            names,
        } => {
            let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            format!(
                "`{}`: {}",
                util::test_file(package, target),
                names.join(", ")
            )
        }
        Check::Crash { package, kills } => {
            format!("`cargo xtask crash`: {package}'s crash suites with {kills} kills")
        }
    }
}

/// The generated block of one phase, markers included.
fn render(phase: &Phase) -> String {
    let mut out = begin_marker(phase.number);
    out.push_str("\n\n| checklist item | proved by |\n|---|---|\n");
    for item in phase.items {
        out.push_str(&format!(
            "| {} | {} |\n",
            cell(item.text),
            cell(&proof(&item.check))
        ));
    }
    if !phase.env.is_empty() {
        let env: Vec<String> = phase
            .env
            .iter()
            .map(|(name, value)| format!("`{name}={value}`"))
            .collect();
        out.push_str(&format!(
            "\n`cargo xtask phase {}` sets {} for its test runs.\n",
            phase.number,
            env.join(", ")
        ));
    }
    out.push('\n');
    out.push_str(&end_marker(phase.number));
    out
}

/// `text` with every phase's block regenerated. Every phase of [`PHASES`] must have its
/// markers in the document, so a new phase cannot be left out of it.
fn regenerate(text: &str) -> Result<String, String> {
    let mut text = text.to_owned();
    for phase in PHASES {
        let (begin, end) = (begin_marker(phase.number), end_marker(phase.number));
        let missing = || {
            format!(
                "{DOC} has no generated block for phase {}: add the two lines\n{begin}\n{end}\n\
                 where its table belongs, then run `cargo xtask phase --write-docs`",
                phase.number
            )
        };
        let start = text.find(&begin).ok_or_else(missing)?;
        let stop = text[start..].find(&end).ok_or_else(missing)? + start + end.len();
        text.replace_range(start..stop, &render(phase));
    }
    Ok(text)
}

fn doc_path() -> PathBuf {
    util::workspace_root().join(DOC)
}

/// Rewrites the document's generated blocks; true when the file changed.
pub fn write() -> Result<bool, String> {
    let path = doc_path();
    let old =
        std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let new = regenerate(&old)?;
    if new == old {
        println!("phase: {DOC} is up to date");
        return Ok(false);
    }
    std::fs::write(&path, new).map_err(|e| format!("write {}: {e}", path.display()))?;
    println!("phase: rewrote the checklist tables of {DOC}");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_phases_md_matches_the_phases_table() {
        let path = doc_path();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        let generated = regenerate(&on_disk).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            on_disk == generated,
            "{DOC} is stale: its checklist tables differ from xtask/src/phase.rs; \
             run `cargo xtask phase --write-docs` and commit the result"
        );
    }

    #[test]
    fn regeneration_replaces_only_the_marked_blocks_and_needs_every_phase() {
        let mut text = String::from("# Title\n\nprose before\n\n");
        for phase in PHASES {
            text.push_str(&format!(
                "{}\nOLD TABLE TEXT\n{}\n\nprose after {}\n",
                begin_marker(phase.number),
                end_marker(phase.number),
                phase.number
            ));
        }
        let generated = regenerate(&text).unwrap();
        assert!(!generated.contains("OLD TABLE TEXT"));
        assert!(generated.starts_with("# Title\n\nprose before\n\n"));
        for phase in PHASES {
            assert!(generated.contains(&format!("prose after {}", phase.number)));
            for item in phase.items {
                assert!(generated.contains(&cell(item.text)), "{}", item.text);
            }
        }
        assert_eq!(regenerate(&generated).unwrap(), generated, "not idempotent");
        let without_first = text.replacen(&begin_marker(PHASES[0].number), "", 1);
        assert!(regenerate(&without_first).is_err());
    }
}
