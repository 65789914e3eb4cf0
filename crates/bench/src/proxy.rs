//! A counting TCP proxy on loopback: every byte a device sends to the relay and every byte it
//! gets back, HTTP headers included, as the wire would carry them (before TLS, which adds the
//! same overhead to Mutua and to any baseline). Devices talk to the proxy's address; the proxy
//! forwards to the relay.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{Context, Result};

#[derive(Debug, Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
    connections: AtomicU64,
}

/// Bytes counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Device → relay.
    pub up: u64,
    /// Relay → device.
    pub down: u64,
    /// TCP connections opened.
    pub connections: u64,
}

impl Traffic {
    pub fn total(&self) -> u64 {
        self.up + self.down
    }

    pub fn since(&self, before: Traffic) -> Traffic {
        Traffic {
            up: self.up - before.up,
            down: self.down - before.down,
            connections: self.connections - before.connections,
        }
    }
}

#[derive(Debug)]
pub struct CountingProxy {
    addr: String,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
}

impl CountingProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`
    /// (`127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Result<CountingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the counting proxy")?;
        let addr = listener.local_addr()?.to_string();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, upstream) = (counters.clone(), stop.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                c.connections.fetch_add(1, Ordering::Relaxed);
                pipe(&client, &server, c.clone(), true);
                pipe(&server, &client, c.clone(), false);
            }
        });
        Ok(CountingProxy {
            addr,
            counters,
            stop,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn traffic(&self) -> Traffic {
        Traffic {
            up: self.counters.up.load(Ordering::SeqCst),
            down: self.counters.down.load(Ordering::SeqCst),
            connections: self.counters.connections.load(Ordering::SeqCst),
        }
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(&self.addr);
    }
}

fn pipe(from: &TcpStream, to: &TcpStream, counters: Arc<Counters>, up: bool) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Count before forwarding: once the peer has the bytes, the harness may read the
            // counters.
            let counter = if up { &counters.up } else { &counters.down };
            counter.fetch_add(n as u64, Ordering::SeqCst);
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
