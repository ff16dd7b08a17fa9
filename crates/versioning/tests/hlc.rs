//! The hybrid logical clock through its public API, with an injected clock (no sleeps).

use std::sync::Arc;

use versioning::{Hlc, HlcOptions, ManualClock, SkewPolicy, Stamp, WriterId};

const T0: u64 = 1_764_600_000_000; // 2025-12-01T14:40:00Z

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
