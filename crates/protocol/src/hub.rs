//! The meeting-room hub: a relay run by one device on a local network, for a meeting with no
//! internet. It speaks exactly the relay API, plus one route ([`HUB_PATH`]) that says which hub
//! it is, and it is announced with mDNS (DNS-SD) under [`SERVICE_TYPE`].
//!
//! What the announcement may carry is fixed here, so nothing else can slip into it: an opaque
//! instance name (random, rotated while hosting), the protocol version ([`TXT_VERSION`]) and the
//! hub's short human code ([`TXT_CODE`], four digits, new for every hosting session) — never a
//! group, a person, or the host's own machine name.
//!
//! Devices key what they know about a hub (positions, what it holds) by its [`HubInfo::hub`]
//! id, not by its address: the hall's router may hand the laptop another address next week,
//! and a hub whose database was reset gets a new id, so nobody trusts stale positions.

use serde::{Deserialize, Serialize};

/// `GET` → [`HubInfo`] as JSON (readable with `curl` at the meeting).
pub const HUB_PATH: &str = "/v1/hub";

/// The DNS-SD service type hubs announce.
pub const SERVICE_TYPE: &str = "_mutua._tcp.local.";

/// TXT key: the protocol version ([`crate::VERSION`]).
pub const TXT_VERSION: &str = "v";
/// TXT key: the hub's short code ("4821").
pub const TXT_CODE: &str = "code";

/// The port a hub tries first, so its address stays the same from one meeting to the next.
pub const DEFAULT_PORT: u16 = 8788;

/// What a hub says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubInfo {
    /// Random, made with the hub's database (32 hex digits); a reset hub has a new one.
    pub hub: String,
    /// The short code the host's screen shows, new for every hosting session.
    pub code: String,
    /// The protocol version the hub speaks.
    pub version: u16,
}

impl HubInfo {
    /// Whether `hub` looks like a hub id (so a device never keys its state by junk).
    pub fn valid_id(hub: &str) -> bool {
        hub.len() == 32
            && hub
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }

    /// Whether `code` looks like a hub code.
    pub fn valid_code(code: &str) -> bool {
        code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())
    }
}

/// The text a hub's QR code carries: `mutua-hub:<host>:<port>#<code>`.
pub const SHARE_PREFIX: &str = "mutua-hub:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_codes_are_checked() {
        assert!(HubInfo::valid_id("0123456789abcdef0123456789abcdef"));
        assert!(!HubInfo::valid_id("0123456789ABCDEF0123456789abcdef"));
        assert!(!HubInfo::valid_id("../../etc/passwd"));
        assert!(HubInfo::valid_code("4821"));
        assert!(!HubInfo::valid_code("48a1"));
        assert!(!HubInfo::valid_code("48210"));
    }
}
