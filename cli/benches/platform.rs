//! The platform as users run it: create-video commands per second at 64 in flight through the
//! `codeflix` binary's command API — first with only the write path running (`codeflix broker`,
//! `registry`, `command-api`), then under `codeflix up` with every consumer active (projectors,
//! encoder worker, reaction, query API) — on a log that already holds `PRELOAD` events; the
//! projectors' catch-up over that log; CPU per create in both setups; and what an idle
//! `codeflix up` costs in CPU and log bytes.
//! Prints Markdown tables (ratios in the same run); asserts nothing.
//!
//! `cargo bench -p codeflix --bench platform` (`PRELOAD`, `REQUESTS`, `CONCURRENCY`, `ROUNDS`,
//! `IDLE_SECONDS`; `DATA_DIR` keeps the data directory).

#![allow(clippy::unwrap_used)]

use codeflix_testkit::load::knob;
use std::time::{Duration, Instant};

use codeflix_testkit::load::create_videos;
use codeflix_testkit::site::{Site, interrupt, wait_for_port};

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}

/// CPU the platform's processes and this client used over some creates.
struct CpuUse {
    server: f64,
    client: f64,
    started: Instant,
}

struct CpuPerCreate {
    server_ms: f64,
    client_ms: f64,
    /// Cores busy on average (server and client) while measured.
    cores: f64,
}

impl CpuUse {
    fn start(pids: &[u32]) -> CpuUse {
        CpuUse {
            server: pids.iter().map(|pid| cpu_seconds(*pid)).sum(),
            client: cpu_seconds(std::process::id()),
            started: Instant::now(),
        }
    }

    fn stop(self, pids: &[u32], creates: usize) -> CpuPerCreate {
        let server = pids.iter().map(|pid| cpu_seconds(*pid)).sum::<f64>() - self.server;
        let client = cpu_seconds(std::process::id()) - self.client;
        CpuPerCreate {
            server_ms: 1000.0 * server / creates as f64,
            client_ms: 1000.0 * client / creates as f64,
            cores: (server + client) / self.started.elapsed().as_secs_f64(),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let preload = knob("PRELOAD", 100_000);
    let requests = knob("REQUESTS", 4000);
    let concurrency = knob("CONCURRENCY", 64);
    let rounds = knob("ROUNDS", 3);
    let idle_seconds = knob("IDLE_SECONDS", 30);
    // DATA_DIR keeps the platform's data for a look afterwards; roles log with their defaults.
    let binary = env!("CARGO_BIN_EXE_codeflix");
    let mut site = match std::env::var_os("DATA_DIR") {
        Some(dir) => Site::at(binary, std::path::Path::new(&dir)),
        None => Site::new(binary),
    };
    site.log_filter(None);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{}/videos", site.api_port);

    // The write path alone, on a log of `preload` events.
    let broker = site.spawn("broker", &["broker"]);
    wait_for_port(site.broker_port);
    let registry = site.spawn("registry", &["registry"]);
    wait_for_port(site.registry_port);
    let api = site.spawn("command-api", &["command-api"]);
    wait_for_port(site.api_port);
    let token = site
        .stdout(&["token", "--role", "catalog-admin"])
        .trim()
        .to_owned();
    let loading = Instant::now();
    let mut loaded = 0;
    while loaded < preload {
        let batch = (preload - loaded).min(20_000);
        create_videos(&client, &url, &token, "Preload", batch, concurrency).await;
        loaded += batch;
        eprintln!("preloaded {loaded}/{preload} events");
    }
    let preload_took = loading.elapsed();
    let write_pids = [broker.id(), registry.id(), api.id()];
    let measuring = CpuUse::start(&write_pids);
    let mut write_path = Vec::new();
    for round in 1..=rounds {
        write_path.push(
            create_videos(
                &client,
                &url,
                &token,
                &format!("Write {round}"),
                requests,
                concurrency,
            )
            .await,
        );
    }
    let write_cpu = measuring.stop(&write_pids, rounds * requests);
    interrupt(api);
    interrupt(registry);
    interrupt(broker);
    let stored = preload + rounds * requests;

    // Everything, as `codeflix up` runs it, on the same data directory.
    let up = site.spawn("up", &["up"]);
    let up_pid = up.id();
    wait_for_port(site.api_port);
    wait_for_port(site.query_port);
    let catching_up = Instant::now();
    while site.projections_lag() > 0 {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let catch_up = catching_up.elapsed();
    // The encoder worker and reaction read the whole log too, without a lag in `views status`:
    // idle is measured once a 5-second window costs under a tenth of a core.
    let settling = Instant::now();
    loop {
        let before = cpu_seconds(up_pid);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let used = (cpu_seconds(up_pid) - before) / 5.0;
        if used < 0.1 || settling.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    let settled = settling.elapsed();

    let log_before = std::fs::metadata(site.path("up.log")).unwrap().len();
    let cpu_before = cpu_seconds(up_pid);
    tokio::time::sleep(Duration::from_secs(idle_seconds as u64)).await;
    let idle_cpu = (cpu_seconds(up_pid) - cpu_before) / idle_seconds as f64;
    let idle_log = std::fs::metadata(site.path("up.log")).unwrap().len() - log_before;

    let measuring = CpuUse::start(&[up_pid]);
    let mut all_roles = Vec::new();
    for round in 1..=rounds {
        all_roles.push(
            create_videos(
                &client,
                &url,
                &token,
                &format!("Up {round}"),
                requests,
                concurrency,
            )
            .await,
        );
    }
    let caught = Instant::now();
    while site.projections_lag() > 0 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = caught.elapsed();
    // Until the projections caught up: the consumers' work for these creates is done by then.
    let up_cpu = measuring.stop(&[up_pid], rounds * requests);
    interrupt(up);

    println!(
        "{requests} create-video requests per round, {concurrency} in flight, on a log of \
         {preload}+ events\n"
    );
    println!(
        "| round | write path only: creates/s | p50 ms | p99 ms | `codeflix up`: creates/s | p50 ms | p99 ms | up / write path |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (round, (w, u)) in write_path.iter().zip(&all_roles).enumerate() {
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1}% |",
            round + 1,
            w.rate(),
            w.percentile_ms(0.50),
            w.percentile_ms(0.99),
            u.rate(),
            u.percentile_ms(0.50),
            u.percentile_ms(0.99),
            100.0 * u.rate() / w.rate()
        );
    }
    println!();
    println!(
        "| CPU over the rounds | server processes, ms per create | this client, ms per create | cores busy |"
    );
    println!("|---|---:|---:|---:|");
    for (name, cpu) in [
        ("write path only", &write_cpu),
        ("`codeflix up`, until the projections caught up", &up_cpu),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            cpu.server_ms, cpu.client_ms, cpu.cores
        );
    }
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| preload through the write path | {preload} events in {:.0} s ({:.0}/s) |",
        preload_took.as_secs_f64(),
        preload as f64 / preload_took.as_secs_f64()
    );
    println!(
        "| projectors' catch-up at start of `up` ({stored} video events, catalog and search) | {:.1} s ({:.0} events/s per projection) |",
        catch_up.as_secs_f64(),
        stored as f64 / catch_up.as_secs_f64()
    );
    println!(
        "| until the encoder worker and reaction had read the log too (CPU < 10% over 5 s) | {:.0} s more |",
        settled.as_secs_f64()
    );
    println!(
        "| idle `codeflix up`, CPU ({idle_seconds} s) | {:.1}% of one core |",
        100.0 * idle_cpu
    );
    println!(
        "| idle `codeflix up`, output ({idle_seconds} s, default log filter) | {idle_log} bytes |"
    );
    println!(
        "| projections caught up after the last round | {:.2} s |",
        drained.as_secs_f64()
    );
}
