//! `cargo xtask e2e [--keep-open]`: the end-to-end run. The real app binary, in the real WebKit
//! webview, driven through tauri-driver + WebKitWebDriver by the pytest suite in `tests/e2e`,
//! under Xvfb. Also the `e2e` phase of `cargo xtask test` (and so of CI).
//!
//! 1. build the app and the relay: `cargo build -p mutua-app -p mutua-relay --features
//!    mutua-app/custom-protocol` (debug; the app embeds `ui/dist`, which the caller has built);
//! 2. `xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python -m pytest tests/e2e -x -v` with
//!    `MUTUA_APP` (the binary), `MUTUA_RELAY` (the relay, for the two-member test) and
//!    `MUTUA_E2E_SHOTS` (`<target>/e2e/shots`);
//! 3. whatever the outcome, no process of the run survives: every process started for it
//!    carries a marker variable in its environment (tauri-driver hands its environment on to
//!    WebKitWebDriver and the app), so leftovers are found by that and stopped with SIGTERM.
//!
//! The run is bounded: pytest gets `MUTUA_E2E_TIMEOUT` (it aborts itself and still stops its
//! drivers), and xtask stops the run [`GRACE`] later if it is still going. tauri-driver is only
//! ever sent SIGTERM (SIGKILL would leave WebKitWebDriver holding its port).

use std::io::IsTerminal as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};

use crate::ctx::{self, Ctx, output_ok, secs, which};
use crate::setup;

/// The tauri-driver release the suite was written against (`cargo install --locked`).
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";
const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";
const APP_PACKAGE: &str = "mutua-app";
const APP_BIN: &str = "mutua-app";
const SUITE: &str = "tests/e2e";
/// The whole run, app build excluded; `MUTUA_E2E_TIMEOUT` (seconds) overrides it.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long pytest has to stop by itself (and stop its drivers) after its own deadline.
const GRACE: Duration = Duration::from_secs(60);
/// How long a process has to go after SIGTERM.
const STOP_WAIT: Duration = Duration::from_secs(15);
/// Set on the run's processes (and inherited by all they start) to find them afterwards.
const MARKER: &str = "MUTUA_E2E_RUN";

#[derive(Debug, Default)]
pub struct Options {
    /// Keep the app open at the end (pass or fail) until Enter is pressed; no time limit; the
    /// real `$DISPLAY` when there is one. For a person at a terminal, never for CI.
    pub keep_open: bool,
}

// ---------------------------------------------------------------------------------------------
// Set-up step: tauri-driver

/// Installs tauri-driver [`TAURI_DRIVER_VERSION`] unless `cargo install` already has it; returns
/// its path. (tauri-driver 2.1.0 has no `--version`: `cargo install --list` is what knows.)
pub fn tauri_driver(ctx: &Ctx) -> Result<PathBuf> {
    let (found, installed) = find_tauri_driver(ctx);
    if let Some(path) = found {
        println!(
            "✓ tauri-driver {TAURI_DRIVER_VERSION} present: {}",
            path.display()
        );
        return Ok(path);
    }
    let bin = setup::cargo_bin_dir().map(|d| d.join("tauri-driver"));
    let why = match installed {
        Some(other) => format!("cargo has {other}"),
        None => "not installed".to_owned(),
    };
    let start = Instant::now();
    println!("→ installing tauri-driver {TAURI_DRIVER_VERSION} ({why}); takes ~1 min cold");
    ctx::run(
        ctx.cargo_plain().args([
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ]),
        "Could not install tauri-driver; see cargo's error above",
    )?;
    let path = bin
        .filter(|p| ctx::is_executable(p))
        .or_else(|| which("tauri-driver"))
        .context("`cargo install` succeeded but no tauri-driver binary can be found")?;
    println!("  installed {} in {}", path.display(), secs(start));
    Ok(path)
}

/// The installed tauri-driver if it is the wanted version; else `None` and the version cargo
/// has, if any.
fn find_tauri_driver(ctx: &Ctx) -> (Option<PathBuf>, Option<String>) {
    let bin = setup::cargo_bin_dir().map(|d| d.join("tauri-driver"));
    let installed = installed_version(ctx, "tauri-driver");
    match bin.filter(|p| ctx::is_executable(p)) {
        Some(path) if installed.as_deref() == Some(TAURI_DRIVER_VERSION) => (Some(path), installed),
        _ => (None, installed),
    }
}

/// The version `cargo install --list` reports for `krate` ("tauri-driver v2.1.0:").
fn installed_version(ctx: &Ctx, krate: &str) -> Option<String> {
    let list = output_ok(ctx.cargo_plain().args(["install", "--list"]))?;
    parse_install_list(&list, krate)
}

fn parse_install_list(list: &str, krate: &str) -> Option<String> {
    list.lines().find_map(|line| {
        let rest = line.strip_prefix(krate)?.strip_prefix(" v")?;
        let version = rest.split([':', ' ']).next()?;
        Some(version.to_owned())
    })
}

// ---------------------------------------------------------------------------------------------
// The run

/// Builds the app and runs the suite. The UI (`ui/dist`) must already be built.
pub fn run(ctx: &Ctx, options: &Options) -> Result<()> {
    if options.keep_open && (ctx.ci || !std::io::stdin().is_terminal()) {
        bail!("--keep-open waits for Enter at a terminal; it is not for CI or a pipe");
    }

    // 1. The app.
    let start = Instant::now();
    println!("building the app ({APP_PACKAGE}, debug, --features custom-protocol: embeds ui/dist)");
    let mut build = ctx.cargo();
    // The relay too: the two-member test exchanges messages through a real one on loopback.
    build.args([
        "build",
        "-p",
        APP_PACKAGE,
        "-p",
        "mutua-relay",
        "--features",
        "mutua-app/custom-protocol",
    ]);
    if ctx.ci {
        build.arg("--locked");
    }
    ctx::run(&mut build, "The app does not compile; fix the errors above")?;
    let target = ctx.target_dir()?;
    let app = target.join("debug").join(APP_BIN);
    if !ctx::is_executable(&app) {
        bail!("{} was not produced by the build above", app.display());
    }
    let relay = target.join("debug").join("mutua-relay");
    if !ctx::is_executable(&relay) {
        bail!("{} was not produced by the build above", relay.display());
    }
    println!("✓ app built in {}: {}", secs(start), app.display());
    // Run a hard link of it: a build that replaces target/debug/mutua-app during the run (say,
    // in another terminal) then cannot swap the binary between the suite's launches.
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let pinned = dir.join(APP_BIN);
    match std::fs::remove_file(&pinned) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing {}", pinned.display())),
    }
    let app = match std::fs::hard_link(&app, &pinned) {
        Ok(()) => pinned,
        Err(_) => app, // another file system: run it where it is
    };

    // 2. What the run needs (all installed by `cargo xtask setup`).
    // Set-up installed it; look quietly, install only if it has gone since.
    let tauri_driver = match find_tauri_driver(ctx).0 {
        Some(path) => path,
        None => tauri_driver(ctx)?,
    };
    if !ctx::is_executable(Path::new(WEBKIT_WEBDRIVER)) {
        bail!("{WEBKIT_WEBDRIVER} is missing: run `cargo xtask setup` (Debian: webkit2gtk-driver)");
    }
    let python = setup::venv_python(&ctx.root);
    if output_ok(ctx.cmd(&python).args(["-c", "import selenium, pytest"])).is_none() {
        bail!(
            "{} cannot import selenium and pytest: run `cargo xtask setup` (it installs {SUITE}/requirements.txt)",
            python.display()
        );
    }
    let display = std::env::var_os("DISPLAY").filter(|d| !d.is_empty());
    let use_xvfb = !(options.keep_open && display.is_some());
    let xvfb_run = if use_xvfb {
        Some(
            which("xvfb-run")
                .context("xvfb-run is missing: run `cargo xtask setup` (Debian: xvfb and xauth)")?,
        )
    } else {
        None
    };

    // 3. Folders: screenshots (emptied, so only this run's are there) and pytest's scratch.
    let shots = dir.join("shots");
    let scratch = dir.join("run");
    if shots.exists() {
        std::fs::remove_dir_all(&shots).with_context(|| format!("removing {}", shots.display()))?;
    }
    std::fs::create_dir_all(&shots).with_context(|| format!("creating {}", shots.display()))?;

    let stale = marked_processes(None);
    if !stale.is_empty() {
        println!(
            "! processes of another E2E run are still alive (not ours to stop): {}",
            describe(&stale)
        );
    }

    // 4. Run it.
    let timeout = if options.keep_open {
        None
    } else {
        Some(timeout_from_env()?)
    };
    let marker = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let mut cmd = match &xvfb_run {
        Some(xvfb_run) => {
            let mut cmd = ctx.cmd(xvfb_run);
            cmd.args(["-a", "-s", "-screen 0 1280x800x24"]).arg(&python);
            cmd
        }
        None => ctx.cmd(&python),
    };
    cmd.args([
        "-m",
        "pytest",
        SUITE,
        "-x",
        "-v",
        "-p",
        "no:cacheprovider",
        "--basetemp",
    ])
    .arg(&scratch)
    .env("MUTUA_APP", &app)
    .env("MUTUA_RELAY", &relay)
    .env("MUTUA_E2E_SHOTS", &shots)
    .env("TAURI_DRIVER", &tauri_driver)
    .env("WEBKIT_WEBDRIVER", WEBKIT_WEBDRIVER)
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .env(MARKER, &marker);
    match timeout {
        Some(limit) => {
            // Its own process group: on a timeout the whole run can be stopped at once. (Not
            // with --keep-open: it must stay in the terminal's foreground group to read Enter.)
            cmd.process_group(0);
            let inner = limit.saturating_sub(GRACE).max(Duration::from_secs(60));
            cmd.env("MUTUA_E2E_TIMEOUT", inner.as_secs().to_string())
                .stdin(Stdio::null());
            println!(
                "running the E2E suite ({}; time limit {} s)",
                if use_xvfb {
                    "under Xvfb"
                } else {
                    "on $DISPLAY"
                },
                limit.as_secs()
            );
        }
        None => {
            cmd.env("MUTUA_E2E_KEEP_OPEN", "1");
            println!(
                "running the E2E suite ({}; --keep-open: no time limit, the app stays open at the end until you press Enter)",
                if use_xvfb {
                    "under Xvfb"
                } else {
                    "on $DISPLAY"
                }
            );
        }
    }
    println!("  screenshots: {}", shots.display());
    println!("  $ {}", ctx::display(&cmd));
    let run_start = Instant::now();
    let child = cmd
        .spawn()
        .with_context(|| format!("could not start `{}`", ctx::display(&cmd)))?;
    let outcome = supervise(child, timeout, &marker);

    // 5. Nothing of the run may survive it, whatever happened.
    let cleanup = stop_leftovers(&marker);
    let elapsed = secs(run_start);
    let status = outcome?;
    cleanup?;

    let count = std::fs::read_dir(&shots).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
            .count()
    });
    if !status.success() {
        bail!(
            "the E2E suite failed ({status}) after {elapsed}. See pytest's report above; \
             FAILED-*.png in {} show the screen when it failed; the tauri-driver log and the \
             app's data are under {}",
            shots.display(),
            scratch.display()
        );
    }
    println!(
        "✓ E2E suite passed in {elapsed} (app build {}); {count} screenshots in {}",
        secs_between(start, run_start),
        shots.display()
    );
    Ok(())
}

fn timeout_from_env() -> Result<Duration> {
    match std::env::var("MUTUA_E2E_TIMEOUT") {
        Ok(value) if !value.trim().is_empty() => {
            let secs: u64 = value.trim().parse().with_context(|| {
                format!("MUTUA_E2E_TIMEOUT={value:?} is not a number of seconds")
            })?;
            Ok(Duration::from_secs(secs.max(120)))
        }
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

fn secs_between(from: Instant, to: Instant) -> String {
    format!("{:.1} s", to.duration_since(from).as_secs_f64())
}

/// Waits for the run; past the deadline, asks pytest to stop (SIGTERM, which it turns into an
/// interruption that still tears its drivers down), then the whole process group.
fn supervise(mut child: Child, timeout: Option<Duration>, marker: &str) -> Result<ExitStatus> {
    let Some(limit) = timeout else {
        return child.wait().context("waiting for the E2E run");
    };
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().context("waiting for the E2E run")? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    println!(
        "! the E2E run is still going after {} s: stopping it",
        limit.as_secs()
    );
    let pytest: Vec<Process> = marked_processes(Some(marker))
        .into_iter()
        .filter(|p| p.name.starts_with("python"))
        .collect();
    if !pytest.is_empty() {
        println!("  SIGTERM to pytest: {}", describe(&pytest));
        for p in &pytest {
            terminate(p.pid);
        }
        if let Some(status) = wait_child(&mut child, GRACE)? {
            bail!(
                "the E2E run timed out after {} s ({status})",
                limit.as_secs()
            );
        }
    }
    let group = child.id();
    println!("  SIGTERM to the run's process group {group}");
    let _ = output_ok(Command::new("kill").args(["-TERM", "--", &format!("-{group}")]));
    match wait_child(&mut child, STOP_WAIT)? {
        Some(status) => bail!(
            "the E2E run timed out after {} s ({status})",
            limit.as_secs()
        ),
        None => bail!(
            "the E2E run timed out after {} s and xvfb-run (pid {group}) ignores SIGTERM",
            limit.as_secs()
        ),
    }
}

fn wait_child(child: &mut Child, limit: Duration) -> Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().context("waiting for the E2E run")? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops (SIGTERM) whatever of this run is still alive: tauri-driver, WebKitWebDriver, the app,
/// WebKit's helper processes, Xvfb. Fails if anything survives.
fn stop_leftovers(marker: &str) -> Result<()> {
    // xvfb-run signals Xvfb without waiting for it, and WebKit's helper processes follow the
    // app out: give them a moment to go by themselves.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = marked_processes(Some(marker));
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = marked_processes(Some(marker));
    }
    if left.is_empty() {
        println!("✓ no driver, app or Xvfb process of the run is left");
        return Ok(());
    }
    // tauri-driver first (it stops its WebKitWebDriver), then the rest.
    let (drivers, others): (Vec<Process>, Vec<Process>) =
        left.into_iter().partition(|p| p.name == "tauri-driver");
    for group in [drivers, others] {
        if group.is_empty() {
            continue;
        }
        println!("! left over by the run: {}; SIGTERM", describe(&group));
        for p in &group {
            terminate(p.pid);
        }
        let deadline = Instant::now() + STOP_WAIT;
        while Instant::now() < deadline && group.iter().any(|p| alive(p.pid)) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let survivors = marked_processes(Some(marker));
    if !survivors.is_empty() {
        bail!(
            "processes of the E2E run survived SIGTERM: {}; stop them by pid (`kill <pid>`) before the next run",
            describe(&survivors)
        );
    }
    println!("✓ left-over processes stopped");
    Ok(())
}

#[derive(Debug)]
struct Process {
    pid: u32,
    name: String,
}

fn describe(processes: &[Process]) -> String {
    processes
        .iter()
        .map(|p| format!("{} ({})", p.pid, p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Live processes whose environment holds `MARKER=<marker>` (any value when `None`).
fn marked_processes(marker: Option<&str>) -> Vec<Process> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let exact = marker.map(|m| format!("{MARKER}={m}").into_bytes());
    let prefix = format!("{MARKER}=").into_bytes();
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me || !alive(pid) {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let hit = environ.split(|b| *b == 0).any(|var| match &exact {
            Some(exact) => var == exact.as_slice(),
            None => var.starts_with(&prefix),
        });
        if hit {
            let name = std::fs::read_to_string(entry.path().join("comm"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "?".to_owned());
            found.push(Process { pid, name });
        }
    }
    found.sort_by_key(|p| p.pid);
    found
}

/// Running (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

fn terminate(pid: u32) {
    let _ = output_ok(Command::new("kill").args(["-TERM", &pid.to_string()]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_cargo_install_list() {
        let list = "tauri-driver v2.1.0:\n    tauri-driver\nwasm-bindgen-cli v0.2.130:\n    wasm-bindgen\n";
        assert_eq!(
            parse_install_list(list, "tauri-driver").as_deref(),
            Some("2.1.0")
        );
        assert_eq!(
            parse_install_list(list, "wasm-bindgen-cli").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(parse_install_list(list, "wasm-bindgen"), None);
        assert_eq!(parse_install_list("", "tauri-driver"), None);
    }

    #[test]
    fn this_process_is_alive_and_unmarked() {
        assert!(alive(std::process::id()));
        assert!(!alive(u32::MAX));
        // The test process does not carry the marker of a run.
        assert!(
            marked_processes(Some("no-such-run"))
                .iter()
                .all(|p| p.pid != std::process::id())
        );
    }
}
