//! librdkafka's metadata calls block their thread until the broker answers or the timeout
//! passes (up to 30 s while a broker restarts). Called from async code on a runtime worker, such
//! a call would stall every other task queued on that worker for as long.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs the blocking `call`, first handing this worker's other tasks to another thread when it
/// runs on a multi-threaded runtime; on a current-thread runtime, or outside a runtime, it runs
/// in place as before.
pub fn off_the_workers<T>(call: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_blocking_call_does_not_stall_the_tasks_on_its_worker() {
        // One worker: without handing its tasks over, the ticker could not run during the call.
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        });
        tokio::task::yield_now().await;
        let before = ticks.load(std::sync::atomic::Ordering::Relaxed);
        off_the_workers(|| std::thread::sleep(std::time::Duration::from_millis(300)));
        let during = ticks.load(std::sync::atomic::Ordering::Relaxed) - before;
        ticker.abort();
        assert!(
            during >= 5,
            "the other task ran {during} times during the call"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn on_a_current_thread_runtime_the_call_runs_in_place() {
        assert_eq!(off_the_workers(|| 7), 7);
    }

    #[test]
    fn outside_a_runtime_the_call_runs_in_place() {
        assert_eq!(off_the_workers(|| 7), 7);
    }
}
