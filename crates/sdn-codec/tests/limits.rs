//! Deep and large input returns errors, never a stack overflow (SPEC §10).

use sdn_codec::{ErrorKind, Limit, Limits, ParseOptions};

fn depth_error(text: &str, options: &ParseOptions) {
    let err = sdn_codec::parse_with(text, options).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded {
            which: Limit::Depth
        },
        "{err}"
    );
}

#[test]
fn hundred_thousand_open_brackets() {
    depth_error(
        &("a: ".to_owned() + &"[".repeat(100_000)),
        &ParseOptions::default(),
    );
    depth_error(
        &("a: ".to_owned() + &"{k: ".repeat(100_000)),
        &ParseOptions::default(),
    );
    depth_error(
        &("a: ".to_owned() + &"[{k: ".repeat(100_000)),
        &ParseOptions::default(),
    );
}

#[test]
fn deep_indentation() {
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    depth_error(&text, &ParseOptions::default());
    let mut dashes = String::new();
    for i in 0..1_000 {
        dashes.push_str(&" ".repeat(i * 2 + 2));
        dashes.push_str("-\n");
    }
    depth_error(&format!("a:\n{dashes}"), &ParseOptions::default());
    depth_error(
        &format!("a:\n  {}x\n", "- ".repeat(50_000)),
        &ParseOptions::default(),
    );
}

#[test]
fn huge_max_depth_is_capped_so_the_stack_holds() {
    let options = ParseOptions::default().with_limits(Limits::default().with_max_depth(usize::MAX));
    // Runs on a test thread (2 MiB stack by default), in debug builds.
    depth_error(&("a: ".to_owned() + &"[".repeat(100_000)), &options);
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    depth_error(&text, &options);
}

#[test]
fn nesting_within_the_limit_parses() {
    let depth = Limits::default().max_depth;
    let text = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    assert!(sdn_codec::parse(&text).is_ok());
    let text = format!("a: {}{}\n", "[".repeat(depth + 1), "]".repeat(depth + 1));
    depth_error(&text, &ParseOptions::default());
}

#[test]
fn untrusted_limits_bound_size() {
    let options = ParseOptions::default().with_limits(Limits::untrusted());
    let big = format!("a: \"{}\"\n", "x".repeat((1 << 20) + 1));
    let err = sdn_codec::parse_with(&big, &options).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded {
            which: Limit::StringLength
        }
    );
}
