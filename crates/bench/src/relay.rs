//! A real `mutua-relay` process for the benchmarks: like `mutua_tests::relay::RelayProcess`, but
//! logging at `warn` (a relay logging every request at `debug` into a pipe would measure our
//! log reader, not the relay) and with output drained and dropped.
//!
//! The binary is the one given to [`use_binary`], else `MUTUA_RELAY_BIN` (xtask builds it in
//! release and sets it), else `mutua-relay` next to this executable.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

pub use mutua_tests::relay::RelayStorage;

#[derive(Debug)]
pub struct Relay {
    child: Child,
    url: String,
}

static OVERRIDE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Uses this relay binary from now on (tests pass the one they built).
pub fn use_binary(path: PathBuf) {
    let _ = OVERRIDE.set(path);
}

/// Where the relay binary is.
pub fn binary() -> Result<PathBuf> {
    if let Some(path) = OVERRIDE.get() {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os("MUTUA_RELAY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("this program's path")?;
    let dir = exe.parent().context("this program's directory")?;
    for candidate in [dir.join("mutua-relay"), dir.join("../mutua-relay")] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no mutua-relay binary next to {}: build it (`cargo build --release -p mutua-relay`) or set MUTUA_RELAY_BIN",
        exe.display()
    )
}

impl Relay {
    /// Starts a relay on a free loopback port with rate limits out of the way (the benchmark
    /// measures throughput, not the limiter).
    pub fn start(storage: &RelayStorage) -> Result<Relay> {
        let database = match storage {
            RelayStorage::Sqlite(path) => path.display().to_string(),
            RelayStorage::Postgres(url) => url.clone(),
        };
        let mut child = Command::new(binary()?)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
            .args(["--rate", "1000000", "--burst", "1000000"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting mutua-relay")?;
        let stderr = child.stderr.take().context("relay stderr")?;
        let errors = std::thread::spawn(move || drain(stderr, true));
        let mut stdout = BufReader::new(child.stdout.take().context("relay stdout")?);
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.wait();
            let log = errors.join().unwrap_or_default();
            bail!("the relay exited before saying where it listens:\n{log}");
        }
        let addr = line
            .trim()
            .strip_prefix("mutua-relay listening on http://")
            .and_then(|rest| rest.split(' ').next())
            .with_context(|| format!("unexpected first line from the relay: {line:?}"))?
            .to_owned();
        std::thread::spawn(move || drain(stdout, false));
        Ok(Relay {
            child,
            url: format!("http://{addr}"),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a pipe to its end so the child never blocks on it; keeps the last few KB of stderr
/// for an error message.
fn drain(mut from: impl Read, keep: bool) -> String {
    let mut buf = [0u8; 8192];
    let mut tail: Vec<u8> = Vec::new();
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        if keep {
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 16_384 {
                tail.drain(..tail.len() - 8192);
            }
        }
    }
    String::from_utf8_lossy(&tail).into_owned()
}

/// Peak resident memory of a process in KiB (`VmHWM`), if it is still there.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
