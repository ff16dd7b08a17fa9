//! The report's fixed text lives in Markdown files under `xtask/templates/benchmarks/`,
//! one per section, compiled in with `include_str!`. A file is a series of named
//! fragments, each opened by a line `<!-- fragment: NAME -->`; a fragment is the text up to
//! the next such line, byte for byte (its blank lines included), with `{{name}}`
//! placeholders that the section's code fills with computed figures.
//!
//! The templates ship inside the binary with the code that fills them, so a fragment or a
//! value that does not match is a bug of xtask itself: [`Template::fill`] panics naming
//! it, and the report tests, which render every section, find it.

use std::fmt::Display;

/// The line that opens a fragment, before its name.
const FRAGMENT_START: &str = "<!-- fragment: ";
/// The end of that line, after the name.
const FRAGMENT_END: &str = " -->";

/// One section's template: its file name (for messages) and text.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    file: &'static str,
    text: &'static str,
}

/// A template of `xtask/templates/benchmarks/`, by file name.
macro_rules! template {
    ($file:literal) => {
        $crate::report::template::Template::new(
            $file,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/templates/benchmarks/",
                $file
            )),
        )
    };
}
pub(crate) use template;

impl Template {
    /// A template named `file` with the text `text`.
    pub const fn new(file: &'static str, text: &'static str) -> Template {
        Template { file, text }
    }

    /// The fragment `name` as written, for fragments without placeholders.
    pub fn text(&self, name: &str) -> &'static str {
        let text = self.fragment(name);
        assert!(
            !text.contains("{{"),
            "{}: fragment `{name}` has placeholders; fill it",
            self.file
        );
        text
    }

    /// The fragment `name` with each `{{key}}` replaced by the value given for `key`.
    ///
    /// # Panics
    /// If the fragment does not exist, uses a placeholder no value is given for, or a value
    /// is given for a placeholder it does not use.
    pub fn fill(&self, name: &str, values: &[(&str, &dyn Display)]) -> String {
        let mut rest = self.fragment(name);
        let mut out = String::with_capacity(rest.len() + 64);
        let mut used = vec![false; values.len()];
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").unwrap_or_else(|| {
                panic!("{}: fragment `{name}` has an unclosed `{{{{`", self.file)
            });
            let key = &after[..end];
            let index = values
                .iter()
                .position(|(k, _)| *k == key)
                .unwrap_or_else(|| {
                    panic!("{}: fragment `{name}` needs a value for `{key}`", self.file)
                });
            used[index] = true;
            out.push_str(&values[index].1.to_string());
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        if let Some(unused) = used.iter().position(|used| !used) {
            panic!(
                "{}: fragment `{name}` has no placeholder `{}`",
                self.file, values[unused].0
            );
        }
        out
    }

    /// [`Template::fill`] for a fragment that is part of a line (one item of a list that
    /// code joins): the same text without its final newline.
    pub fn fill_inline(&self, name: &str, values: &[(&str, &dyn Display)]) -> String {
        let mut text = self.fill(name, values);
        if text.ends_with('\n') {
            text.pop();
        }
        text
    }

    fn fragment(&self, name: &str) -> &'static str {
        let opening = format!("{FRAGMENT_START}{name}{FRAGMENT_END}\n");
        let start = self
            .text
            .match_indices(&opening)
            .find(|(at, _)| *at == 0 || self.text[..*at].ends_with('\n'))
            .map(|(at, _)| at + opening.len())
            .unwrap_or_else(|| panic!("{}: no fragment `{name}`", self.file));
        let body = &self.text[start..];
        let end = body
            .match_indices(FRAGMENT_START)
            .find(|(at, _)| *at == 0 || body[..*at].ends_with('\n'))
            .map_or(body.len(), |(at, _)| at);
        &body[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: Template = Template::new(
        "sample.md",
        "<!-- fragment: intro -->\n## Title\n\n<!-- fragment: goal -->\n\n- {{what}} is **{{ratio}}x** ({{what}}).\n",
    );

    #[test]
    fn fragments_run_to_the_next_marker_with_their_blank_lines() {
        assert_eq!(SAMPLE.text("intro"), "## Title\n\n");
        assert_eq!(
            SAMPLE.fill(
                "goal",
                &[("what", &"speed"), ("ratio", &format!("{:.2}", 1.5))]
            ),
            "\n- speed is **1.50x** (speed).\n"
        );
    }

    #[test]
    #[should_panic(expected = "sample.md: fragment `goal` needs a value for `ratio`")]
    fn a_missing_value_names_the_placeholder() {
        SAMPLE.fill("goal", &[("what", &"speed")]);
    }

    #[test]
    #[should_panic(expected = "sample.md: fragment `intro` has no placeholder `what`")]
    fn an_unused_value_is_a_mistake() {
        SAMPLE.fill("intro", &[("what", &"speed")]);
    }

    #[test]
    #[should_panic(expected = "sample.md: no fragment `outro`")]
    fn a_missing_fragment_is_named() {
        SAMPLE.text("outro");
    }
}
