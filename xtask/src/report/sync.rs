//! The database-sync section of `docs/benchmarks.md`, from `sync.json` (written by
//! `crates/bench-suite/benches/sync.rs`).

use std::fmt::Write as _;

use serde_json::Value;

use super::format::{duration, goal, number_at};

/// The push and pull goal: at most this many times a raw PUT / GET of the same bytes.
const RATIO_GOAL: f64 = 1.2;

/// Appends the section (a note when the bench has not run yet).
pub fn section(md: &mut String, results: Option<&Value>) {
    let _ = writeln!(md, "## 8. Database sync (bench `sync`)\n");
    let Some(results) = results else {
        super::format::not_measured(md, "cargo xtask bench sync");
        return;
    };
    let number = |v: &Value, path: &[&str]| number_at(v, path).unwrap_or(f64::NAN);
    let ms = |seconds: f64| duration(seconds * 1e9);
    let _ = writeln!(
        md,
        "`cloud_sync::RecordSync` against {}, each device with an S3 client of its own \
         wrapped to count every request it sends. The database is an SDN record store of generated \
         task records (ten columns: titles, owners, dates, tags, free-text notes). Each \
         round changes one record, then pushes from one device and pulls (fast-forward) on \
         another, interleaved with a raw PUT (through the pushing device's client) and \
         GET (through the pulling device's) of the same bytes; medians. A push includes the snapshot under the store's lock, sha256, \
         zstd, the create-only upload, the backup entry, the manifest compare-and-swap and \
         its read-back, the local sync state, the sync-log entry and the device record; a \
         pull includes the manifest read, the verified download (stored size, \
         decompressed size, sha256), the atomic durable replace of the store and the same \
         bookkeeping.\n",
        results
            .get("server")
            .and_then(Value::as_str)
            .unwrap_or("s3s-fs"),
    );
    let unchanged = results.get("unchanged_push").unwrap_or(&Value::Null);
    let requests = number(unchanged, &["requests"]);
    let _ = writeln!(
        md,
        "Push of an unchanged database: **{requests:.0}** request(s) (GET {:.0}, HEAD {:.0}, \
         PUT {:.0}, LIST {:.0}, other {:.0}) in {}; goal one manifest request: {}.\n",
        number(unchanged, &["get"]),
        number(unchanged, &["head"]),
        number(unchanged, &["put"]),
        number(unchanged, &["list"]),
        number(unchanged, &["other"]),
        ms(number(unchanged, &["seconds"])),
        goal(requests == 1.0),
    );
    let _ = writeln!(
        md,
        "| database | bytes | records | stored | push | raw PUT | ratio | pull | raw GET | ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
    let mut ratios_met = true;
    for case in results
        .get("transfers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (push, put) = (number(case, &["push_s"]), number(case, &["raw_put_s"]));
        let (pull, get) = (number(case, &["pull_s"]), number(case, &["raw_get_s"]));
        ratios_met &= push / put <= RATIO_GOAL && pull / get <= RATIO_GOAL;
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.0} | {:.0} | {} | {} | {:.2}x | {} | {} | {:.2}x |",
            case.get("label").and_then(Value::as_str).unwrap_or("?"),
            number(case, &["bytes"]),
            number(case, &["records"]),
            number(case, &["stored_bytes"]),
            ms(push),
            ms(put),
            push / put,
            ms(pull),
            ms(get),
            pull / get,
        );
    }
    let merge = results.get("merge").unwrap_or(&Value::Null);
    let _ = writeln!(
        md,
        "\nMerging pull of two diverged {:.0}-record stores ({:.0} records changed on each \
         side, a tenth of them the same records): **{}** end to end (manifest, verified \
         download, three-way merge, durable replace, bookkeeping), of which \
         `versioning::merge::merge` alone takes {}; {:.0} field conflict(s) kept; medians of \
         {:.0} runs.\n",
        number(merge, &["records"]),
        number(merge, &["changed_each_side"]),
        ms(number(merge, &["pull_merge_s"])),
        ms(number(merge, &["merge_only_s"])),
        number(merge, &["conflicts"]),
        number(merge, &["runs"]),
    );
    let _ = writeln!(
        md,
        "Goal push and pull at most {RATIO_GOAL}x raw PUT / GET: {}. What a push pays beyond \
         the raw PUT, measured with `perf` on the 50 MB case: sha256 of the local content \
         (it both detects local changes and names the snapshot), zstd of the whole content \
         (level 1, multithreaded, from 4 MiB on), the unflushed write of the merge-base \
         cache (a copy of the content), the upload, then five small requests in sequence \
         (backup entry, manifest compare-and-swap, its read-back, log entry, device record; \
         the snapshot probe is hidden behind compression) beside one durable sync-state \
         write. \
         The raw PUT sends four times the bytes, but the server's md5 and sha256 of them \
         is all it costs. A pull pays the durable replace of the store (flushed, as every \
         local write is), the sha256 of local content and of the download \
         (decompressed and hashed while it arrives), and the same bookkeeping. Measured on \
         the shared 2-core machine while other builds ran: ratios move by about 0.5x \
         between runs.\n",
        goal(ratios_met)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stored_figures_and_judges_the_goals() {
        let results = serde_json::json!({"server": "s3s-fs on 127.0.0.1",
            "unchanged_push": {"requests": 1, "get": 1, "head": 0, "put": 0, "list": 0,
                "other": 0, "seconds": 0.002},
            "transfers": [{"label": "1 MB", "bytes": 1048576, "records": 7000,
                "stored_bytes": 300000, "rounds": 15, "push_s": 0.024, "raw_put_s": 0.02,
                "pull_s": 0.03, "raw_get_s": 0.02}],
            "merge": {"records": 10000, "changed_each_side": 100, "runs": 3,
                "pull_merge_s": 0.25, "merge_only_s": 0.1, "conflicts": 40}});
        let mut md = String::new();
        section(&mut md, Some(&results));
        assert!(md.contains("**1** request(s) (GET 1,"), "{md}");
        assert!(md.contains("goal one manifest request: **met**"), "{md}");
        assert!(
            md.contains("| 1 MB | 1048576 | 7000 | 300000 | 24.00 ms | 20.00 ms | 1.20x | 30.00 ms | 20.00 ms | 1.50x |"),
            "{md}"
        );
        assert!(md.contains("raw PUT / GET: **not met**"), "{md}");
        let mut empty = String::new();
        section(&mut empty, None);
        assert!(empty.contains("Not measured yet"));
    }
}
