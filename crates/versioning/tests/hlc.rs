//! The hybrid logical clock through its public API, with an injected clock (no sleeps).

mod support;

use std::sync::Arc;

use versioning::{Hlc, HlcOptions, ManualClock, SkewPolicy, Stamp, WriterId};

use support::T0;

fn hlc(clock: &ManualClock, skew: SkewPolicy) -> Hlc {
    Hlc::new(
        WriterId::new("dev-a").unwrap(),
        Arc::new(clock.clone()),
        HlcOptions {
            max_ahead_ms: 60_000,
            skew,
        },
    )
}

#[test]
fn stamp_renders_as_readable_rfc3339_and_parses_back() {
    let stamp = Stamp {
        ms: T0 + 123,
        logical: 7,
        writer: "dev-a".into(),
    };
    assert_eq!(stamp.to_string(), "2025-12-01T14:40:00.123Z+00007@dev-a");
    assert_eq!(Stamp::parse(&stamp.to_string()), Some(stamp));
    // The baseline's plain wall-clock strings read as stamps without counter or writer.
    let plain = Stamp::parse("2025-12-01T15:40:00+01:00").unwrap();
    assert_eq!(
        (plain.ms, plain.logical, plain.writer.as_str()),
        (T0, 0, "")
    );
    assert_eq!(Stamp::parse("yesterday"), None);
}

#[test]
fn string_order_equals_stamp_order_with_writer_tie_break() {
    let mut stamps = Vec::new();
    for ms in [T0, T0 + 1, T0 + 1000, T0 + 86_400_000] {
        for logical in [0, 1, 10, 99_999] {
            for writer in ["a", "b", "dev-a"] {
                stamps.push(Stamp {
                    ms,
                    logical,
                    writer: writer.into(),
                });
            }
        }
    }
    let mut by_stamp = stamps.clone();
    by_stamp.sort();
    let mut by_text: Vec<String> = stamps.iter().map(ToString::to_string).collect();
    by_text.sort();
    let rendered: Vec<String> = by_stamp.iter().map(ToString::to_string).collect();
    assert_eq!(rendered, by_text);
}

#[test]
fn wall_clock_stepping_back_never_makes_stamps_go_back() {
    let clock = ManualClock::new(T0);
    let hlc = hlc(&clock, SkewPolicy::Error);
    let first = hlc.now();
    clock.advance(-3_600_000); // an hour back (NTP step, or a wrong manual setting)
    let mut last = first.clone();
    for _ in 0..1000 {
        let next = hlc.now();
        assert!(next > last, "{next} after {last}");
        last = next;
    }
    assert_eq!(
        last.ms, first.ms,
        "physical part held while the wall clock is behind"
    );
    clock.set(T0 + 10);
    let caught_up = hlc.now();
    assert_eq!((caught_up.ms, caught_up.logical), (T0 + 10, 0));
}

#[test]
fn logical_counter_overflow_moves_the_physical_part_on() {
    let clock = ManualClock::new(T0);
    let hlc = hlc(&clock, SkewPolicy::Error);
    let mut last = hlc.now();
    for _ in 0..=versioning::hlc::MAX_LOGICAL {
        let next = hlc.now();
        assert!(next > last && next.to_string() > last.to_string());
        last = next;
    }
    assert_eq!((last.ms, last.logical), (T0 + 1, 0));
}

#[test]
fn observed_remote_stamp_within_bound_orders_later_stamps_after_it() {
    let clock = ManualClock::new(T0);
    let hlc = hlc(&clock, SkewPolicy::Error);
    let remote = Stamp {
        ms: T0 + 30_000,
        logical: 5,
        writer: "dev-b".into(),
    };
    hlc.observe(&remote).unwrap();
    let next = hlc.now();
    assert!(next > remote);
    assert_eq!((next.ms, next.logical), (T0 + 30_000, 6));
}

#[test]
fn remote_stamp_far_in_the_future_is_a_typed_error_and_moves_nothing() {
    let clock = ManualClock::new(T0);
    let hlc = hlc(&clock, SkewPolicy::Error);
    let remote = Stamp {
        ms: T0 + 3 * 3_600_000,
        logical: 0,
        writer: "dev-b".into(),
    };
    let skew = hlc.observe(&remote).unwrap_err();
    assert_eq!(skew.ahead_ms, 3 * 3_600_000);
    assert_eq!(skew.max_ahead_ms, 60_000);
    assert!(skew.to_string().contains("dev-b"), "{skew}");
    assert_eq!(hlc.now().ms, T0, "the local clock did not move");
}

#[test]
fn remote_stamp_far_in_the_future_is_clamped_with_a_warning() {
    let clock = ManualClock::new(T0);
    let hlc = hlc(&clock, SkewPolicy::Clamp);
    let remote = Stamp {
        ms: T0 + 3 * 3_600_000,
        logical: 0,
        writer: "dev-b".into(),
    };
    hlc.observe(&remote).unwrap();
    let next = hlc.now();
    assert_eq!(next.ms, T0 + 60_000, "moved at most to the bound");
    let (count, latest) = hlc.take_warnings();
    assert_eq!(count, 1);
    assert_eq!(latest.unwrap().stamp, remote.to_string());
}

#[test]
fn recovered_clock_continues_after_the_last_stamp_even_when_the_wall_clock_is_behind() {
    let clock = ManualClock::new(T0);
    let before_restart = {
        let hlc = hlc(&clock, SkewPolicy::Error);
        (0..5).map(|_| hlc.now()).last().unwrap()
    };
    clock.advance(-60_000);
    let hlc = hlc(&clock, SkewPolicy::Error);
    hlc.recover(&before_restart);
    assert!(hlc.now() > before_restart);
}

#[test]
fn writer_ids_are_checked() {
    assert!(WriterId::new("laptop-a.1_x").is_ok());
    for bad in ["", "has space", "a@b", "x+y", &"x".repeat(65)] {
        let err = WriterId::new(bad).unwrap_err();
        assert!(err.to_string().contains("invalid writer id"), "{err}");
    }
}

mod restarts {
    use proptest::prelude::*;
    use versioning::{ManualClock, Options, VersionedStore, WriterId};

    use super::support::{T0, Todo, todo, with_status};

    #[derive(Debug, Clone)]
    enum Step {
        /// Move the wall clock (backwards too), in milliseconds.
        Clock(i64),
        /// Drop the store handle and open the file again (a new process).
        Restart,
        /// Commit a change to record `k`.
        Commit(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (-7_200_000i64..7_200_000).prop_map(Step::Clock),
            Just(Step::Restart),
            (0usize..3).prop_map(Step::Commit),
        ]
    }

    fn open(path: &std::path::Path, clock: &ManualClock) -> VersionedStore {
        VersionedStore::open(
            path,
            Options::new(WriterId::new("dev-a").unwrap()).clock(clock.clone()),
        )
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

        /// Whatever the wall clock does and however often the writer restarts, its
        /// stamps in the store strictly increase (recovered from the store on open).
        #[test]
        fn stamps_strictly_increase_per_writer_across_restarts(steps in prop::collection::vec(step(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db.sdn");
            let clock = ManualClock::new(T0);
            let mut store = open(&path, &clock);
            for k in 0..3 {
                store.insert(todo(&format!("t{k}"), "open")).unwrap();
            }
            let mut last = store.get::<Todo>(&"t2".to_string()).unwrap().unwrap().meta.stamp.unwrap();
            for (i, step) in steps.iter().enumerate() {
                match step {
                    Step::Clock(delta) => clock.advance(*delta),
                    Step::Restart => store = open(&path, &clock),
                    Step::Commit(k) => {
                        let read = store.get::<Todo>(&format!("t{k}")).unwrap().unwrap();
                        let stamp = store
                            .commit_if(&read, with_status(&read.record, &format!("s{i}")))
                            .unwrap()
                            .record
                            .meta
                            .stamp
                            .unwrap();
                        prop_assert!(stamp > last, "{} after {}", stamp, last);
                        prop_assert!(stamp.to_string() > last.to_string());
                        last = stamp;
                    }
                }
            }
        }
    }
}
