//! Hosting: the embedded relay on the room's network, on a thread (and tokio runtime) of its
//! own, so the app's window and the `mutua` command's loops never wait on it.
//!
//! **Identity.** The hub's database is `<data dir>/hub/relay-<id>.db`: the id *is* the file's
//! name, so the two cannot drift apart. Devices key their state about the hub by that id (see
//! `mutua_core::sync::hub`): the same hub at another address next week is recognised, and a hub
//! whose database was deleted comes back with a new id, so no device trusts a position the hub
//! no longer holds. The four-digit code is new each time hosting starts.
//!
//! **Limits for a room.** Everybody in a hall may sit behind one address and sync at once, so
//! the per-address rate limit is far above an internet relay's; sizes and the per-group quota
//! stay the relay's defaults. The hub stores what any relay stores: ciphertext, header tags and
//! token hashes.
//!
//! **Who synced.** The host's screen says how many devices synced: the distinct network
//! addresses (other than the host's own loopback) that made a sync request, counted in memory
//! only and forgotten when hosting stops.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use mutua_protocol::hub::{DEFAULT_PORT, HUB_PATH, HubInfo};
use mutua_relay::{Config, Limits, Relay};
use tokio::sync::oneshot;

use crate::HubError;
use crate::announce::{AnnounceState, Announcer, ROTATE_EVERY};
use crate::net::{MdnsOptions, lan_addresses};

/// How to host.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// The member's data folder; the hub keeps its database in `hub/` inside it.
    pub data_dir: PathBuf,
    /// Where to listen. `None`: every interface on port 8788, or any free port if that one is
    /// taken (the address shown then says which).
    pub listen: Option<SocketAddr>,
    /// Announce with mDNS.
    pub announce: bool,
    pub mdns: MdnsOptions,
    /// How often the mDNS instance name changes.
    pub rotate_every: Duration,
}

impl HubConfig {
    /// Hosting from `data_dir` with the defaults (mDNS options from the environment).
    pub fn new(data_dir: impl Into<PathBuf>) -> HubConfig {
        HubConfig {
            data_dir: data_dir.into(),
            listen: None,
            announce: true,
            mdns: MdnsOptions::from_env(),
            rotate_every: ROTATE_EVERY,
        }
    }
}

/// Relay limits for a room full of devices behind one or a few addresses.
pub fn lan_limits() -> Limits {
    Limits {
        rate_per_sec: 1000.0,
        burst: 4000,
        ..Limits::default()
    }
}

/// Who synced with the hub (see the module doc).
#[derive(Debug, Default)]
struct Visitors {
    addresses: Mutex<HashSet<IpAddr>>,
    syncs: AtomicU64,
    last: Mutex<Option<SystemTime>>,
}

async fn count_visitor(
    State(visitors): State<Arc<Visitors>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let is_sync =
        request.method() == axum::http::Method::POST && request.uri().path().ends_with("/sync");
    let response = next.run(request).await;
    if is_sync && response.status().is_success() {
        visitors.syncs.fetch_add(1, Ordering::Relaxed);
        *visitors.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(SystemTime::now());
        if !peer.ip().is_loopback() {
            visitors
                .addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(peer.ip());
        }
    }
    response
}

/// A running hub. Dropping it stops it.
#[derive(Debug)]
pub struct Hub {
    info: HubInfo,
    bound: SocketAddr,
    addresses: Vec<IpAddr>,
    visitors: Arc<Visitors>,
    announcer: Option<Announcer>,
    announce_state: AnnounceState,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The database of the hub in `dir`, made if there is none: its path and id.
fn database(dir: &Path) -> Result<(PathBuf, String), HubError> {
    let folder = dir.join("hub");
    let fail = |source| HubError::Folder {
        path: folder.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&folder).map_err(fail)?;
    let mut existing: Vec<(SystemTime, String)> = Vec::new();
    for entry in std::fs::read_dir(&folder).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name
            .strip_prefix("relay-")
            .and_then(|rest| rest.strip_suffix(".db"))
            .filter(|id| HubInfo::valid_id(id))
        {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            existing.push((modified, id.to_owned()));
        }
    }
    let id = match existing.into_iter().max() {
        Some((_, id)) => id,
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)
                .map_err(|e| HubError::Start(format!("no randomness for the hub's id: {e}")))?;
            hex::encode(bytes)
        }
    };
    Ok((folder.join(format!("relay-{id}.db")), id))
}

/// Deletes the hub's database in `dir` (it holds only ciphertext the devices also hold). The
/// next hosting starts a new hub with a new id; devices then offer it everything again.
pub fn reset(dir: &Path) -> Result<(), HubError> {
    let folder = dir.join("hub");
    if !folder.exists() {
        return Ok(());
    }
    std::fs::remove_dir_all(&folder).map_err(|source| HubError::Folder {
        path: folder.display().to_string(),
        source,
    })
}

/// A four-digit code, new each hosting session.
fn new_code() -> String {
    let mut bytes = [0u8; 2];
    let _ = getrandom::fill(&mut bytes);
    format!("{:04}", u16::from_le_bytes(bytes) % 10_000)
}

fn bind(listen: Option<SocketAddr>) -> Result<std::net::TcpListener, HubError> {
    let bind_one = |addr: SocketAddr| {
        std::net::TcpListener::bind(addr).map_err(|source| HubError::Listen {
            addr: addr.to_string(),
            source,
        })
    };
    match listen {
        Some(addr) => bind_one(addr),
        None => {
            let usual = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT);
            bind_one(usual).or_else(|_| bind_one(SocketAddr::new(usual.ip(), 0)))
        }
    }
}

impl Hub {
    /// Opens the hub's database, starts listening and (if asked) announces it. Returns once
    /// the hub answers requests.
    pub fn start(config: HubConfig) -> Result<Hub, HubError> {
        let (path, id) = database(&config.data_dir)?;
        let listener = bind(config.listen)?;
        let bound = listener.local_addr().map_err(|source| HubError::Listen {
            addr: format!("{:?}", config.listen),
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| HubError::Listen {
                addr: bound.to_string(),
                source,
            })?;
        let info = HubInfo {
            hub: id,
            code: new_code(),
            version: mutua_protocol::VERSION,
        };
        let visitors = Arc::new(Visitors::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), HubError>>();
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let thread = {
            let info = info.clone();
            let visitors = visitors.clone();
            std::thread::Builder::new()
                .name("mutua-hub".into())
                .spawn(move || serve(path, listener, info, visitors, ready_tx, shutdown_rx))
                .map_err(|e| HubError::Start(e.to_string()))?
        };
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(HubError::Start("the hub's thread ended at once".into()));
            }
        }
        let only = config.mdns.interfaces.as_deref();
        let addresses = if bound.ip().is_unspecified() {
            lan_addresses(only)
        } else {
            vec![bound.ip()]
        };
        let mut hub = Hub {
            info,
            bound,
            addresses,
            visitors,
            announcer: None,
            announce_state: AnnounceState::Off,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        if config.announce {
            // Listening everywhere: each interface's own address goes in its answers.
            let announced = if bound.ip().is_unspecified() {
                Vec::new()
            } else {
                vec![bound.ip()]
            };
            match Announcer::start(
                &config.mdns,
                announced,
                bound.port(),
                hub.info.code.clone(),
                config.rotate_every,
            ) {
                Ok(announcer) => hub.announcer = Some(announcer),
                Err(reason) => hub.announce_state = AnnounceState::Failed { reason },
            }
        }
        Ok(hub)
    }

    pub fn info(&self) -> &HubInfo {
        &self.info
    }

    /// The four digits the screen shows ("Hub 4821").
    pub fn code(&self) -> &str {
        &self.info.code
    }

    pub fn port(&self) -> u16 {
        self.bound.port()
    }

    /// The address the host's own device syncs with (loopback when listening everywhere).
    pub fn local_url(&self) -> String {
        let ip = if self.bound.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.bound.ip()
        };
        format!("http://{}", SocketAddr::new(ip, self.bound.port()))
    }

    /// Addresses people in the room type: `192.168.1.20:8788`, first the likeliest.
    pub fn addresses(&self) -> Vec<String> {
        self.addresses
            .iter()
            .map(|ip| SocketAddr::new(*ip, self.bound.port()).to_string())
            .collect()
    }

    /// The QR code's text for the first address (`None` when the host has no network address).
    pub fn share_text(&self) -> Option<String> {
        self.addresses.first().map(|ip| {
            format!(
                "{}{}#{}",
                mutua_protocol::hub::SHARE_PREFIX,
                SocketAddr::new(*ip, self.bound.port()),
                self.info.code
            )
        })
    }

    pub fn announce_state(&self) -> AnnounceState {
        match &self.announcer {
            Some(a) => a.state(),
            None => self.announce_state.clone(),
        }
    }

    /// Devices (other than the host) that synced here.
    pub fn devices_synced(&self) -> usize {
        self.visitors
            .addresses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Sync requests answered, the host's own included.
    pub fn syncs(&self) -> u64 {
        self.visitors.syncs.load(Ordering::Relaxed)
    }

    /// When the last sync request was answered.
    pub fn last_sync(&self) -> Option<SystemTime> {
        *self.visitors.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Withdraws the announcement, answers open long-polls, finishes requests in flight and
    /// closes the database.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(mut announcer) = self.announcer.take() {
            announcer.stop();
        }
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The hub's thread: a small runtime, the relay, and the hub route.
fn serve(
    path: PathBuf,
    listener: std::net::TcpListener,
    info: HubInfo,
    visitors: Arc<Visitors>,
    ready: std::sync::mpsc::Sender<Result<(), HubError>>,
    shutdown: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("mutua-hub-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(HubError::Start(e.to_string())));
            return;
        }
    };
    runtime.block_on(async move {
        let config = Config {
            database: path.display().to_string(),
            limits: lan_limits(),
        };
        let relay = match Relay::open(config).await {
            Ok(relay) => relay,
            Err(e) => {
                let _ = ready.send(Err(HubError::Storage {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }));
                return;
            }
        };
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(source) => {
                let _ = ready.send(Err(HubError::Listen {
                    addr: "the hub's socket".into(),
                    source,
                }));
                return;
            }
        };
        let app = relay
            .router()
            .route(HUB_PATH, get(move || async move { axum::Json(info) }))
            .layer(middleware::from_fn_with_state(visitors, count_visitor));
        let _ = ready.send(Ok(()));
        let stopping = relay.clone();
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = shutdown.await;
            stopping.begin_shutdown();
        })
        .await;
        if let Err(e) = served {
            eprintln!("mutua hub: serving stopped: {e}");
        }
        relay.close().await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_loopback(dir: &Path) -> HubConfig {
        HubConfig {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            announce: false,
            ..HubConfig::new(dir)
        }
    }

    #[test]
    fn the_id_stays_with_the_database_and_a_reset_makes_a_new_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Hub::start(on_loopback(dir.path())).expect("start");
        let id = first.info().hub.clone();
        assert!(HubInfo::valid_id(&id));
        assert!(HubInfo::valid_code(first.code()));
        assert_eq!(first.announce_state(), AnnounceState::Off);
        assert_eq!(first.addresses(), vec![first.local_url()[7..].to_owned()]);
        first.stop();
        let again = Hub::start(on_loopback(dir.path())).expect("restart");
        assert_eq!(again.info().hub, id, "same database, same hub");
        again.stop();
        reset(dir.path()).expect("reset");
        let fresh = Hub::start(on_loopback(dir.path())).expect("after reset");
        assert_ne!(fresh.info().hub, id, "a reset hub is a new hub");
    }

    #[test]
    fn a_taken_port_is_refused_in_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut config = on_loopback(dir.path());
        config.listen = Some(taken.local_addr().expect("addr"));
        let err = Hub::start(config).expect_err("port in use").to_string();
        assert!(err.contains("could not listen on 127.0.0.1:"), "{err}");
        assert!(err.contains("--listen"), "{err}");
    }
}
