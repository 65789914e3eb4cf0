//! `cargo xtask bench [--quick]`: installs what the benchmarks need (the usual set-up, which
//! brings PostgreSQL; Node.js for the automerge-repo baseline), builds the UI, the relay, the
//! desktop app (release, `custom-protocol`) and `mutua-bench` in release, then runs
//! `mutua-bench run`, which writes `BENCHMARKS.md` and `BENCHMARKS.json` at the repository
//! root. Caches (generated datasets, the baseline's npm packages) live in `<target>/bench`.

use std::time::Instant;

use anyhow::{Result, bail};

use crate::ctx::{self, Ctx, output_ok, secs, which};
use crate::{setup, ui};

#[derive(Debug, Default)]
pub struct Options {
    pub quick: bool,
    /// Extra arguments for `mutua-bench run` (`--no-postgres`, `--no-node`).
    pub pass: Vec<String>,
}

pub fn bench(ctx: &Ctx, options: &Options) -> Result<()> {
    let start = Instant::now();
    let tools = setup::setup(ctx)?;
    node(ctx)?;
    ui::build_ui(ctx, &tools, true)?;

    println!("building mutua-relay, mutua-bench and mutua-app (release)");
    let mut build = ctx.cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "mutua-relay",
        "-p",
        "mutua-bench",
    ]);
    ctx::run(
        &mut build,
        "The benchmark harness does not build; fix the errors above",
    )?;
    let mut app = ctx.cargo();
    app.args([
        "build",
        "--release",
        "-p",
        "mutua-app",
        "--features",
        "custom-protocol",
    ]);
    ctx::run(
        &mut app,
        "The desktop app does not build in release; fix the errors above",
    )?;

    let target = ctx.target_dir()?;
    let release = target.join("release");
    let mut run = ctx.cmd(release.join("mutua-bench"));
    run.arg("run")
        .arg("--out")
        .arg(&ctx.root)
        .arg("--work")
        .arg(target.join("bench"))
        .arg("--app")
        .arg(release.join("mutua-app"))
        .arg("--wasm")
        .arg(ctx.root.join("ui/dist/pkg/ui_bg.wasm"))
        .args(&options.pass)
        .env("MUTUA_RELAY_BIN", release.join("mutua-relay"));
    if options.quick {
        run.arg("--quick");
    }
    println!(
        "running the benchmarks ({})",
        if options.quick {
            "quick"
        } else {
            "full: this takes a while"
        }
    );
    ctx::run(
        &mut run,
        "The benchmark run failed; its last progress line says where",
    )?;
    println!("bench complete in {}: see BENCHMARKS.md", secs(start));
    Ok(())
}

/// Node.js and npm for the automerge-repo baseline: Debian's `nodejs` and `npm` when missing.
fn node(ctx: &Ctx) -> Result<()> {
    let version = output_ok(ctx.cmd("node").arg("--version"));
    if let Some(v) = &version
        && which("npm").is_some()
    {
        println!("✓ Node.js {} and npm present", v.trim());
        return Ok(());
    }
    println!("→ installing Debian packages: nodejs npm (for the automerge-repo baseline)");
    let uid = output_ok(ctx.cmd("id").arg("-u")).unwrap_or_default();
    let mut cmd = if uid.trim() == "0" {
        ctx.cmd("apt-get")
    } else {
        let mut c = ctx.cmd("sudo");
        c.arg("apt-get");
        c
    };
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args([
        "install",
        "-y",
        "--no-install-recommends",
        "nodejs",
        "npm",
    ]);
    ctx::run(
        &mut cmd,
        "Install Node.js (18 or newer) and npm by hand, then run `cargo xtask bench` again",
    )?;
    if which("npm").is_none() {
        bail!("npm is still missing after installing it");
    }
    Ok(())
}
