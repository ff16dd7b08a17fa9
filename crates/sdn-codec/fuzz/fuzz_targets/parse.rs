//! The parser must never panic; whatever it accepts, the canonical writer must write,
//! and the canonical text must read back to an equal value and be a fixed point. The
//! formatter must format whatever the parser accepts, keeping the data bit for bit, and
//! its output must be a fixed point too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = sdn_codec::parse(text) else {
        return;
    };
    let canonical = sdn_codec::to_canonical_string(&value)
        .expect("the canonical writer must write every value the parser accepts");
    let reread = sdn_codec::parse(&canonical).expect("canonical output must parse");
    assert_eq!(
        reread, value,
        "canonical output must read back equal:\n{canonical}"
    );
    let again = sdn_codec::to_canonical_string(&reread).expect("second write");
    assert_eq!(again, canonical, "canonical output must be a fixed point");

    let formatted = sdn_codec::format(text)
        .expect("the formatter must format every text the parser accepts");
    let reread = sdn_codec::parse(&formatted).expect("formatted output must parse");
    assert!(
        reread.is_identical(&value),
        "formatted output must read back identical:\n{formatted}"
    );
    let again = sdn_codec::format(&formatted).expect("second format");
    assert_eq!(again, formatted, "formatted output must be a fixed point");
});
