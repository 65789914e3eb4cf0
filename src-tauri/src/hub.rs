//! The meeting hub in the app: hosting sync for the room, and syncing live with a hub.
//!
//! Both run like the relay worker in [`crate::sync`]: a thread runs the core's
//! [`driver::watch`] against the same `Mutex<Option<Mutua>>` the commands use, taking the store
//! only while a round plans or absorbs. Hosting also runs the hub itself ([`mutua_hub::Hub`], on
//! a thread and runtime of its own); the host's own data syncs with its hub over loopback, so
//! it takes in what the room shares, and each round that brought something asks the relay
//! worker for a round too ([`crate::sync::push_soon`]): when the internet comes back, what the
//! room shared flows on. Locking the app stops all of it.
//!
//! The blocking HTTP clients (inside [`HubLink`]) are made and dropped on these threads, never
//! on the async runtime the commands run on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mutua_api::{Hosting, HubPhase, HubStatus, JoinedHub};
use mutua_core::sync::driver::{self, Progress};
use mutua_core::sync::hub::{HubAddress, HubLink};
use mutua_hub::{AnnounceState, Hub, HubConfig};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// What the hub screen shows about rounds with one hub.
#[derive(Debug, Clone)]
struct Rounds {
    phase: HubPhase,
    received: u32,
    sent: u32,
}

impl Default for Rounds {
    fn default() -> Rounds {
        Rounds {
            phase: HubPhase::Connecting,
            received: 0,
            sent: 0,
        }
    }
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Hosted {
    hub: Hub,
    qr_svg: Option<String>,
    stop: Arc<AtomicBool>,
    rounds: Shared<Rounds>,
}

struct Joined {
    address: HubAddress,
    code: Shared<Option<String>>,
    stop: Arc<AtomicBool>,
    rounds: Shared<Rounds>,
}

/// The shell's part of the meeting hub.
#[derive(Default)]
pub struct HubWorker {
    hosted: Mutex<Option<Hosted>>,
    joined: Mutex<Option<Joined>>,
    pushing: AtomicBool,
}

impl HubWorker {
    pub fn status(&self) -> HubStatus {
        let hosting = lock(&self.hosted).as_ref().map(|h| {
            let (announced, announce_problem) = match h.hub.announce_state() {
                AnnounceState::Announced { .. } => (true, None),
                AnnounceState::Off => (false, None),
                AnnounceState::Failed { reason } => (false, Some(reason)),
            };
            Hosting {
                code: h.hub.code().to_owned(),
                addresses: h.hub.addresses(),
                share: h.hub.share_text(),
                qr_svg: h.qr_svg.clone(),
                announced,
                announce_problem,
                devices_synced: u32::try_from(h.hub.devices_synced()).unwrap_or(u32::MAX),
                phase: lock(&h.rounds).phase.clone(),
            }
        });
        let joined = lock(&self.joined).as_ref().map(|j| JoinedHub {
            code: lock(&j.code).clone(),
            address: j.address.url.trim_start_matches("http://").to_owned(),
            phase: lock(&j.rounds).phase.clone(),
        });
        HubStatus { hosting, joined }
    }

    pub fn stop_hosting(&self) {
        if let Some(hosted) = lock(&self.hosted).take() {
            hosted.stop.store(true, Ordering::SeqCst);
            // Answers the own loop's long-poll, so that thread ends after its round.
            hosted.hub.stop();
        }
    }

    pub fn leave(&self) {
        if let Some(joined) = lock(&self.joined).take() {
            joined.stop.store(true, Ordering::SeqCst);
        }
    }

    /// Everything off (locking, deleting the data).
    pub fn stop_all(&self) {
        self.leave();
        self.stop_hosting();
    }
}

/// Progress of a watch loop into `rounds`; `Some(applied)` when a round finished.
fn record(rounds: &Mutex<Rounds>, progress: &Progress) -> Option<usize> {
    let mut r = lock(rounds);
    match progress {
        Progress::Syncing { received, sent, .. } => {
            r.phase = HubPhase::Syncing {
                received: r.received + count(*received),
                sent: r.sent + count(*sent),
            };
            None
        }
        Progress::Done(report) => {
            r.received += count(report.received);
            r.sent += count(report.sent);
            r.phase = match report.errors.first() {
                Some(error) => HubPhase::Failed {
                    message: crate::error::sentence(error),
                    retry_in_secs: 0,
                },
                None => HubPhase::Synced {
                    at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    received: r.received,
                    sent: r.sent,
                },
            };
            Some(report.applied + report.notices.len())
        }
        Progress::Failed {
            message,
            retry_in_secs,
        } => {
            r.phase = HubPhase::Failed {
                message: crate::error::sentence(message),
                retry_in_secs: *retry_in_secs,
            };
            None
        }
        Progress::Waiting => None,
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Starts hosting (a no-op when already hosting).
pub fn start_hosting<R: Runtime>(app: &AppHandle<R>) -> Result<(), mutua_core::Error> {
    let state = app.state::<AppState>();
    if lock(&state.hub.hosted).is_some() {
        return Ok(());
    }
    let hub = Hub::start(HubConfig::new(&state.data_dir))
        .map_err(|e| mutua_core::Error::Invalid(e.to_string()))?;
    let qr_svg = match hub.share_text() {
        Some(text) => Some(crate::qr::svg(&text)?),
        None => None,
    };
    let own = HubAddress::parse(&hub.local_url())?;
    let stop = Arc::new(AtomicBool::new(false));
    let rounds: Shared<Rounds> = Arc::default();
    *lock(&state.hub.hosted) = Some(Hosted {
        hub,
        qr_svg,
        stop: stop.clone(),
        rounds: rounds.clone(),
    });
    run_loop(app, own, stop, rounds, None, true);
    Ok(())
}

/// Starts syncing with the hub at `address`, replacing any hub joined before. Returns once the
/// hub answered (or with the reason it did not).
pub fn join<R: Runtime>(app: &AppHandle<R>, address: HubAddress) -> Result<(), mutua_core::Error> {
    let state = app.state::<AppState>();
    state.hub.leave();
    let stop = Arc::new(AtomicBool::new(false));
    let rounds: Shared<Rounds> = Arc::default();
    let code: Shared<Option<String>> = Arc::default();
    let (answered, answer) = mpsc::channel();
    run_loop(
        app,
        address.clone(),
        stop.clone(),
        rounds.clone(),
        Some((code.clone(), answered)),
        false,
    );
    match answer.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            stop.store(true, Ordering::SeqCst);
            return Err(e);
        }
        Err(_) => {
            stop.store(true, Ordering::SeqCst);
            return Err(mutua_core::Error::RelayUnreachable(format!(
                "the hub at {} did not answer in time",
                address.url
            )));
        }
    }
    *lock(&state.hub.joined) = Some(Joined {
        address,
        code,
        stop,
        rounds,
    });
    Ok(())
}

type FirstAnswer = (
    Shared<Option<String>>,
    mpsc::Sender<Result<(), mutua_core::Error>>,
);

/// A thread that reaches the hub and keeps this device in step with it until `stop`.
fn run_loop<R: Runtime>(
    app: &AppHandle<R>,
    address: HubAddress,
    stop: Arc<AtomicBool>,
    rounds: Shared<Rounds>,
    first: Option<FirstAnswer>,
    hosting: bool,
) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name(
            if hosting {
                "mutua-hub-own"
            } else {
                "mutua-hub-join"
            }
            .into(),
        )
        .spawn(move || {
            let link = match HubLink::connect(&address) {
                Ok(link) => link,
                Err(e) => {
                    let message = e.to_string();
                    match first {
                        Some((_, answered)) => {
                            let _ = answered.send(Err(e));
                        }
                        None => {
                            lock(&rounds).phase = HubPhase::Failed {
                                message: crate::error::sentence(&message),
                                retry_in_secs: 0,
                            }
                        }
                    }
                    return;
                }
            };
            if let Some((code, answered)) = first {
                *lock(&code) = Some(link.info().code.clone());
                let _ = answered.send(Ok(()));
            }
            let nudge = AtomicBool::new(false);
            let progress = |p: Progress| {
                if let Some(news) = record(&rounds, &p) {
                    let state = app.state::<AppState>();
                    if news > 0 {
                        state.sync.bump_revision();
                    }
                    // Store-and-forward: what the hub brought goes on to the relay too.
                    if let Progress::Done(r) = &p
                        && r.received > 0
                    {
                        crate::sync::push_soon(&app);
                    }
                }
            };
            let state = app.state::<AppState>();
            driver::watch(&state.store, &link, &stop, &nudge, &progress);
        });
    if let Err(e) = spawned {
        eprintln!("mutua: could not start the hub thread: {e}");
    }
}

/// After a local change: one round with the hub now (hosted or joined), so the room sees it
/// without waiting for the long-poll.
pub fn push_soon<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut targets = Vec::new();
    if let Some(h) = lock(&state.hub.hosted).as_ref()
        && let Ok(own) = HubAddress::parse(&h.hub.local_url())
    {
        targets.push((own, h.stop.clone(), h.rounds.clone()));
    }
    if let Some(j) = lock(&state.hub.joined).as_ref() {
        targets.push((j.address.clone(), j.stop.clone(), j.rounds.clone()));
    }
    if targets.is_empty() || state.hub.pushing.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("mutua-hub-push".into())
        .spawn(move || {
            let state = app.state::<AppState>();
            for (address, stop, rounds) in targets {
                if stop.load(Ordering::SeqCst) {
                    continue;
                }
                if let Ok(link) = HubLink::connect(&address) {
                    let _ = driver::sync_once(&state.store, &link, &|p| {
                        record(&rounds, &p);
                    });
                }
            }
            state.hub.pushing.store(false, Ordering::SeqCst);
        });
    if spawned.is_err() {
        state.hub.pushing.store(false, Ordering::SeqCst);
    }
}
