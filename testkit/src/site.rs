//! `codeflix` processes on one data directory and free ports, as operators run them: for the
//! binary's own tests and benchmarks, which name the binary (`env!("CARGO_BIN_EXE_codeflix")`).

use std::net::TcpListener;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when dropped, so that a failing test leaves nothing running.
#[derive(Debug)]
pub struct Process(pub Child);

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

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` on loopback (two minutes at the most).
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILL: no cleanup, no flushing, as a crash or an OOM kill.
pub fn kill(process: &mut Process) {
    let _ = process.0.kill();
    let _ = process.0.wait();
}

/// Ctrl-C, then waits a minute at the most for the process to exit (SIGKILL after that).
pub fn interrupt(mut process: Process) {
    Command::new("kill")
        .args(["-INT", &process.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while process.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = process.kill();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The lines of a file; none when it does not exist.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Each role's listen setting and its default port in `codeflix`'s settings: broker, registry,
/// command API, query API, projectors, encoder, scheduler, Kafka Connect, gateway.
const DEFAULT_PORTS: [(&str, u16); 9] = [
    ("CODEFLIX__KAFKA__LISTEN", 9092),
    ("CODEFLIX__SCHEMA_REGISTRY__LISTEN", 8081),
    ("CODEFLIX__COMMAND_API__LISTEN", 8080),
    ("CODEFLIX__QUERY_API__LISTEN", 8082),
    ("CODEFLIX__PROJECTORS__LISTEN", 8083),
    ("CODEFLIX__ENCODER__LISTEN", 8084),
    ("CODEFLIX__SCHEDULER__LISTEN", 8085),
    ("CODEFLIX__CONNECT__LISTEN", 8086),
    ("CODEFLIX__GATEWAY__LISTEN", 8000),
];

/// The binary, a data directory and the ports every role of one test or benchmark listens on.
#[derive(Debug)]
pub struct Site {
    binary: PathBuf,
    dir: PathBuf,
    /// Set as the README runs it: processes start in this directory with the default (relative)
    /// data directory, and ports at their defaults are not configured.
    readme_cwd: Option<PathBuf>,
    _scratch: Option<tempfile::TempDir>,
    log_filter: Option<String>,
    pub broker_port: u16,
    pub registry_port: u16,
    pub api_port: u16,
    pub query_port: u16,
    pub projectors_port: u16,
    pub encoder_port: u16,
    pub scheduler_port: u16,
    pub connect_port: u16,
    pub gateway_port: u16,
}

impl Site {
    /// On a scratch directory removed when dropped; roles log warnings and errors.
    pub fn new(binary: impl Into<PathBuf>) -> Site {
        let scratch = tempfile::tempdir().unwrap();
        let mut site = Site::at(binary, scratch.path());
        site._scratch = Some(scratch);
        site.log_filter = Some("warn".to_owned());
        site
    }

    /// As the README runs it: in a scratch working directory, with the default relative data
    /// directory (`./data`) and no settings, on the default ports where they are free (a port
    /// that is taken, for example by a developer's own `codeflix up`, is replaced by a free one
    /// and only that one is configured). Roles log with their default filter.
    pub fn as_in_readme(binary: impl Into<PathBuf>) -> Site {
        let scratch = tempfile::tempdir().unwrap();
        let mut site = Site::at(binary, &scratch.path().join("data"));
        site.readme_cwd = Some(scratch.path().to_path_buf());
        site._scratch = Some(scratch);
        let default_or_free = |port: u16| {
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                port
            } else {
                free_port()
            }
        };
        let [
            broker,
            registry,
            api,
            query,
            projectors,
            encoder,
            scheduler,
            connect,
            gateway,
        ] = DEFAULT_PORTS.map(|(_, port)| default_or_free(port));
        site.broker_port = broker;
        site.registry_port = registry;
        site.api_port = api;
        site.query_port = query;
        site.projectors_port = projectors;
        site.encoder_port = encoder;
        site.scheduler_port = scheduler;
        site.connect_port = connect;
        site.gateway_port = gateway;
        site
    }

    /// The ports in [`DEFAULT_PORTS`]' order.
    fn ports(&self) -> [u16; 9] {
        [
            self.broker_port,
            self.registry_port,
            self.api_port,
            self.query_port,
            self.projectors_port,
            self.encoder_port,
            self.scheduler_port,
            self.connect_port,
            self.gateway_port,
        ]
    }

    /// On `dir`, which is kept; roles log with their default filter.
    pub fn at(binary: impl Into<PathBuf>, dir: &Path) -> Site {
        std::fs::create_dir_all(dir).unwrap();
        Site {
            binary: binary.into(),
            dir: dir.to_path_buf(),
            readme_cwd: None,
            _scratch: None,
            log_filter: None,
            broker_port: free_port(),
            registry_port: free_port(),
            api_port: free_port(),
            query_port: free_port(),
            projectors_port: free_port(),
            encoder_port: free_port(),
            scheduler_port: free_port(),
            connect_port: free_port(),
            gateway_port: free_port(),
        }
    }

    /// The `CODEFLIX_LOG` filter roles run with; `None` leaves them their default.
    pub fn log_filter(&mut self, filter: Option<&str>) {
        self.log_filter = filter.map(str::to_owned);
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `name` in the data directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The binary with `args`, on this site's directory and ports.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        let listen = |port: u16| format!("127.0.0.1:{port}");
        match &self.readme_cwd {
            Some(cwd) => {
                command.current_dir(cwd);
                // Nothing of the caller's configuration leaks in.
                for (name, _) in std::env::vars() {
                    if name.starts_with("CODEFLIX__") || name == "CODEFLIX_CONFIG" {
                        command.env_remove(name);
                    }
                }
            }
            None => {
                command.arg("--data-dir").arg(&self.dir);
            }
        }
        command.args(args);
        for ((name, default), port) in DEFAULT_PORTS.into_iter().zip(self.ports()) {
            if self.readme_cwd.is_none() || port != default {
                command.env(name, listen(port));
            }
        }
        command.stdin(Stdio::null());
        match &self.log_filter {
            Some(filter) => command.env("CODEFLIX_LOG", filter),
            None => command.env_remove("CODEFLIX_LOG"),
        };
        command
    }

    /// Starts a long-running role, its output appended to `<name>.log`.
    pub fn spawn(&self, name: &str, args: &[&str]) -> Process {
        self.spawn_with(name, &[], args)
    }

    /// Starts a long-running role with extra environment variables.
    pub fn spawn_with(&self, name: &str, env: &[(&str, &str)], args: &[&str]) -> Process {
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

    /// `codeflix broker`, once it listens.
    pub fn start_broker(&self) -> Process {
        let child = self.spawn("broker", &["broker"]);
        wait_for_port(self.broker_port);
        child
    }

    /// `codeflix registry`, once it listens.
    pub fn start_registry(&self) -> Process {
        let child = self.spawn("registry", &["registry"]);
        wait_for_port(self.registry_port);
        child
    }

    /// The broker, the registry and the command API, once each listens, and a catalog admin's
    /// token: where benchmarks that load the catalog start. Keep the processes while they run.
    pub fn start_catalog_api(&self) -> ([Process; 3], String) {
        let broker = self.start_broker();
        let registry = self.start_registry();
        let api = self.spawn("command-api", &["command-api"]);
        wait_for_port(self.api_port);
        let token = String::from_utf8(self.run(&["token", "--role", "catalog-admin"]).stdout)
            .unwrap()
            .trim()
            .to_owned();
        ([broker, registry, api], token)
    }

    /// `codeflix up`, once its command API, query API and Connect REST API listen.
    pub fn start_up(&self) -> Process {
        let up = self.spawn("up", &["up"]);
        for port in [self.api_port, self.query_port, self.connect_port] {
            wait_for_port(port);
        }
        up
    }

    /// The command API's base URL.
    pub fn api(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// The query API's base URL.
    pub fn query(&self) -> String {
        format!("http://127.0.0.1:{}", self.query_port)
    }

    /// The gateway's base URL: the web apps, and the APIs under `/api/command`, `/api/query`.
    pub fn gateway(&self) -> String {
        format!("http://127.0.0.1:{}", self.gateway_port)
    }

    /// Runs a command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs a command to completion; its standard output, once it succeeded.
    pub fn stdout(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The total lag of every projection, from `codeflix views status`.
    pub fn projections_lag(&self) -> i64 {
        self.stdout(&["views", "status"])
            .lines()
            .map(|line| {
                serde_json::from_str::<serde_json::Value>(line).unwrap()["lag"]
                    .as_i64()
                    .unwrap()
            })
            .sum()
    }
}
