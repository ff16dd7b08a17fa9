//! Bounded retries with exponential backoff for operations that lost a race.

use std::time::Duration;

use crate::error::Error;

/// How often and how patiently to retry after [`Error::LostRace`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included); at least 1.
    pub attempts: u32,
    /// The pause before the second attempt; doubled each time.
    pub first_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, pauses of 50, 100, 200, 400 ms (each with up to 50 % random jitter).
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_pause: Duration::from_millis(50),
            max_pause: Duration::from_secs(2),
        }
    }
}

/// Runs `attempt` (given the attempt number, from 0) until it succeeds, fails with an
/// error other than a lost race, or the attempts are used up (the last error is
/// returned). Between attempts it pauses with exponential backoff and random jitter, so
/// racing devices spread out instead of colliding again. The caller's `attempt` does the
/// pull and merge that makes the next try meaningful.
pub fn retry_lost_races<T>(
    policy: &RetryPolicy,
    mut attempt: impl FnMut(u32) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut pause = policy.first_pause;
    let attempts = policy.attempts.max(1);
    for number in 0.. {
        match attempt(number) {
            Err(e) if e.is_lost_race() && number + 1 < attempts => {
                let jitter = pause.mul_f64(rand_fraction() * 0.5);
                std::thread::sleep(pause + jitter);
                pause = (pause * 2).min(policy.max_pause);
            }
            result => return result,
        }
    }
    unreachable!("the loop returns")
}

/// A fraction in [0, 1) from a fresh UUID's random bits (no extra dependency).
fn rand_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lost() -> Error {
        Error::LostRace {
            key: "m".into(),
            ours: "a".into(),
            theirs: Some("b".into()),
        }
    }

    #[test]
    fn retries_lost_races_only_and_stops_at_the_bound() {
        let policy = RetryPolicy {
            attempts: 3,
            first_pause: Duration::from_millis(1),
            max_pause: Duration::from_millis(2),
        };
        let mut calls = 0;
        let won = retry_lost_races(&policy, |n| {
            calls += 1;
            if n < 2 { Err(lost()) } else { Ok(n) }
        });
        assert_eq!((won.unwrap(), calls), (2, 3));

        let mut calls = 0;
        let gave_up: Result<(), _> = retry_lost_races(&policy, |_| {
            calls += 1;
            Err(lost())
        });
        assert!(gave_up.unwrap_err().is_lost_race());
        assert_eq!(calls, 3);

        let mut calls = 0;
        let other: Result<(), _> = retry_lost_races(&policy, |_| {
            calls += 1;
            Err(Error::NotFound { key: "k".into() })
        });
        assert!(matches!(other, Err(Error::NotFound { .. })));
        assert_eq!(calls, 1, "other errors are not retried");
    }
}
