//! Set-up and whole-store commands: init, status, profile, export, changes, projections.

use std::path::Path;

use anyhow::{Context, Result, bail};
use mutua_core::changes::{Scope, Vector};
use mutua_core::{Mutua, NewProtection};

use crate::args::{ChangesCommand, InitArgs, ProfileCommand, ProjectionsCommand};
use crate::output::{Out, fields};
use crate::session;

pub fn init(dir: &Path, out: Out, args: InitArgs) -> Result<()> {
    if Mutua::exists(dir) {
        bail!(
            "{}",
            mutua_core::Error::AlreadyInitialised(dir.display().to_string())
        );
    }
    // Check the settings before asking for a passphrase: nothing is created on bad input.
    let tz = match &args.tz {
        Some(tz) => crate::parse::tz(tz)?.name().to_owned(),
        None => mutua_core::time::system_time_zone().name().to_owned(),
    };
    mutua_core::profile::check_pseudonym(&args.name)?;
    if let Some(lang) = &args.language
        && !mutua_core::profile::LANGUAGES.contains(&lang.as_str())
    {
        bail!("language \"{lang}\" is not available; choose en or es");
    }
    let mut m = if args.keychain {
        Mutua::init(dir, &args.name, NewProtection::Keychain)?
    } else {
        let passphrase =
            session::passphrase("Choose a passphrase (at least 8 characters): ", true)?;
        Mutua::init(dir, &args.name, NewProtection::Passphrase(&passphrase))?
    };
    m.set_time_zone(&tz)?;
    if let Some(lang) = &args.language {
        m.set_language(Some(lang))?;
    }
    let profile = m.profile()?;
    out.done(
        &profile,
        format!(
            "Welcome, {}. Your data is in {} (encrypted).\nNext: mutua group create --name \"…\"",
            profile.pseudonym,
            dir.display()
        ),
    )
}

pub fn status(m: &Mutua, dir: &Path, out: Out) -> Result<()> {
    let profile = m.profile()?;
    let value = serde_json::json!({
        "data_dir": dir,
        "protection": Mutua::protection(dir)?,
        "member_id": m.member_id(),
        "pseudonym": profile.pseudonym,
        "time_zone": profile.time_zone,
        "language": profile.language,
        "groups": m.groups(false)?.len(),
        "contacts": m.contacts()?.len(),
        "journal_entries": m.recent_entries(u32::MAX)?.len(),
    });
    out.emit(&value, || {
        fields(&[
            (
                "You",
                Some(value["pseudonym"].as_str().unwrap_or_default().to_owned()),
            ),
            ("Data", Some(dir.display().to_string())),
            (
                "Protected by",
                Some(
                    value["protection"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('_', " "),
                ),
            ),
            ("Time zone", profile.time_zone.clone()),
            ("Groups", Some(value["groups"].to_string())),
            ("Contacts", Some(value["contacts"].to_string())),
            (
                "Journal",
                Some(match value["journal_entries"].as_u64() {
                    Some(1) => "1 entry".to_owned(),
                    n => format!("{} entries", n.unwrap_or(0)),
                }),
            ),
        ])
    })
}

pub fn profile(m: &mut Mutua, out: Out, command: ProfileCommand) -> Result<()> {
    if let ProfileCommand::Set { name, language, tz } = command {
        if let Some(tz) = &tz {
            m.set_time_zone(tz)?;
        }
        if let Some(lang) = &language {
            m.set_language(if lang.is_empty() { None } else { Some(lang) })?;
        }
        if let Some(name) = &name {
            m.set_pseudonym(name)?;
        }
    }
    let p = m.profile()?;
    out.emit(&p, || {
        fields(&[
            ("Pseudonym", Some(p.pseudonym.clone())),
            ("Language", p.language.clone()),
            ("Time zone", p.time_zone.clone()),
        ])
    })
}

pub fn export(m: &Mutua, out_path: Option<&Path>) -> Result<()> {
    let json = serde_json::to_string_pretty(&m.export()?)?;
    match out_path {
        Some(path) => {
            write_private(path, json.as_bytes())?;
            eprintln!(
                "Wrote everything you hold to {} (it includes your journal: keep it safe).",
                path.display()
            );
        }
        None => crate::output::write_stdout(&json)?,
    }
    Ok(())
}

pub fn changes(m: &mut Mutua, out: Out, command: ChangesCommand) -> Result<()> {
    match command {
        ChangesCommand::Vector { out: path } => {
            let vector = m.vector()?;
            let json = serde_json::to_string_pretty(&vector)?;
            match path {
                Some(path) => {
                    write_private(&path, json.as_bytes())?;
                    out.done(
                        &vector,
                        format!("Wrote this copy's vector to {}.", path.display()),
                    )
                }
                None => crate::output::write_stdout(&json),
            }
        }
        ChangesCommand::Export {
            out: path,
            since,
            include_journal,
        } => {
            let theirs = match since {
                Some(file) => {
                    let text = std::fs::read(&file)
                        .with_context(|| format!("could not read {}", file.display()))?;
                    serde_json::from_slice::<Vector>(&text)
                        .with_context(|| format!("{} is not a Mutua vector file", file.display()))?
                }
                None => Vector::default(),
            };
            let scope = if include_journal {
                Scope::Everything
            } else {
                Scope::Shared
            };
            let set = m.changes_since(&theirs, scope)?;
            let bytes = set.to_bytes()?;
            write_private(&path, &bytes)?;
            let value = serde_json::json!({
                "file": path, "documents": set.docs.len(), "changes": set.change_count(), "bytes": bytes.len()
            });
            out.done(
                &value,
                format!(
                    "Wrote {} changes of {} documents ({} bytes) to {}{}.",
                    set.change_count(),
                    set.docs.len(),
                    bytes.len(),
                    path.display(),
                    if include_journal {
                        ", journal included: only for your own devices"
                    } else {
                        ""
                    }
                ),
            )
        }
        ChangesCommand::Import { file } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let report = m.import_file(&bytes)?;
            out.done(
                &report,
                format!(
                    "Imported {} of {} changes ({} already here) across {} documents.",
                    report.new,
                    report.changes,
                    report.changes - report.new,
                    report.documents
                ),
            )
        }
    }
}

pub fn projections(m: &mut Mutua, out: Out, command: ProjectionsCommand) -> Result<()> {
    match command {
        ProjectionsCommand::Rebuild => {
            m.rebuild_projections()?;
            out.done(
                &serde_json::json!({ "rebuilt": true }),
                "Rebuilt every list and search table from the documents.".into(),
            )
        }
        ProjectionsCommand::Verify => {
            let same = m.verify_projections()?;
            let value = serde_json::json!({ "equal": same });
            out.emit(&value, || {
                if same {
                    "The tables rebuilt from the documents equal the ones kept up to date as you worked.".into()
                } else {
                    "The tables differed from the documents; they have now been rebuilt.".into()
                }
            })?;
            if !same {
                bail!("projections differed from a rebuild (now repaired)");
            }
            Ok(())
        }
    }
}

/// Writes a file only the member can read: exports hold their data in the clear.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    // `mode` applies only to a new file; an existing one is narrowed before anything is written.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("could not make {} private", path.display()))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("could not write {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}
