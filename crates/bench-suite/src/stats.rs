//! Percentiles of latency samples.

/// A summary of latency samples in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50_ns: u64,
    /// 95th percentile.
    pub p95_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Largest sample.
    pub max_ns: u64,
    /// Arithmetic mean.
    pub mean_ns: u64,
}

impl Summary {
    /// Summarises `samples` (nearest-rank percentiles); all zero when empty.
    ///
    /// ```
    /// let s = bench_suite::stats::Summary::of((1..=100).collect());
    /// assert_eq!((s.p50_ns, s.p99_ns, s.max_ns), (50, 99, 100));
    /// ```
    pub fn of(mut samples: Vec<u64>) -> Summary {
        if samples.is_empty() {
            return Summary::default();
        }
        samples.sort_unstable();
        let rank = |p: f64| {
            let index = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            samples[index.clamp(1, samples.len()) - 1]
        };
        let total: u128 = samples.iter().map(|s| u128::from(*s)).sum();
        Summary {
            count: samples.len(),
            p50_ns: rank(50.0),
            p95_ns: rank(95.0),
            p99_ns: rank(99.0),
            max_ns: samples[samples.len() - 1],
            mean_ns: (total / samples.len() as u128) as u64,
        }
    }
}
