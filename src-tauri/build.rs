//! Reads the canonical `tauri.conf.json` at the workspace root (not in this crate), resolves the
//! capabilities in `capabilities/`, and embeds the window icon.

fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; `{error:#}` keeps the cause chain.
        panic!("tauri build step failed: {error:#}");
    }
}
