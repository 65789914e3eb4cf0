//! Mutua's sync relay: a blind store-and-forward server for encrypted envelopes.
//!
//! Devices of a space (a group, a member's own devices, a pair of members) push
//! [`mutua_protocol::Envelope`]s here and fetch what they lack; the relay never holds a key and
//! never decrypts. What it can see is what the envelope header says — random-looking space,
//! document and device tags, sequence numbers, epochs — plus sizes and timing. It keeps only the
//! SHA-256 of each space's access tokens, so it learns no identity either.
//!
//! The pieces: [`storage`] (the [`Storage`] trait, with embedded SQLite and shared PostgreSQL
//! backends run by the same tests), the HTTP routes of [`mutua_protocol`]'s API table (axum),
//! a [`notify::Notifier`] that wakes long-polls (fed across processes by PostgreSQL
//! `LISTEN/NOTIFY`), per-client and per-space rate limits, quotas, and Prometheus metrics.
//!
//! It is a library first, so tests and the LAN hub can embed it: [`Relay::open`] a database,
//! then [`Relay::serve`] on a listener you bound (port 0 works), or mount [`Relay::router`] in
//! your own server. The `mutua-relay` binary is a thin CLI around [`serve`].

mod config;
mod error;
mod http;
mod metrics;
pub mod notify;
mod rate;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{Config, Limits};
pub use error::ApiError;
pub use storage::{Storage, StorageError, StorageKind};

use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::rate::RateLimiter;

/// Everything a request handler needs.
pub(crate) struct AppState {
    storage: Box<dyn Storage>,
    notifier: Notifier,
    limits: Limits,
    metrics: Metrics,
    rate: RateLimiter,
    /// Becomes `true` when the relay is shutting down: open long-polls answer at once.
    shutdown: watch::Sender<bool>,
}

/// A relay over one database.
#[derive(Clone)]
pub struct Relay {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("storage", &self.state.storage.kind())
            .field("limits", &self.state.limits)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Opens (creating if needed) the database named in `config`.
    pub async fn open(config: Config) -> Result<Relay, StorageError> {
        let notifier = Notifier::default();
        let storage = storage::open(&config.database, notifier.clone()).await?;
        Ok(Relay::with_storage(storage, notifier, config.limits))
    }

    /// A relay over a storage you opened; `notifier` must be the one that storage was given.
    pub fn with_storage(storage: Box<dyn Storage>, notifier: Notifier, limits: Limits) -> Relay {
        Relay {
            state: Arc::new(AppState {
                storage,
                notifier,
                rate: RateLimiter::new(limits.rate_per_sec, limits.burst),
                limits,
                metrics: Metrics::default(),
                shutdown: watch::Sender::new(false),
            }),
        }
    }

    pub fn storage_kind(&self) -> StorageKind {
        self.state.storage.kind()
    }

    /// The relay's routes, for mounting in another server. Per-client rate limits need
    /// `into_make_service_with_connect_info::<SocketAddr>()` (or a client address header).
    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Answers every open long-poll (empty) and makes new ones return at once.
    pub fn begin_shutdown(&self) {
        self.state.shutdown.send_replace(true);
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, answers open
    /// long-polls, finishes requests in flight and closes the database.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let relay = self.clone();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: answering long-polls, finishing requests");
                relay.begin_shutdown();
            })
            .await;
        self.close().await;
        result
    }

    /// Closes the database; further requests fail with 503.
    pub async fn close(&self) {
        self.state.storage.close().await;
        tracing::info!("database closed");
    }
}

/// Opens the database in `config` and serves on `listener` until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let relay = Relay::open(config).await?;
    relay.serve(listener, shutdown).await?;
    Ok(())
}
