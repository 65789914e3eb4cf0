//! Sync files: the native dialogs that choose where one goes or which one to open, and saving or
//! opening it through the core (see `mutua_core::sync::bundle`).
//!
//! As with the other exports, the dialogs are opened here, in Rust, so the window needs no
//! file-system permission: it asks for a path, then asks for that path to be used. A sync file
//! always ends in `.mutua-sync`, so saving one can never overwrite a file of another kind.
//!
//! For the end-to-end tests only, `MUTUA_E2E_STICK` names a folder that stands in for a USB
//! stick and for the dialogs (WebDriver cannot click a native dialog): saving goes to the
//! suggested name in that folder, opening picks the newest sync file there.

use std::path::{Path, PathBuf};

use mutua_api::{
    ApiError, ExportSyncFile, ImportSyncFile, OpenedSyncFile, SavedSyncFile, SyncFileOpenOutcome,
    SyncFileProblem, SyncFileSaveOutcome, SyncFileScope,
};
use mutua_core::Error;
use mutua_core::sync::{BundleScope, sync_file};
use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::DialogExt;

use crate::commands::files::{absolute, chosen_path};
use crate::state::{AppState, blocking, with_store};

const STICK: &str = "MUTUA_E2E_STICK";

fn stick() -> Option<PathBuf> {
    std::env::var_os(STICK)
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
}

fn suggested_name() -> String {
    let zone = mutua_core::time::system_time_zone();
    sync_file::suggested_name(chrono::Utc::now().with_timezone(&zone).date_naive())
}

/// The native save dialog, suggesting `mutua-<today>.mutua-sync`; `None` if cancelled.
#[tauri::command]
pub async fn choose_sync_file_to_save<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
) -> Result<Option<String>, ApiError> {
    blocking(app.clone(), move |_| {
        let name = suggested_name();
        if let Some(folder) = stick() {
            return Ok(Some(folder.join(name).display().to_string()));
        }
        let mut dialog = app
            .dialog()
            .file()
            .set_file_name(&name)
            .add_filter("Mutua sync file", &[sync_file::EXTENSION]);
        #[cfg(desktop)]
        {
            dialog = dialog.set_parent(&window);
        }
        #[cfg(not(desktop))]
        let _ = &window;
        dialog.blocking_save_file().map(chosen_path).transpose()
    })
    .await
}

/// The native open dialog, for sync files; `None` if cancelled.
#[tauri::command]
pub async fn choose_sync_file_to_open<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
) -> Result<Option<String>, ApiError> {
    blocking(app.clone(), move |_| {
        if let Some(folder) = stick() {
            return Ok(newest_sync_file(&folder).map(|p| p.display().to_string()));
        }
        let mut dialog = app
            .dialog()
            .file()
            .add_filter("Mutua sync file", &[sync_file::EXTENSION]);
        #[cfg(desktop)]
        {
            dialog = dialog.set_parent(&window);
        }
        #[cfg(not(desktop))]
        let _ = &window;
        dialog.blocking_pick_file().map(chosen_path).transpose()
    })
    .await
}

/// Seals this device's updates into a sync file at `request.path`.
#[tauri::command]
pub async fn export_sync_file<R: Runtime>(
    app: AppHandle<R>,
    request: ExportSyncFile,
) -> Result<SyncFileSaveOutcome, ApiError> {
    with_store(app, move |m| {
        let path = absolute(&request.path, "the file")?;
        let scope = match request.scope {
            SyncFileScope::Everything => BundleScope::Everything,
            SyncFileScope::Group { group_id } => BundleScope::Group(group_id),
            SyncFileScope::Member { member_id } => BundleScope::Member(member_id),
            SyncFileScope::MyDevices => BundleScope::Member(m.member_id().to_owned()),
        };
        let made = match m.export_bundle(&scope) {
            Ok(made) => made,
            Err(Error::Invalid(_)) => return Ok(SyncFileSaveOutcome::NothingToSave),
            Err(e) => return Err(e.into()),
        };
        let written = match sync_file::save(&path, &made.bytes, &mut |_, _| {}) {
            Ok(written) => written,
            Err(Error::Io { source, .. }) => {
                return Ok(SyncFileSaveOutcome::CannotWrite {
                    detail: source.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        Ok(SyncFileSaveOutcome::Saved(SavedSyncFile {
            file_name: written
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: written.display().to_string(),
            bytes: made.bytes.len() as u64,
            updates: count(made.envelopes),
            groups: count(made.groups),
            key_changes: count(made.key_changes),
        }))
    })
    .await
}

/// Opens a sync file and applies what is for this device; what came goes on to the relay.
#[tauri::command]
pub async fn import_sync_file<R: Runtime>(
    app: AppHandle<R>,
    request: ImportSyncFile,
) -> Result<SyncFileOpenOutcome, ApiError> {
    let handle = app.clone();
    let outcome = with_store(app, move |m| {
        let path = absolute(&request.path, "the file")?;
        let bytes = match sync_file::read(&path, &mut |_, _| {}) {
            Ok(bytes) => bytes,
            Err(Error::NotASyncFile) => return Ok(refused(SyncFileProblem::NotASyncFile)),
            Err(Error::Io { .. } | Error::Invalid(_)) => {
                return Ok(refused(SyncFileProblem::CannotRead));
            }
            Err(e) => return Err(e.into()),
        };
        let report = match m.import_bundle(&bytes) {
            Ok(report) => report,
            Err(Error::SyncFileDamaged(_)) => return Ok(refused(SyncFileProblem::Damaged)),
            Err(Error::NotASyncFile) => return Ok(refused(SyncFileProblem::NotASyncFile)),
            Err(Error::SyncFileTooNew { .. }) => return Ok(refused(SyncFileProblem::TooNew)),
            Err(Error::SyncFileNotForThisDevice) => {
                return Ok(refused(SyncFileProblem::NotForThisDevice));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(SyncFileOpenOutcome::Opened(OpenedSyncFile {
            new_updates: count(report.new),
            already_had: count(report.already_held),
            groups_updated: count(report.groups_updated),
            groups_up_to_date: count(report.groups_up_to_date),
            rejected: count(report.rejected),
            waiting: count(report.held),
            not_for_this_device: count(report.not_for_this_device),
            key_changes: count(report.key_changes),
            removed_from: report.removed_from,
        }))
    })
    .await?;
    if matches!(&outcome, SyncFileOpenOutcome::Opened(o) if o.new_updates > 0 || o.key_changes > 0)
    {
        // Screens showing shared data fetch again, and a relay (if any) gets what came.
        handle.state::<AppState>().sync.bump_revision();
        crate::sync::push_soon(&handle);
    }
    Ok(outcome)
}

fn refused(problem: SyncFileProblem) -> SyncFileOpenOutcome {
    SyncFileOpenOutcome::Refused { problem }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The most recently written `.mutua-sync` file in `folder`.
fn newest_sync_file(folder: &Path) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(sync_file::EXTENSION))
        })
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, p)| p)
}
