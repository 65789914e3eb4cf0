//! What the shell tells the UI about itself.

use serde::{Deserialize, Serialize};

/// Answer to the `app_info` command: enough for an "about" line and a first-run check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// The shell's version (its `Cargo.toml` version), e.g. `0.1.0`.
    pub version: String,
    /// Whether the app's data directory already exists on this device (false on first run).
    pub data_dir_present: bool,
}
