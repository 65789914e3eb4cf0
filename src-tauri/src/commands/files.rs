//! Files leaving the app: a group's calendar as `.ics`, "export all my data", and the system
//! dialogs that ask where they go.
//!
//! The dialogs are opened here, in Rust, so the window needs no dialog or file-system
//! permission of its own: it can only ask for a path and then ask for an export to that path.
//! Paths must be absolute (as dialogs give them); a calendar always ends in `.ics`, so an
//! export can never overwrite a file of another kind.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use mutua_api::{ApiError, ChooseSavePath, ExportAll, ExportIcs, ExportSummary};
use mutua_core::Error;
use tauri::{AppHandle, Runtime, Window};
use tauri_plugin_dialog::{DialogExt, FilePath};

use crate::error::Failure;
use crate::state::{blocking, with_store};

const EXPORT_FILE: &str = "mutua-export.json";

/// Writes the group's meetings as an iCalendar file; `.ics` is added to a path without it.
#[tauri::command]
pub async fn export_group_ics<R: Runtime>(
    app: AppHandle<R>,
    request: ExportIcs,
) -> Result<(), ApiError> {
    with_store(app, move |m| {
        let path = ics_path(&request.path)?;
        let ics = m.export_ics(&request.group_id)?;
        write_file(&path, ics.as_bytes(), false)?;
        Ok(())
    })
    .await
}

/// Writes everything the member holds into `folder`: `mutua-export.json` (readable only by
/// them: it holds the journal) and one `<group name>.ics` per group, archived ones included.
/// Answers the paths written. Slow-ish with a big journal: it serialises all of it.
#[tauri::command]
pub async fn export_all<R: Runtime>(
    app: AppHandle<R>,
    request: ExportAll,
) -> Result<ExportSummary, ApiError> {
    with_store(app, move |m| {
        let folder = absolute(&request.folder, "where to save")?;
        if !folder.is_dir() {
            return Err(Error::Invalid("that folder does not exist; choose another".into()).into());
        }
        let json = serde_json::to_vec_pretty(&m.export()?).map_err(|e| Error::Io {
            path: EXPORT_FILE.into(),
            source: std::io::Error::other(e),
        })?;
        let mut files = vec![folder.join(EXPORT_FILE)];
        write_file(&files[0], &json, true)?;
        let mut taken: HashSet<String> = HashSet::from([EXPORT_FILE.to_owned()]);
        for group in m.groups(true)? {
            let name = unique_name(&file_stem(&group.fields.name), "ics", &mut taken);
            let path = folder.join(name);
            write_file(&path, m.export_ics(&group.id)?.as_bytes(), false)?;
            files.push(path);
        }
        Ok(ExportSummary {
            files: files.iter().map(|p| p.display().to_string()).collect(),
        })
    })
    .await
}

/// Asks where to save a file, suggesting `suggested_name`; `None` if the member cancelled.
#[tauri::command]
pub async fn choose_save_path<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
    request: ChooseSavePath,
) -> Result<Option<String>, ApiError> {
    // Dialog calls block until the member answers: never on the main thread (the dialog
    // itself runs there), so on a blocking thread like every other command.
    blocking(app.clone(), move |_| {
        let mut dialog = app.dialog().file().set_file_name(&request.suggested_name);
        #[cfg(desktop)]
        {
            dialog = dialog.set_parent(&window);
        }
        #[cfg(not(desktop))]
        let _ = &window;
        let extension = Path::new(&request.suggested_name)
            .extension()
            .and_then(OsStr::to_str);
        if let Some(extension) = extension {
            dialog = dialog.add_filter(extension.to_uppercase(), &[extension]);
        }
        dialog.blocking_save_file().map(chosen_path).transpose()
    })
    .await
}

/// Asks for a folder (for "export all"); `None` if the member cancelled.
#[tauri::command]
pub async fn choose_folder<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
) -> Result<Option<String>, ApiError> {
    blocking(app.clone(), move |_| {
        #[cfg(desktop)]
        {
            let dialog = app.dialog().file().set_parent(&window);
            dialog.blocking_pick_folder().map(chosen_path).transpose()
        }
        #[cfg(not(desktop))]
        {
            let _ = (&app, &window);
            Err(Error::Invalid("choosing a folder is not available on this device".into()).into())
        }
    })
    .await
}

/// A path the native dialog answered, as the text the commands take.
pub(crate) fn chosen_path(path: FilePath) -> Result<String, Failure> {
    let unusable = || Error::Invalid("that location cannot be used; choose another".into());
    let path = path.into_path().map_err(|_| unusable())?;
    Ok(path
        .into_os_string()
        .into_string()
        .map_err(|_| unusable())?)
}

/// A path from the window must be a full one (the dialogs give those); `choose` says what to
/// pick with the dialog instead ("where to save", "the file").
pub(crate) fn absolute(path: &str, choose: &str) -> Result<PathBuf, Error> {
    let path = PathBuf::from(path);
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(Error::Invalid(format!(
            "choose {choose} with the dialog (the path is not a full one)"
        )))
    }
}

/// The path to write a calendar to: absolute, ending in `.ics`.
fn ics_path(path: &str) -> Result<PathBuf, Error> {
    let path = absolute(path, "where to save")?;
    let is_ics = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ics"));
    if is_ics {
        return Ok(path);
    }
    let mut name = path
        .file_name()
        .ok_or_else(|| Error::Invalid("choose a file name for the calendar".into()))?
        .to_os_string();
    name.push(".ics");
    Ok(path.with_file_name(name))
}

/// Writes a whole file, flushed to disk. `private` files are readable by the member only.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    #[cfg(unix)]
    if private {
        // `mode` applies only to a new file; an older export may have been readable by others.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = private;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// A group's name made safe as a file name on every system: no path separators or characters
/// Windows refuses, no leading or trailing dots or spaces, not a reserved device name.
fn file_stem(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c.is_control() || r#"/\:*?"<>|"#.contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let dot_or_space = |c: char| c == '.' || c.is_whitespace();
    let shortened: String = replaced
        .trim_matches(dot_or_space)
        .chars()
        .take(80)
        .collect();
    let mut stem = shortened.trim_end_matches(dot_or_space).to_owned();
    if stem.is_empty() {
        return "group".to_owned();
    }
    const RESERVED: &[&str] = &[
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    let base = stem.split('.').next().unwrap_or_default().to_uppercase();
    if RESERVED.contains(&base.as_str()) {
        stem.insert(0, '_');
    }
    stem
}

/// `stem.ext`, or `stem (2).ext`, … if that name (ignoring case) is taken already.
fn unique_name(stem: &str, extension: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = format!("{stem}.{extension}");
    let mut n = 2;
    while !taken.insert(candidate.to_lowercase()) {
        candidate = format!("{stem} ({n}).{extension}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_become_safe_file_names() {
        assert_eq!(file_stem("Tuesday circle"), "Tuesday circle");
        assert_eq!(file_stem("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_stem("A/B: C?"), "A_B_ C_");
        assert_eq!(file_stem("  ...  "), "group");
        assert_eq!(file_stem("con"), "_con");
        assert_eq!(
            file_stem("Grupo de duelo — Martes"),
            "Grupo de duelo — Martes"
        );
        assert_eq!(file_stem(&"x".repeat(200)).chars().count(), 80);
    }

    #[test]
    fn names_that_clash_get_a_number() {
        let mut taken = HashSet::from([EXPORT_FILE.to_owned()]);
        assert_eq!(unique_name("Circle", "ics", &mut taken), "Circle.ics");
        assert_eq!(unique_name("circle", "ics", &mut taken), "circle (2).ics");
        assert_eq!(unique_name("Circle", "ics", &mut taken), "Circle (3).ics");
    }

    #[test]
    fn calendars_are_written_only_to_absolute_ics_paths() {
        assert!(ics_path("relative.ics").is_err());
        let base = std::env::temp_dir();
        let plain = base.join("cal");
        assert_eq!(
            ics_path(&plain.display().to_string()).expect("absolute"),
            base.join("cal.ics")
        );
        let upper = base.join("cal.ICS");
        assert_eq!(
            ics_path(&upper.display().to_string()).expect("absolute"),
            upper
        );
        let other = base.join(".bashrc");
        assert_eq!(
            ics_path(&other.display().to_string()).expect("absolute"),
            base.join(".bashrc.ics")
        );
    }
}
