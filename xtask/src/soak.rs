//! `cargo xtask soak`: the durability and convergence tests, long.
//!
//! The same tests that run briefly inside `cargo test` (`tests/tests/durability.rs`,
//! `tests/tests/routes.rs`), with the counts raised through their environment variables: by
//! default 140 kills during local writes, 50 while syncing backlogs (plus the relay kills that
//! come with them) and 20 while opening a sync file, and 10,000 cross-route schedules, built in
//! release mode because the schedules run several times faster there. Their output streams through as they go (progress); the
//! `SOAK …` line each test prints at its end is collected into a summary: kills, writes
//! verified, schedules, time.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::ctx::{self, Ctx};

pub struct Options {
    pub local_kills: u64,
    pub sync_kills: u64,
    pub import_kills: u64,
    pub schedules: u64,
    pub seed: Option<u64>,
    pub release: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            local_kills: 140,
            sync_kills: 50,
            import_kills: 20,
            schedules: 10_000,
            seed: None,
            release: true,
        }
    }
}

impl Options {
    pub fn parse(args: &[std::ffi::OsString]) -> Result<Options> {
        let mut options = Options::default();
        let mut args = args.iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<u64> {
                let value = args
                    .next()
                    .with_context(|| format!("soak: {name} needs a number"))?;
                value
                    .parse()
                    .with_context(|| format!("soak: {name} {value:?} is not a number"))
            };
            match arg.as_str() {
                "--kills" => {
                    // Split like the default: two thirds during local writes, a quarter while
                    // syncing, the rest while opening a sync file.
                    let total = number("--kills")?;
                    options.sync_kills = (total / 4).max(1);
                    options.import_kills = (total / 10).max(2);
                    options.local_kills = total
                        .saturating_sub(options.sync_kills + options.import_kills)
                        .max(1);
                }
                "--local-kills" => options.local_kills = number("--local-kills")?,
                "--sync-kills" => options.sync_kills = number("--sync-kills")?,
                "--import-kills" => options.import_kills = number("--import-kills")?,
                "--schedules" => options.schedules = number("--schedules")?,
                "--seed" => options.seed = Some(number("--seed")?),
                "--debug" => options.release = false,
                other => bail!(
                    "soak: unknown argument {other:?} (accepted: --kills N, --local-kills N, \
                     --sync-kills N, --import-kills N, --schedules N, --seed N, --debug)"
                ),
            }
        }
        Ok(options)
    }
}

pub fn run(ctx: &Ctx, options: &Options) -> Result<ExitCode> {
    let start = Instant::now();
    println!(
        "soak: {} kills during local writes, {} during sync, {} while opening a sync file, {} cross-route schedules ({} build)",
        options.local_kills,
        options.sync_kills,
        options.import_kills,
        options.schedules,
        if options.release { "release" } else { "debug" }
    );
    // The sync test runs the relay as a process; built here, its build does not count in the
    // test's own time.
    let mut relay = ctx.cargo();
    relay.args([
        "build",
        "--locked",
        "-p",
        "mutua-relay",
        "--bin",
        "mutua-relay",
    ]);
    if options.release {
        relay.arg("--release");
    }
    ctx::run(&mut relay, "The relay does not build; see above")?;
    let mut cmd = ctx.cargo();
    cmd.args(["test", "--locked", "-p", "mutua-tests"]);
    if options.release {
        cmd.arg("--release");
    }
    cmd.args([
        "--test",
        "durability",
        "--test",
        "routes",
        "--",
        "--nocapture",
    ])
    .env("MUTUA_KILLS_LOCAL", options.local_kills.to_string())
    .env("MUTUA_KILLS_SYNC", options.sync_kills.to_string())
    .env("MUTUA_KILLS_IMPORT", options.import_kills.to_string())
    .env("MUTUA_ROUTE_CASES", options.schedules.to_string())
    .stdout(Stdio::piped());
    if let Some(seed) = options.seed {
        cmd.env("MUTUA_KILL_SEED", seed.to_string());
    }
    println!("+ {}", ctx::display(&cmd));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{}`", ctx::display(&cmd)))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut results: Vec<BTreeMap<String, String>> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the tests' output")?;
        println!("{line}");
        if let Some(rest) = line.trim().strip_prefix("SOAK ") {
            results.push(
                rest.split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            );
        }
    }
    let status = child.wait().context("waiting for the tests")?;
    summary(&results, start);
    let tests: std::collections::BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r.get("test").map(String::as_str))
        .collect();
    if status.success() && tests.len() == 4 {
        println!("soak: OK in {}", ctx::secs(start));
        Ok(ExitCode::SUCCESS)
    } else if status.success() {
        println!("soak: FAILED: expected summaries of local, sync and routes, got {tests:?}");
        Ok(ExitCode::FAILURE)
    } else {
        println!(
            "soak: FAILED ({status}) after {}; each test printed its seed above: MUTUA_KILL_SEED=<seed> \
             (or --seed) replays the kill choices, and a failing schedule is saved in \
             tests/tests/routes.proptest-regressions",
            ctx::secs(start)
        );
        Ok(ExitCode::FAILURE)
    }
}

/// One test's numbers, added up over its summary lines (the route schedules run in shards).
fn totals(results: &[BTreeMap<String, String>], test: &str) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for r in results
        .iter()
        .filter(|r| r.get("test").map(String::as_str) == Some(test))
    {
        for (k, v) in r {
            let Ok(v) = v.parse::<f64>() else { continue };
            let slot = out.entry(k.clone()).or_default();
            // Shards run side by side: their time is the longest one, not the sum.
            *slot = if k == "secs" { slot.max(v) } else { *slot + v };
        }
    }
    out
}

fn summary(results: &[BTreeMap<String, String>], start: Instant) {
    let (local, sync, import, routes) = (
        totals(results, "local"),
        totals(results, "sync"),
        totals(results, "import"),
        totals(results, "routes"),
    );
    let n = |t: &BTreeMap<String, f64>, k: &str| t.get(k).copied().unwrap_or(0.0) as u64;
    let secs = |t: &BTreeMap<String, f64>| t.get("secs").copied().unwrap_or(0.0);
    println!("\n==> soak summary");
    println!(
        "  local writes  {:>6} kills ({} during set-up), {} writes acknowledged, all verified after each kill, {:.0} s",
        n(&local, "kills"),
        n(&local, "set_up_kills"),
        n(&local, "writes"),
        secs(&local)
    );
    println!(
        "  sync          {:>6} kills and {} relay kills, {} sync rounds, {} writes acknowledged and verified, {} messages converged, {:.0} s",
        n(&sync, "kills"),
        n(&sync, "relay_kills"),
        n(&sync, "rounds"),
        n(&sync, "writes"),
        n(&sync, "messages"),
        secs(&sync)
    );
    println!(
        "  sync file     {:>6} kills ({} after part of the file was applied), {:.0} s",
        n(&import, "kills"),
        n(&import, "partial"),
        secs(&import)
    );
    let schedules = n(&routes, "schedules");
    let per_sec = if secs(&routes) > 0.0 {
        schedules as f64 / secs(&routes)
    } else {
        0.0
    };
    println!(
        "  routes        {schedules:>6} schedules converged ({per_sec:.1} a second), {:.0} s",
        secs(&routes)
    );
    println!(
        "  total         {} kills, {} writes verified, {schedules} schedules in {}",
        n(&local, "kills") + n(&sync, "kills") + n(&sync, "relay_kills") + n(&import, "kills"),
        n(&local, "writes") + n(&sync, "writes"),
        ctx::secs(start)
    );
}
