//! A real SMTP server on loopback: aiosmtpd, from PyPI, run by `testkit/python/smtp_sink.py`
//! with the Python `.ci/run` sets up (`CODEFLIX_PYTHON`). What it receives is parsed by Python's
//! own email package, so the tests read the messages as a third party would.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::site::free_port;

/// The interpreter with aiosmtpd; `None` outside CI when there is none (under CI a missing
/// one is a failure, not a skip).
pub fn python_with_aiosmtpd() -> Option<String> {
    let python = std::env::var("CODEFLIX_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let found = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no Python with aiosmtpd under CI ({python}); .ci/run installs it"
    );
    println!("skipped: no Python with aiosmtpd (set CODEFLIX_PYTHON; .ci/run installs it)");
    None
}

/// The server; stopped when dropped.
pub struct SmtpSink {
    python: String,
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    reject: Vec<String>,
}

impl SmtpSink {
    /// A server on a free port refusing RCPT TO the `reject` addresses with 550, and the first
    /// `busy` messages with 451.
    pub fn start(python: &str, reject: &[&str], busy: u32) -> SmtpSink {
        let mut sink = SmtpSink {
            python: python.to_owned(),
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            reject: reject.iter().map(|r| (*r).to_owned()).collect(),
        };
        sink.resume(busy);
        sink
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the port refuses connections until [`SmtpSink::resume`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping what it received.
    pub fn resume(&mut self, busy: u32) {
        self.stop();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/smtp_sink.py");
        let mut command = Command::new(&self.python);
        command
            .arg(script)
            .args(["--port", &self.port.to_string()])
            .arg("--out")
            .arg(self.dir.path())
            .args(["--busy", &busy.to_string()])
            .stdout(Stdio::piped());
        for address in &self.reject {
            command.args(["--reject", address]);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "smtp_sink.py said {line:?}");
        self.child = Some(child);
    }

    /// Every message received so far, in order: `mail_from`, `rcpt_tos`, `headers` (lowercase
    /// names), `content_type`, `text`, `html`.
    pub fn messages(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits (up to `within`) until at least `count` messages arrived; all of them.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages after {within:?}: {messages:?}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
