//! Running `codeflix` processes on a scratch data directory and free ports.

use std::net::TcpListener;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when dropped, so that a failing test leaves nothing running.
pub(crate) struct Process(pub(crate) Child);

impl Deref for Process {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Ports and data directory shared by the processes of one test.
pub(crate) struct Site {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) broker_port: u16,
    pub(crate) registry_port: u16,
    pub(crate) api_port: u16,
    pub(crate) query_port: u16,
    pub(crate) projectors_port: u16,
}

impl Site {
    pub(crate) fn new() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
            broker_port: free_port(),
            registry_port: free_port(),
            api_port: free_port(),
            query_port: free_port(),
            projectors_port: free_port(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_codeflix"));
        command
            .args(["--data-dir", self.dir.path().to_str().unwrap()])
            .args(args)
            .env(
                "CODEFLIX__KAFKA__LISTEN",
                format!("127.0.0.1:{}", self.broker_port),
            )
            .env(
                "CODEFLIX__SCHEMA_REGISTRY__LISTEN",
                format!("127.0.0.1:{}", self.registry_port),
            )
            .env(
                "CODEFLIX__COMMAND_API__LISTEN",
                format!("127.0.0.1:{}", self.api_port),
            )
            .env(
                "CODEFLIX__QUERY_API__LISTEN",
                format!("127.0.0.1:{}", self.query_port),
            )
            .env(
                "CODEFLIX__PROJECTORS__LISTEN",
                format!("127.0.0.1:{}", self.projectors_port),
            )
            .env("CODEFLIX_LOG", "warn")
            .stdin(Stdio::null());
        command
    }

    /// Starts a long-running role, its output in `<name>.log`.
    pub(crate) fn spawn(&self, name: &str, args: &[&str]) -> Process {
        self.spawn_with(name, &[], args)
    }

    /// Starts a long-running role with extra environment variables.
    pub(crate) fn spawn_with(&self, name: &str, env: &[(&str, &str)], args: &[&str]) -> Process {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path(&format!("{name}.log")))
            .unwrap();
        Process(
            self.command(args)
                .envs(env.iter().copied())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    }

    pub(crate) fn start_broker(&self) -> Process {
        let child = self.spawn("broker", &["broker"]);
        wait_for_port(self.broker_port);
        child
    }

    pub(crate) fn start_registry(&self) -> Process {
        let child = self.spawn("registry", &["registry"]);
        wait_for_port(self.registry_port);
        child
    }

    /// The command API's base URL.
    pub(crate) fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// The query API's base URL.
    pub(crate) fn query(&self) -> String {
        format!("http://127.0.0.1:{}", self.query_port)
    }

    /// Runs a command to completion.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

pub(crate) fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILL: no cleanup, no flushing, as a crash or an OOM kill.
pub(crate) fn kill(process: &mut Process) {
    let _ = process.0.kill();
    let _ = process.0.wait();
}

pub(crate) fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}
