//! Where the workspace is, how child commands are started, and small helpers.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

/// Variables that `cargo run` sets for *this* binary and that must not leak into the cargo,
/// rustc and test processes we start (they would describe the xtask package, not theirs).
const CARGO_RUN_VARS: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "OUT_DIR",
];

pub struct Ctx {
    /// The workspace root (the folder holding the root `Cargo.toml`).
    pub root: PathBuf,
    /// True when the `CI` variable is set (and not "false"/"0").
    pub ci: bool,
    /// The cargo that runs us (`$CARGO`, set by `cargo run`), else `cargo` from PATH.
    cargo: OsString,
    /// Variables set on every child process.
    common_env: Vec<(&'static str, OsString)>,
    /// Variables set on child cargo commands that build the workspace.
    build_env: Vec<(&'static str, OsString)>,
    /// Variables removed from every child process.
    removed_env: Vec<OsString>,
}

impl Ctx {
    pub fn new() -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the checkout it was invoked in. Prefer it to
        // the path baked in at compile time: two checkouts sharing one CARGO_TARGET_DIR can
        // share this binary too (workspace artifacts are relocatable), and then the baked-in
        // path names the other checkout.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.join("Cargo.toml").is_file())
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask's CARGO_MANIFEST_DIR has no parent folder")?
            .to_path_buf();
        if !root.join("Cargo.toml").is_file() {
            bail!(
                "no Cargo.toml in {} (xtask must live in <workspace>/xtask)",
                root.display()
            );
        }
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");

        let mut common_env = Vec::new();
        let mut build_env = Vec::new();
        if ci {
            common_env.push(("CARGO_TERM_COLOR", OsString::from("never")));
            // CI runs in a fresh clone every time. A target directory inside the clone would
            // start cold on every run (and add gigabytes per clone), so unless the caller chose
            // one, builds go to a per-user cache outside the clone that later runs on the same
            // machine reuse. Only workspace builds use it: `cargo install` keeps its own
            // throw-away target directory. (xtask itself is still built in the clone's
            // `target/` by the `cargo xtask` alias; it is tiny.)
            if std::env::var_os("CARGO_TARGET_DIR").is_none()
                && let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty())
            {
                let dir = PathBuf::from(home).join(".cache/mutua/target");
                build_env.push(("CARGO_TARGET_DIR", dir.into_os_string()));
            }
        }

        let removed_env = std::env::vars_os()
            .map(|(k, _)| k)
            .filter(|k| {
                k.to_str()
                    .is_some_and(|k| CARGO_RUN_VARS.contains(&k) || k.starts_with("CARGO_PKG_"))
            })
            .collect();

        Ok(Self {
            root,
            ci,
            cargo: std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")),
            common_env,
            build_env,
            removed_env,
        })
    }

    /// A command run in the workspace root with the cleaned-up environment.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root);
        for k in &self.removed_env {
            cmd.env_remove(k);
        }
        for (k, v) in &self.common_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `cargo` for workspace builds (honours the CI target-directory default).
    pub fn cargo(&self) -> Command {
        let mut cmd = self.cmd(&self.cargo);
        for (k, v) in &self.build_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// `cargo` for commands that are not workspace builds (`cargo install`).
    pub fn cargo_plain(&self) -> Command {
        self.cmd(&self.cargo)
    }

    /// One line describing environment choices, printed at the start of builds.
    pub fn describe_env(&self) -> Option<String> {
        let parts: Vec<String> = self
            .build_env
            .iter()
            .chain(&self.common_env)
            .map(|(k, v)| format!("{k}={}", v.to_string_lossy()))
            .collect();
        (!parts.is_empty()).then(|| format!("CI: {}", parts.join(" ")))
    }

    /// `cargo metadata --format-version 1 --no-deps`, as text.
    /// The target directory as `cargo metadata` reports it, so `CARGO_TARGET_DIR`,
    /// `build.target-dir` and the CI default are all honoured.
    pub fn target_dir(&self) -> Result<PathBuf> {
        let metadata = self.metadata()?;
        Ok(PathBuf::from(
            json_string_field(&metadata, "target_directory")
                .context("`cargo metadata` printed no target_directory")?,
        ))
    }

    pub fn metadata(&self) -> Result<String> {
        let mut cmd = self.cargo();
        cmd.args(["metadata", "--format-version", "1", "--no-deps"])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        let out = cmd
            .output()
            .with_context(|| format!("could not start `{}`", display(&cmd)))?;
        if !out.status.success() {
            bail!(
                "`{}` failed ({}): the workspace's Cargo.toml files do not parse; fix the error above",
                display(&cmd),
                out.status
            );
        }
        String::from_utf8(out.stdout).context("`cargo metadata` printed non-UTF-8 output")
    }
}

/// Runs `cmd` with inherited stdio; fails, saying what failed and `hint`, unless it succeeds.
pub fn run(cmd: &mut Command, hint: &str) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status}). {hint}", display(cmd));
    }
    Ok(())
}

/// Runs `cmd` with inherited stdio and returns its status; fails only if it cannot start.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    println!("  $ {}", display(cmd));
    cmd.status().map_err(|err| {
        let program = cmd.get_program().to_string_lossy();
        if err.kind() == std::io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "could not start `{program}`: not found on PATH. Run `cargo xtask setup`, or install it"
            )
        } else {
            anyhow::anyhow!("could not start `{}`: {err}", display(cmd))
        }
    })
}

/// Runs `cmd` quietly (no stdin, stderr discarded); its stdout if it started and succeeded.
pub fn output_ok(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The command line of `cmd`, for messages (`cargo` shown as such, not as its toolchain path).
pub fn display(cmd: &Command) -> String {
    let program = cmd.get_program();
    let program = match Path::new(program).file_name() {
        Some(name) if name == "cargo" => name,
        _ => program,
    };
    std::iter::once(program)
        .chain(cmd.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            if part.is_empty() || part.contains([' ', '\'', '"', '$', '\\']) {
                format!("'{}'", part.replace('\'', r"'\''"))
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seconds since `start`, for humans.
pub fn secs(start: Instant) -> String {
    format!("{:.1} s", start.elapsed().as_secs_f64())
}

/// The value of the first `"key": "<string>"` in a JSON text. Enough for `cargo metadata`'s
/// top-level string fields, without pulling serde into a crate that CI compiles every run.
pub fn json_string_field(json: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let after_key = &json[json.find(&needle)? + needle.len()..];
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let mut chars = after_colon.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = u32::from_str_radix(&hex, 16).ok()?;
                    // Surrogate pairs do not occur in paths we care about; keep them visible.
                    out.push(char::from_u32(unit).unwrap_or('\u{fffd}'));
                }
                other => out.push(other), // \" \\ \/
            },
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_plain_and_escaped() {
        let json = r#"{"packages":[],"target_directory":"/a \"b\"\\c\u00e9/t","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some("/a \"b\"\\cé/t")
        );
        assert_eq!(json_string_field(json, "missing"), None);
        assert_eq!(
            json_string_field(r#"{"k" : "v"}"#, "k").as_deref(),
            Some("v")
        );
    }

    #[test]
    fn display_quotes_what_needs_it() {
        let mut cmd = Command::new("echo");
        cmd.args(["a", "b c", "it's"]);
        assert_eq!(display(&cmd), r"echo a 'b c' 'it'\''s'");
        let cmd = Command::new("/opt/rust/bin/cargo");
        assert_eq!(display(&cmd), "cargo");
    }
}
