//! Mutua's user interface: Leptos, rendered in the browser engine of the Tauri window.
//!
//! The UI knows nothing of storage, sync or Tauri itself. It asks the shell for everything
//! through [`ipc`] and renders the typed answers from `mutua-api`. Words come from [`i18n`]
//! (English and Spanish); each screen lives in [`pages`].

mod app;
mod clock;
mod components;
mod dates;
mod i18n;
mod ipc;
mod pages;
mod recurrence;

use wasm_bindgen::prelude::wasm_bindgen;

/// Runs when `init()` in `index.html` has loaded the wasm module: mounts the app into `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    // Panics then reach the console (and `window.__errors`) with a message instead of
    // "unreachable executed".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
