//! Supervision of a process's background loops: a loop that fails is restarted with backoff,
//! and its state is what the process's probes report.
//!
//! A consumer loop (a projection, the encoder's worker or reaction) retries transient errors
//! itself; what still ends it (a store that failed, topics that could not be created while the
//! broker was down) is logged and the loop is started again after 1 s, doubling to 30 s, back to
//! 1 s once a run lasted a minute. While a loop is down its process is not ready; once it has
//! been failing for longer than the liveness grace (down, or restarted without lasting a minute
//! since its first failure) the process is not live either, so that an orchestrator restarts it.
//!
//! A loop can also stop going round without failing: a call that never returns, a lock never
//! released. Loops call [`beat`] each time round (they wake at least every few seconds when idle);
//! a loop that has beaten once and then stays silent for longer than the grace is *stuck*, and
//! its process is not live either. A loop that never beats is judged by its failures alone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codeflix_domain::Report;
use tokio::sync::watch;
use tokio::time::Instant;

/// The first pause before a failed loop is started again.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest pause between restarts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run at least this long resets the backoff.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// What one supervised loop is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskHealth {
    /// Running (not waiting to be restarted).
    pub up: bool,
    /// How many times it was restarted after a failure.
    pub restarts: u64,
    /// Why it last failed.
    pub last_error: Option<String>,
    /// Since its first failure, until a run lasts a minute.
    pub failing_since: Option<Instant>,
    /// When the current run last called [`beat`]; `None` until it does.
    pub last_beat: Option<Instant>,
}

impl TaskHealth {
    /// Running, having beaten, but silent for longer than `grace`.
    pub fn stuck(&self, grace: Duration) -> bool {
        self.up && self.last_beat.is_some_and(|beat| beat.elapsed() > grace)
    }
}

tokio::task_local! {
    /// The loop [`supervise`] is running in this task, and where its beats go.
    static CURRENT: (Tasks, String);
}

/// Says that the supervised loop this runs in is going round. Cheap (a lock and a map look-up);
/// does nothing outside [`supervise`].
pub fn beat() {
    let _ = CURRENT.try_with(|(tasks, name)| {
        tasks.update(name, |task| task.last_beat = Some(Instant::now()));
    });
}

/// The supervised loops of a process; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Tasks(Arc<Mutex<BTreeMap<String, TaskHealth>>>);

impl Tasks {
    /// Every loop by name.
    pub fn statuses(&self) -> BTreeMap<String, TaskHealth> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every loop is running.
    pub fn ready(&self) -> bool {
        self.statuses().values().all(|task| task.up)
    }

    /// No loop has been failing, or has been stuck, for longer than `grace`.
    pub fn live(&self, grace: Duration) -> bool {
        self.statuses().values().all(|task| {
            task.failing_since
                .is_none_or(|since| since.elapsed() <= grace)
                && !task.stuck(grace)
        })
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut TaskHealth)) {
        let mut tasks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let task = tasks.entry(name.to_owned()).or_insert(TaskHealth {
            up: true,
            restarts: 0,
            last_error: None,
            failing_since: None,
            last_beat: None,
        });
        change(task);
    }
}

/// Runs the loop `start` makes until it ends cleanly or `stop` turns true, starting it again
/// after each failure. `start` gives each run its own future (which should itself end when
/// `stop` turns true).
pub async fn supervise<E, F, Fut>(
    tasks: &Tasks,
    name: &str,
    mut stop: watch::Receiver<bool>,
    mut start: F,
) where
    E: std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        tasks.update(name, |task| {
            task.up = true;
            task.last_beat = None;
        });
        let run = CURRENT.scope((tasks.clone(), name.to_owned()), start());
        tokio::pin!(run);
        let healthy = tokio::time::sleep(HEALTHY_RUN);
        tokio::pin!(healthy);
        let mut lasted = false;
        let outcome = loop {
            tokio::select! {
                outcome = &mut run => break outcome,
                () = &mut healthy, if !lasted => {
                    lasted = true;
                    backoff = FIRST_BACKOFF;
                    tasks.update(name, |task| task.failing_since = None);
                }
            }
        };
        if *stop.borrow() {
            return;
        }
        let error = match outcome {
            // It ended by itself without being asked to: it is done (a catch-up).
            Ok(()) => return,
            Err(error) => Report(&error).to_string(),
        };
        tracing::error!(task = name, %error, restart_in = ?backoff, "a background loop failed; restarting it");
        tasks.update(name, |task| {
            task.up = false;
            task.last_beat = None;
            task.restarts += 1;
            task.last_error = Some(error);
            task.failing_since.get_or_insert_with(Instant::now);
        });
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("broken {0}")]
    struct Broken(u32);

    #[tokio::test(start_paused = true)]
    async fn a_failing_loop_is_restarted_with_backoff_and_reported_down_meanwhile() {
        let tasks = Tasks::default();
        let (stop, stopped) = watch::channel(false);
        let runs = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&runs);
        let supervised = {
            let tasks = tasks.clone();
            tokio::spawn(async move {
                let mut run = 0;
                supervise(&tasks, "projection", stopped, move || {
                    run += 1;
                    seen.lock().unwrap().push(tokio::time::Instant::now());
                    let this = run;
                    async move {
                        if this <= 2 {
                            Err(Broken(this))
                        } else {
                            // The third run keeps going until stopped.
                            std::future::pending::<()>().await;
                            Ok(())
                        }
                    }
                })
                .await;
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let down = &tasks.statuses()["projection"];
        assert!(!down.up);
        assert_eq!(down.restarts, 1);
        assert_eq!(down.last_error.as_deref(), Some("broken 1"));
        assert!(!tasks.ready());
        assert!(tasks.live(Duration::from_secs(10)));

        tokio::time::sleep(Duration::from_secs(10)).await;
        let up = &tasks.statuses()["projection"];
        assert!(up.up, "{up:?}");
        assert_eq!(up.restarts, 2);
        assert!(up.failing_since.is_some(), "not yet a minute up");
        assert!(tasks.ready());
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(tasks.statuses()["projection"].failing_since, None);
        assert!(tasks.live(Duration::ZERO));
        let runs = runs.lock().unwrap().clone();
        assert_eq!(runs.len(), 3);
        // 1 s after the first failure, 2 s after the second.
        assert_eq!(runs[1] - runs[0], Duration::from_secs(1));
        assert_eq!(runs[2] - runs[1], Duration::from_secs(2));

        stop.send_replace(true);
        supervised.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_failing_for_longer_than_the_grace_is_not_live() {
        let tasks = Tasks::default();
        let (_stop, stopped) = watch::channel(false);
        let supervised = {
            let tasks = tasks.clone();
            tokio::spawn(async move {
                supervise(&tasks, "reaction", stopped, || async { Err(Broken(0)) }).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(tasks.live(Duration::from_secs(60)));
        // Restarted again and again, never lasting: failing since the first failure.
        tokio::time::sleep(Duration::from_secs(100)).await;
        assert!(!tasks.live(Duration::from_secs(60)));
        assert!(tasks.statuses()["reaction"].restarts >= 5);
        supervised.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_stops_beating_is_stuck_and_one_that_beats_is_not() {
        let tasks = Tasks::default();
        let (_stop, stopped) = watch::channel(false);
        let grace = Duration::from_secs(120);
        let spawn = |name: &'static str, beats: Option<u32>| {
            let tasks = tasks.clone();
            let stopped = stopped.clone();
            tokio::spawn(async move {
                supervise(&tasks, name, stopped, move || async move {
                    let mut n = 0;
                    loop {
                        match beats {
                            // Goes round a few times, then waits on something that never comes.
                            Some(limit) if n == limit => std::future::pending::<()>().await,
                            Some(_) => beat(),
                            // Never beats: judged by its failures alone.
                            None => {}
                        }
                        n += 1;
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), Broken>(())
                })
                .await;
            })
        };
        let handles = [
            spawn("hung", Some(3)),
            spawn("idle", Some(u32::MAX)),
            spawn("silent", None),
        ];
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(tasks.live(grace));
        let statuses = tasks.statuses();
        assert!(statuses["hung"].last_beat.is_some());
        assert!(statuses["silent"].last_beat.is_none());
        tokio::time::sleep(Duration::from_secs(70)).await;
        let statuses = tasks.statuses();
        assert!(statuses["hung"].stuck(grace), "{:?}", statuses["hung"]);
        assert!(!statuses["idle"].stuck(grace));
        assert!(!statuses["silent"].stuck(grace));
        assert!(!tasks.live(grace));
        assert!(tasks.ready(), "stuck is not down: it is a liveness matter");
        for handle in handles {
            handle.abort();
        }
    }

    #[test]
    fn beating_outside_a_supervised_loop_does_nothing() {
        beat();
    }
}
