//! Attempts counted per key (an account, a client address) within a sliding window: once a key
//! has used its attempts, it waits until the oldest leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` attempts per key within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Keys remembered at most; beyond, the one idle longest is forgotten.
const KEYS_MAX: usize = 10_000;

/// Counts attempts per key.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: Limit,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    pub(crate) fn new(limit: Limit) -> Limiter {
        Limiter {
            limit,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when `key` has used its attempts at `now`: how long until it has one again.
    pub(crate) fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = attempts.get_mut(key) else {
            return Ok(());
        };
        self.forget_old(times, now);
        let used = u32::try_from(times.len()).unwrap_or(u32::MAX);
        match times.front() {
            Some(oldest) if used >= self.limit.max => {
                Err((*oldest + self.limit.window).saturating_duration_since(now))
            }
            _ => Ok(()),
        }
    }

    /// Counts an attempt of `key` at `now`.
    pub(crate) fn record(&self, key: &str, now: Instant) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if !attempts.contains_key(key) && attempts.len() >= KEYS_MAX {
            let window = self.limit.window;
            attempts.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
            if attempts.len() >= KEYS_MAX {
                let idle = attempts
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| k.clone());
                if let Some(idle) = idle {
                    attempts.remove(&idle);
                }
            }
        }
        let times = attempts.entry(key.to_owned()).or_default();
        self.forget_old(times, now);
        times.push_back(now);
        while times.len() > self.limit.max as usize {
            times.pop_front();
        }
    }

    /// Forgets `key`'s attempts (after a successful sign-in, for the account).
    pub(crate) fn clear(&self, key: &str) {
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    fn forget_old(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_waits_once_its_attempts_are_used() {
        let limiter = Limiter::new(Limit {
            max: 3,
            window: Duration::from_secs(60),
        });
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(limiter.check("ana", start), Ok(()), "attempt {i}");
            limiter.record("ana", start + Duration::from_secs(i * 10));
        }
        let now = start + Duration::from_secs(25);
        assert_eq!(limiter.check("ana", now), Err(Duration::from_secs(35)));
        assert_eq!(
            limiter.check("bea", now),
            Ok(()),
            "other keys are not affected"
        );
        // The oldest attempt leaves the window.
        assert_eq!(
            limiter.check("ana", start + Duration::from_secs(60)),
            Ok(())
        );
        limiter.clear("ana");
        assert_eq!(limiter.check("ana", now), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = Limiter::new(Limit {
            max: 1,
            window: Duration::from_secs(60),
        });
        let now = Instant::now();
        for i in 0..(KEYS_MAX + 10) {
            limiter.record(&format!("k{i}"), now);
        }
        let kept = limiter.attempts.lock().unwrap().len();
        assert!(kept <= KEYS_MAX, "{kept}");
        assert!(limiter.check(&format!("k{}", KEYS_MAX + 9), now).is_err());
    }
}
