//! The meeting-room hub: a village hall with no signal, one device hosting sync for the meeting
//! on the room's local network, everyone else syncing with it in one tap.
//!
//! A hub is the ordinary relay ([`mutua_relay::Relay`]) embedded in the host's app or `mutua`
//! command, on its own SQLite file in the host's data folder, with limits for a room rather than
//! the internet ([`host::lan_limits`]), plus one route saying which hub it is
//! ([`mutua_protocol::hub::HUB_PATH`]). Like any relay it stores ciphertext and token hashes and
//! can open nothing: content stays end-to-end encrypted exactly as through the internet.
//!
//! * [`host`]: [`Hub::start`] / [`Hub::stop`] — the relay on a thread of its own, the hub's
//!   identity (an id tied to its database; a four-digit code new each session), the addresses to
//!   show, and a count of the devices that synced.
//! * [`announce`]: the mDNS announcement under an opaque, rotating instance name with only the
//!   protocol version and the code in its TXT record.
//! * [`browse`]: finding hubs nearby for a few seconds.
//!
//! This crate knows nothing of members or groups (it does not depend on `mutua-core`). The
//! host's *own* data syncs with its hub like any member's, through `mutua_core::sync::hub`; so
//! the host takes in what the room shares and carries it on to the internet relay later
//! (store-and-forward).

pub mod announce;
pub mod browse;
pub mod host;
mod net;

pub use announce::AnnounceState;
pub use browse::{FoundHub, browse};
pub use host::{Hub, HubConfig};
pub use net::MdnsOptions;

/// What can go wrong hosting or finding a hub, in words a member can act on.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "could not listen on {addr}: {source} (another program may be using the port; choose another with --listen)"
    )]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("the hub's storage could not be opened at {path}: {reason}")]
    Storage { path: String, reason: String },
    #[error("the hub's folder {path} could not be used: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("looking for hubs on the local network failed: {0}")]
    Discovery(String),
    #[error("the hub could not start: {0}")]
    Start(String),
}

/// Blocks until Ctrl-C (or SIGTERM on Unix), for `mutua hub serve`.
pub fn wait_for_interrupt() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    })
}
