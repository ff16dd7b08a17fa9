//! Three-way merge of whole stores: the documented rules, format preservation, and
//! property tests (convergence in any order, idempotence, no lost values).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use support::{T0, Todo, open_at, todo};
use versioning::merge::{MergeOptions, merge};
use versioning::{CONFLICTS_TABLE, ManualClock};

fn merged(base: &str, ours: &str, theirs: &str) -> versioning::merge::Merged {
    merge(base, ours, theirs, &MergeOptions::default()).unwrap()
}

const BASE: &str = "\
# team todos
todos |id, status, owner, note, version, last_modified, deleted|
    1, open, ann, keep me, 1, \"2025-12-01T14:40:00.000Z+00000@seed\",
    2, open, bob, , 1, \"2025-12-01T14:40:00.000Z+00000@seed\",
    3, open, cid, , 1, \"2025-12-01T14:40:00.000Z+00000@seed\",
";

fn edit(text: &str, key: &str, cells: &[(&str, &str)]) -> String {
    let mut doc = sdn_codec::Document::parse(text).unwrap();
    let mut table = doc.table_mut("todos").unwrap();
    let row = table.find_row("id", key).unwrap().unwrap();
    table
        .update_row_with(row, |map| {
            for (name, value) in cells {
                map.insert(*name, *value);
            }
        })
        .unwrap();
    doc.into_string()
}

#[test]
fn disjoint_rows_merge_and_keep_comments_unknown_columns_and_order() {
    let ours = edit(BASE, "1", &[("status", "done"), ("version", "2")]);
    let theirs = edit(BASE, "3", &[("owner", "dan"), ("version", "2")]);
    let result = merged(BASE, &ours, &theirs);
    assert_eq!(
        result.text,
        edit(&ours, "3", &[("owner", "dan"), ("version", "2")])
    );
    assert!(result.text.starts_with("# team todos\n"));
    assert!(result.text.contains("keep me"));
    assert!(result.conflicts.is_empty());
}

#[test]
fn same_field_changed_two_ways_keeps_both_values_and_sums_versions() {
    let ours = edit(
        BASE,
        "2",
        &[
            ("status", "done"),
            ("version", "2"),
            ("last_modified", "2025-12-01T14:41:00.000Z+00000@dev-a"),
        ],
    );
    let theirs = edit(
        BASE,
        "2",
        &[
            ("status", "in_progress"),
            ("note", "started"),
            ("version", "3"),
            ("last_modified", "2025-12-01T14:42:00.000Z+00000@dev-b"),
        ],
    );
    let a = merged(BASE, &ours, &theirs);
    let b = merged(BASE, &theirs, &ours);
    assert_eq!(a.text, b.text, "the same bytes whichever side is ours");
    let doc = sdn_codec::parse(&a.text).unwrap();
    let row = doc["todos"].as_table().unwrap().row_map(1).unwrap();
    assert_eq!(
        row.get("status").unwrap().as_str(),
        Some("in_progress"),
        "sorts last"
    );
    assert_eq!(
        row.get("note").unwrap().as_str(),
        Some("started"),
        "disjoint field merged"
    );
    assert_eq!(
        row.get("version").unwrap().as_i64(),
        Some(4),
        "1 + (2-1) + (3-1)"
    );
    assert_eq!(
        row.get("last_modified").unwrap().as_str(),
        Some("2025-12-01T14:42:00.000Z+00000@dev-b")
    );
    let kept: Vec<(&str, &str)> = a
        .conflicts
        .iter()
        .map(|c| (c.value.as_str(), c.writer()))
        .collect();
    // A whole-store merge cannot tell who typed a field once rows were combined, so its
    // candidates carry no stamp (which keeps merge orders byte-identical).
    assert_eq!(kept, [("done", ""), ("in_progress", "")]);
    assert!(a.text.contains(CONFLICTS_TABLE), "{}", a.text);
}

#[test]
fn same_key_inserted_on_both_sides_merges_against_an_empty_row() {
    let add = |text: &str, row: &str| format!("{text}    4, {row}\n");
    let ours = add(
        BASE,
        "open, ann, mine, 1, \"2025-12-01T14:41:00.000Z+00000@dev-a\",",
    );
    let theirs = add(
        BASE,
        "open, bob, , 1, \"2025-12-01T14:42:00.000Z+00000@dev-b\",",
    );
    let result = merged(BASE, &ours, &theirs);
    assert_eq!(result.text, merged(BASE, &theirs, &ours).text);
    let doc = sdn_codec::parse(&result.text).unwrap();
    let table = doc["todos"].as_table().unwrap();
    assert_eq!(table.rows.len(), 4);
    let row = table.row_map(3).unwrap();
    assert_eq!(row.get("owner").unwrap().as_str(), Some("bob"));
    assert_eq!(
        row.get("note").unwrap().as_str(),
        Some("mine"),
        "one side's field kept"
    );
    assert_eq!(row.get("version").unwrap().as_i64(), Some(2));
    assert_eq!(result.conflicts.len(), 2, "owner: ann vs bob");
}

#[test]
fn delete_against_update_keeps_the_tombstone_with_the_update() {
    let ours = edit(BASE, "2", &[("deleted", "true"), ("version", "2")]);
    let theirs = edit(BASE, "2", &[("note", "still needed"), ("version", "2")]);
    let result = merged(BASE, &ours, &theirs);
    assert_eq!(result.text, merged(BASE, &theirs, &ours).text);
    let doc = sdn_codec::parse(&result.text).unwrap();
    let row = doc["todos"].as_table().unwrap().row_map(1).unwrap();
    assert_eq!(row.get("deleted").unwrap().text().as_deref(), Some("true"));
    assert_eq!(row.get("note").unwrap().as_str(), Some("still needed"));
    assert_eq!(row.get("version").unwrap().as_i64(), Some(3));
}

#[test]
fn rows_removed_outright_and_rows_only_in_base() {
    let remove = |text: &str, key: &str| {
        let mut doc = sdn_codec::Document::parse(text).unwrap();
        let mut table = doc.table_mut("todos").unwrap();
        let row = table.find_row("id", key).unwrap().unwrap();
        table.remove_row(row).unwrap();
        doc.into_string()
    };
    // Removed by theirs, unchanged in ours: removed.
    let theirs = remove(BASE, "3");
    let ours = edit(BASE, "1", &[("status", "done")]);
    assert_eq!(merged(BASE, &ours, &theirs).text, remove(&ours, "3"));
    // Removed by theirs, changed in ours: the change is kept.
    let ours = edit(BASE, "3", &[("status", "done")]);
    let theirs = edit(&remove(BASE, "3"), "1", &[("owner", "x")]);
    assert_eq!(
        merged(BASE, &ours, &theirs).text,
        edit(&ours, "1", &[("owner", "x")])
    );
    // Only in the base (removed on both sides): stays removed.
    let ours = remove(BASE, "2");
    let theirs = edit(&remove(BASE, "2"), "1", &[("owner", "x")]);
    assert_eq!(
        merged(BASE, &ours, &theirs).text,
        edit(&ours, "1", &[("owner", "x")])
    );
}

#[test]
fn malformed_input_is_a_typed_error_naming_the_input() {
    let err = merge(
        BASE,
        BASE,
        "todos |id|\n    \"open\n",
        &MergeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("theirs"), "{err}");
    let duplicate = format!("{BASE}    1, x, y, , 1, ,\n");
    let err = merge(
        BASE,
        &edit(BASE, "1", &[("note", "z")]),
        &duplicate,
        &MergeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("share the key 1"), "{err}");
}

/// `BASE` with `rows` more rows.
fn large_base(rows: usize) -> String {
    let mut text = BASE.to_owned();
    for id in 4..rows + 4 {
        text.push_str(&format!(
            "    {id}, open, ann, a longer note so that rows take some room, 1, \"2025-12-01T14:40:00.000Z+00000@seed\",\n"
        ));
    }
    text
}

#[test]
fn large_inputs_merge_and_report_the_malformed_input_like_small_ones() {
    let base = large_base(3_000);
    assert!(
        3 * base.len() > 256 * 1024,
        "large enough to parse in parallel"
    );
    let ours = edit(&base, "5", &[("status", "done")]);
    let theirs = edit(&base, "2900", &[("owner", "bob")]);
    let result = merged(&base, &ours, &theirs);
    assert_eq!(result.text, edit(&ours, "2900", &[("owner", "bob")]));
    assert!(result.conflicts.is_empty());

    let broken = format!("{base}    \"unterminated\n");
    let err = merge(&base, &ours, &broken, &MergeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("theirs"), "{err}");
    let err = merge(&broken, &ours, &theirs, &MergeOptions::default()).unwrap_err();
    assert!(err.to_string().contains("base"), "{err}");
    let theirs_broken = format!("{theirs}    \"oops\n");
    let err = merge(&broken, &ours, &theirs_broken, &MergeOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("theirs"),
        "theirs is read first: {err}"
    );
}

// ---------------------------------------------------------------------------------------
// Property tests on replicas edited through the versioned store
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Status(usize, usize),
    Owner(usize, usize),
    Delete(usize),
    Insert(usize),
}

const STATUSES: [&str; 4] = ["open", "done", "in_progress", "blocked"];
const OWNERS: [&str; 3] = ["ann", "bob", "cid"];
const SEEDED: usize = 5;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..SEEDED, 0..STATUSES.len()).prop_map(|(k, v)| Op::Status(k, v)),
        (0..SEEDED, 0..OWNERS.len()).prop_map(|(k, v)| Op::Owner(k, v)),
        (0..SEEDED).prop_map(Op::Delete),
        (0..3usize).prop_map(Op::Insert),
    ]
}

fn seed(dir: &Path) -> String {
    let path = dir.join("base.sdn");
    let store = open_at(&path, "seed", &ManualClock::new(T0));
    for k in 0..SEEDED {
        store.insert(todo(&format!("t{k}"), "open")).unwrap();
    }
    std::fs::read_to_string(path).unwrap()
}

/// Applies `ops` as writer `r<replica>` to a copy of the base; returns the text.
fn replica(dir: &Path, base: &str, replica: usize, ops: &[Op]) -> String {
    let path = dir.join(format!("r{replica}.sdn"));
    std::fs::write(&path, base).unwrap();
    let clock = ManualClock::new(T0 + 1000 + replica as u64 * 7);
    let store = open_at(&path, &format!("r{replica}"), &clock);
    for op in ops {
        clock.advance(13);
        let key = |k: usize| format!("t{k}");
        match op {
            Op::Status(k, v) | Op::Owner(k, v) => {
                let Some(read) = store.get::<Todo>(&key(*k)).unwrap() else {
                    continue;
                };
                let mut ours = read.record.clone();
                match op {
                    Op::Status(..) => ours.status = STATUSES[*v].into(),
                    _ => ours.owner = OWNERS[*v].into(),
                }
                store.commit_if(&read, ours).unwrap();
            }
            Op::Delete(k) => {
                if let Some(read) = store.get::<Todo>(&key(*k)).unwrap() {
                    store.delete_if(&read).unwrap();
                }
            }
            Op::Insert(n) => {
                let _ = store.insert(todo(&format!("n{replica}-{n}"), "new"));
            }
        }
    }
    std::fs::read_to_string(path).unwrap()
}

/// The conflicts' candidate values: (key, field, value), sorted.
fn candidates(text: &str) -> Vec<(String, String, String)> {
    let doc = sdn_codec::parse(text).unwrap();
    let mut out: Vec<(String, String, String)> = doc
        .get(CONFLICTS_TABLE)
        .and_then(sdn_codec::Value::as_table)
        .map(|t| {
            (0..t.rows.len())
                .map(|row| {
                    let m = t.row_map(row).unwrap();
                    let text = |c: &str| m.get(c).unwrap().text().unwrap().into_owned();
                    (text("key"), text("field"), text("value"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

fn fold(base: &str, replicas: &[String], order: &[usize]) -> String {
    let mut acc = replicas[order[0]].clone();
    for &i in &order[1..] {
        acc = merged(base, &acc, &replicas[i]).text;
    }
    acc
}

// Note: the texts above spell cells as record-store writes them (stamps quoted), so the
// merged bytes do not depend on which side's spelling of an unchanged cell survives.

/// Every (key, field, value) of the todos table, tombstones included.
fn cells(text: &str) -> BTreeMap<(String, String), String> {
    let doc = sdn_codec::parse(text).unwrap();
    let mut out = BTreeMap::new();
    if let Some(table) = doc.get("todos").and_then(sdn_codec::Value::as_table) {
        for row in 0..table.rows.len() {
            let map = table.row_map(row).unwrap();
            let key = map.get("id").unwrap().as_str().unwrap().to_owned();
            for (name, value) in map.iter() {
                out.insert(
                    (key.clone(), name.to_owned()),
                    value.text().unwrap_or_default().into_owned(),
                );
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn replicas_converge_in_any_merge_order_and_lose_no_value(
        histories in prop::collection::vec(prop::collection::vec(op(), 0..6), 2..=5),
        shuffles in prop::collection::vec(any::<prop::sample::Index>(), 6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let base = seed(dir.path());
        let replicas: Vec<String> = histories
            .iter()
            .enumerate()
            .map(|(i, ops)| replica(dir.path(), &base, i, ops))
            .collect();
        let n = replicas.len();
        let identity: Vec<usize> = (0..n).collect();
        let expected = fold(&base, &replicas, &identity);
        // Other orders: rotations and index-driven swaps of the identity.
        for (round, index) in shuffles.iter().enumerate() {
            let mut order = identity.clone();
            order.rotate_left(round % n);
            let j = index.index(n);
            order.swap(0, j);
            let got = fold(&base, &replicas, &order);
            // The whole file, conflicts table (values and stamps) included.
            prop_assert_eq!(&got, &expected, "order {:?}", order);
        }
        // Idempotent: with itself, with the base.
        for r in &replicas {
            prop_assert_eq!(&merged(&base, r, r).text, r);
            prop_assert_eq!(&merged(&base, r, &base).text, r);
        }
        // No value a replica wrote is lost: it is in the result or kept as a conflict.
        let result = cells(&expected);
        let kept = candidates(&expected);
        let base_cells = cells(&base);
        for r in &replicas {
            for ((key, field), value) in cells(r) {
                if ["version", "last_modified", "deleted"].contains(&field.as_str())
                    || base_cells.get(&(key.clone(), field.clone())) == Some(&value)
                {
                    continue;
                }
                let in_result = result.get(&(key.clone(), field.clone())) == Some(&value);
                let in_kept = kept.contains(&(key.clone(), field.clone(), value.clone()));
                prop_assert!(in_result || in_kept, "{}.{} = {} lost", key, field, value);
            }
        }
    }
}

/// The conflicts table a merge appends reads exactly as `Document::set` would write it,
/// so merges that create it and merges that replace it agree byte for byte.
#[test]
fn appended_conflicts_table_matches_the_documents_own_rendering() {
    let ours = edit(BASE, "2", &[("status", "done"), ("version", "2")]);
    let theirs = edit(BASE, "2", &[("status", "closed"), ("version", "2")]);
    let result = merged(BASE, &ours, &theirs);
    let at = result.text.find(CONFLICTS_TABLE).unwrap();
    let table = sdn_codec::parse(&result.text).unwrap()[CONFLICTS_TABLE].clone();
    let mut doc = sdn_codec::Document::parse(&result.text[..at]).unwrap();
    doc.set(CONFLICTS_TABLE, table).unwrap();
    assert_eq!(doc.as_str(), result.text);
}

#[test]
fn remote_snapshot_stamps_move_the_clock_within_the_bound_and_refuse_beyond_it() {
    use std::sync::Arc;
    use versioning::merge::observe_stamps;
    use versioning::{Hlc, HlcOptions, SkewPolicy, WriterId};
    let hlc = |skew| {
        Hlc::new(
            WriterId::new("local").unwrap(),
            Arc::new(ManualClock::new(T0)),
            HlcOptions {
                max_ahead_ms: 300_000,
                skew,
            },
        )
    };
    // Two minutes ahead: accepted, and the next local stamp orders after it.
    let near = edit(
        BASE,
        "1",
        &[("last_modified", "2025-12-01T14:42:00.000Z+00000@phone")],
    );
    let clock = hlc(SkewPolicy::Error);
    observe_stamps(&near, &clock, &MergeOptions::default()).unwrap();
    assert!(clock.now().to_string().as_str() > "2025-12-01T14:42:00.000Z+00000@phone");
    // Four hours ahead: a typed error naming the table, or clamped to the bound.
    let far = edit(
        BASE,
        "1",
        &[("last_modified", "2025-12-01T18:40:00.000Z+00000@phone")],
    );
    let err = observe_stamps(&far, &hlc(SkewPolicy::Error), &MergeOptions::default()).unwrap_err();
    assert!(
        matches!(err, versioning::Error::ClockSkew { ref table, .. } if table == "todos"),
        "{err}"
    );
    let clamped = hlc(SkewPolicy::Clamp);
    observe_stamps(&far, &clamped, &MergeOptions::default()).unwrap();
    assert_eq!(clamped.now().ms, T0 + 300_000);
    assert_eq!(clamped.take_warnings().0, 1);
}
