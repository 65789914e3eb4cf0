//! Measure 4: the app backend at the ten-years scale — cold start to first screen data in a
//! fresh process, peak resident memory, and the database's size on disk against the raw
//! content and against Automerge's own saved documents.
//!
//! A cold start is this very binary started again as a child (`mutua-bench child ...`): it
//! opens the database and builds the Today screen's data, then exits; the parent times spawn
//! to exit. The OS file cache is warm (dropping it would disturb everyone on a shared machine).
//! "Raw key" is that time minus the Argon2id derivation, which another child measures alone:
//! what a device whose key comes from the OS keychain pays.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use automerge::{Automerge, Change};
use mutua_core::changes::Scope;
use mutua_core::unlock::KeyInfo;
use mutua_core::{Mutua, Unlock};
use serde::Serialize;

use crate::stats::median;
use crate::tenyears::{PASSPHRASE, TenYears};

#[derive(Debug, Clone, Serialize)]
pub struct Backend {
    pub cold_start_passphrase_ms: f64,
    pub kdf_ms: f64,
    pub cold_start_raw_key_ms: f64,
    pub runs: usize,
    pub peak_rss_kib: u64,
    pub db_bytes: u64,
    pub raw_bytes: u64,
    pub automerge_saved_bytes: u64,
    /// The Automerge changes the database keeps (its change log), uncompressed.
    pub change_log_bytes: u64,
    pub changes: usize,
    pub documents: usize,
}

/// What a child prints (one JSON line).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct ChildReport {
    pub millis: f64,
    pub peak_rss_kib: u64,
    pub rows: usize,
}

/// Runs in the child process: `mode` is `kdf`, `first-screen` or `everything`.
pub fn child(mode: &str, dir: &Path) -> Result<ChildReport> {
    let started = Instant::now();
    let rows = match mode {
        "kdf" => {
            let info = KeyInfo::read(dir)?.context("no keyinfo.json")?;
            info.unlock(Unlock::Passphrase(PASSPHRASE))?;
            0
        }
        "first-screen" => {
            let m = Mutua::open(dir, Unlock::Passphrase(PASSPHRASE))?;
            crate::screens::today(&m)?
        }
        "everything" => {
            // Every screen, then the whole history read through the chat pages of every group.
            let m = Mutua::open(dir, Unlock::Passphrase(PASSPHRASE))?;
            let mut rows = crate::screens::today(&m)?;
            rows += m.conversations()?.len();
            for c in m.conversations()? {
                let mut before: Option<String> = None;
                loop {
                    let page = m.messages(&c.conversation, before.as_deref(), 100)?;
                    rows += page.messages.len();
                    match page.older {
                        Some(o) => before = Some(o),
                        None => break,
                    }
                }
            }
            rows += m.search_journal("meeting", 50)?.len();
            rows
        }
        other => bail!("unknown child mode {other}"),
    };
    Ok(ChildReport {
        millis: started.elapsed().as_secs_f64() * 1000.0,
        peak_rss_kib: crate::relay::peak_rss_kib(std::process::id()).unwrap_or(0),
        rows,
    })
}

fn spawn(mode: &str, dir: &Path) -> Result<(f64, ChildReport)> {
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let out = Command::new(exe)
        .args(["child", mode])
        .arg(dir)
        .output()
        .context("starting the child")?;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    if !out.status.success() {
        bail!(
            "the {mode} child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report: ChildReport = serde_json::from_slice(&out.stdout).context("the child's report")?;
    Ok((wall, report))
}

pub fn measure(data: &TenYears, runs: usize) -> Result<Backend> {
    let mut walls = Vec::new();
    let mut kdfs = Vec::new();
    for _ in 0..runs {
        walls.push(spawn("first-screen", &data.dir)?.0);
        kdfs.push(spawn("kdf", &data.dir)?.1.millis);
    }
    let (_, everything) = spawn("everything", &data.dir)?;
    let db_bytes = ["mutua.db", "mutua.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    // The baseline store: each document as Automerge saves it (compressed columnar format).
    let m = Mutua::open(&data.dir, Unlock::Passphrase(PASSPHRASE))?;
    let set = m.changes_since(&Default::default(), Scope::Everything)?;
    let mut saved = 0u64;
    let change_log_bytes = set
        .docs
        .iter()
        .flat_map(|(_, c)| c)
        .map(|c| c.len() as u64)
        .sum();
    let changes = set.docs.iter().map(|(_, c)| c.len()).sum();
    for (_, changes) in &set.docs {
        let mut doc = Automerge::new();
        let parsed = changes
            .iter()
            .map(|c| Change::from_bytes(c.clone()).context("a change"))
            .collect::<Result<Vec<_>>>()?;
        doc.apply_changes(parsed)?;
        saved += doc.save().len() as u64;
    }
    let kdf = median(&kdfs);
    let cold = median(&walls);
    Ok(Backend {
        cold_start_passphrase_ms: cold,
        kdf_ms: kdf,
        cold_start_raw_key_ms: (cold - kdf).max(0.0),
        runs,
        peak_rss_kib: everything.peak_rss_kib,
        db_bytes,
        raw_bytes: data.raw_bytes,
        automerge_saved_bytes: saved,
        change_log_bytes,
        changes,
        documents: set.docs.len(),
    })
}
