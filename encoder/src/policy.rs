//! The worker's decisions about a job, as pure functions: whether to run an attempt when it meets
//! an upload, and what a failed attempt leads to. The worker (`worker.rs`) does the I/O around
//! them.

use codeflix_domain::encoding::JobStatus;

/// What the worker knows of a job when it meets its upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    /// `None` when the job was never requested.
    pub(crate) status: Option<JobStatus>,
    /// Whether the job's last failure may pass on another attempt.
    pub(crate) retryable: bool,
    /// Attempts started so far.
    pub(crate) attempts: u32,
    /// Whether the upload came back from the dead-letter topic (an operator's redrive).
    pub(crate) redriven: bool,
}

/// What to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Request the job first, then look again.
    Request,
    /// Nothing: finished, failed for good, or out of attempts and dead-lettered already.
    Skip,
    /// Another worker may be encoding it: wait, then look again.
    Wait,
    /// Start an attempt after waiting `backoff_steps` times the retry backoff (0: at once).
    Run { backoff_steps: u32 },
}

/// Decides what to do with a job seen as `seen`, when the worker allows `max` attempts.
/// `owner_may_be_alive` is asked only of a running job.
pub(crate) fn next(seen: Seen, max: u32, owner_may_be_alive: impl FnOnce() -> bool) -> Next {
    match seen.status {
        None => Next::Request,
        Some(JobStatus::Finished) => Next::Skip,
        Some(JobStatus::Failed) if !seen.retryable => Next::Skip,
        // Out of attempts: dead-lettered already. An operator's redrive buys one more.
        Some(JobStatus::Failed) if seen.attempts >= max && !seen.redriven => Next::Skip,
        Some(JobStatus::Failed) if seen.attempts >= max => Next::Run { backoff_steps: 0 },
        Some(JobStatus::Failed) => Next::Run {
            backoff_steps: seen.attempts,
        },
        // Its worker may be encoding it: wait for the end. The record stays unfinished
        // meanwhile, so if that worker dies, the upload comes back.
        Some(JobStatus::Running) if owner_may_be_alive() => Next::Wait,
        Some(JobStatus::Requested | JobStatus::Running) => Next::Run { backoff_steps: 0 },
    }
}

/// What a failed attempt leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The reason recorded with `EncodingFailed`.
    pub(crate) reason: String,
    /// Whether another attempt follows at once.
    pub(crate) retry: bool,
    /// Whether the upload goes to the dead-letter topic (a retryable failure out of attempts).
    pub(crate) dead_letter: bool,
}

/// Attempt `attempt` of `max` failed for `reason`; `retryable` when another attempt may pass.
pub(crate) fn failed(attempt: u32, max: u32, reason: &str, retryable: bool) -> Failure {
    let last = attempt >= max;
    let retry = retryable && !last;
    let reason = if retry {
        format!("attempt {attempt} failed, will retry: {reason}")
    } else if retryable {
        format!("attempt {attempt} failed, giving up: {reason}")
    } else {
        reason.to_owned()
    };
    Failure {
        reason,
        retry,
        dead_letter: retryable && last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: Option<JobStatus>, retryable: bool, attempts: u32, redriven: bool) -> Seen {
        Seen {
            status,
            retryable,
            attempts,
            redriven,
        }
    }

    fn alive() -> bool {
        true
    }

    fn dead() -> bool {
        false
    }

    #[test]
    fn a_new_upload_is_requested_and_a_requested_job_runs() {
        assert_eq!(next(seen(None, false, 0, false), 3, alive), Next::Request);
        let requested = seen(Some(JobStatus::Requested), false, 0, false);
        assert_eq!(next(requested, 3, alive), Next::Run { backoff_steps: 0 });
    }

    #[test]
    fn finished_and_permanently_failed_jobs_are_left_alone() {
        for redriven in [false, true] {
            let finished = seen(Some(JobStatus::Finished), false, 1, redriven);
            assert_eq!(next(finished, 3, alive), Next::Skip);
            let not_a_video = seen(Some(JobStatus::Failed), false, 1, redriven);
            assert_eq!(next(not_a_video, 3, alive), Next::Skip);
        }
    }

    #[test]
    fn retryable_failures_back_off_longer_each_time_until_the_budget_is_spent() {
        for attempts in 1..3 {
            let failed = seen(Some(JobStatus::Failed), true, attempts, false);
            assert_eq!(
                next(failed, 3, alive),
                Next::Run {
                    backoff_steps: attempts
                }
            );
        }
        let spent = seen(Some(JobStatus::Failed), true, 3, false);
        assert_eq!(next(spent, 3, alive), Next::Skip);
        let redriven = seen(Some(JobStatus::Failed), true, 3, true);
        assert_eq!(next(redriven, 3, alive), Next::Run { backoff_steps: 0 });
    }

    #[test]
    fn a_running_job_waits_for_a_live_owner_and_is_taken_over_from_a_dead_one() {
        let running = seen(Some(JobStatus::Running), false, 1, false);
        assert_eq!(next(running, 3, alive), Next::Wait);
        assert_eq!(next(running, 3, dead), Next::Run { backoff_steps: 0 });
        let asked = std::cell::Cell::new(false);
        let requested = seen(Some(JobStatus::Requested), false, 0, false);
        next(requested, 3, || {
            asked.set(true);
            true
        });
        assert!(!asked.get(), "only a running job's owner is looked for");
    }

    #[test]
    fn failures_retry_then_dead_letter_and_permanent_ones_just_fail() {
        assert_eq!(
            failed(1, 3, "ffmpeg crashed", true),
            Failure {
                reason: "attempt 1 failed, will retry: ffmpeg crashed".into(),
                retry: true,
                dead_letter: false,
            }
        );
        assert_eq!(
            failed(3, 3, "ffmpeg crashed", true),
            Failure {
                reason: "attempt 3 failed, giving up: ffmpeg crashed".into(),
                retry: false,
                dead_letter: true,
            }
        );
        assert_eq!(
            failed(1, 3, "not a video", false),
            Failure {
                reason: "not a video".into(),
                retry: false,
                dead_letter: false,
            }
        );
    }
}
