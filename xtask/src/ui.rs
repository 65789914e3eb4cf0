//! `cargo xtask build-ui`: the `mutua-ui` crate to wasm, through wasm-bindgen, into `ui/dist`.
//!
//! `ui/dist` = every file of `ui/static/` + `pkg/` (wasm-bindgen's `ui.js` and `ui_bg.wasm`).
//! It must exist before anything compiles `src-tauri` (`generate_context!` embeds it).
//!
//! wasm-bindgen writes into a staging folder under the target directory, and `ui/dist` is then
//! synchronised file by file, touching only files whose bytes changed. An unchanged UI thus
//! leaves `ui/dist` untouched and does not make cargo rebuild the app that embeds it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::ctx::{self, Ctx, secs};
use crate::setup::{Tools, WASM_TARGET};

const UI_PACKAGE: &str = "mutua-ui";
const UI_WASM: &str = "mutua_ui.wasm";

pub fn build_ui(ctx: &Ctx, tools: &Tools, release: bool) -> Result<()> {
    let profile = if release { "release" } else { "debug" };
    println!("building the UI ({UI_PACKAGE}, {profile})");
    let start = Instant::now();

    let metadata = ctx.metadata()?;
    if !metadata.contains(&format!("\"name\":\"{UI_PACKAGE}\"")) {
        bail!("the workspace has no `{UI_PACKAGE}` package (expected in ui/Cargo.toml)");
    }
    let target_dir = ctx.target_dir()?;
    let static_dir = ctx.root.join("ui/static");
    if !static_dir.is_dir() {
        bail!(
            "{} is missing: the ui crate keeps index.html (which loads ./pkg/ui.js) there",
            static_dir.display()
        );
    }

    // 1. cargo build → <target>/wasm32-unknown-unknown/<profile>/mutua_ui.wasm
    let mut build = ctx.cargo();
    build.args(["build", "-p", UI_PACKAGE, "--target", WASM_TARGET]);
    if release {
        build.arg("--release");
    }
    if ctx.ci {
        // In CI the later `--locked` checks must see the committed Cargo.lock, not one that
        // this build quietly updated.
        build.arg("--locked");
    }
    ctx::run(
        &mut build,
        "The UI crate does not compile for wasm32; fix the errors above",
    )?;
    let wasm = target_dir.join(WASM_TARGET).join(profile).join(UI_WASM);
    if !wasm.is_file() {
        bail!(
            "{} was not produced: is `{UI_PACKAGE}` a `cdylib` (crate-type = [\"cdylib\", \"rlib\"])?",
            wasm.display()
        );
    }

    // 2. wasm-bindgen → staging
    let staging = target_dir.join("mutua-ui-bindgen").join(profile);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("removing {}", staging.display()))?;
    }
    let mut bindgen = ctx.cmd(&tools.wasm_bindgen);
    bindgen
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "ui",
            "--out-dir",
        ])
        .arg(&staging)
        .arg(&wasm);
    ctx::run(
        &mut bindgen,
        "wasm-bindgen failed; if it complains about a schema/version mismatch, run `cargo xtask setup`",
    )?;

    // 3. ui/static/* + staging → ui/dist (pkg/ under it)
    let mut wanted = BTreeMap::new();
    collect_files(&static_dir, Path::new(""), &mut wanted)?;
    collect_files(&staging, Path::new("pkg"), &mut wanted)?;
    let dist = ctx.root.join("ui/dist");
    let report = sync_dir(&wanted, &dist)?;
    println!(
        "✓ ui/dist ready: {} files ({} written, {} removed) in {}",
        wanted.len(),
        report.written,
        report.removed,
        secs(start)
    );
    Ok(())
}

/// Adds every file under `dir` to `out`, keyed by `prefix/<path relative to dir>`.
fn collect_files(dir: &Path, prefix: &Path, out: &mut BTreeMap<PathBuf, PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        let rel = prefix.join(entry.file_name());
        // `metadata` follows symlinks, so a symlinked asset is copied as a file.
        let meta = path
            .metadata()
            .with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            collect_files(&path, &rel, out)?;
        } else {
            out.insert(rel, path);
        }
    }
    Ok(())
}

#[derive(Debug, Default, PartialEq)]
struct SyncReport {
    written: usize,
    removed: usize,
}

/// Makes `dest` hold exactly `wanted` (relative path → source file), rewriting only files
/// whose content differs and removing everything else.
fn sync_dir(wanted: &BTreeMap<PathBuf, PathBuf>, dest: &Path) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    for (rel, src) in wanted {
        let to = dest.join(rel);
        let bytes = std::fs::read(src).with_context(|| format!("reading {}", src.display()))?;
        if std::fs::read(&to).is_ok_and(|old| old == bytes) {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        if to.is_dir() {
            std::fs::remove_dir_all(&to).with_context(|| format!("removing {}", to.display()))?;
        }
        std::fs::write(&to, &bytes).with_context(|| format!("writing {}", to.display()))?;
        report.written += 1;
    }
    std::fs::create_dir_all(dest).with_context(|| format!("creating {}", dest.display()))?;
    report.removed = prune(dest, Path::new(""), wanted)?;
    Ok(report)
}

/// Removes files under `dir` that are not in `wanted`, and folders left empty; returns the
/// number of files removed.
fn prune(dir: &Path, rel: &Path, wanted: &BTreeMap<PathBuf, PathBuf>) -> Result<usize> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        let rel = rel.join(entry.file_name());
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            removed += prune(&path, &rel, wanted)?;
            if std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none()) {
                std::fs::remove_dir(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        } else if !wanted.contains_key(&rel) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_writes_only_changes_and_prunes_the_rest() -> Result<()> {
        let tmp = std::env::temp_dir().join(format!("xtask-sync-{}", std::process::id()));
        let src = tmp.join("src");
        let dest = tmp.join("dest");
        std::fs::create_dir_all(src.join("pkg"))?;
        std::fs::create_dir_all(dest.join("old"))?;
        std::fs::write(src.join("index.html"), "<html>")?;
        std::fs::write(src.join("pkg/ui.js"), "js")?;
        std::fs::write(dest.join("old/stale.txt"), "x")?;

        let mut wanted = BTreeMap::new();
        collect_files(&src, Path::new(""), &mut wanted)?;
        let first = sync_dir(&wanted, &dest)?;
        assert_eq!(
            first,
            SyncReport {
                written: 2,
                removed: 1
            }
        );
        assert!(!dest.join("old").exists());
        assert_eq!(std::fs::read_to_string(dest.join("pkg/ui.js"))?, "js");

        let second = sync_dir(&wanted, &dest)?;
        assert_eq!(second, SyncReport::default());

        std::fs::remove_dir_all(&tmp)?;
        Ok(())
    }
}
