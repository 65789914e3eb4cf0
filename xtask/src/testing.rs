//! `cargo xtask test`: what CI runs. Phases, each with a header and its elapsed time:
//!
//! 1. setup, 2. build-ui — prerequisites: if one fails, nothing after it runs;
//! 3. lockfile (CI only), 4. fmt, 5. clippy, 6. clippy-wasm, 7. test — checks: all of them run
//!    even when an earlier one failed, so one CI run reports every problem;
//! 8. e2e — the end-to-end suite in the real app under Xvfb (see [`crate::e2e`]).
//!
//! A summary follows; the exit code is non-zero if any phase failed.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::ctx::{self, Ctx, output_ok, which};
use crate::setup::{self, Tools, WASM_TARGET};
use crate::ui;

const PHASES: &[&str] = &[
    "setup",
    "build-ui",
    "lockfile",
    "fmt",
    "clippy",
    "clippy-wasm",
    "test",
    "e2e",
];

/// What a phase ended with.
enum Outcome {
    Ok,
    Skipped(String),
    Failed(String),
    NotRun,
}

struct Runner {
    results: Vec<(&'static str, Outcome, f64)>,
}

impl Runner {
    /// Runs one phase with a header and a footer; true if it did not fail.
    fn phase(&mut self, name: &'static str, f: impl FnOnce() -> Result<Outcome>) -> bool {
        let index = self.results.len() + 1;
        println!("\n==> [{index}/{}] {name}", PHASES.len());
        let start = Instant::now();
        let outcome = f().unwrap_or_else(|err| Outcome::Failed(format!("{err:#}")));
        let secs = start.elapsed().as_secs_f64();
        match &outcome {
            Outcome::Ok => println!("<== {name}: ok ({secs:.1} s)"),
            Outcome::Skipped(why) => println!("<== {name}: skipped: {why}"),
            Outcome::Failed(why) => println!("<== {name}: FAILED ({secs:.1} s)\n    {why}"),
            Outcome::NotRun => {}
        }
        let ok = !matches!(outcome, Outcome::Failed(_));
        self.results.push((name, outcome, secs));
        ok
    }

    fn not_run_from_here(&mut self) {
        while self.results.len() < PHASES.len() {
            let name = PHASES[self.results.len()];
            self.results.push((name, Outcome::NotRun, 0.0));
        }
    }

    fn summary(&self, total: Instant) -> ExitCode {
        println!("\n==> summary");
        let mut failed = Vec::new();
        for (name, outcome, secs) in &self.results {
            let (label, note) = match outcome {
                Outcome::Ok => ("ok", String::new()),
                Outcome::Skipped(why) => ("skipped", why.clone()),
                Outcome::Failed(why) => {
                    failed.push(*name);
                    // The first line is enough here; the full message is above.
                    ("FAILED", why.lines().next().unwrap_or_default().to_owned())
                }
                Outcome::NotRun => ("not run", "an earlier prerequisite failed".to_owned()),
            };
            let line = format!("  {label:<8} {name:<12} {secs:>7.1} s  {note}");
            println!("{}", line.trim_end());
        }
        let total = ctx::secs(total);
        if failed.is_empty() {
            println!("xtask test: OK in {total}");
            ExitCode::SUCCESS
        } else {
            println!("xtask test: FAILED ({}) in {total}", failed.join(", "));
            ExitCode::FAILURE
        }
    }
}

pub fn test(ctx: &Ctx) -> ExitCode {
    let total = Instant::now();
    if let Some(line) = ctx.describe_env() {
        println!("{line}");
    }
    let mut runner = Runner {
        results: Vec::new(),
    };

    // Prerequisites.
    let mut tools: Option<Tools> = None;
    let prerequisites_ok = runner.phase("setup", || {
        tools = Some(setup::setup(ctx)?);
        Ok(Outcome::Ok)
    }) && runner.phase("build-ui", || match &tools {
        Some(tools) => ui::build_ui(ctx, tools, true).map(|()| Outcome::Ok),
        None => bail!("setup produced no tools"),
    });
    if !prerequisites_ok {
        runner.not_run_from_here();
        return runner.summary(total);
    }

    // Checks: each one runs whatever happened before.
    runner.phase("lockfile", || lockfile(ctx));
    runner.phase("fmt", || {
        ctx::run(
            ctx.cargo().args(["fmt", "--all", "--", "--check"]),
            "Run `cargo fmt --all` and commit the result",
        )
        .map(|()| Outcome::Ok)
    });
    // No `--workspace`: the default members (everything native; `mutua-ui` is wasm-only and
    // linted below; crates that need a display stay out of default-members).
    runner.phase("clippy", || {
        ctx::run(
            ctx.cargo().args([
                "clippy",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ]),
            "Fix the clippy findings above",
        )
        .map(|()| Outcome::Ok)
    });
    runner.phase("clippy-wasm", || {
        ctx::run(
            ctx.cargo().args([
                "clippy",
                "-p",
                "mutua-ui",
                "--target",
                WASM_TARGET,
                "--locked",
                "--",
                "-D",
                "warnings",
            ]),
            "Fix the clippy findings in the UI crate above",
        )
        .map(|()| Outcome::Ok)
    });
    runner.phase("test", || {
        let mut cmd = ctx.cargo();
        cmd.args(["test", "--locked"]);
        let python = setup::venv_python(&ctx.root);
        if std::env::var_os("MUTUA_PYTHON").is_none() {
            if python.is_file() {
                cmd.env("MUTUA_PYTHON", &python);
                println!("  MUTUA_PYTHON={}", python.display());
            } else {
                println!("  (no {}: MUTUA_PYTHON left unset)", python.display());
            }
        }
        if std::env::var_os("MUTUA_RELAY_BIN").is_none() {
            // The relay binary this very `cargo test` builds (it is built before any test
            // runs): without it, the first relay test builds the relay again with the relay's
            // own feature set, minutes on two cores.
            let relay = ctx.target_dir()?.join("debug").join("mutua-relay");
            println!("  MUTUA_RELAY_BIN={}", relay.display());
            cmd.env("MUTUA_RELAY_BIN", relay);
        }
        if std::env::var_os("PROPTEST_CASES").is_none() {
            cmd.env("PROPTEST_CASES", "1000");
            println!("  PROPTEST_CASES=1000");
        }
        ctx::run(&mut cmd, "See the failing tests above")?;
        // The UI is not a default member (it ships as wasm), but its logic tests run natively.
        let mut ui = ctx.cargo();
        ui.args(["test", "--locked", "-p", "mutua-ui", "--lib"]);
        ctx::run(&mut ui, "See the failing UI tests above").map(|()| Outcome::Ok)
    });
    runner.phase("e2e", || e2e(ctx));

    runner.summary(total)
}

/// The end-to-end run (xtask/src/e2e.rs): the app built with the UI from the build-ui phase,
/// driven by tests/e2e under Xvfb, bounded by a timeout, its drivers stopped with SIGTERM.
fn e2e(ctx: &Ctx) -> Result<Outcome> {
    if std::env::var_os("MUTUA_SKIP_E2E").is_some_and(|v| !v.is_empty()) {
        return Ok(Outcome::Skipped("MUTUA_SKIP_E2E is set".to_owned()));
    }
    crate::e2e::run(ctx, &crate::e2e::Options::default()).map(|()| Outcome::Ok)
}

/// In CI (a fresh clone), fails if Cargo.lock no longer matches the commit. The `cargo xtask`
/// alias is a plain `cargo run`, which rewrites a stale Cargo.lock before any `--locked`
/// command can object; this catches it.
fn lockfile(ctx: &Ctx) -> Result<Outcome> {
    if !ctx.ci {
        return Ok(Outcome::Skipped("only checked in CI".to_owned()));
    }
    if which("git").is_none()
        || output_ok(
            ctx.cmd("git")
                .args(["ls-files", "--error-unmatch", "Cargo.lock"]),
        )
        .is_none()
    {
        return Ok(Outcome::Skipped(
            "Cargo.lock is not tracked by git".to_owned(),
        ));
    }
    let status = ctx::status(ctx.cmd("git").args([
        "--no-pager",
        "diff",
        "--stat",
        "--exit-code",
        "--",
        "Cargo.lock",
    ]))?;
    if !status.success() {
        bail!(
            "Cargo.lock differs from the committed one (cargo had to update it): run `cargo build` locally and commit Cargo.lock"
        );
    }
    Ok(Outcome::Ok)
}
