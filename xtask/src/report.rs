//! Writes `docs/benchmarks.md` and its SVG plots from criterion's and our own figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::bench::{
    CONTENTION_PROCS, CONTENTION_SIZE, ContentionRow, HandoffRow, ReplaceRow, Stored,
};
use crate::svg;

/// One criterion benchmark's result.
#[derive(Debug, Clone)]
pub struct CriterionResult {
    /// Group id (e.g. `durable_replace_4KiB`).
    pub group: String,
    /// Function id within the group (e.g. `atomic_io`), or the whole id if none.
    pub function: String,
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// Median time per iteration, ns.
    pub median_ns: f64,
}

/// Reads every `*/new/{benchmark,estimates}.json` under criterion's output directory.
pub fn read_criterion(dir: &Path) -> Vec<CriterionResult> {
    let mut results = Vec::new();
    collect_criterion(dir, &mut results, 0);
    results.sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
    results
}

fn collect_criterion(dir: &Path, results: &mut Vec<CriterionResult>, depth: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            if let Some(result) = read_one(&path) {
                results.push(result);
            }
        } else if depth < 6 {
            collect_criterion(&path, results, depth + 1);
        }
    }
}

fn read_one(dir: &Path) -> Option<CriterionResult> {
    let benchmark: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("benchmark.json")).ok()?).ok()?;
    let estimates: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("estimates.json")).ok()?).ok()?;
    let group = benchmark["group_id"].as_str()?.to_string();
    let mut function = benchmark["function_id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default();
    if let Some(value) = benchmark["value_str"].as_str() {
        if function.is_empty() {
            function = value.to_string();
        } else {
            function = format!("{function}/{value}");
        }
    }
    Some(CriterionResult {
        group,
        function,
        mean_ns: estimates["mean"]["point_estimate"].as_f64()?,
        median_ns: estimates["median"]["point_estimate"].as_f64()?,
    })
}

fn find<'a>(
    results: &'a [CriterionResult],
    group: &str,
    function: &str,
) -> Option<&'a CriterionResult> {
    results
        .iter()
        .find(|r| r.group == group && r.function == function)
}

/// Formats nanoseconds with a unit that keeps 3 significant digits.
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn goal(met: bool) -> &'static str {
    if met { "**met**" } else { "**not met**" }
}

/// Writes `benchmarks.md` and the SVG plots into `docs`.
pub fn write(docs: &Path, criterion: &[CriterionResult], stored: &Stored) -> Result<(), String> {
    fs::create_dir_all(docs).map_err(|e| format!("create {}: {e}", docs.display()))?;
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Measured by `cargo xtask bench` (criterion benches in `crates/bench-suite/benches/`, \
         multi-process measurements in `crates/bench-suite/src/coord.rs`). Our crates and the \
         baseline design (`crates/baseline`, the original plan implemented faithfully, bugs \
         included) run side by side in the same run on the same machine. Regenerate with \
         `cargo xtask bench` (everything, about 5 to 10 minutes on 2 cores) or \
         `cargo xtask bench io|lock|contention|sdn|store`.\n"
    );
    machine_section(&mut md);
    io_section(&mut md, criterion, &stored.replace);
    lock_section(&mut md, criterion, &stored.handoff);
    contention_section(&mut md, &stored.contention);
    other_section(&mut md, criterion);

    if !stored.contention.is_empty() {
        let svg = svg::contention_chart(&stored.contention);
        write_file(&docs.join("benchmarks-contention.svg"), &svg)?;
    }
    if !stored.handoff.is_empty() {
        let svg = svg::handoff_chart(&stored.handoff);
        write_file(&docs.join("benchmarks-handoff.svg"), &svg)?;
    }
    write_file(&docs.join("benchmarks.md"), &md)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))
}

fn machine_section(md: &mut String) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .current_dir(crate::util::workspace_root())
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    let fs_type = filesystem_of(&crate::util::target_dir());
    let _ = writeln!(md, "## Machine\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| date (UTC) | {} |", today_utc());
    let _ = writeln!(md, "| CPUs (nproc) | {cpus} |");
    let _ = writeln!(md, "| CPU | {cpu_model} |");
    let _ = writeln!(md, "| kernel | {kernel} |");
    let _ = writeln!(md, "| toolchain | {rustc} |");
    let _ = writeln!(md, "| filesystem of the bench directory | {fs_type} |\n");
    let _ = writeln!(
        md,
        "Numbers from a shared 2-core virtual machine are noisy; compare columns of one run, \
         not runs with each other.\n"
    );
}

/// The filesystem type of the longest mount point containing `path`.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let device = parts.next()?;
            let mount_point = parts.next()?;
            let fs_type = parts.next()?;
            path.starts_with(mount_point).then(|| {
                (
                    mount_point.len(),
                    format!("{fs_type} ({device} on {mount_point})"),
                )
            })
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, text)| text)
        .unwrap_or_else(|| "unknown".to_string())
}

/// Today's date in UTC as `YYYY-MM-DD HH:MM`, from the system clock.
fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}

const IO_FUNCTIONS: &[(&str, &str)] = &[
    ("atomic_io", "atomic-io `write` (durable)"),
    (
        "bare_syscalls",
        "bare sequence: temp, fsync, rename, fsync dir",
    ),
    (
        "fs_write_not_durable",
        "`fs::write` (not durable, not atomic)",
    ),
    (
        "baseline_phase1_not_durable",
        "baseline phase 1 (not durable)",
    ),
];

fn io_section(md: &mut String, criterion: &[CriterionResult], interleaved: &[ReplaceRow]) {
    let _ = writeln!(md, "## 1. Durable replace (criterion, bench `io`)\n");
    let groups = [
        ("4 KiB", "durable_replace_4KiB"),
        ("40 KiB", "durable_replace_40KiB"),
    ];
    if !groups
        .iter()
        .any(|(_, g)| criterion.iter().any(|r| r.group == *g))
    {
        let _ = writeln!(md, "Not measured yet: run `cargo xtask bench io`.\n");
        return;
    }
    let _ = writeln!(
        md,
        "Replacing a file's whole content, in a directory under the target dir on a real \
         disk. Mean time per replace (criterion, flat sampling, 20 samples).\n"
    );
    let _ = writeln!(md, "| method | {} | {} |", groups[0].0, groups[1].0);
    let _ = writeln!(md, "|---|---:|---:|");
    for (function, label) in IO_FUNCTIONS {
        let cells: Vec<String> = groups
            .iter()
            .map(|(_, group)| {
                find(criterion, group, function).map_or("–".to_string(), |r| duration(r.mean_ns))
            })
            .collect();
        let _ = writeln!(md, "| {label} | {} | {} |", cells[0], cells[1]);
    }
    let _ = writeln!(md);
    for (size, group) in groups {
        if let (Some(ours), Some(bare)) = (
            find(criterion, group, "atomic_io"),
            find(criterion, group, "bare_syscalls"),
        ) {
            let _ = writeln!(
                md,
                "- {size}, criterion: atomic-io / bare sequence = {:.2}x by mean, {:.2}x by median",
                ours.mean_ns / bare.mean_ns,
                ours.median_ns / bare.median_ns
            );
        }
    }
    if !interleaved.is_empty() {
        let _ = writeln!(
            md,
            "\nCriterion measures one method after the other, so on a shared machine a burst \
             of background I/O can land on one of them only. The same comparison measured \
             **interleaved** (the two methods alternate round by round, in one release-built \
             process), which is what the goal is judged on:\n"
        );
        let _ = writeln!(
            md,
            "| size | rounds | atomic-io p50 | bare p50 | atomic-io mean | bare mean | atomic-io p99 | bare p99 | ratio of medians |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in interleaved {
            let us = |v: f64| duration(v * 1e3);
            let ratio = row.ours_p50_us / row.bare_p50_us;
            let _ = writeln!(
                md,
                "| {} KiB | {} | {} | {} | {} | {} | {} | {} | **{ratio:.2}x** (goal ≤ 1.1x: {}) |",
                row.size / 1024,
                row.rounds,
                us(row.ours_p50_us),
                us(row.bare_p50_us),
                us(row.ours_mean_us),
                us(row.bare_mean_us),
                us(row.ours_p99_us),
                us(row.bare_p99_us),
                goal(ratio <= 1.1)
            );
        }
    }
    let _ = writeln!(
        md,
        "\n`fs::write` and the baseline are faster because they never flush: after a power \
         loss their \"saved\" file may be empty or old.\n"
    );
}

fn lock_section(md: &mut String, criterion: &[CriterionResult], handoff: &[HandoffRow]) {
    let _ = writeln!(md, "## 2. Locks (bench `lock`)\n");
    let _ = writeln!(md, "### Uncontended lock + unlock (criterion)\n");
    let functions = [
        ("file_lock_exclusive", "file-lock exclusive"),
        ("file_lock_shared", "file-lock shared"),
        (
            "raw_flock_pair",
            "raw `flock` lock + unlock on an open fd (floor)",
        ),
        ("baseline_lock_file", "baseline lock file (create + delete)"),
    ];
    if criterion.iter().any(|r| r.group == "lock_unlock") {
        let _ = writeln!(md, "| lock | mean | median |\n|---|---:|---:|");
        for (function, label) in functions {
            if let Some(r) = find(criterion, "lock_unlock", function) {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {} |",
                    duration(r.mean_ns),
                    duration(r.median_ns)
                );
            }
        }
        if let Some(r) = find(criterion, "lock_unlock", "file_lock_exclusive") {
            let _ = writeln!(
                md,
                "\nfile-lock exclusive lock + unlock: {} (goal ≤ 5 µs: {}). It opens the \
                 sidecar and consults the in-process table on every acquisition; the raw pair \
                 reuses one open descriptor.\n",
                duration(r.mean_ns),
                goal(r.mean_ns <= 5_000.0)
            );
        }
    } else {
        let _ = writeln!(md, "Not measured yet: run `cargo xtask bench lock`.\n");
    }

    let _ = writeln!(md, "### Cross-process hand-off latency\n");
    if handoff.is_empty() {
        let _ = writeln!(md, "Not measured yet: run `cargo xtask bench lock`.\n");
        return;
    }
    let _ = writeln!(
        md,
        "Process A holds the lock while process B blocks on it; A records `CLOCK_MONOTONIC` \
         just before it releases, B just after it acquires (the clock is shared by all \
         processes on Linux). Each round A holds for 1 ms after B reports it is waiting.\n"
    );
    let _ = writeln!(
        md,
        "| lock | rounds | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|"
    );
    for row in handoff {
        let label = if row.design == "ours" {
            "file-lock (blocking OFD lock)"
        } else {
            "baseline lock file (10 ms polling)"
        };
        let us = |v: f64| duration(v * 1e3);
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} |",
            row.rounds,
            us(row.p50_us),
            us(row.p95_us),
            us(row.p99_us),
            us(row.max_us)
        );
    }
    if let Some(ours) = handoff.iter().find(|r| r.design == "ours") {
        let _ = writeln!(
            md,
            "\nfile-lock hand-off p50 {} (goal < 200 µs: {}).",
            duration(ours.p50_us * 1e3),
            goal(ours.p50_us < 200.0)
        );
    }
    let _ = writeln!(md, "\n![hand-off latency](benchmarks-handoff.svg)\n");
}

fn contention_section(md: &mut String, rows: &[ContentionRow]) {
    let _ = writeln!(
        md,
        "## 3. Read-modify-durable-write under contention (bench `contention`)\n"
    );
    if rows.is_empty() {
        let _ = writeln!(
            md,
            "Not measured yet: run `cargo xtask bench contention`.\n"
        );
        return;
    }
    let _ = writeln!(
        md,
        "1, 2, 4 and 8 processes each repeatedly read a {} KiB record file, increment the \
         counter embedded in it and write it back, for {:.0} s per point. **Ours**: \
         file-lock exclusive held across read-modify-write, atomic-io durable write (two \
         flushes). **Ours, atomic only**: the same with `Durability::AtomicOnly` (no flushes, \
         the baseline's durability), to separate the price of locking from the price of \
         flushing. **Baseline**: phase 2 as planned: lock file around the load, lock file \
         again around the save (phase-1 write, no flush). *Kept* is the final counter: \
         increments that survived; *lost* = successful operations − kept.\n",
        CONTENTION_SIZE / 1024,
        rows[0].seconds
    );
    let _ = writeln!(
        md,
        "| design | procs | ops/s | kept/s | lost | errors | p50 | p95 | p99 | max |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let ms = |v: f64| duration(v * 1e6);
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} |",
            row.design,
            row.procs,
            row.ops_per_s,
            row.kept_per_s,
            row.lost,
            row.errors,
            ms(row.p50_ms),
            ms(row.p95_ms),
            ms(row.p99_ms),
            ms(row.max_ms)
        );
    }
    let point =
        |design: &str, procs: usize| rows.iter().find(|r| r.design == design && r.procs == procs);
    let max_procs = CONTENTION_PROCS.iter().copied().max().unwrap_or(8);
    let _ = writeln!(md);
    if let (Some(one), Some(many)) = (point("ours", 1), point("ours", max_procs)) {
        let kept = many.ops_per_s / one.ops_per_s;
        let _ = writeln!(
            md,
            "- ours at {max_procs} processes keeps **{:.0}%** of its 1-process throughput \
             (goal ≥ 70%: {}).",
            kept * 100.0,
            goal(kept >= 0.7)
        );
    }
    if let (Some(ours), Some(base)) = (point("ours", max_procs), point("baseline", max_procs)) {
        let raw = ours.ops_per_s / base.ops_per_s.max(f64::MIN_POSITIVE);
        let kept = ours.kept_per_s / base.kept_per_s.max(f64::MIN_POSITIVE);
        let _ = writeln!(
            md,
            "- at {max_procs} processes ours / baseline = **{raw:.2}x** in operations per \
             second and **{kept:.2}x** in increments kept per second (goal ≥ 10x: {}).",
            goal(raw >= 10.0)
        );
    }
    let _ = writeln!(
        md,
        "  Ours pays two flushes per operation (the durable replace of section 1) and the \
         baseline none, so on a disk where a flush costs milliseconds the durable variant \
         cannot be 10x faster than a design that never flushes; the comparison at equal \
         durability follows."
    );
    if let (Some(ours), Some(base)) = (
        point("ours-atomic-only", max_procs),
        point("baseline", max_procs),
    ) {
        let raw = ours.ops_per_s / base.ops_per_s.max(f64::MIN_POSITIVE);
        let kept = ours.kept_per_s / base.kept_per_s.max(f64::MIN_POSITIVE);
        let _ = writeln!(
            md,
            "- at equal durability (no flushes), ours-atomic-only / baseline at {max_procs} \
             processes = **{raw:.2}x** in operations per second and **{kept:.2}x** in \
             increments kept per second."
        );
    }
    let estimates: Vec<String> = CONTENTION_PROCS
        .iter()
        .filter_map(|procs| {
            let estimate = match procs {
                2 => "70–80",
                4 => "40–50",
                8 => "10–15",
                _ => return None,
            };
            let row = point("baseline", *procs)?;
            Some(format!(
                "{procs} processes: estimated {estimate} ops/s, measured {:.0} ops/s of which \
                 {:.0}/s kept",
                row.ops_per_s, row.kept_per_s
            ))
        })
        .collect();
    if !estimates.is_empty() {
        let _ = writeln!(
            md,
            "- the baseline's own (never measured) estimates against this run: {}.",
            estimates.join("; ")
        );
    }
    let lost_ours: u64 = rows
        .iter()
        .filter(|r| r.design == "ours")
        .map(|r| r.lost)
        .sum();
    let lost_base: u64 = rows
        .iter()
        .filter(|r| r.design == "baseline")
        .map(|r| r.lost)
        .sum();
    let _ = writeln!(
        md,
        "- lost updates over all points: ours (both variants) **{lost_ours}**, baseline \
         **{lost_base}**."
    );
    let _ = writeln!(
        md,
        "\n![contention throughput](benchmarks-contention.svg)\n"
    );
}

fn other_section(md: &mut String, criterion: &[CriterionResult]) {
    let known = [
        "durable_replace_4KiB",
        "durable_replace_40KiB",
        "lock_unlock",
    ];
    let others: Vec<&CriterionResult> = criterion
        .iter()
        .filter(|r| !known.contains(&r.group.as_str()))
        .collect();
    let (store, sdn): (Vec<&CriterionResult>, Vec<&CriterionResult>) = others
        .into_iter()
        .partition(|r| r.group.starts_with("store"));
    let _ = writeln!(md, "## 4. SDN codec (bench `sdn`)\n");
    group_table(md, &sdn, "cargo xtask bench sdn");
    let _ = writeln!(
        md,
        "## 5. Record store (bench `store`, from `crates/bench-suite/benches/store.rs`)\n"
    );
    group_table(md, &store, "cargo xtask bench store");
}

fn group_table(md: &mut String, results: &[&CriterionResult], command: &str) {
    if results.is_empty() {
        let _ = writeln!(md, "Not measured yet: run `{command}`.\n");
        return;
    }
    let mut groups: BTreeMap<&str, Vec<&CriterionResult>> = BTreeMap::new();
    for result in results {
        groups.entry(&result.group).or_default().push(result);
    }
    let _ = writeln!(
        md,
        "| group | benchmark | mean | median |\n|---|---|---:|---:|"
    );
    for (group, results) in groups {
        for r in results {
            let _ = writeln!(
                md,
                "| {group} | {} | {} | {} |",
                r.function,
                duration(r.mean_ns),
                duration(r.median_ns)
            );
        }
    }
    let _ = writeln!(md);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(4_200.0), "4.2 µs");
        assert_eq!(duration(3_450_000.0), "3.45 ms");
    }

    #[test]
    fn date_is_well_formed() {
        let date = today_utc();
        assert_eq!(date.len(), 16, "{date}");
        assert!(date.starts_with("20"), "{date}");
    }
}
