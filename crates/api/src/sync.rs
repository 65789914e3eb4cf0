//! Sync, invitations and devices: what the status line, the sync settings, the invite and join
//! screens and the member list's "remove" send and show.
//!
//! | command | request | answer |
//! |---|---|---|
//! | `sync_status` | – | `SyncStatus` |
//! | `sync_settings` | – | `SyncSettings` |
//! | `set_sync_settings` | `SyncSettings` | `SyncSettings` (the relay URL is checked) |
//! | `sync_now` | – | `()` (starts a round; the status line follows it) |
//! | `create_invite` | `CreateInvite` | `InviteCode` |
//! | `accept_invite` | `AcceptInvite` | `JoinOutcome` |
//! | `read_qr_image` | – | `Option<String>` (the code in a chosen picture; `None`: cancelled) |
//! | `join_requests` | – | `Vec<JoinRequest>` (waiting for this device's facilitators) |
//! | `answer_join` | `AnswerJoin` | `()` |
//! | `remove_member` | `RemoveMember` | `()` |

use serde::{Deserialize, Serialize};

/// Where sync stands, for the status line and the sync settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The relay this device syncs through; `None`: sync is off (the app works without it).
    pub relay: Option<String>,
    pub phase: SyncPhase,
    /// When a round last finished without error (RFC 3339, UTC).
    pub last_synced: Option<String>,
    /// Envelopes received that cannot be opened yet (a sender or key not yet known).
    pub held: u32,
    /// Recent warnings and notices (a tampered envelope, a removal), newest first.
    pub events: Vec<SyncEvent>,
    /// Grows whenever a round brought something new in: screens fetch their data again.
    pub revision: u64,
    /// A meeting hub this device syncs with or hosts: the status line speaks of it while there
    /// is no relay, or while the relay cannot be reached (as at a meeting with no internet).
    #[serde(default)]
    pub hub: Option<crate::hub::HubSummary>,
}

/// What the background sync is doing now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncPhase {
    /// No relay is set, or the app is locked.
    Off,
    /// A round is under way. Counts are envelopes this round; bytes are what crossed the
    /// link both ways.
    Syncing {
        groups_done: u32,
        groups: u32,
        received: u32,
        sent: u32,
        #[serde(default)]
        bytes_received: u64,
        #[serde(default)]
        bytes_sent: u64,
        /// `received` plus what the relay still holds for this device in the group now
        /// syncing, once known.
        #[serde(default)]
        receive_total: Option<u32>,
        /// `sent` plus what is still to send in the group now syncing.
        #[serde(default)]
        send_total: u32,
        /// Bytes still to send in the group now syncing.
        #[serde(default)]
        send_bytes_left: u64,
    },
    /// Up to date; listening for news from the relay.
    Listening,
    /// The last round failed; the next try is in `retry_in_secs`.
    Failed { message: String, retry_in_secs: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncEvent {
    pub at: String,
    pub group_id: Option<String>,
    /// "tampered", "removed", "joined", "request", …
    pub kind: String,
    pub detail: String,
}

/// The member's sync choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// An http(s) URL; empty or `None` turns sync off.
    pub relay: Option<String>,
    /// Open groups admit people who ask with a valid invitation without waiting for a
    /// facilitator (closed groups always wait).
    pub auto_approve: bool,
    /// Notifications name the conversation and the sender; off: they only count messages.
    /// Never any content while the app is locked.
    pub notification_previews: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInvite {
    pub group_id: String,
    /// `false`: in person (the code carries the keys; show it only to the person joining).
    /// `true`: a code to send; a facilitator approves the request before the keys go out.
    pub remote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteCode {
    pub group_id: String,
    pub group_name: String,
    pub remote: bool,
    /// The text to copy or send (`mutua-invite:…`).
    pub code: String,
    /// The same code as a QR code, an SVG document.
    pub qr_svg: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptInvite {
    pub code: String,
}

/// What accepting a code did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JoinOutcome {
    /// In person: this device is in the group now; the next sync brings its details.
    Joined {
        group_id: String,
        group_name: String,
    },
    /// Remote: the request goes out with the next sync and waits for a facilitator.
    Requested { group_name: String },
}

/// Someone asking to join a group this member facilitates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub invite_id: String,
    pub group_id: String,
    pub group_name: String,
    pub member_id: String,
    pub pseudonym: String,
    /// "pending", "approved", "declined".
    pub state: String,
    pub received_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerJoin {
    pub invite_id: String,
    pub member_id: String,
    pub approve: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveMember {
    pub group_id: String,
    pub member_id: String,
}

// Devices of the same member.
//
// | command | request | answer |
// |---|---|---|
// | `setup_paired` | `SetupPaired` | `PairingState` (first run on a new device) |
// | `pairing_status` | – | `Option<PairingState>` (`None`: not set up by pairing) |
// | `cancel_pairing` | – | `()` (a refused or abandoned pairing: removes this device's data) |
// | `create_pairing` | – | `PairingCode` (on the device already in use) |
// | `devices` | – | `Vec<Device>` |

/// First run on a new device, with a code shown by the member's other device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupPaired {
    /// `mutua-pair:…`
    pub code: String,
    /// `None`: protect with the OS keychain.
    pub passphrase: Option<String>,
}

/// Where pairing this new device stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PairingState {
    /// Waiting for the other device to answer (it must sync before `expires_at`).
    Waiting {
        expires_at: String,
    },
    Paired,
    /// The other device refused (the code was used or had expired); nothing was received.
    Refused {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairingCode {
    pub code: String,
    pub qr_svg: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The first characters of the device's public signing key, to tell devices apart.
    pub fingerprint: String,
    pub this_device: bool,
    pub added_at: String,
}
