//! `mutua-bench`: run by `cargo xtask bench` (see the library's docs).
//!
//! ```text
//! mutua-bench run [--quick] --out DIR --work DIR [--app PATH --wasm PATH] [--no-postgres] [--no-node]
//! mutua-bench child (kdf|first-screen|everything) DATA_DIR   # a cold-start probe
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mutua_bench::{Mode, Options};

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => {
            let mode = args.get(1).context("child: which probe?")?;
            let dir = PathBuf::from(args.get(2).context("child: which data directory?")?);
            let report = mutua_bench::backend::child(mode, &dir)?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
        Some("run") => {
            let mut opts = Options {
                mode: Mode::Full,
                out_dir: PathBuf::from("."),
                work_dir: PathBuf::from("target/bench"),
                app_binary: None,
                wasm: None,
                postgres: true,
                node_baseline: true,
            };
            let mut it = args[1..].iter();
            while let Some(arg) = it.next() {
                let mut value = || {
                    it.next()
                        .map(PathBuf::from)
                        .with_context(|| format!("{arg} needs a value"))
                };
                match arg.as_str() {
                    "--quick" => opts.mode = Mode::Quick,
                    "--tiny" => opts.mode = Mode::Tiny,
                    "--out" => opts.out_dir = value()?,
                    "--work" => opts.work_dir = value()?,
                    "--app" => opts.app_binary = Some(value()?),
                    "--wasm" => opts.wasm = Some(value()?),
                    "--no-postgres" => opts.postgres = false,
                    "--no-node" => opts.node_baseline = false,
                    other => bail!("unknown argument {other}"),
                }
            }
            mutua_bench::run(&opts)?;
            Ok(())
        }
        _ => bail!(
            "usage: mutua-bench run [--quick] --out DIR --work DIR [--app PATH --wasm PATH] [--no-postgres] [--no-node]"
        ),
    }
}
