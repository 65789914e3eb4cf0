//! Measure 5's baseline: the automerge-repo sync server (npm `@automerge/automerge-repo-sync-
//! server`, pinned in `bench/node/package.json` + lock) under the same workload, driven by
//! `bench/node/load.mjs`, which speaks automerge-repo's websocket protocol.
//!
//! Why this and not `samod` (the Rust port, on crates.io): the npm server is what the issue and
//! automerge-repo's own documentation point developers at, it installs here in seconds with
//! the Node.js 20 that is on the machine, and it needs no second Automerge version compiled
//! into our workspace (samod 0.16 pulls its own automerge and an axum/tungstenite stack).
//!
//! The files are copied to `<work>/node` and installed there with npm (only when they
//! changed), so nothing lands in the repository.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

const FILES: [(&str, &str); 4] = [
    (
        "package.json",
        include_str!("../../../bench/node/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../../bench/node/package-lock.json"),
    ),
    ("server.mjs", include_str!("../../../bench/node/server.mjs")),
    ("load.mjs", include_str!("../../../bench/node/load.mjs")),
];

/// Copies the baseline's files to `work/node` and installs its packages (the versions of the
/// committed lock) unless the same files were installed there before.
pub fn install(work: &Path) -> Result<PathBuf> {
    let dir = work.join("node");
    std::fs::create_dir_all(&dir)?;
    let stamp: String = FILES
        .iter()
        .map(|(_, text)| text.len().to_string() + ":")
        .collect::<String>()
        + &FILES
            .iter()
            .map(|(_, text)| fnv(text).to_string())
            .collect::<Vec<_>>()
            .join(",");
    let stamp_path = dir.join(".installed");
    if std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str())
        && dir
            .join("node_modules/@automerge/automerge-repo-sync-server")
            .is_dir()
    {
        return Ok(dir);
    }
    for (name, text) in FILES {
        std::fs::write(dir.join(name), text)?;
    }
    crate::progress("baseline: installing @automerge/automerge-repo-sync-server 0.2.8 (npm)");
    // `npm install` rather than `npm ci`: npm 11 wants every platform's optional build of
    // cbor-extract in the lock, which the lock made on this machine does not list; the lock
    // still pins every version.
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .context("running npm (Node.js 20 and npm must be installed)")?;
    if !status.success() {
        bail!("npm install failed in {}", dir.display());
    }
    std::fs::write(&stamp_path, stamp)?;
    Ok(dir)
}

/// FNV-1a: a stable fingerprint of the files for the install stamp.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug)]
pub struct SyncServer {
    child: Child,
    pub port: u16,
}

impl SyncServer {
    pub fn start(dir: &Path, data: &Path) -> Result<SyncServer> {
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(dir)
            .env("DATA_DIR", data)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the sync server")?;
        let mut out = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        out.read_line(&mut line)?;
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("the sync server said {line:?}"))?;
        std::thread::spawn(move || {
            let mut sink = String::new();
            while out.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Ok(SyncServer { child, port })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct NodeThroughput {
    pub posts: usize,
    pub secs: f64,
    pub posts_per_sec: f64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct NodeLatency {
    pub waiters: usize,
    pub posts: usize,
    pub deliveries: usize,
    pub expected: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// Runs `load.mjs` with these arguments (bounded by `limit_secs`) and parses its JSON line.
pub fn load<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    port: u16,
    args: &[String],
    limit_secs: u64,
) -> Result<T> {
    let out = Command::new("timeout")
        .arg(limit_secs.to_string())
        .arg("node")
        .arg("load.mjs")
        .arg(format!("ws://127.0.0.1:{port}"))
        .args(args)
        .current_dir(dir)
        .output()
        .context("running the baseline's load generator")?;
    if !out.status.success() {
        bail!(
            "the baseline's load generator failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the load generator printed {line:?}"))
}
