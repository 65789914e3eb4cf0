//! Shared helpers for the `mutua` integration tests (`mod common;` in each test file).
//!
//! Every test gets its own temporary data directory and runs the real binary with
//! `--data-dir`, `MUTUA_PASSPHRASE` and `TZ=UTC`, stdin closed. The helpers check the command
//! line's contract: success is exit 0; failure is exit 1, nothing on stdout and exactly one line
//! on stderr that starts with `mutua:`.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub const PASSPHRASE: &str = "correct horse battery";

/// What one run of `mutua` did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts the one-line error contract and returns the line.
    pub fn assert_error(&self, what: &str) -> &str {
        assert_eq!(
            self.code,
            Some(1),
            "{what}: expected exit code 1, got {self:#?}"
        );
        assert!(
            self.stdout.is_empty(),
            "{what}: stdout must be empty on error, got {self:#?}"
        );
        let line = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        assert!(
            !line.contains('\n'),
            "{what}: stderr must be ONE line, got {:?}",
            self.stderr
        );
        assert!(
            line.starts_with("mutua: "),
            "{what}: stderr must start with `mutua: `, got {line:?}"
        );
        assert!(
            line.len() > "mutua: ".len() + 10,
            "{what}: the error says too little: {line:?}"
        );
        line
    }
}

/// A temporary directory with a data directory (`data/`, maybe not created yet) and room for
/// scratch files next to it.
pub struct Data {
    tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub passphrase: String,
}

impl Data {
    /// A fresh, not yet initialised data directory.
    pub fn empty() -> Data {
        let tmp = tempfile::Builder::new()
            .prefix("mutua-cli-test")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join("data");
        Data {
            tmp,
            dir,
            passphrase: PASSPHRASE.to_owned(),
        }
    }

    /// A data directory set up with `mutua init --name NAME --tz TZ`.
    pub fn init(name: &str, tz: &str) -> Data {
        let data = Data::empty();
        let profile = data.json(&["init", "--name", name, "--tz", tz]);
        assert_eq!(profile["pseudonym"], name);
        assert_eq!(profile["time_zone"], tz);
        data
    }

    /// A path for a scratch file, outside the data directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The base command: the real binary, this data directory, a known passphrase and zone,
    /// stdin closed (never a terminal), no stray Mutua settings from the environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mutua"));
        cmd.arg("--data-dir")
            .arg(&self.dir)
            .env("MUTUA_PASSPHRASE", &self.passphrase)
            .env("TZ", "UTC")
            .env_remove("MUTUA_DATA_DIR")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run_command(mut cmd: Command) -> Run {
        let out = cmd.output().expect("run mutua");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command();
        cmd.args(args);
        Data::run_command(cmd)
    }

    /// Runs and asserts success; returns what it printed.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert!(run.success(), "`mutua {}` failed: {run:#?}", args.join(" "));
        run
    }

    /// Runs with `--json`, asserts success, and parses standard output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.ok(&all);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("`mutua {}` printed no JSON ({e}): {run:#?}", all.join(" ")))
    }

    /// Runs, asserts the one-line error contract, and returns the error line.
    pub fn fails(&self, args: &[&str]) -> String {
        let run = self.run(args);
        run.assert_error(&format!("`mutua {}`", args.join(" ")))
            .to_owned()
    }

    /// Runs, asserts a one-line error that contains every one of `needles`.
    pub fn fails_with(&self, args: &[&str], needles: &[&str]) -> String {
        let line = self.fails(args);
        for needle in needles {
            assert!(
                line.contains(needle),
                "`mutua {}`: expected {needle:?} in {line:?}",
                args.join(" ")
            );
        }
        line
    }

    /// Everything the member holds (the full export), without the moment of exporting: equal
    /// states mean nothing changed.
    pub fn state(&self) -> Value {
        let mut export = self.json(&["export"]);
        assert_eq!(export["format"], "mutua-export");
        export
            .as_object_mut()
            .expect("export is an object")
            .remove("exported_at");
        export
    }
}

/// A path as an argument (temporary paths are UTF-8 here).
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The `id` field of a JSON object.
pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_owned()
}

/// A JSON array's items.
pub fn items(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a JSON array, got {value}"))
}

/// `field` of every item of a JSON array, as strings.
pub fn strings(value: &Value, field: &str) -> Vec<String> {
    items(value)
        .iter()
        .map(|v| {
            v[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field} in {v}"))
                .to_owned()
        })
        .collect()
}
