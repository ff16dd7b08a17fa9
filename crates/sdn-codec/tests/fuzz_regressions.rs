//! Inputs found by `cargo fuzz` (crates/sdn-codec/fuzz), kept as regular tests. Each
//! checks the property its fuzz target checks.

use sdn_codec::Document;

/// The `parse` target: accepted input writes canonically and reads back equal.
fn canonical_round_trip(text: &str) {
    let value = sdn_codec::parse(text).expect("the input parses");
    let canonical = sdn_codec::to_canonical_string(&value).expect("canonical write");
    let reread = sdn_codec::parse(&canonical).expect("canonical output parses");
    assert_eq!(reread, value, "canonical text:\n{canonical}");
    assert_eq!(sdn_codec::to_canonical_string(&reread).unwrap(), canonical);
}

/// The `document_roundtrip` target: no-edit round trip byte-identical.
fn document_round_trip(text: &str) {
    let doc = Document::parse(text).expect("the input parses");
    assert_eq!(doc.as_str(), text);
    assert_eq!(doc.value(), &sdn_codec::parse(text).unwrap());
}

/// fuzz/artifacts/parse/crash-b80e2a93…: a key starting with U+FEFF after a comment
/// line. Written first in canonical output, the plain key's U+FEFF was read back as a
/// byte-order mark and dropped; the writer now quotes such keys.
#[test]
fn key_starting_with_feff_survives_canonical_output() {
    let text = "# artifacts\n\u{feff}ifac~ts:\n  results.sdn: v\n";
    canonical_round_trip(text);
    document_round_trip(text);
    let value = sdn_codec::parse(text).unwrap();
    assert!(value.get("\u{feff}ifac~ts").is_some());
    assert!(
        sdn_codec::to_canonical_string(&value)
            .unwrap()
            .starts_with("\"\u{feff}ifac~ts\":")
    );
}

/// A new key starting with U+FEFF set into an empty document stays a key.
#[test]
fn document_set_of_feff_key_into_empty_document() {
    let mut doc = Document::parse("").unwrap();
    doc.set(["\u{feff}k"], 1).unwrap();
    assert_eq!(doc.get(["\u{feff}k"]).and_then(|v| v.as_i64()), Some(1));
    assert_eq!(Document::parse(doc.as_str()).unwrap().value(), doc.value());
}

/// fuzz/artifacts/document_edit/crash-a41d2db1…: a row whose last cell is empty and
/// followed by a comment (`"", #2026-02-10"`). The empty cell's span sits at the `#`;
/// text written there must keep a blank before it, or the comment becomes cell text.
#[test]
fn empty_last_cell_before_a_comment_stays_a_comment() {
    let text = "t |a, b|\n    1, # note\n    2, x\n";
    let mut doc = Document::parse(text).unwrap();
    doc.table_mut("t").unwrap().add_column("c", "a b").unwrap();
    assert_eq!(
        doc.as_str(),
        "t |a, b, c|\n    1, , \"a b\" # note\n    2, x, \"a b\"\n"
    );

    let mut doc = Document::parse(text).unwrap();
    doc.table_mut("t").unwrap().set_cell(0, "b", "y").unwrap();
    assert_eq!(doc.as_str(), "t |a, b|\n    1, y # note\n    2, x\n");
}

/// fuzz/artifacts/document_edit/crash-2d4c9b86…: a plain value followed by a vertical
/// tab. The parser trims the `\u{b}` off the plain value, but after a quoted value only
/// blanks may follow; the replaced span now includes such trailing whitespace.
#[test]
fn plain_value_with_trailing_unicode_whitespace_can_be_replaced() {
    let mut doc = Document::parse("note: independent files\u{b}\nnext: 1\u{a0}").unwrap();
    doc.set("note", "a, b").unwrap();
    doc.set("next", "x y").unwrap();
    assert_eq!(doc.as_str(), "note: \"a, b\"\nnext: \"x y\"");

    let mut doc = Document::parse("t |a, b|\n    1, z\u{b}\n").unwrap();
    doc.table_mut("t").unwrap().set_cell(0, "b", "p q").unwrap();
    assert_eq!(doc.as_str(), "t |a, b|\n    1, \"p q\"\n");
}

/// fuzz/artifacts/document_edit/crash-105038b4…: removing the first entry made a key
/// starting with U+FEFF the first thing in the text, where the parser strips U+FEFF as
/// a byte-order mark. The document now puts a byte-order mark in front.
#[test]
fn removing_the_entry_before_a_feff_key_keeps_the_key() {
    let text = "f|phf|phhac\n\u{feff}che |pahe |phc%he \nnext: 1\n";
    let mut doc = Document::parse(text).unwrap();
    doc.remove("f").unwrap();
    assert_eq!(
        doc.as_str(),
        "\u{feff}\u{feff}che |pahe |phc%he \nnext: 1\n"
    );
    assert!(doc.table(["\u{feff}che"]).is_ok());
    assert_eq!(Document::parse(doc.as_str()).unwrap().value(), doc.value());
    doc.set("next", 2).unwrap();
    assert_eq!(
        doc.as_str(),
        "\u{feff}\u{feff}che |pahe |phc%he \nnext: 2\n"
    );
}
