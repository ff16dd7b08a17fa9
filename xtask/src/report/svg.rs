//! Small hand-written SVG charts for `docs/benchmarks.md` (log-scale value axes, since
//! the designs differ by orders of magnitude).

use std::fmt::Write as _;

use bench_results::{ContentionRow, HandoffRow};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

/// Decades spanning `min..=max` (both > 0).
fn decades(min: f64, max: f64) -> (f64, f64) {
    let low = min.max(1e-9).log10().floor();
    let mut high = max.max(1e-9).log10().ceil();
    if high <= low {
        high = low + 1.0;
    }
    (low, high)
}

fn header(out: &mut String, title: &str) {
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{}" y="26" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn compact(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

const COLORS: &[&str] = &[
    "#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b",
];

/// One line of a [`line_chart`]: values by process count.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// `(processes, value)`; values ≤ 0 are drawn at the bottom of the axis.
    pub points: Vec<(usize, f64)>,
    /// Drawn dashed (a derived figure, such as increments kept).
    pub dashed: bool,
    /// Index into the palette, so related series share a colour.
    pub color: usize,
}

/// Throughput against process count: ours, baseline operations, baseline kept increments.
pub fn contention_chart(rows: &[ContentionRow]) -> String {
    type Pick = fn(&ContentionRow) -> f64;
    let series: [(&str, &str, Pick, bool, usize); 4] = [
        ("ours, durable", "ours", |r| r.ops_per_s, false, 0),
        (
            "ours, atomic only",
            "ours-atomic-only",
            |r| r.ops_per_s,
            false,
            1,
        ),
        ("baseline ops/s", "baseline", |r| r.ops_per_s, true, 2),
        ("baseline kept/s", "baseline", |r| r.kept_per_s, false, 3),
    ];
    let series: Vec<Series> = series
        .iter()
        .map(|(label, design, pick, dashed, color)| Series {
            label: label.to_string(),
            points: rows
                .iter()
                .filter(|r| r.design == *design)
                .map(|r| (r.procs, pick(r)))
                .collect(),
            dashed: *dashed,
            color: *color,
        })
        .collect();
    line_chart(
        "Read-modify-write of a 40 KiB file: increments per second",
        "operations per second (log)",
        &series,
    )
}

/// Values against process count, one polyline per series, log-scale value axis.
pub fn line_chart(title: &str, y_label: &str, series: &[Series]) -> String {
    let mut procs: Vec<usize> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(p, _)| *p))
        .collect();
    procs.sort_unstable();
    procs.dedup();
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(_, v)| *v))
        .filter(|v| *v > 0.0)
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    let (low, high) = decades(if min.is_finite() { min } else { 1.0 }, max.max(1.0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_of = |index: usize| LEFT + plot_w * (index as f64 + 0.5) / procs.len().max(1) as f64;
    let y_of = |value: f64| {
        let v = value.max(10f64.powf(low)).log10();
        TOP + plot_h * (1.0 - (v - low) / (high - low))
    };

    let mut out = String::new();
    header(&mut out, title);
    axes(&mut out, low, high, y_label, &y_of);
    for (index, p) in procs.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{p}</text>"#,
            x_of(index),
            TOP + plot_h + 18.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">processes</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 18.0
    );
    for (series_index, line) in series.iter().enumerate() {
        let color = COLORS[line.color % COLORS.len()];
        let points: Vec<(f64, f64, f64)> = line
            .points
            .iter()
            .filter_map(|(p, value)| {
                let index = procs.iter().position(|q| q == p)?;
                Some((x_of(index), y_of(*value), *value))
            })
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let dash = if line.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
            path.join(" ")
        );
        for (x, y, value) in &points {
            let _ = writeln!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{color}"/><text x="{:.1}" y="{:.1}" fill="{color}" font-size="10">{}</text>"#,
                x + 6.0,
                y - 6.0,
                compact(*value)
            );
        }
        legend(&mut out, series_index, &line.label, color, line.dashed);
    }
    out.push_str("</svg>\n");
    out
}

/// Hand-off latency percentiles for each lock, as horizontal bars.
pub fn handoff_chart(rows: &[HandoffRow]) -> String {
    let bars: Vec<(String, f64, usize)> = rows
        .iter()
        .flat_map(|row| {
            let name = if row.design == "ours" {
                "file-lock"
            } else {
                "baseline"
            };
            [
                (format!("{name} p50"), row.p50_us, 0),
                (format!("{name} p95"), row.p95_us, 1),
                (format!("{name} p99"), row.p99_us, 2),
            ]
        })
        .collect();
    let min = bars
        .iter()
        .map(|b| b.1)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let (low, high) = decades(if min.is_finite() { min } else { 1.0 }, max.max(1.0));
    let left = 130.0;
    let plot_w = WIDTH - left - 60.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_of = |value: f64| {
        let v = value.max(10f64.powf(low)).log10();
        left + plot_w * (v - low) / (high - low)
    };
    let mut out = String::new();
    header(
        &mut out,
        "Lock hand-off between two processes (µs, log scale)",
    );
    let mut decade = low;
    while decade <= high {
        let x = x_of(10f64.powf(decade));
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 18.0,
            compact(10f64.powf(decade))
        );
        decade += 1.0;
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">microseconds from release to acquisition</text>"#,
        left + plot_w / 2.0,
        HEIGHT - 18.0
    );
    let slot = plot_h / bars.len().max(1) as f64;
    for (index, (label, value, shade)) in bars.iter().enumerate() {
        let y = TOP + slot * index as f64 + slot * 0.15;
        let color = if label.starts_with("file-lock") {
            COLORS[0]
        } else {
            COLORS[2]
        };
        let opacity = [1.0, 0.7, 0.45][*shade];
        let x_end = x_of(*value);
        let _ = writeln!(
            out,
            r#"<rect x="{left}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{color}" fill-opacity="{opacity}"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            (x_end - left).max(1.0),
            slot * 0.7,
            left - 8.0,
            y + slot * 0.5,
            escape(label),
            x_end + 4.0,
            y + slot * 0.5,
            compact(*value)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn axes(out: &mut String, low: f64, high: f64, label: &str, y_of: &dyn Fn(f64) -> f64) {
    let plot_w = WIDTH - LEFT - RIGHT;
    let mut decade = low;
    while decade <= high {
        let value = 10f64.powf(decade);
        let y = y_of(value);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            compact(value)
        );
        decade += 1.0;
    }
    let _ = writeln!(
        out,
        r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="black"/><line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>"#,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        LEFT + plot_w,
        HEIGHT - BOTTOM
    );
    let mid = TOP + (HEIGHT - TOP - BOTTOM) / 2.0;
    let _ = writeln!(
        out,
        r#"<text x="18" y="{mid:.1}" text-anchor="middle" transform="rotate(-90 18 {mid:.1})">{}</text>"#,
        escape(label)
    );
}

fn legend(out: &mut String, index: usize, label: &str, color: &str, dashed: bool) {
    let x = WIDTH - RIGHT + 20.0;
    let y = TOP + 20.0 + 22.0 * index as f64;
    let dash = if dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}</text>"#,
        x + 24.0,
        x + 30.0,
        y + 4.0,
        escape(label)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(design: &str, procs: usize, ops: f64, kept: f64) -> ContentionRow {
        ContentionRow {
            design: design.to_string(),
            procs,
            seconds: 3.0,
            ops: (ops * 3.0) as u64,
            errors: 0,
            kept: (kept * 3.0) as u64,
            lost: ((ops - kept) * 3.0) as u64,
            ops_per_s: ops,
            kept_per_s: kept,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
            max_ms: 4.0,
        }
    }

    #[test]
    fn contention_chart_has_a_point_per_row_and_series() {
        let rows = vec![
            row("ours", 1, 300.0, 300.0),
            row("ours", 8, 250.0, 250.0),
            row("baseline", 1, 5000.0, 5000.0),
            row("baseline", 8, 80.0, 20.0),
        ];
        let svg = contention_chart(&rows);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        // ours: 2 points; ours-atomic-only: none; baseline ops and kept: 2 each.
        assert_eq!(svg.matches("<circle").count(), 6);
        assert_eq!(svg.matches("<polyline").count(), 4);
    }

    #[test]
    fn line_chart_places_points_by_process_count() {
        let series = vec![
            Series {
                label: "a".into(),
                points: vec![(1, 10.0), (8, 1000.0)],
                dashed: false,
                color: 0,
            },
            Series {
                label: "b kept".into(),
                points: vec![(2, 5.0)],
                dashed: true,
                color: 0,
            },
        ];
        let svg = line_chart("t", "y", &series);
        assert_eq!(svg.matches("<circle").count(), 3);
        // Process counts 1, 2 and 8 label the x axis.
        for p in ["1", "2", "8"] {
            assert!(
                svg.contains(&format!(r#"text-anchor="middle">{p}</text>"#)),
                "{p}"
            );
        }
        // Dashed: the series' line and its legend.
        assert_eq!(svg.matches("stroke-dasharray").count(), 2);
    }

    #[test]
    fn handoff_chart_has_three_bars_per_lock() {
        let rows = vec![
            HandoffRow {
                design: "ours".into(),
                rounds: 10,
                p50_us: 40.0,
                p95_us: 80.0,
                p99_us: 120.0,
                max_us: 300.0,
            },
            HandoffRow {
                design: "baseline".into(),
                rounds: 10,
                p50_us: 9000.0,
                p95_us: 10000.0,
                p99_us: 11000.0,
                max_us: 12000.0,
            },
        ];
        let svg = handoff_chart(&rows);
        assert_eq!(svg.matches("<rect").count(), 7, "background + 6 bars");
    }
}
