//! `BENCHMARKS.md` and the JSON beside it: one table (measure, Mutua, baseline, ratio, notes)
//! built from a run's results, with the date, the machine and how long the run took.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::Results;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub section: &'static str,
    pub measure: String,
    pub mutua: String,
    pub baseline: String,
    /// Mutua ÷ baseline, when both are numbers.
    pub ratio: Option<f64>,
    /// For the ratio: true when a larger number is better (throughput).
    pub higher_is_better: bool,
    pub notes: String,
}

/// The machine, as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub load_at_start: String,
    pub os: String,
}

impl Machine {
    pub fn here() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown CPU".into());
        let mem_kib: f64 = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let os = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| std::env::consts::OS.into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gib: mem_kib / 1024.0 / 1024.0,
            load_at_start: load
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            os,
        }
    }
}

pub fn bytes(n: u64) -> String {
    if n < 10_000 {
        format!("{n} B")
    } else if n < 10_000_000 {
        format!("{:.1} KB", n as f64 / 1000.0)
    } else {
        format!("{:.1} MB", n as f64 / 1e6)
    }
}

pub fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{:.0} µs", v * 1000.0)
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn ratio_text(row: &Row) -> String {
    match row.ratio {
        Some(r) if r.is_finite() => {
            let worse = if row.higher_is_better {
                r < 1.0
            } else {
                r > 1.0
            };
            format!("{r:.2}×{}", if worse { " ⚠" } else { "" })
        }
        _ => "—".into(),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(results: &Results, rows: &[Row]) -> String {
    let mut out = String::new();
    let m = &results.machine;
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench{}` on {} ({}, took {:.1} min). **Mode: {}.**\n",
        if results.mode == "quick" {
            " --quick"
        } else {
            ""
        },
        results.date,
        results.commit,
        results.secs / 60.0,
        results.mode
    );
    let _ = writeln!(
        out,
        "Machine: {} × {} ({}), {:.1} GiB RAM, load average at start {}. Absolute times depend \
         on this machine (shared, 2 cores: the load generators, relays and baselines all run on \
         it at once); ratios are what to compare between runs. Each comparison ran Mutua and \
         its baseline in this same run on the same data.\n",
        m.cores, m.cpu, m.os, m.memory_gib, m.load_at_start
    );
    let _ = writeln!(
        out,
        "Ratio = Mutua ÷ baseline. Bytes, round trips, times, sizes: lower is better. Posts per \
         second: higher is better. ⚠ marks rows where Mutua does worse than the baseline.\n"
    );
    let _ = writeln!(out, "| # | measure | Mutua | baseline | ratio | notes |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.section,
            cell(&row.measure),
            cell(&row.mutua),
            cell(&row.baseline),
            ratio_text(row),
            cell(&row.notes)
        );
    }
    let _ = writeln!(out, "\n## How each row was measured\n");
    for line in crate::rows::METHOD {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(
        out,
        "\nThe raw numbers of this run are in `BENCHMARKS.json` (same folder)."
    );
    out
}

pub fn write(dir: &Path, results: &Results, rows: &[Row]) -> Result<()> {
    std::fs::write(dir.join("BENCHMARKS.md"), markdown(results, rows))?;
    let json = serde_json::json!({ "results": results, "rows": rows });
    std::fs::write(
        dir.join("BENCHMARKS.json"),
        serde_json::to_vec_pretty(&json)?,
    )?;
    Ok(())
}
