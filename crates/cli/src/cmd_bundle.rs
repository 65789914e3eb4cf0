//! `mutua bundle export|import`: sync files for groups that meet no network.

use std::path::Path;

use anyhow::{Result, anyhow};
use mutua_core::Mutua;
use mutua_core::sync::{BundleScope, sync_file};
use serde::Serialize;

use crate::args::BundleCommand;
use crate::output::Out;

/// Files smaller than this are read and written without progress lines.
const PROGRESS_FROM: usize = 4 << 20;

pub fn run(m: &mut Mutua, out: Out, command: BundleCommand) -> Result<()> {
    match command {
        BundleCommand::Export {
            out: path,
            group,
            for_member,
        } => export(m, out, &path, group, for_member),
        BundleCommand::Import { file } => import(m, out, &file),
    }
}

#[derive(Serialize)]
struct Saved {
    path: String,
    bytes: usize,
    spaces: usize,
    groups: usize,
    envelopes: usize,
    key_changes: usize,
}

fn export(
    m: &mut Mutua,
    out: Out,
    path: &Path,
    group: Option<String>,
    for_member: Option<String>,
) -> Result<()> {
    let scope = match (group, for_member) {
        (Some(g), _) => BundleScope::Group(g),
        (None, Some(who)) => BundleScope::Member(who),
        (None, None) => BundleScope::Everything,
    };
    let made = m.export_bundle(&scope)?;
    // The core's error already names the cause; one sentence, not a chain.
    let written = sync_file::save(path, &made.bytes, &mut progress("writing"))
        .map_err(|e| anyhow!("the sync file was not saved: {e}"))?;
    let saved = Saved {
        path: written.display().to_string(),
        bytes: made.bytes.len(),
        spaces: made.spaces,
        groups: made.groups,
        envelopes: made.envelopes,
        key_changes: made.key_changes,
    };
    out.emit(&saved, || {
        let mut text = format!(
            "Saved {} for {} to {} ({}).",
            count(made.envelopes, "update", "updates"),
            count(made.groups, "group", "groups"),
            saved.path,
            size(made.bytes.len())
        );
        if made.envelopes == 0 {
            text.push_str(
                "\nNothing new to carry; the file still tells the other device what you have.",
            );
        }
        if made.key_changes > 0 {
            text.push_str(&format!(
                "\nIt carries {}: members removed from a group cannot read what follows.",
                count(made.key_changes, "key change", "key changes")
            ));
        }
        text.push_str(
            "\nIt is encrypted: hand it over on a USB stick, an SD card or any messenger.",
        );
        text
    })
}

fn import(m: &mut Mutua, out: Out, file: &Path) -> Result<()> {
    let bytes = sync_file::read(file, &mut progress("reading")).map_err(|e| match e {
        mutua_core::Error::Io { source, .. } => {
            anyhow!("could not open {}: {source}", file.display())
        }
        other => other.into(),
    })?;
    if bytes.len() >= PROGRESS_FROM {
        eprintln!("checking and applying…");
    }
    let report = m.import_bundle(&bytes)?;
    out.emit(&report, || {
        let mut text = format!("Opened: {} new update(s)", report.new);
        if report.groups_updated > 0 {
            text.push_str(&format!(", {} group(s) updated", report.groups_updated));
        }
        if report.groups_up_to_date > 0 {
            text.push_str(&format!(
                ", {} group(s) up to date",
                report.groups_up_to_date
            ));
        }
        text.push('.');
        if report.key_changes > 0 {
            text.push_str(&format!(
                "\nA group's key changed ({} key change(s)).",
                report.key_changes
            ));
        }
        if report.rejected > 0 {
            text.push_str(&format!(
                "\nWarning: {} update(s) were forged or altered and were not applied.",
                report.rejected
            ));
        }
        if report.not_for_this_device > 0 {
            text.push_str(&format!(
                "\n{} part(s) of the file were for groups or conversations this device is not in.",
                report.not_for_this_device
            ));
        }
        for notice in &report.notices {
            text.push_str(&format!("\n{notice}"));
        }
        text
    })
}

/// A progress reporter for files big enough to make someone wait: a line on stderr at every
/// quarter.
fn progress(verb: &'static str) -> impl FnMut(usize, usize) {
    let mut shown = 0;
    move |done, total| {
        if total < PROGRESS_FROM {
            return;
        }
        let quarter = done * 4 / total.max(1);
        if quarter > shown || done == 0 {
            shown = quarter;
            eprintln!("{verb}: {} of {}", size(done), size(total));
        }
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}
