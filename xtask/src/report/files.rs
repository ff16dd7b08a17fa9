//! The content-files section of `docs/benchmarks.md`, from `files.json` (written by
//! `crates/bench-suite/benches/files.rs`).

use std::fmt::Write as _;

use serde_json::Value;

use super::format::number_at;
use super::template::{Template, template};

const TEXT: Template = template!("files.md");

/// Appends the section (a note when the bench has not run yet).
pub fn section(md: &mut String, results: Option<&Value>) {
    md.push_str(TEXT.text("heading"));
    let Some(results) = results else {
        super::format::not_measured(md, "cargo xtask bench files");
        return;
    };
    let number = |v: &Value, key: &str| number_at(v, &[key]).unwrap_or(f64::NAN);
    md.push_str(
        &TEXT.fill(
            "table",
            &[
                (
                    "server",
                    &results
                        .get("server")
                        .and_then(Value::as_str)
                        .unwrap_or("s3s-fs"),
                ),
                ("parallel", &number(results, "parallel")),
            ],
        ),
    );
    for (label, key) in [
        ("1,000 files of 4 KiB", "small"),
        ("one large file", "large"),
    ] {
        let Some(case) = results.get(key) else {
            continue;
        };
        let (upload, put) = (number(case, "upload_s"), number(case, "raw_put_s"));
        let (download, get) = (number(case, "download_s"), number(case, "raw_get_s"));
        let rclone = |field: &str, ours: f64| match number_at(case, &[field]) {
            Some(theirs) => format!("{theirs:.2} s | {:.2}x", ours / theirs),
            None => "skipped | -".to_owned(),
        };
        let _ = writeln!(
            md,
            "| {label} | {:.0} | {upload:.2} s | {put:.2} s | {:.2}x | {} | {download:.2} s | {get:.2} s | {:.2}x | {} | {:.2}x |",
            number(case, "bytes"),
            upload / put,
            rclone("rclone_upload_s", upload),
            download / get,
            rclone("rclone_download_s", download),
            number(case, "bytes") / number(case, "stored_bytes"),
        );
    }
    let _ = writeln!(md);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stored_figures() {
        let results = serde_json::json!({"server": "s3s-fs on 127.0.0.1", "parallel": 4,
            "small": {"bytes": 4096000, "stored_bytes": 2048000, "upload_s": 2.0, "raw_put_s": 1.0, "download_s": 1.5, "raw_get_s": 1.0,
                "rclone_upload_s": 4.0, "rclone_download_s": 3.0},
            "large": {"bytes": 100, "stored_bytes": 50, "upload_s": 1.0, "raw_put_s": 1.0, "download_s": 1.0, "raw_get_s": 1.0,
                "rclone_upload_s": null, "rclone_download_s": null}});
        let mut md = String::new();
        section(&mut md, Some(&results));
        assert!(md.contains("| 1,000 files of 4 KiB | 4096000 | 2.00 s | 1.00 s | 2.00x | 4.00 s | 0.50x | 1.50 s | 1.00 s | 1.50x | 3.00 s | 0.50x | 2.00x |"), "{md}");
        assert!(md.contains("| one large file | 100 | 1.00 s | 1.00 s | 1.00x | skipped | - | 1.00 s | 1.00 s | 1.00x | skipped | - | 2.00x |"), "{md}");
        let mut empty = String::new();
        section(&mut empty, None);
        assert!(empty.contains("Not measured yet"));
    }
}
