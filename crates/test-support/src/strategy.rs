//! proptest generators shared by the codec's property tests.

use proptest::prelude::*;

use crate::tracking::{Status, Todo};

/// Text that is hard to write unambiguously: anything (quotes, commas, backslashes,
/// newlines, unicode), numeric- and keyword-looking words, and short printable ASCII.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "007",
            "1.10",
            "2.1.0",
            "1e3",
            "-0",
            "+5",
            "0x1F",
            "true",
            "null",
            "nil",
            "",
            " ",
            " padded ",
            "a, b",
            "\"q\"",
            "#x",
            "a #b",
            "\\n",
            "-",
            "- item",
            "[x]",
            "{y}",
            "a|b",
            "é✓😀",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ]
}

/// Todo records with [`text`] in every text column, ids below 2^63 and the statuses
/// `open`, `in_progress` and `done`.
pub fn todo() -> impl Strategy<Value = Todo> {
    (
        (any::<u64>().prop_map(|n| n >> 1), text(), text(), text()),
        (text(), text(), any::<u32>()),
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::sample::select(vec![Status::Open, Status::InProgress, Status::Done]),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (id, keyword, area, priority),
                (description, file, line),
                (issue, blocked, status, valid),
            )| Todo {
                id,
                keyword,
                area,
                priority,
                description,
                file,
                line,
                issue,
                blocked,
                status,
                valid,
            },
        )
}
