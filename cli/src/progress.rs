//! Progress of long work on stderr.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress bar on a terminal (events read of those to read, rate, time left); a line every
/// ten seconds otherwise.
pub(crate) struct Progress {
    label: &'static str,
    total: u64,
    started: Instant,
    shown: Instant,
    terminal: bool,
}

impl Progress {
    /// `label` says what is going on ("exporting").
    pub(crate) fn new(label: &'static str, total: u64) -> Progress {
        let now = Instant::now();
        Progress {
            label,
            total,
            started: now,
            shown: now,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// There is more to do than first thought (the log grew).
    pub(crate) fn set_total(&mut self, total: u64) {
        self.total = total;
    }

    pub(crate) fn set(&mut self, done: u64) {
        let every = if self.terminal {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(10)
        };
        if self.shown.elapsed() >= every {
            self.shown = Instant::now();
            self.show(done);
        }
    }

    fn show(&self, done: u64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = done as f64 / elapsed.max(0.001);
        let left = self.total.saturating_sub(done) as f64 / rate.max(1.0);
        let fraction = done as f64 / self.total.max(1) as f64;
        let filled = (fraction * 30.0).round() as usize;
        let line = format!(
            "{} [{}{}] {:>3}% {done}/{} events, {rate:.0}/s, {left:.0} s left",
            self.label,
            "#".repeat(filled.min(30)),
            "-".repeat(30 - filled.min(30)),
            (fraction * 100.0).round(),
            self.total,
        );
        if self.terminal {
            eprint!("\r{line}");
        } else {
            eprintln!("{line}");
        }
    }

    pub(crate) fn finish(&self, done: u64) {
        if self.terminal && self.total > 0 {
            self.show(done);
            eprintln!();
        }
    }
}
