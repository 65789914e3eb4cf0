//! `cargo xtask setup`: install whatever is missing, idempotently, one line per step.
//!
//! Every step first checks cheaply whether it is already satisfied ("✓ …") and only then
//! installs ("→ …"), so a second run takes well under a second.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::ctx::{self, Ctx, output_ok, secs, which};

/// Debian packages: the WebKitGTK stack Tauri links against, a C toolchain, and what the
/// E2E run needs: Xvfb, xauth (only a Recommends of xvfb, but xvfb-run needs it),
/// WebKitWebDriver, and ImageMagick (`import`: a screenshot of the whole X display when the
/// webview no longer answers). `python3-venv` is added only when `python3` cannot make a venv.
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "pkg-config",
    "build-essential",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "imagemagick",
    "postgresql",
];

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Used only when Cargo.lock does not (yet) mention `wasm-bindgen`.
const DEFAULT_WASM_BINDGEN: &str = "0.2.130";

/// Python packages for the tests, all installed into one venv: the cross-language checks
/// (tests/python) and the E2E suite (tests/e2e: selenium, pytest).
const REQUIREMENTS: &[&str] = &[
    "tests/python/requirements.txt",
    "tests/e2e/requirements.txt",
];
const VENV: &str = ".venv";
const VENV_HASH_FILE: &str = ".mutua-req-hash";

/// Tools that later steps call by path (they need not be on PATH).
#[derive(Debug)]
pub struct Tools {
    pub wasm_bindgen: PathBuf,
}

/// All set-up steps, in order.
pub fn setup(ctx: &Ctx) -> Result<Tools> {
    apt_packages(ctx)?;
    let tools = wasm_tools(ctx)?;
    crate::e2e::tauri_driver(ctx)?;
    python_venv(ctx)?;
    Ok(tools)
}

/// Just the steps the UI build needs: the wasm32 target and a matching wasm-bindgen.
pub fn wasm_tools(ctx: &Ctx) -> Result<Tools> {
    wasm_target(ctx)?;
    let wasm_bindgen = wasm_bindgen_cli(ctx)?;
    Ok(Tools { wasm_bindgen })
}

// ---------------------------------------------------------------------------------------------
// 1. Debian packages

fn apt_packages(ctx: &Ctx) -> Result<()> {
    if which("dpkg-query").is_none() {
        println!(
            "! no dpkg-query (not Debian/Ubuntu?): make sure the equivalents of these are installed: {}",
            APT_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let mut missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(ctx, p))
        .collect();

    // python3 may come from pyenv, whose venv works without Debian's python3-venv.
    let venv_ok = python_can_make_venv(ctx);
    if !venv_ok && !dpkg_installed(ctx, "python3-venv") {
        missing.push("python3-venv");
    }

    if missing.is_empty() {
        let venv_note = if venv_ok {
            "; python3 -m venv works"
        } else {
            ""
        };
        println!(
            "✓ Debian packages present ({}){venv_note}",
            APT_PACKAGES.join(", ")
        );
        return Ok(());
    }

    let start = Instant::now();
    println!("→ installing Debian packages: {}", missing.join(" "));
    let prefix = privilege_prefix(ctx)?;
    let apt = |args: &[&str]| {
        let mut cmd = ctx.cmd(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.args(&prefix[1..]).arg("apt-get");
        }
        cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        cmd
    };
    ctx::run(
        &mut apt(&["update"]),
        "Check the network access to Debian's mirrors, or install the packages by hand",
    )?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(&missing);
    ctx::run(
        &mut install,
        "Install these Debian packages by hand (apt-get install), then run `cargo xtask setup` again",
    )?;
    println!("  installed in {}", secs(start));
    Ok(())
}

fn dpkg_installed(ctx: &Ctx, package: &str) -> bool {
    output_ok(ctx.cmd("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.trim() == "install ok installed")
}

/// Whether `python3 -m venv` can work: the module answers `--help`, and `ensurepip` (which
/// Debian moves into python3-venv, and without which venv creation fails) imports.
fn python_can_make_venv(ctx: &Ctx) -> bool {
    output_ok(ctx.cmd("python3").args(["-m", "venv", "--help"])).is_some()
        && output_ok(ctx.cmd("python3").args(["-c", "import ensurepip"])).is_some()
}

/// `[]` as root; `["sudo", "env", "DEBIAN_FRONTEND=noninteractive"]` otherwise.
fn privilege_prefix(ctx: &Ctx) -> Result<Vec<&'static str>> {
    let uid = output_ok(ctx.cmd("id").arg("-u")).context("could not run `id -u`")?;
    if uid.trim() == "0" {
        return Ok(Vec::new());
    }
    if which("sudo").is_none() {
        bail!(
            "installing Debian packages needs root: run `cargo xtask setup` as root, or install sudo"
        );
    }
    // Without a terminal (CI) a password prompt could only hang: fail at once instead.
    let mut prefix = vec!["sudo"];
    if ctx.ci {
        prefix.push("-n");
    }
    prefix.extend(["env", "DEBIAN_FRONTEND=noninteractive"]);
    Ok(prefix)
}

// ---------------------------------------------------------------------------------------------
// 2. The wasm32 target

fn wasm_target(ctx: &Ctx) -> Result<()> {
    if which("rustup").is_none() {
        // Not a rustup toolchain: the target is there if its standard library is.
        let sysroot = output_ok(ctx.cmd("rustc").args(["--print", "sysroot"]))
            .context("could not run `rustc --print sysroot`")?;
        let lib = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(WASM_TARGET);
        if lib.is_dir() {
            println!("✓ {WASM_TARGET} target present (no rustup)");
            return Ok(());
        }
        bail!(
            "the {WASM_TARGET} target is missing and there is no rustup to add it: install the target for your Rust toolchain"
        );
    }
    let installed = output_ok(ctx.cmd("rustup").args(["target", "list", "--installed"]))
        .context("`rustup target list --installed` failed")?;
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        println!("✓ {WASM_TARGET} target present");
        return Ok(());
    }
    println!("→ installing the {WASM_TARGET} target");
    ctx::run(
        ctx.cmd("rustup").args(["target", "add", WASM_TARGET]),
        "Could not add the wasm target; try `rustup target add wasm32-unknown-unknown` by hand",
    )
}

// ---------------------------------------------------------------------------------------------
// 3. wasm-bindgen-cli, exactly the version of the `wasm-bindgen` crate in Cargo.lock

fn wasm_bindgen_cli(ctx: &Ctx) -> Result<PathBuf> {
    let (version, source) = match locked_version(&ctx.root, "wasm-bindgen")? {
        Some(v) => (v, "Cargo.lock"),
        None => (
            DEFAULT_WASM_BINDGEN.to_owned(),
            "default; not in Cargo.lock yet",
        ),
    };
    let installed_path = cargo_bin_dir().map(|d| d.join("wasm-bindgen"));

    // Prefer the copy `cargo install` manages, then whatever PATH has.
    let candidates = installed_path
        .iter()
        .cloned()
        .chain(which("wasm-bindgen"))
        .filter(|p| ctx::is_executable(p));
    let mut seen = Vec::new();
    for candidate in candidates {
        let found = wasm_bindgen_version(ctx, &candidate);
        if found.as_deref() == Some(version.as_str()) {
            println!(
                "✓ wasm-bindgen {version} present ({source}): {}",
                candidate.display()
            );
            return Ok(candidate);
        }
        seen.push(format!(
            "{} is {}",
            candidate.display(),
            found.as_deref().unwrap_or("unusable")
        ));
    }

    let start = Instant::now();
    let why = if seen.is_empty() {
        "not installed".to_owned()
    } else {
        seen.join(", ")
    };
    println!("→ installing wasm-bindgen-cli {version} ({source}; {why}); takes ~3 min cold");
    // Not --locked: the crate's own lockfile pins a dependency the registry no longer serves.
    ctx::run(
        ctx.cargo_plain()
            .args(["install", "wasm-bindgen-cli", "--version", &version]),
        "Could not install wasm-bindgen-cli; see cargo's error above",
    )?;

    let path = installed_path
        .filter(|p| ctx::is_executable(p))
        .or_else(|| which("wasm-bindgen"))
        .context("`cargo install` succeeded but no wasm-bindgen binary can be found")?;
    let found = wasm_bindgen_version(ctx, &path);
    if found.as_deref() != Some(version.as_str()) {
        bail!(
            "installed wasm-bindgen-cli {version}, but {} reports {found:?}; is CARGO_INSTALL_ROOT set elsewhere?",
            path.display()
        );
    }
    println!("  installed {} in {}", path.display(), secs(start));
    Ok(path)
}

/// `wasm-bindgen --version` prints "wasm-bindgen 0.2.130" (sometimes with a git hash after).
fn wasm_bindgen_version(ctx: &Ctx, path: &Path) -> Option<String> {
    let out = output_ok(ctx.cmd(path).arg("--version"))?;
    out.split_whitespace().nth(1).map(str::to_owned)
}

/// Where `cargo install` puts binaries: `$CARGO_INSTALL_ROOT/bin`, `$CARGO_HOME/bin`, or
/// `~/.cargo/bin`.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("CARGO_INSTALL_ROOT")
        .or_else(|| non_empty("CARGO_HOME"))
        .or_else(|| non_empty("HOME").map(|h| h.join(".cargo")))
        .map(|d| d.join("bin"))
}

/// The version of registry package `name` in `<root>/Cargo.lock`, if it is there exactly once.
pub fn locked_version(root: &Path, name: &str) -> Result<Option<String>> {
    let path = root.join("Cargo.lock");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let versions = lock_versions(&text, name);
    match versions.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => bail!(
            "Cargo.lock holds several versions of {name} ({}); keep exactly one so wasm-bindgen-cli can match it",
            many.join(", ")
        ),
    }
}

fn lock_versions(lock: &str, name: &str) -> Vec<String> {
    let wanted = format!("name = \"{name}\"");
    lock.split("[[package]]")
        .filter(|block| block.lines().any(|l| l.trim() == wanted))
        .filter_map(|block| {
            block.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("version = \"")
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_owned)
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 4. The Python venv for the cross-language tests

fn python_venv(ctx: &Ctx) -> Result<()> {
    let files: Vec<PathBuf> = REQUIREMENTS
        .iter()
        .map(|r| ctx.root.join(r))
        .filter(|p| p.is_file())
        .collect();
    let names = REQUIREMENTS.join(", ");
    if files.is_empty() {
        println!("– {names} not found: skipping the Python venv");
        return Ok(());
    }
    // One hash over every file (name and content), so a change to any of them reinstalls.
    let mut contents = Vec::new();
    for req in &files {
        contents.extend(req.display().to_string().bytes());
        contents.push(0);
        contents.extend(std::fs::read(req).with_context(|| format!("reading {}", req.display()))?);
        contents.push(0);
    }
    let hash = format!("fnv1a64:{:016x}", fnv1a64(&contents));
    let venv = ctx.root.join(VENV);
    let python = venv_python(&ctx.root);
    let hash_file = venv.join(VENV_HASH_FILE);

    let python_ok = output_ok(ctx.cmd(&python).args(["-c", "import sys"])).is_some();
    let stored = std::fs::read_to_string(&hash_file).unwrap_or_default();
    if python_ok && stored.trim() == hash {
        println!("✓ Python venv up to date ({VENV}; {names} unchanged)");
        return Ok(());
    }

    let start = Instant::now();
    if !python_ok {
        println!("→ creating the Python venv in {VENV}");
        // --clear: a half-made or broken venv (say, its Python was removed) is rebuilt.
        ctx::run(
            ctx.cmd("python3").args(["-m", "venv", "--clear", VENV]),
            "Could not make a venv: on Debian install python3-venv (`cargo xtask setup` does when `python3 -m venv` is missing)",
        )?;
    }
    println!("→ installing {names} into {VENV}");
    // Forget the old hash first, so an interrupted install is redone next time.
    match std::fs::remove_file(&hash_file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing {}", hash_file.display())),
    }
    let mut pip = ctx.cmd(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
    ]);
    if ctx.ci {
        pip.args(["--progress-bar", "off"]);
    }
    for req in &files {
        pip.arg("-r").arg(req);
    }
    ctx::run(
        &mut pip,
        "Could not install the Python test requirements; see pip's error above",
    )?;
    std::fs::write(&hash_file, format!("{hash}\n"))
        .with_context(|| format!("writing {}", hash_file.display()))?;
    println!("  Python venv ready in {}", secs(start));
    Ok(())
}

/// `<root>/.venv/bin/python`: what the tests get as `MUTUA_PYTHON`.
pub fn venv_python(root: &Path) -> PathBuf {
    root.join(VENV).join("bin").join("python")
}

/// FNV-1a, 64 bit: a stable change detector for requirements.txt (not a security measure).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_version_of_exactly_that_package() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]
"#;
        assert_eq!(lock_versions(lock, "wasm-bindgen"), ["0.2.130"]);
        assert!(lock_versions(lock, "leptos").is_empty());
    }

    #[test]
    fn fnv_is_the_reference_function() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
