//! What an operator can tune, with the defaults a community relay starts from.

use std::time::Duration;

/// Where the relay keeps its data and how much it accepts.
#[derive(Debug, Clone)]
pub struct Config {
    /// A SQLite file path, or a `postgres://` / `postgresql://` URL.
    pub database: String,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            database: "mutua-relay.db".into(),
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (413 `body_too_large`).
    pub max_body_bytes: usize,
    /// Most envelopes pushed in one request (413 `too_many_envelopes`).
    pub max_envelopes: usize,
    /// Bytes of envelopes and checkpoints one space may hold (413 `quota_exceeded`).
    pub quota_bytes: u64,
    /// Requests per second per client address and per space, refilled continuously...
    pub rate_per_sec: f64,
    /// ...into a bucket of this many (429 `rate_limited` when empty).
    pub burst: u32,
    /// Header carrying the client's address when behind a proxy (its last entry is used);
    /// `None` uses the TCP peer address.
    pub client_ip_header: Option<String>,
    /// Envelopes per sync page when the device does not say, and the most it may ask for.
    pub page_default: u32,
    pub page_max: u32,
    /// Bytes per sync page, about (one larger envelope still goes out alone).
    pub page_bytes: usize,
    /// Long-poll hold time when the device does not say, and the most it may ask for.
    pub wait_default: Duration,
    pub wait_max: Duration,
    /// Most spaces in one long-poll.
    pub wait_max_spaces: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 8 << 20,
            max_envelopes: 1000,
            quota_bytes: 256 << 20,
            rate_per_sec: 20.0,
            burst: 60,
            client_ip_header: None,
            page_default: 500,
            page_max: 2000,
            page_bytes: 1 << 20,
            wait_default: Duration::from_secs(25),
            wait_max: Duration::from_secs(60),
            wait_max_spaces: 256,
        }
    }
}
