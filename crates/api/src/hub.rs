//! The meeting hub: hosting sync for a meeting on the local network, finding hubs nearby, and
//! syncing with one.
//!
//! | command | request | answer |
//! |---|---|---|
//! | `hub_status` | – | `HubStatus` |
//! | `start_hosting` | – | `HubStatus` (hosting, announced with mDNS) |
//! | `stop_hosting` | – | `HubStatus` |
//! | `find_hubs` | – | `Vec<NearbyHub>` (looks for about three seconds) |
//! | `join_hub` | `JoinHub` | `HubStatus` (syncs with it, live, until `leave_hub` or lock) |
//! | `leave_hub` | – | `HubStatus` |

use serde::{Deserialize, Serialize};

/// Where the meeting hub stands on this device: hosting one, syncing with one, both or neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStatus {
    pub hosting: Option<Hosting>,
    pub joined: Option<JoinedHub>,
}

impl HubStatus {
    /// The one session the status line speaks of: the hub joined, else the one hosted.
    pub fn summary(&self) -> Option<HubSummary> {
        match (&self.joined, &self.hosting) {
            (Some(j), _) => Some(HubSummary {
                code: j.code.clone(),
                hosting: false,
                phase: j.phase.clone(),
            }),
            (None, Some(h)) => Some(HubSummary {
                code: Some(h.code.clone()),
                hosting: true,
                phase: h.phase.clone(),
            }),
            (None, None) => None,
        }
    }
}

/// A hub session in a line: which hub, and this device's own rounds with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSummary {
    /// "4821"; `None` until a joined hub has answered.
    pub code: Option<String>,
    /// This device hosts it (else it joined it).
    pub hosting: bool,
    pub phase: HubPhase,
}

/// This device hosts sync for the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosting {
    /// Four digits ("4821"): the screen says "Hub 4821".
    pub code: String,
    /// What people type: `192.168.1.20:8788`, the likeliest first.
    pub addresses: Vec<String>,
    /// The QR code's text (`mutua-hub:…`), and the code as an SVG document.
    pub share: Option<String>,
    pub qr_svg: Option<String>,
    /// Announced with mDNS; when not, `announce_problem` says why (or `None`: not asked).
    pub announced: bool,
    pub announce_problem: Option<String>,
    /// Other devices that synced with this hub (by network address).
    pub devices_synced: u32,
    /// This device's own data with its hub.
    pub phase: HubPhase,
}

/// This device syncs with a hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedHub {
    /// Known once the hub answered.
    pub code: Option<String>,
    pub address: String,
    pub phase: HubPhase,
}

/// Rounds with a hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HubPhase {
    /// Reaching the hub.
    Connecting,
    /// A round is under way; counts since the first round.
    Syncing { received: u32, sent: u32 },
    /// Up to date at `at` (RFC 3339), and listening; counts since the first round.
    Synced {
        at: String,
        received: u32,
        sent: u32,
    },
    /// The last try failed; the next is in `retry_in_secs`.
    Failed { message: String, retry_in_secs: u64 },
}

/// A hub that answered on this network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearbyHub {
    pub code: String,
    /// `192.168.1.20:8788`
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinHub {
    /// An address as typed (`192.168.1.20:8788`) or a QR code's text (`mutua-hub:…#4821`).
    pub address: String,
    /// The code the member picked from the list (checked against the hub's answer).
    pub code: Option<String>,
}
