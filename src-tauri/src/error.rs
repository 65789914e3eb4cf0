//! The one place shell-side failures become the [`ApiError`] the UI shows.
//!
//! Core errors will be mapped here too (by kind, with member-facing messages) once commands call
//! into `mutua-core`. Causes are logged, not sent: the window gets words, not stack traces.

use mutua_api::ApiError;

/// A Tauri error (paths, windows, the runtime) is never the member's doing: it is internal.
pub(crate) fn from_tauri(error: tauri::Error) -> ApiError {
    eprintln!("tauri error: {error}");
    ApiError::internal("Mutua hit an unexpected problem on this device. Please try again.")
}
