//! A relay inside the test process: [`mutua_relay::Relay`] on a SQLite file, served on
//! 127.0.0.1:0 by its own small tokio runtime on a background thread. Devices reach it over real
//! HTTP with the blocking [`mutua_core::sync::client::RelayClient`], exactly as they reach the
//! `mutua-relay` binary, but starting one takes milliseconds, which is what a property test that
//! runs hundreds of schedules needs. It is also what a LAN hub is: the same relay, embedded.

use std::path::Path;

use mutua_relay::{Config, Limits, Relay};
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct EmbeddedRelay {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedRelay {
    /// Serves a relay over the SQLite file `database` with `limits` until dropped.
    pub fn start(database: &Path, limits: Limits) -> EmbeddedRelay {
        let config = Config {
            database: database.display().to_string(),
            limits,
        };
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let relay = Relay::open(config).await.expect("the relay opens");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().expect("addr");
                ready_tx.send(format!("http://{addr}")).expect("ready");
                relay
                    .serve(listener, async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let url = ready_rx.recv().expect("the relay starts");
        EmbeddedRelay {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Limits for tests: no rate limiting (every device is 127.0.0.1), small pages so that
    /// paging is exercised by small schedules too.
    pub fn test_limits(page: u32) -> Limits {
        Limits {
            rate_per_sec: 1e9,
            burst: u32::MAX,
            page_default: page,
            ..Limits::default()
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EmbeddedRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
