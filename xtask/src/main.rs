//! `cargo xtask`: Mutua's set-up, build, test and run entry point.
//!
//! The two commands a newcomer needs are `cargo xtask setup` and `cargo xtask run`; CI runs
//! `cargo xtask test` (from `.ci/run`). Everything is plain std + anyhow so that this crate
//! compiles in seconds in a fresh clone.
//!
//! | command                      | what it does                                               |
//! | ---------------------------- | ---------------------------------------------------------- |
//! | `cargo xtask setup`          | installs what is missing (apt, wasm target, wasm-bindgen, tauri-driver, venv) |
//! | `cargo xtask build-ui`       | builds `mutua-ui` to wasm and assembles `ui/dist`          |
//! | `cargo xtask test`           | setup, build-ui, fmt, clippy, tests, e2e; a summary at the end |
//! | `cargo xtask e2e [--keep-open]` | setup, build-ui, the app, then the E2E suite under Xvfb |
//! | `cargo xtask run [--demo]`   | the desktop app, or the CLI's guided demo                  |
//! | `cargo xtask bench [--quick]` | benchmarks vs Automerge's sync → BENCHMARKS.md (+ .json)   |
//! | `cargo xtask soak [...]`     | the kill -9 and cross-route tests, long (release build)    |

mod bench;
mod ctx;
mod e2e;
mod setup;
mod soak;
mod testing;
mod ui;

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::ctx::{Ctx, secs};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup                install whatever is missing (Debian packages, the wasm32 target,
                       wasm-bindgen-cli matching Cargo.lock, tauri-driver, the Python
                       venv in .venv);
                       safe to run again: steps already satisfied are skipped
  build-ui [--debug]   build the `mutua-ui` crate to wasm and assemble ui/dist
  test                 setup, build-ui, fmt, clippy, the workspace tests, then the E2E
                       suite (what CI runs)
  e2e [--keep-open]    setup, build-ui, build the app, then drive it end to end (tests/e2e:
                       tauri-driver + WebKitWebDriver under Xvfb); screenshots go to
                       <target>/e2e/shots. --keep-open: no time limit, your $DISPLAY if set,
                       and the app stays open at the end until you press Enter
  run [ARGS...]        setup, build-ui, then the desktop app (`mutua-app`); with no
                       display to open a window on, the terminal tour instead
  run --demo [ARGS...] setup, then the CLI's guided demo (`mutua demo ARGS...`)
  bench [--quick]      set-up, then Mutua against Automerge's own sync and the
                       automerge-repo sync server on generated data (a group's year, a
                       member's ten years): writes BENCHMARKS.md and BENCHMARKS.json.
                       --quick: smaller data, under five minutes once built;
                       --no-postgres / --no-node leave those parts out
  soak [--kills N] [--schedules N] [--seed N] [--debug]
                       the durability tests, long: the device killed with SIGKILL N times
                       (default 210: 140 during local writes, 50 while syncing backlogs,
                       with relay kills, 20 while opening a sync file) and N cross-route
                       sync schedules (default 10000), in a release build; progress, then
                       a summary
  help                 this text

environment:
  CI                   when set: CARGO_TERM_COLOR=never, and CARGO_TARGET_DIR defaults
                       to $HOME/.cache/mutua/target so that repeated clones reuse builds
  CARGO_TARGET_DIR     honoured everywhere (ui/dist is built from the wasm found there)
  MUTUA_E2E_TIMEOUT    seconds allowed for the E2E run (default 900)
  MUTUA_SKIP_E2E       when set: `test` skips its E2E phase
";

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("\nerror: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    let Some(command) = args.next() else {
        print!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let rest: Vec<OsString> = args.collect();
    let command = command.to_string_lossy().into_owned();
    match command.as_str() {
        "setup" => {
            no_extra_args(&command, &rest)?;
            let ctx = Ctx::new()?;
            let start = Instant::now();
            setup::setup(&ctx)?;
            println!("setup complete in {}", secs(start));
            Ok(ExitCode::SUCCESS)
        }
        "build-ui" => {
            let mut release = true;
            for arg in &rest {
                match arg.to_str() {
                    Some("--debug") => release = false,
                    Some("--release") => release = true,
                    _ => bail!(
                        "build-ui: unknown argument {arg:?} (only --debug is accepted)\n\n{USAGE}"
                    ),
                }
            }
            let ctx = Ctx::new()?;
            let start = Instant::now();
            let tools = setup::wasm_tools(&ctx)?;
            ui::build_ui(&ctx, &tools, release)?;
            println!("build-ui complete in {}", secs(start));
            Ok(ExitCode::SUCCESS)
        }
        "test" => {
            no_extra_args(&command, &rest)?;
            let ctx = Ctx::new()?;
            Ok(testing::test(&ctx))
        }
        "e2e" => {
            let mut options = e2e::Options::default();
            for arg in &rest {
                match arg.to_str() {
                    Some("--keep-open") => options.keep_open = true,
                    _ => bail!(
                        "e2e: unknown argument {arg:?} (only --keep-open is accepted)\n\n{USAGE}"
                    ),
                }
            }
            let ctx = Ctx::new()?;
            let start = Instant::now();
            let tools = setup::setup(&ctx)?;
            ui::build_ui(&ctx, &tools, true)?;
            e2e::run(&ctx, &options)?;
            println!("e2e complete in {}", secs(start));
            Ok(ExitCode::SUCCESS)
        }
        "run" => run(rest),
        "bench" => {
            let mut options = bench::Options::default();
            for arg in &rest {
                match arg.to_str() {
                    Some("--quick") => options.quick = true,
                    Some(a @ ("--no-postgres" | "--no-node")) => options.pass.push(a.to_owned()),
                    _ => bail!(
                        "bench: unknown argument {arg:?} (--quick, --no-postgres, --no-node)\n\n{USAGE}"
                    ),
                }
            }
            let ctx = Ctx::new()?;
            bench::bench(&ctx, &options)?;
            Ok(ExitCode::SUCCESS)
        }
        "soak" => {
            let options = soak::Options::parse(&rest)?;
            let ctx = Ctx::new()?;
            soak::run(&ctx, &options)
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprint!("error: unknown command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

fn no_extra_args(command: &str, rest: &[OsString]) -> Result<()> {
    if let Some(arg) = rest.first() {
        bail!("`cargo xtask {command}` takes no arguments (got {arg:?})\n\n{USAGE}");
    }
    Ok(())
}

/// `cargo xtask run [--demo] [--] [ARGS...]`: everything but a leading `--demo` (or the old
/// `--app`) and one `--` separator is passed through to the program.
fn run(rest: Vec<OsString>) -> Result<ExitCode> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    let mut app = true;
    let mut pass = Vec::new();
    let mut options_done = false;
    for arg in rest {
        if !options_done && arg == "--demo" {
            app = false;
        } else if !options_done && arg == "--app" {
            app = true;
        } else if !options_done && arg == "--" {
            options_done = true;
        } else {
            options_done = true;
            pass.push(arg);
        }
    }

    if app && !has_display {
        println!(
            "No display to open the app's window on (DISPLAY is not set): showing the terminal \
             tour instead. On a desktop, `cargo xtask run` opens the app."
        );
        app = false;
    }
    let ctx = Ctx::new()?;
    let tools = setup::setup(&ctx)?;
    let mut cmd = ctx.cargo();
    if app {
        // The app embeds ui/dist, which must exist before src-tauri compiles.
        ui::build_ui(&ctx, &tools, true)?;
        cmd.args(["run", "-p", "mutua-app", "--features", "custom-protocol"]);
        if !pass.is_empty() {
            cmd.arg("--").args(&pass);
        }
    } else {
        cmd.args(["run", "-p", "mutua-cli", "--bin", "mutua", "--", "demo"])
            .args(&pass);
    }
    let status = ctx::status(&mut cmd)?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            eprintln!("`{}` was stopped by a signal", ctx::display(&cmd));
            ExitCode::FAILURE
        }
    })
}
