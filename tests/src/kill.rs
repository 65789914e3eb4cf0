//! Killing a device mid-write, for the durability tests: a seeded random source (so a failing
//! run can be replayed: every test prints its seed), a child process whose lines are collected
//! as they come, and SIGKILL at a chosen moment.
//!
//! SIGKILL gives the process no chance to flush, roll back or clean up; what survives is what
//! the kernel already had: exactly the situation of an app killed by the OS, a crash, or a
//! battery pulled after the disk caught up. (A power cut also loses what the disk had not
//! written yet; SQLite's `synchronous = FULL` is what covers that, and a kill cannot test it.)

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use mutua_core::KdfParams;

/// Argon2id costs the kill tests use: the passphrase path is the real one, only cheaper.
pub const CHEAP_KDF: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

/// SplitMix64: tiny, seedable, good enough to choose delays and writes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A seed from `var` if set (to replay a failure), else from the clock.
    pub fn seed_from_env(var: &str) -> u64 {
        std::env::var(var)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0x5eed)
            })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize)
        }
    }

    /// A delay up to `max`, skewed towards short ones so that kills also land in start-up
    /// (opening, setting up, the first write), where a few milliseconds decide.
    pub fn delay(&mut self, max: Duration) -> Duration {
        let max_ms = max.as_millis() as u64;
        let ms = match self.below(4) {
            0 => self.below(max_ms / 10 + 1),
            _ => self.below(max_ms + 1),
        };
        Duration::from_millis(ms)
    }
}

/// A running child whose stdout lines arrive on a channel (stderr is kept for failures).
#[derive(Debug)]
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    pub seen: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// SIGKILLed by us.
    Killed,
    /// Exited by itself with success.
    Finished,
}

impl Running {
    pub fn spawn(program: &Path, args: &[String]) -> Running {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        let lines = forward(child.stdout.take().expect("piped stdout"));
        let stderr = forward(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            lines,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Collects lines until `deadline`, or until the child exits by itself (then its status
    /// must be success).
    fn collect_until(&mut self, deadline: Instant) -> Option<Ended> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            match self.lines.recv_timeout(deadline - now) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("wait");
                    assert!(
                        status.success(),
                        "the device exited with {status}:\n{}\n{}",
                        self.seen.join("\n"),
                        self.stderr()
                    );
                    return Some(Ended::Finished);
                }
            }
        }
    }

    /// Lets the child run for `span`, collecting its lines; `Some` if it exited by itself.
    pub fn run_for(&mut self, span: Duration) -> Option<Ended> {
        self.collect_until(Instant::now() + span)
    }

    /// Lets the child run for `after`, then SIGKILLs it (unless it finished first) and reads
    /// every line it had printed.
    pub fn kill_after(mut self, after: Duration) -> (Vec<String>, Ended) {
        let ended = self.collect_until(Instant::now() + after);
        if ended.is_none() {
            // std's kill is SIGKILL on Unix.
            let _ = self.child.kill();
            let _ = self.child.wait();
            // What was written to the pipe before the kill is still there.
            self.seen.extend(self.lines.iter());
        }
        (
            std::mem::take(&mut self.seen),
            ended.unwrap_or(Ended::Killed),
        )
    }

    /// Waits (up to `limit`) for the child to exit by itself, collecting its lines.
    pub fn finish_within(mut self, limit: Duration) -> Vec<String> {
        match self.collect_until(Instant::now() + limit) {
            Some(Ended::Finished) => std::mem::take(&mut self.seen),
            _ => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the device did not finish within {limit:?}:\n{}\n{}",
                    self.seen.join("\n"),
                    self.stderr()
                );
            }
        }
    }

    fn stderr(&self) -> String {
        self.stderr.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward(from: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// `PRAGMA integrity_check` of a relay's SQLite file, opened on its own (the relay's database
/// is not encrypted: it holds only ciphertext). Opened for writing, because after a kill the
/// first opener recovers the write-ahead log.
pub fn relay_database_problems(path: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .unwrap_or_else(|e| {
                panic!("the relay's database {} does not open: {e}", path.display())
            });
    let mut stmt = conn.prepare("PRAGMA integrity_check").expect("prepare");
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect("integrity_check")
        .filter_map(|row| row.ok())
        .filter(|line| line != "ok")
        .collect()
}
