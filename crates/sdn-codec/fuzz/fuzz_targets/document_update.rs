//! `Document::update_text` (which reads again only a changed row line when that is all
//! that changed) gives exactly what a full parse of the new text gives, or the same
//! error, leaving the document unchanged.
//!
//! The input is the old text, a NUL, and the new text. Without a NUL, the new text is the
//! old one with one line replaced by another of its lines (a one-line change whenever
//! both are rows of one table), chosen from the input's length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdn_codec::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (old, new) = match text.split_once('\0') {
        Some((old, new)) => (old.to_owned(), new.to_owned()),
        None => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.len() < 2 {
                return;
            }
            let mut changed = lines.clone();
            changed[text.len() % lines.len()] = lines[(text.len() / 7) % lines.len()];
            (text.to_owned(), changed.concat())
        }
    };
    let Ok(mut doc) = Document::parse(&old) else {
        return;
    };
    let outcome = doc.update_text(&new);
    match Document::parse(&new) {
        Ok(fresh) => {
            outcome.expect("update_text fails where a full parse succeeds");
            assert_eq!(doc.as_str(), fresh.as_str());
            assert_eq!(doc.value(), fresh.value());
        }
        Err(err) => {
            let got = outcome.expect_err("update_text accepts what a full parse rejects");
            assert_eq!(got.report().to_string(), err.report().to_string());
            assert_eq!(doc.as_str(), old);
        }
    }
});
