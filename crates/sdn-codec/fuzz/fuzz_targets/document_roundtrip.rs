//! A document parsed and written back with no edit is byte-identical to its input, and
//! its value equals the parser's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdn_codec::Document;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = sdn_codec::parse(text);
    let document = Document::parse(text);
    assert_eq!(
        parsed.is_ok(),
        document.is_ok(),
        "Document::parse must accept exactly what the parser accepts"
    );
    if let Ok(document) = document {
        assert_eq!(document.to_string(), text);
        assert_eq!(document.as_str(), text);
        if let Ok(value) = parsed {
            assert_eq!(document.value(), &value);
        }
    }
});
