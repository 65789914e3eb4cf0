//! Sync files: saving the groups' updates to a file for a USB stick, an SD card or any messenger,
//! and opening files others made (Settings → Sync → Sync file).
//!
//! | command | request | answer |
//! |---|---|---|
//! | `choose_sync_file_to_save` | – | `Option<String>` (a path from the native save dialog, suggesting `mutua-<date>.mutua-sync`; `None`: cancelled) |
//! | `choose_sync_file_to_open` | – | `Option<String>` (a path from the native open dialog; `None`: cancelled) |
//! | `export_sync_file` | `ExportSyncFile` | `SyncFileSaveOutcome` |
//! | `import_sync_file` | `ImportSyncFile` | `SyncFileOpenOutcome` |
//!
//! What can go wrong with a file itself (damaged, not a sync file, for other groups) comes back
//! as a typed outcome, not an error, so the window says it in the member's language; errors are
//! left for the store itself (locked, storage).

use serde::{Deserialize, Serialize};

/// What a sync file should carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncFileScope {
    /// Every group and conversation on this device (and the member's own things, which only
    /// their other devices can open).
    Everything,
    Group {
        group_id: String,
    },
    /// Only what this member is not known to have yet.
    Member {
        member_id: String,
    },
    /// Only what the member's other devices are not known to have yet.
    MyDevices,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSyncFile {
    pub scope: SyncFileScope,
    /// An absolute path (from `choose_sync_file_to_save`); `.mutua-sync` is added if missing.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSyncFile {
    /// An absolute path (from `choose_sync_file_to_open`).
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SyncFileSaveOutcome {
    Saved(SavedSyncFile),
    /// This device is in no group yet (or shares none with the person chosen).
    NothingToSave,
    /// The file could not be written there (a full or unplugged stick, a read-only folder);
    /// nothing was left behind. `detail` is the system's reason, in English.
    CannotWrite {
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSyncFile {
    pub path: String,
    pub file_name: String,
    pub bytes: u64,
    /// Envelopes (messages, edits, roster changes) in the file.
    pub updates: u32,
    pub groups: u32,
    pub key_changes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SyncFileOpenOutcome {
    Opened(OpenedSyncFile),
    /// Nothing was changed.
    Refused {
        problem: SyncFileProblem,
    },
}

/// Why a file was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncFileProblem {
    /// Cut short or changed on the way: copy it again.
    Damaged,
    NotASyncFile,
    /// Made by a newer Mutua: update this one.
    TooNew,
    /// For groups this device is not in.
    NotForThisDevice,
    /// The file could not be read (gone, unreadable, a folder).
    CannotRead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedSyncFile {
    pub new_updates: u32,
    pub already_had: u32,
    pub groups_updated: u32,
    pub groups_up_to_date: u32,
    /// Forged or altered updates, not applied (each also listed in the sync notices).
    pub rejected: u32,
    /// Updates that wait for a member's introduction or a key this device has not received.
    pub waiting: u32,
    /// Parts of the file for groups or conversations this device is not in.
    pub not_for_this_device: u32,
    pub key_changes: u32,
    /// Groups (by name) this member was removed from, as the file says.
    pub removed_from: Vec<String>,
}
