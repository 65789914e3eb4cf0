//! Mutua's benchmark suite (issue 6): `cargo xtask bench` builds this crate in release and runs
//! `mutua-bench run`, which measures Mutua against what a developer would otherwise pick —
//! Automerge's own sync protocol and the automerge-repo sync server — in the same run on the
//! same generated data, and writes `BENCHMARKS.md` and `BENCHMARKS.json`.
//!
//! | module | what |
//! |---|---|
//! | [`text`], [`group`], [`tenyears`] | deterministic realistic data through core's API |
//! | [`relay`], [`proxy`] | real relay processes; a byte-counting TCP proxy |
//! | [`wire`], [`amsync`] | measures 1–2: sync scenarios vs `automerge::sync` |
//! | [`screens`], [`backend`] | measures 3–4: screen queries, cold start, memory, disk |
//! | [`load`], [`repo`] | measure 5: relay load vs the automerge-repo sync server |
//! | [`sizes`] | measure 6: app binary and UI wasm |
//! | [`report`], [`rows`] | the table |
//!
//! Only the public API of core is used (`Mutua` methods, `sync_once`, `RelayClient`), so the
//! harness keeps working while the sync internals change.

pub mod amsync;
pub mod backend;
pub mod group;
pub mod load;
pub mod proxy;
pub mod relay;
pub mod repo;
pub mod report;
pub mod rows;
pub mod screens;
pub mod sizes;
pub mod stats;
pub mod tenyears;
pub mod text;
pub mod wire;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::group::GroupScale;
use crate::load::LoadPlan;
use crate::relay::{Relay, RelayStorage};
use crate::tenyears::TenYearsScale;
use crate::wire::WirePlan;

static START: OnceLock<Instant> = OnceLock::new();

/// One progress line on stderr, with the time since the run started.
pub fn progress(message: &str) {
    let start = START.get_or_init(Instant::now);
    eprintln!("[bench {:>7.1}s] {message}", start.elapsed().as_secs_f64());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Full,
    Quick,
    /// The smoke test's: seconds; no PostgreSQL, no Node baseline, no child processes.
    Tiny,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Quick => "quick",
            Mode::Tiny => "tiny (smoke test)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Where BENCHMARKS.md and BENCHMARKS.json go.
    pub out_dir: PathBuf,
    /// Caches, relay databases, the Node baseline's packages.
    pub work_dir: PathBuf,
    pub app_binary: Option<PathBuf>,
    pub wasm: Option<PathBuf>,
    pub postgres: bool,
    pub node_baseline: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScreensResult {
    pub dataset: tenyears::TenYears,
    pub thread_messages: usize,
    pub times: Vec<screens::QueryTimes>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelayLoad {
    pub backend: String,
    pub throughput: load::Throughput,
    pub latency: load::Latency,
    pub peak_rss_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BaselineLoad {
    pub throughput: repo::NodeThroughput,
    pub latency: repo::NodeLatency,
    pub server_peak_rss_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadResults {
    pub plan: LoadPlan,
    pub relays: Vec<RelayLoad>,
    pub baseline: Option<BaselineLoad>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub mode: String,
    pub date: String,
    pub commit: String,
    pub secs: f64,
    pub machine: report::Machine,
    pub wire: Vec<wire::WireResults>,
    pub screens: Option<ScreensResult>,
    pub backend: Option<backend::Backend>,
    pub load: Option<LoadResults>,
    pub sizes: Option<sizes::Sizes>,
}

struct Plan {
    wire: WirePlan,
    ten: TenYearsScale,
    screen_runs: usize,
    cold_runs: usize,
    load: LoadPlan,
}

fn plan(mode: Mode) -> Plan {
    match mode {
        Mode::Full => Plan {
            wire: WirePlan {
                scale: GroupScale::FULL,
                reps: 10,
                catch_up: [100, 1_000],
                big_batch: 1,
            },
            ten: TenYearsScale::FULL,
            screen_runs: 300,
            cold_runs: 5,
            load: LoadPlan::FULL,
        },
        Mode::Quick => Plan {
            wire: WirePlan {
                scale: GroupScale::QUICK,
                reps: 5,
                catch_up: [100, 1_000],
                big_batch: 10,
            },
            ten: TenYearsScale::QUICK,
            screen_runs: 60,
            cold_runs: 3,
            load: LoadPlan::QUICK,
        },
        Mode::Tiny => Plan {
            wire: wire::tiny_plan(),
            ten: TenYearsScale::TINY,
            screen_runs: 3,
            cold_runs: 1,
            load: LoadPlan::TINY,
        },
    }
}

/// Raises the soft open-files limit to the hard one (1,000 long-polls need 1,000+ sockets on
/// each side), with util-linux `prlimit` on this process; children inherit it.
fn raise_fd_limit() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
        return;
    };
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (soft, hard) = (
        fields.get(3).and_then(|v| v.parse::<u64>().ok()),
        fields.get(4).copied(),
    );
    if soft.is_some_and(|s| s >= 8192) {
        return;
    }
    let hard = hard.unwrap_or("8192");
    let _ = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={hard}:{hard}"))
        .status();
}

fn commit(dir: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown commit".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    format!(
        "commit {head}{}",
        if dirty { " + local changes" } else { "" }
    )
}

/// Runs every measure the mode includes and writes the report. Returns the results.
pub fn run(opts: &Options) -> Result<Results> {
    progress(&format!("mode {}", opts.mode.name()));
    let machine = report::Machine::here();
    raise_fd_limit();
    let started = Instant::now();
    let plan = plan(opts.mode);
    std::fs::create_dir_all(&opts.work_dir)?;
    let scratch = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&opts.work_dir)?;

    let mut wire = Vec::new();
    wire.push(wire::run(
        RelayStorage::Sqlite(scratch.path().join("relay-wire.db")),
        "SQLite",
        plan.wire,
        1,
    )?);
    if opts.postgres {
        let pg = mutua_tests::postgres::TempPostgres::start();
        wire.push(wire::run(
            RelayStorage::Postgres(pg.url()),
            "PostgreSQL",
            plan.wire,
            1,
        )?);
    }

    let label = opts.mode.name().split(' ').next().unwrap_or("x");
    let ten = tenyears::dataset(&opts.work_dir.join("data"), plan.ten, label)?;
    progress("screens: timing the queries");
    let (times, thread_messages) = screens::measure(&ten, plan.screen_runs)?;
    let screens = ScreensResult {
        dataset: ten.clone(),
        thread_messages,
        times,
    };
    let backend = if opts.mode == Mode::Tiny {
        None
    } else {
        progress("backend: cold starts and peak memory in fresh processes");
        Some(backend::measure(&ten, plan.cold_runs)?)
    };

    let load = Some(run_load(opts, plan.load, scratch.path())?);
    let sizes = match (&opts.app_binary, &opts.wasm) {
        (Some(app), Some(wasm)) => Some(sizes::measure(app, wasm)?),
        _ => None,
    };
    let results = Results {
        mode: opts.mode.name().to_owned(),
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(&opts.out_dir),
        secs: started.elapsed().as_secs_f64(),
        machine,
        wire,
        screens: Some(screens),
        backend,
        load,
        sizes,
    };
    let rows = rows::rows(&results);
    report::write(&opts.out_dir, &results, &rows)?;
    progress(&format!(
        "wrote {}",
        opts.out_dir.join("BENCHMARKS.md").display()
    ));
    Ok(results)
}

fn run_load(opts: &Options, plan: LoadPlan, scratch: &Path) -> Result<LoadResults> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("a tokio runtime")?;
    let mut relays = Vec::new();
    let mut backends = vec![(
        "SQLite",
        RelayStorage::Sqlite(scratch.join("relay-load.db")),
    )];
    let pg = if opts.postgres {
        Some(mutua_tests::postgres::TempPostgres::start())
    } else {
        None
    };
    if let Some(pg) = &pg {
        backends.push(("PostgreSQL", RelayStorage::Postgres(pg.url())));
    }
    for (name, storage) in backends {
        let relay = Relay::start(&storage)?;
        progress(&format!(
            "load [{name}]: {} posts by {} writers",
            plan.posts, plan.writers
        ));
        let throughput = runtime.block_on(load::throughput(relay.url(), plan))?;
        progress(&format!(
            "load [{name}]: {:.0} posts/s; now {} waiting clients",
            throughput.posts_per_sec,
            plan.docs * plan.per_doc
        ));
        let latency = runtime.block_on(load::latency(relay.url(), plan))?;
        progress(&format!(
            "load [{name}]: delivery p50 {:.1} ms, p99 {:.1} ms ({}/{})",
            latency.p50_ms, latency.p99_ms, latency.deliveries, latency.expected
        ));
        relays.push(RelayLoad {
            backend: name.into(),
            throughput,
            latency,
            peak_rss_kib: relay::peak_rss_kib(relay.pid()).unwrap_or(0),
        });
    }
    drop(runtime);
    let baseline = if opts.node_baseline {
        let dir = repo::install(&opts.work_dir)?;
        let data = scratch.join("sync-server-data");
        let server = repo::SyncServer::start(&dir, &data)?;
        progress(&format!(
            "baseline: automerge-repo sync server on 127.0.0.1:{}",
            server.port
        ));
        let throughput: repo::NodeThroughput = repo::load(
            &dir,
            server.port,
            &[
                "throughput".into(),
                plan.writers.to_string(),
                plan.posts.to_string(),
                plan.max_secs.to_string(),
            ],
            plan.max_secs + 120,
        )?;
        progress(&format!(
            "baseline: {:.0} posts/s; now {} waiting clients",
            throughput.posts_per_sec,
            plan.docs * plan.per_doc
        ));
        let latency: repo::NodeLatency = repo::load(
            &dir,
            server.port,
            &[
                "latency".into(),
                plan.docs.to_string(),
                plan.per_doc.to_string(),
                plan.live_posts.to_string(),
                plan.pace_ms.to_string(),
                plan.max_secs.to_string(),
            ],
            plan.max_secs + 300,
        )?;
        progress(&format!(
            "baseline: delivery p50 {:.1} ms, p99 {:.1} ms ({}/{})",
            latency.p50_ms.unwrap_or(f64::NAN),
            latency.p99_ms.unwrap_or(f64::NAN),
            latency.deliveries,
            latency.expected
        ));
        Some(BaselineLoad {
            throughput,
            latency,
            server_peak_rss_kib: relay::peak_rss_kib(server.pid()).unwrap_or(0),
        })
    } else {
        None
    };
    Ok(LoadResults {
        plan,
        relays,
        baseline,
    })
}
