//! The commands the UI can invoke. Each is a few lines: take state, call core, map the error.

use mutua_api::{ApiError, AppInfo};
use tauri::{AppHandle, Manager, Runtime};

use crate::error::from_tauri;

/// The app's version and whether this device already has a data directory (first run or not).
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>) -> Result<AppInfo, ApiError> {
    let data_dir = app.path().app_data_dir().map_err(from_tauri)?;
    Ok(AppInfo {
        version: app.package_info().version.to_string(),
        data_dir_present: data_dir.is_dir(),
    })
}
