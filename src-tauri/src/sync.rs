//! Background sync in the app: one thread per unlocked session that keeps every group in step
//! with the member's relay, a status the window polls, and desktop notifications.
//!
//! The thread runs the core's [`driver::watch`] against the same `Mutex<Option<Mutua>>` the
//! commands use: a round takes the store for the milliseconds it plans or absorbs, and lets go
//! of it while bytes travel, so the window never waits on the network. Locking the app empties
//! the slot and stops the thread (it ends after its current long-poll; while it waits, it holds
//! no data). A local change ([`push_soon`]) runs one extra round at once on a short-lived
//! thread, since `watch` may be inside a 25-second long-poll it cannot leave early.
//!
//! Notifications never carry content unless the member turned previews on, and never while the
//! app is locked: the text is made under the store's lock, from the open store, and a locked
//! app has no store (and no sync) at all.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mutua_api::{SyncPhase, SyncSettings};
use mutua_core::Mutua;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::{Progress, driver};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// The shell's part of sync: the running worker (if any) and what it last reported.
#[derive(Default)]
pub struct SyncWorker {
    live: Mutex<Live>,
    /// Which worker is current: reports from a stopped one (still finishing a long-poll) are
    /// ignored.
    generation: AtomicU64,
    /// A one-off round for local changes is running; `push_again` asks it for one more.
    pushing: AtomicBool,
    push_again: AtomicBool,
}

#[derive(Default)]
struct Live {
    phase: Option<SyncPhase>,
    revision: u64,
    stop: Option<Arc<AtomicBool>>,
    relay: Option<String>,
    /// Unread messages after the last round, to notice new ones.
    unread: Option<u32>,
}

impl SyncWorker {
    fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the status line shows now.
    pub fn phase(&self) -> SyncPhase {
        self.live().phase.clone().unwrap_or(SyncPhase::Off)
    }

    pub fn revision(&self) -> u64 {
        self.live().revision
    }

    /// Something came in by another route (a sync file): screens fetch their data again.
    pub fn bump_revision(&self) {
        self.live().revision += 1;
    }

    /// Stops the current worker (if any); the status goes to `Off`.
    pub fn stop(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut live = self.live();
        if let Some(stop) = live.stop.take() {
            stop.store(true, Ordering::SeqCst);
        }
        live.phase = Some(SyncPhase::Off);
        live.relay = None;
        live.unread = None;
    }
}

/// (Re)starts background sync for the open store: stops any earlier worker, then starts one if
/// a relay is set. Called after unlocking, after the settings change, after joining a group.
pub fn restart<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    state.sync.stop();
    let relay = match state.slot().as_ref().map(Mutua::relay_url) {
        Some(Ok(Some(relay))) => relay,
        Some(Err(error)) => {
            eprintln!("mutua: reading the relay setting failed: {error:?}");
            return;
        }
        _ => return,
    };
    if let Err(error) = mutua_core::sync::client::check_relay_url(&relay) {
        state.sync.live().phase = Some(SyncPhase::Failed {
            message: crate::error::sentence(&error.to_string()),
            retry_in_secs: 0,
        });
        return;
    }
    let generation = state.sync.generation.load(Ordering::SeqCst);
    let stop = Arc::new(AtomicBool::new(false));
    {
        let mut live = state.sync.live();
        live.stop = Some(stop.clone());
        live.relay = Some(relay.clone());
        live.phase = Some(SyncPhase::Syncing {
            groups_done: 0,
            groups: 0,
            received: 0,
            sent: 0,
        });
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("mutua-sync".into())
        .spawn(move || {
            // The blocking HTTP client owns a runtime of its own: it is made (and dropped)
            // here, never on the async runtime the commands run on.
            let progress = |p: Progress| report(&app, generation, p);
            let client = match RelayClient::new(&relay) {
                Ok(client) => client,
                Err(error) => {
                    progress(Progress::Failed {
                        message: error.to_string(),
                        retry_in_secs: 0,
                    });
                    return;
                }
            };
            let state = app.state::<AppState>();
            let nudge = AtomicBool::new(false);
            driver::watch(&state.store, &client, &stop, &nudge, &progress);
        });
    if let Err(error) = spawned {
        eprintln!("mutua: could not start the sync thread: {error}");
    }
}

/// After a local change: one round now, so the change leaves without waiting for the long-poll.
pub fn push_soon<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let (relay, generation) = {
        let live = state.sync.live();
        (
            live.relay.clone(),
            state.sync.generation.load(Ordering::SeqCst),
        )
    };
    let Some(relay) = relay else { return };
    if state.sync.pushing.swap(true, Ordering::SeqCst) {
        state.sync.push_again.store(true, Ordering::SeqCst);
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("mutua-push".into())
        .spawn(move || {
            let state = app.state::<AppState>();
            loop {
                state.sync.push_again.store(false, Ordering::SeqCst);
                if let Ok(client) = RelayClient::new(&relay) {
                    let progress = |p: Progress| report(&app, generation, p);
                    // Failures show through `progress`; the watching thread retries anyway.
                    let _ = driver::sync_once(&state.store, &client, &progress);
                }
                if state.sync.push_again.load(Ordering::SeqCst) {
                    continue;
                }
                state.sync.pushing.store(false, Ordering::SeqCst);
                // A change that came in between the check and the release gets its own round.
                if !state.sync.push_again.load(Ordering::SeqCst)
                    || state.sync.pushing.swap(true, Ordering::SeqCst)
                {
                    break;
                }
            }
        });
    if spawned.is_err() {
        state.sync.pushing.store(false, Ordering::SeqCst);
    }
}

/// A worker's progress, into the status (and, after a round that brought messages, a
/// notification).
fn report<R: Runtime>(app: &AppHandle<R>, generation: u64, progress: Progress) {
    let state = app.state::<AppState>();
    if state.sync.generation.load(Ordering::SeqCst) != generation {
        return;
    }
    let phase = match progress {
        Progress::Syncing {
            groups_done,
            groups,
            received,
            sent,
        } => SyncPhase::Syncing {
            groups_done: count(groups_done),
            groups: count(groups),
            received: count(received),
            sent: count(sent),
        },
        Progress::Waiting => SyncPhase::Listening,
        Progress::Failed {
            message,
            retry_in_secs,
        } => SyncPhase::Failed {
            message: crate::error::sentence(&message),
            retry_in_secs,
        },
        Progress::Done(report) => {
            let news = report.applied > 0 || !report.notices.is_empty();
            if news {
                state.sync.live().revision += 1;
                notify_new_messages(app);
            }
            match report.errors.first() {
                Some(error) => SyncPhase::Failed {
                    message: crate::error::sentence(error),
                    retry_in_secs: 0,
                },
                None => SyncPhase::Listening,
            }
        }
    };
    state.sync.live().phase = Some(phase);
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Shows "2 new messages" (or, with previews on, who wrote where and the start of it) when the
/// unread count grew since the last round. Says nothing while the window has the focus.
fn notify_new_messages<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::NotificationExt;

    let state = app.state::<AppState>();
    let previews = ShellSettings::load(&state.data_dir).notification_previews;
    let text = {
        let slot = state.slot();
        // Locked: no store, so nothing to say and nothing to show.
        let Some(store) = slot.as_ref() else { return };
        let Ok(list) = store.conversations() else {
            return;
        };
        let unread: u32 = list.iter().map(|c| c.unread).sum();
        let before = state.sync.live().unread.replace(unread);
        let new = match before {
            Some(before) if unread > before => unread - before,
            _ => return,
        };
        let latest = list
            .iter()
            .filter(|c| c.unread > 0)
            .filter_map(|c| c.last.as_ref().map(|last| (c, last)))
            .max_by_key(|(_, last)| last.sent_at);
        let preview = match latest {
            Some((c, last)) if previews => Some(Preview {
                conversation: c.title.clone(),
                author: last.author_pseudonym.clone(),
                excerpt: last.excerpt.clone(),
            }),
            _ => None,
        };
        let spanish = store
            .profile()
            .ok()
            .and_then(|p| p.language)
            .is_some_and(|l| l.starts_with("es"));
        notification_text(new, preview.as_ref(), spanish)
    };
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if focused {
        return;
    }
    if let Err(error) = app
        .notification()
        .builder()
        .title(text.0)
        .body(text.1)
        .show()
    {
        // No notification service (a server, a bare window manager): the badge still counts.
        eprintln!("mutua: could not show a notification: {error}");
    }
}

/// What a notification may show when previews are on.
#[derive(Debug, Clone)]
pub struct Preview {
    pub conversation: String,
    pub author: String,
    pub excerpt: String,
}

/// The title and body of a "new messages" notification. Without a preview it holds a count
/// and nothing else: no group, no name, no words.
pub fn notification_text(new: u32, preview: Option<&Preview>, spanish: bool) -> (String, String) {
    match preview {
        Some(p) => (
            p.conversation.clone(),
            format!("{}: {}", p.author, p.excerpt),
        ),
        None => {
            let body = match (new, spanish) {
                (1, false) => "1 new message".to_owned(),
                (n, false) => format!("{n} new messages"),
                (1, true) => "1 mensaje nuevo".to_owned(),
                (n, true) => format!("{n} mensajes nuevos"),
            };
            ("Mutua".to_owned(), body)
        }
    }
}

/// Where [`ShellSettings`] live, in the data folder.
pub const SETTINGS_FILE: &str = "app-settings.json";

/// The app's own preferences that are not data (kept beside the database, in plain JSON: they
/// reveal nothing about the member).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellSettings {
    #[serde(default)]
    pub notification_previews: bool,
}

impl ShellSettings {
    fn path(dir: &Path) -> PathBuf {
        dir.join(SETTINGS_FILE)
    }

    /// The saved settings; defaults when there are none or the file is unreadable.
    pub fn load(dir: &Path) -> ShellSettings {
        std::fs::read(Self::path(dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Saves atomically (a temporary file renamed over the old one).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let path = Self::path(dir);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

/// The member's sync settings as the settings screen shows them.
pub fn settings(store: &Mutua, dir: &Path) -> mutua_core::Result<SyncSettings> {
    Ok(SyncSettings {
        relay: store.relay_url()?,
        auto_approve: store.auto_approve()?,
        notification_previews: ShellSettings::load(dir).notification_previews,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_without_previews_hold_only_a_count() {
        let preview = Preview {
            conversation: "Tuesday Circle".into(),
            author: "Ana".into(),
            excerpt: "I slept badly again".into(),
        };
        let (title, body) = notification_text(3, None, false);
        assert_eq!((title.as_str(), body.as_str()), ("Mutua", "3 new messages"));
        for field in [&preview.conversation, &preview.author, &preview.excerpt] {
            assert!(!title.contains(field.as_str()) && !body.contains(field.as_str()));
        }
        assert_eq!(notification_text(1, None, true).1, "1 mensaje nuevo");
        let (title, body) = notification_text(1, Some(&preview), false);
        assert_eq!(title, "Tuesday Circle");
        assert_eq!(body, "Ana: I slept badly again");
    }

    #[test]
    fn shell_settings_round_trip_and_survive_a_damaged_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(ShellSettings::load(dir.path()), ShellSettings::default());
        let on = ShellSettings {
            notification_previews: true,
        };
        on.save(dir.path()).expect("save");
        assert_eq!(ShellSettings::load(dir.path()), on);
        std::fs::write(ShellSettings::path(dir.path()), b"{ not json").expect("write");
        assert_eq!(ShellSettings::load(dir.path()), ShellSettings::default());
    }
}
