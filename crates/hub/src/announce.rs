//! Announcing a hub with mDNS (DNS-SD), so people in the room find it without typing anything.
//!
//! Everyone on the network can hear an announcement, so it says as little as possible:
//! * the **instance name** is random (16 hex digits), new each hosting session and replaced
//!   every [`ROTATE_EVERY`] while hosting (the old name is withdrawn with a goodbye), so a
//!   device hosting at the same hall every week cannot be followed by its name;
//! * the **host name** in the address records is that same random name, never the computer's
//!   own (which is often its owner's name: "anas-laptop");
//! * the **TXT record** holds only the protocol version and the hub's four-digit code, which the
//!   host's screen shows so people pick the right hub when two are in one room.
//!
//! No group, member, or app data is in it. Whoever hears it learns that a Mutua hub runs at that
//! address — which the people in the room need to know anyway.

use std::net::IpAddr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceInfo};
use mutua_protocol::hub::{SERVICE_TYPE, TXT_CODE, TXT_VERSION};

use crate::net::MdnsOptions;

/// How often a hosting hub takes a new instance name.
pub const ROTATE_EVERY: Duration = Duration::from_secs(10 * 60);

/// Whether people can find the hub by looking, or must type its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnnounceState {
    /// Announced under this (opaque) instance name.
    Announced { instance: String },
    /// Not announced, as asked (`--no-announce`).
    Off,
    /// mDNS could not start here (no multicast, a firewall): people type the address or scan
    /// the QR code instead.
    Failed { reason: String },
}

/// A random instance name: 16 hex digits, nothing else.
pub fn opaque_name() -> String {
    let mut bytes = [0u8; 8];
    // A failing system RNG is vanishingly rare; a name made from the clock is still opaque.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = (nanos as u64).to_le_bytes();
    }
    hex::encode(bytes)
}

/// The hub's mDNS announcement, renewed under a new name every `rotate_every` until dropped.
pub(crate) struct Announcer {
    daemon: ServiceDaemon,
    state: Arc<Mutex<AnnounceState>>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer").finish_non_exhaustive()
    }
}

fn service(
    instance: &str,
    addresses: &[IpAddr],
    port: u16,
    code: &str,
) -> Result<ServiceInfo, String> {
    let host = format!("{instance}.local.");
    let txt = [
        (TXT_VERSION, mutua_protocol::VERSION.to_string()),
        (TXT_CODE, code.to_owned()),
    ];
    let info = ServiceInfo::new(SERVICE_TYPE, instance, &host, addresses, port, &txt[..])
        .map_err(|e| e.to_string())?;
    // Listening on every interface: let the daemon fill in each interface's own address.
    Ok(if addresses.is_empty() {
        info.enable_addr_auto()
    } else {
        info
    })
}

impl Announcer {
    /// Starts announcing a hub on `port` with `code`. `addresses` empty: every address of the
    /// interfaces mDNS runs on.
    pub(crate) fn start(
        options: &MdnsOptions,
        addresses: Vec<IpAddr>,
        port: u16,
        code: String,
        rotate_every: Duration,
    ) -> Result<Announcer, String> {
        let daemon = options.daemon()?;
        let first = opaque_name();
        daemon
            .register(service(&first, &addresses, port, &code)?)
            .map_err(|e| e.to_string())?;
        let state = Arc::new(Mutex::new(AnnounceState::Announced {
            instance: first.clone(),
        }));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = {
            let daemon = daemon.clone();
            let state = state.clone();
            std::thread::Builder::new()
                .name("mutua-hub-mdns".into())
                .spawn(move || {
                    let mut current = first;
                    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(rotate_every) {
                        let next = opaque_name();
                        let fullname = format!("{current}.{SERVICE_TYPE}");
                        // The goodbye for the old name goes out before the new name appears.
                        if let Ok(done) = daemon.unregister(&fullname) {
                            let _ = done.recv_timeout(Duration::from_secs(2));
                        }
                        let registered = service(&next, &addresses, port, &code)
                            .and_then(|s| daemon.register(s).map_err(|e| e.to_string()));
                        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                        *state = match registered {
                            Ok(()) => AnnounceState::Announced {
                                instance: next.clone(),
                            },
                            Err(reason) => AnnounceState::Failed { reason },
                        };
                        current = next;
                    }
                    if let Ok(done) = daemon.unregister(&format!("{current}.{SERVICE_TYPE}")) {
                        let _ = done.recv_timeout(Duration::from_secs(2));
                    }
                })
                .map_err(|e| e.to_string())?
        };
        Ok(Announcer {
            daemon,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub(crate) fn state(&self) -> AnnounceState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Withdraws the announcement (a goodbye, so browsers drop it at once) and stops mDNS.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_opaque_and_fresh() {
        let a = opaque_name();
        let b = opaque_name();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_record_holds_only_the_version_and_the_code() {
        let info = service("0123456789abcdef", &[], 8788, "4821").expect("service");
        let txt = info.get_properties();
        let keys: Vec<&str> = txt.iter().map(|p| p.key()).collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(info.get_property_val_str(TXT_CODE), Some("4821"));
        assert_eq!(info.get_property_val_str(TXT_VERSION), Some("1"));
        assert_eq!(info.get_hostname(), "0123456789abcdef.local.");
        assert!(info.get_fullname().starts_with("0123456789abcdef."));
    }
}
