//! Counters for `GET /metrics`, in the Prometheus text format. They count requests and bytes;
//! they name no space, token or device.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    envelopes_stored: AtomicU64,
    bytes_stored: AtomicU64,
    open_long_polls: AtomicI64,
    rate_limited: AtomicU64,
}

/// Counts one open long-poll for as long as it lives.
#[derive(Debug)]
pub struct LongPoll<'a>(&'a Metrics);

impl Drop for LongPoll<'_> {
    fn drop(&mut self) {
        self.0.open_long_polls.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn request(&self, route: &str, method: &str, status: u16) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *requests
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
    }

    pub fn stored(&self, envelopes: u64, bytes: u64) {
        self.envelopes_stored
            .fetch_add(envelopes, Ordering::Relaxed);
        self.bytes_stored.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub fn long_poll(&self) -> LongPoll<'_> {
        self.open_long_polls.fetch_add(1, Ordering::Relaxed);
        LongPoll(self)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP mutua_relay_requests_total HTTP requests by route template, method and status.\n");
        out.push_str("# TYPE mutua_relay_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        for ((route, method, status), n) in requests.iter() {
            let _ = writeln!(
                out,
                "mutua_relay_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        drop(requests);
        let gauges: [(&str, &str, &str, i64); 4] = [
            (
                "mutua_relay_envelopes_stored_total",
                "counter",
                "Envelopes newly stored by this process.",
                self.envelopes_stored.load(Ordering::Relaxed) as i64,
            ),
            (
                "mutua_relay_bytes_stored_total",
                "counter",
                "Bytes of envelopes newly stored by this process.",
                self.bytes_stored.load(Ordering::Relaxed) as i64,
            ),
            (
                "mutua_relay_open_long_polls",
                "gauge",
                "Long-polls being held open now.",
                self.open_long_polls.load(Ordering::Relaxed),
            ),
            (
                "mutua_relay_rate_limited_total",
                "counter",
                "Requests refused with 429.",
                self.rate_limited.load(Ordering::Relaxed) as i64,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}
