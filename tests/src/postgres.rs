//! A real, throwaway PostgreSQL server for tests: `initdb` in a temporary directory, `pg_ctl
//! start` on a free 127.0.0.1 port with its unix socket in that directory, one database
//! created, stopped (`pg_ctl stop -m fast`) and deleted on drop.
//!
//! It uses the Debian `postgresql` package's binaries (`/usr/lib/postgresql/<newest>/bin`),
//! installed by `cargo xtask setup`. Missing binaries fail the test with that advice; they never
//! skip it. PostgreSQL refuses to run as root, so when the tests run as root (as in CI) every
//! server command runs as the `postgres` system user through `runuser`, in a directory it owns.
//! Any cluster the package itself started on port 5432 is left alone.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The database every [`TempPostgres`] creates.
pub const DATABASE: &str = "mutua";

#[derive(Debug)]
pub struct TempPostgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
    stopped: bool,
}

impl TempPostgres {
    /// Starts a fresh server with an empty database [`DATABASE`]. Panics (failing the test) with
    /// a message saying what to install when PostgreSQL is missing.
    pub fn start() -> TempPostgres {
        let bin = bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb. Install the \
                 Debian package `postgresql` (`cargo xtask setup` does it, or \
                 `apt-get install postgresql`)"
            )
        });
        let as_postgres_user = running_as_root();
        let dir = tempfile::Builder::new()
            .prefix("mutua-pg-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot make a temporary directory: {e}"));
        if as_postgres_user {
            // The server runs as `postgres`: it must own its directory and reach it.
            run_checked(
                Command::new("chown").arg("postgres:").arg(dir.path()),
                "chown",
            );
            let mut parent = dir.path().parent();
            while let Some(p) = parent {
                let traversable = std::fs::metadata(p)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o001 != 0)
                    .unwrap_or(false);
                assert!(
                    traversable,
                    "{} is not traversable by the postgres user; set TMPDIR to a directory that is",
                    p.display()
                );
                parent = p.parent();
            }
        }
        let mut pg = TempPostgres {
            dir,
            bin,
            port: 0,
            as_postgres_user,
            stopped: true,
        };
        pg.initdb();
        // A free port can be taken between finding it and the server binding it; try again.
        let mut last_error = String::new();
        for _ in 0..5 {
            pg.port = free_port();
            match pg.pg_ctl_start() {
                Ok(()) => {
                    pg.stopped = false;
                    pg.create_database();
                    return pg;
                }
                Err(e) => last_error = e,
            }
        }
        panic!(
            "PostgreSQL did not start: {last_error}\n{}",
            pg.server_log()
        );
    }

    /// `postgres://postgres@127.0.0.1:PORT/mutua` (trust authentication, loopback only).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs one SQL statement with `psql` and returns its unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        let out = run_checked(
            self.command("psql")
                .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
                .args([
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    DATABASE,
                    "-c",
                ])
                .arg(sql),
            "psql",
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The whole database as `pg_dump` prints it (bytea columns come out as hex).
    pub fn dump(&self) -> String {
        let out = run_checked(
            self.command("pg_dump")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", "postgres", DATABASE]),
            "pg_dump",
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the server logged so far.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn initdb(&self) {
        run_checked(
            self.command("initdb").arg("-D").arg(self.data_dir()).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-N",
                "-E",
                "UTF8",
                "--locale=C",
            ]),
            "initdb",
        );
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_path())
            .args(["-o", &options, "-w", "-t", "30", "start"])
            .output()
            .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl start failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn create_database(&self) {
        run_checked(
            self.command("createdb")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .arg(DATABASE),
            "createdb",
        );
    }

    /// Stops the server now (drop does it too).
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "-t", "30", "stop"])
            .output();
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `bin` directory of the newest PostgreSQL installed from Debian packages.
fn bin_dir() -> Option<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .next()?
                .parse()
                .ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn running_as_root() -> bool {
    // The owner of /proc/self is this process's effective user.
    std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata("/proc/self").unwrap_or_else(|e| panic!("no /proc/self: {e}")),
    ) == 0
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

fn run_checked(command: &mut Command, what: &str) -> Output {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_temporary_server_answers_and_goes_away() {
        let mut pg = TempPostgres::start();
        assert_eq!(pg.psql("SELECT 40 + 2").trim(), "42");
        let port = pg.port();
        pg.stop();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "the server stopped"
        );
    }
}
