//! The merge's shortcuts give what the way without them gives.

use proptest::prelude::*;

use super::*;

/// The line splice and the document editor give the same bytes.
#[test]
fn splicing_lines_matches_editing_the_document() {
    let base = "# todos\ntodos |id, status, version|\n    1, open, 1\n    # a note\n    2, open, 1\n    3, open, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n";
    let cases = [
        // Updates on both sides, one overlapping field.
        (
            "# todos\ntodos |id, status, version|\n    1, done, 2\n    # a note\n    2, open, 1\n    3, open, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n",
            "# todos\ntodos |id, status, version|\n    1, blocked, 2\n    # a note\n    2, open, 1\n    3, \"in progress\", 2\n# after\nnotes |id, text|\n    a, \"x, z\"\n",
        ),
        // Rows added on both sides, one removed on theirs.
        (
            "# todos\ntodos |id, status, version|\n    1, open, 1\n    # a note\n    2, open, 1\n    3, open, 1\n    4, new, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n",
            "# todos\ntodos |id, status, version|\n    1, open, 1\n    # a note\n    3, open, 1\n    5, other, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n    b, \"new note\"\n",
        ),
        // The last row removed by theirs while rows are appended.
        (
            "# todos\ntodos |id, status, version|\n    1, open, 1\n    # a note\n    2, open, 1\n    3, open, 1\n    4, x, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n",
            "# todos\ntodos |id, status, version|\n    1, open, 1\n    # a note\n    2, open, 1\n# after\nnotes |id, text|\n    a, \"x, y\"\n",
        ),
    ];
    for (ours, theirs) in cases {
        for (o, t) in [(ours, theirs), (theirs, ours)] {
            let options = MergeOptions::default();
            let spliced = merge_with(base, o, t, &options, Shortcuts::ALL).unwrap();
            let edited = merge_with(base, o, t, &options, NONE).unwrap();
            assert_eq!(spliced, edited, "ours:\n{o}\ntheirs:\n{t}");
        }
    }
}

/// No shortcut at all: the whole texts parsed, the whole document edited.
const NONE: Shortcuts = Shortcuts {
    splice: false,
    reduce: false,
};

/// Cells that exercise what a row scan must follow: quotes, commas, comment marks,
/// escapes, a quoted cell over two lines, empty cells.
fn cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "open",
        "done",
        "x#y",
        "\"a, b\"",
        "\"say \\\"hi\\\"\"",
        "\"two\nlines\"",
        "",
        "7",
        "007",
        "\"7\"",
        "a # note",
    ])
    .prop_map(str::to_owned)
}

/// A table row: a key (sometimes repeated, sometimes quoted) and two cells.
fn row() -> impl Strategy<Value = (String, String, String)> {
    let key = prop::sample::select(vec!["1", "2", "3", "4", "5", "6", "\"3\"", "07"]);
    (key.prop_map(str::to_owned), cell(), cell())
}

fn text(rows: &[(String, String, String)], extra: &str) -> String {
    let mut text = String::from("# the todos\ntodos |id, status, note|\n");
    for (key, status, note) in rows {
        text.push_str(&format!("    {key}, {status}, {note}\n"));
    }
    text.push_str(extra);
    text
}

/// Each replica: the base's rows with some replaced, dropped or added, and sometimes
/// an entry after the table.
fn replica(base: Vec<(String, String, String)>) -> impl Strategy<Value = String> {
    let n = base.len();
    (
        prop::collection::vec((0..n.max(1), row(), 0..3u8), 0..4),
        prop::sample::select(vec![
            "",
            "notes |id, t|\n    a, b\n",
            "title: \"x\"\n",
            "# end\n",
        ]),
    )
        .prop_map(move |(edits, extra)| {
            let mut rows = base.clone();
            for (at, new, how) in edits {
                match (how, rows.is_empty()) {
                    (0, false) => {
                        let at = at % rows.len();
                        rows[at] = new;
                    }
                    (1, false) => drop(rows.remove(at % rows.len())),
                    _ => rows.push(new),
                }
            }
            text(&rows, extra)
        })
}

proptest! {
    /// Leaving out the rows all three inputs share gives the merge (or the error) of
    /// the whole texts, with or without the splice.
    #[test]
    fn leaving_out_shared_rows_changes_nothing(
        (base, ours, theirs) in prop::collection::vec(row(), 0..8).prop_flat_map(|rows| {
            let base = text(&rows, "");
            (Just(base), replica(rows.clone()), replica(rows))
        })
    ) {
        let options = MergeOptions::default();
        let whole = merge_with(&base, &ours, &theirs, &options, NONE);
        for shortcuts in [Shortcuts::ALL, Shortcuts { splice: false, reduce: true }] {
            let fast = merge_with(&base, &ours, &theirs, &options, shortcuts);
            prop_assert_eq!(
                format!("{fast:?}"),
                format!("{whole:?}"),
                "base:\n{}\nours:\n{}\ntheirs:\n{}", base, ours, theirs
            );
        }
    }
}

/// The shortcut is taken where it matters: a large merge leaves most rows out.
#[test]
fn a_large_merge_leaves_unchanged_rows_out() {
    let rows: Vec<(String, String, String)> = (0..200)
        .map(|i| (i.to_string(), "open".to_owned(), format!("\"note {i}\"")))
        .collect();
    let mut ours = rows.clone();
    ours[10].1 = "done".into();
    let mut theirs = rows.clone();
    theirs[150].2 = "\"changed\"".into();
    let (base, ours, theirs) = (text(&rows, ""), text(&ours, ""), text(&theirs, ""));
    let spanned = parse_ours(&ours).unwrap();
    let inputs = reduce::reduced_inputs(&base, &ours, &theirs, spanned)
        .unwrap_or_else(|_| panic!("rows left out"));
    let left_out = &inputs.common["todos"];
    assert_eq!(left_out.len(), 200);
    assert_eq!(left_out.iter().filter(|&&out| out).count(), 198);
    assert!(!left_out[10] && !left_out[150]);
    let kept = |value: &Value| {
        value
            .get("todos")
            .and_then(Value::as_table)
            .map(|t| t.rows.len())
    };
    assert_eq!(
        (kept(&inputs.base), kept(&inputs.theirs)),
        (Some(2), Some(2))
    );
    let merged = merge(&base, &ours, &theirs, &Default::default()).unwrap();
    assert_eq!(
        merged,
        merge_with(&base, &ours, &theirs, &Default::default(), NONE).unwrap()
    );
    assert!(
        merged.text.contains("    10, done,")
            && merged.text.contains("    150, open, \"changed\"\n")
    );
}
