//! The shell's one piece of state, and how commands reach it without freezing the window.
//!
//! [`AppState`] holds where the data lives and, once unlocked, the open [`Mutua`] store. The
//! store owns a single SQLite writer connection, so one `std::sync::Mutex` around it is the
//! whole concurrency story: commands take turns, each for the few milliseconds a query needs.
//!
//! Every command is `async` and runs its body through [`blocking`] (or [`with_store`]), which
//! moves it onto Tauri's pool of blocking threads (`spawn_blocking`). Tauri runs *sync* commands
//! on the main thread, where the event loop and the window live: there, Argon2id (a deliberate
//! ~0.1 s per unlock), a full export, or a wait for the mutex would freeze the window; and a
//! plain `async` body would hold up one of the async runtime's few workers instead. The OS
//! keychain (D-Bus on Linux) may also block, and must not be called from inside the async
//! runtime at all. The mutex is never held across an `.await`.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use mutua_api::ApiError;
use mutua_core::Mutua;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::Failure;

/// Managed by Tauri: where the member's data lives and, when unlocked, the open store.
pub struct AppState {
    pub data_dir: PathBuf,
    /// `None` while locked (or before the first run's setup).
    pub store: Mutex<Option<Mutua>>,
    /// Whether the OS keychain answered, asked once: the answer does not change while the app
    /// runs, and asking costs a D-Bus round trip on Linux.
    keychain_available: OnceLock<bool>,
    /// Background sync while the store is open (see [`crate::sync`]).
    pub sync: crate::sync::SyncWorker,
    /// The meeting hub: hosting, or syncing with one (see [`crate::hub`]).
    pub hub: crate::hub::HubWorker,
}

impl AppState {
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            store: Mutex::new(None),
            keychain_available: OnceLock::new(),
            sync: crate::sync::SyncWorker::default(),
            hub: crate::hub::HubWorker::default(),
        }
    }

    /// The store slot, locked for this command.
    ///
    /// A poisoned mutex means an earlier command panicked (a bug) while holding the store, and
    /// its cached documents may be half-changed. The slot is emptied instead of trusted: the
    /// member unlocks again and the store reloads from disk, which only holds committed writes.
    pub fn slot(&self) -> MutexGuard<'_, Option<Mutua>> {
        self.store.lock().unwrap_or_else(|poisoned| {
            let mut slot = poisoned.into_inner();
            *slot = None;
            self.store.clear_poison();
            slot
        })
    }

    pub fn keychain_available(&self) -> bool {
        *self
            .keychain_available
            .get_or_init(mutua_core::unlock::keychain_available)
    }

    /// Why a command that needs the data cannot run now.
    /// Stops background sync and the meeting hub and closes the store: locking, and leaving
    /// the app. A worker thread still finishing a round then finds the slot empty. It is never
    /// inside SQLCipher while the process unloads the libraries that SQLCipher uses, which
    /// crashed the exit one time in about fifteen.
    pub fn close(&self) {
        self.sync.stop();
        self.hub.stop_all();
        // Waits for a worker that holds the store to let go of it.
        self.slot().take();
    }

    pub fn locked(&self) -> Failure {
        Failure::Locked {
            initialised: Mutua::exists(&self.data_dir),
        }
    }
}

/// Runs `work` with the app state on a blocking thread (see the module docs), mapping its
/// failure to the [`ApiError`] the UI sees.
pub async fn blocking<R, T>(
    app: AppHandle<R>,
    work: impl FnOnce(&AppState) -> Result<T, Failure> + Send + 'static,
) -> Result<T, ApiError>
where
    R: Runtime,
    T: Send + 'static,
{
    let outcome = tauri::async_runtime::spawn_blocking(move || work(&app.state::<AppState>()))
        .await
        .map_err(crate::error::from_join)?;
    outcome.map_err(ApiError::from)
}

/// Like [`blocking`], with the open store; answers `Locked` when there is none.
pub async fn with_store<R, T>(
    app: AppHandle<R>,
    work: impl FnOnce(&mut Mutua) -> Result<T, Failure> + Send + 'static,
) -> Result<T, ApiError>
where
    R: Runtime,
    T: Send + 'static,
{
    blocking(app, move |state| {
        let mut slot = state.slot();
        let store = slot.as_mut().ok_or_else(|| state.locked())?;
        work(store)
    })
    .await
}

/// Like [`with_store`], for commands that change what other devices see (groups, meetings,
/// messages): after success, the change leaves for the relay at once (see
/// [`crate::sync::push_soon`]).
pub async fn with_store_shared<R, T>(
    app: AppHandle<R>,
    work: impl FnOnce(&mut Mutua) -> Result<T, Failure> + Send + 'static,
) -> Result<T, ApiError>
where
    R: Runtime,
    T: Send + 'static,
{
    let handle = app.clone();
    let out = with_store(app, work).await?;
    crate::sync::push_soon(&handle);
    crate::hub::push_soon(&handle);
    Ok(out)
}
