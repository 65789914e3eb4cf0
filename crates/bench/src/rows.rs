//! The table's rows, made from a run's [`Results`], and how each was measured.

use crate::Results;
use crate::report::{Row, bytes, ms};

pub const METHOD: &[&str] = &[
    "**1 (bytes, round trips):** device D of the year-old group syncs with `mutua_core::sync::driver::sync_once` and `RelayClient` through a counting TCP proxy in front of a real `mutua-relay` process (SQLite) on 127.0.0.1: every HTTP byte both ways, headers included; each HTTP request is a round trip. Baseline: `automerge::sync` (automerge 0.12) between two replicas holding the documents D held before and after the scenario (the group's documents and D's one-to-one months), one protocol run per document, all in parallel; bytes = encoded sync messages only (no websocket or CBOR framing, in the baseline's favour). \"Saved state\": both sides synced at the earlier point and kept `sync::State` (encoded and decoded, as a device persists it). Automerge runs in plaintext; Mutua's envelopes are encrypted and signed.",
    "**2 (time):** the same `sync_once` rounds timed on the device, against a relay on SQLite and one on a real PostgreSQL (Debian's, started for the run); median of several rounds where the scenario can repeat, else one round (the catch-ups and the join, measured through the counting proxy). Baseline: the Automerge sync of the same documents, in-process with no network, so the ratio is what the relay path, encryption and storage cost.",
    "**3 (screens):** the same core calls as the app's commands (`today`, `conversations`, `messages`, `calendar`, `search_journal`, `reachable_at`) on the ten-years member's encrypted database, opened once (warm, as the app keeps it); p50/p95 over the runs given. No baseline: Automerge has no query layer (an app on plain Automerge would load and scan documents).",
    "**4 (backend):** a fresh process opens the database and builds the Today screen's data; the parent times spawn to exit (median). The passphrase path includes Argon2id at the app's default cost (19 MiB, 2 passes); \"raw key\" (keychain) subtracts the derivation, timed alone in another fresh process. Page cache warm. Peak RSS is `VmHWM` of a process that opens the database, builds every screen and reads every message of every group page by page. Database size is `mutua.db` + WAL after a checkpoint; raw content is the bytes of text written (messages, journal, names); the Automerge baseline is `Automerge::save()` of every document of the member.",
    "**5 (relay load):** our own generator (tokio + reqwest, `crates/bench/src/load.rs`) against a `mutua-relay` process: writers each push one sealed ~300-byte envelope per request and wait for the answer; then 1,000 devices long-poll (100 spaces × 10) while one device posts into the spaces in turn every 20 ms, and a delivery is timed from the start of the post until a woken device has fetched the envelope. Baseline: `@automerge/automerge-repo-sync-server` 0.2.8 from npm (its own Repo set-up, bound to 127.0.0.1) driven by `bench/node/load.mjs` speaking automerge-repo's websocket protocol with the same counts: a post is a change acknowledged by the server's sync reply, a delivery is a waiting peer receiving the change. Everything on loopback, bounded in count and time, on the same 2 cores as the server under test.",
    "**6 (sizes):** `mutua-app` built in release with `custom-protocol` (it embeds `ui/dist`), and the UI's wasm (`ui/dist/pkg/ui_bg.wasm`, after wasm-bindgen, no wasm-opt) raw, gzip -9 and brotli 11.",
];

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite() && b.is_finite()).then(|| a / b)
}

pub fn rows(r: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let row = |section,
               measure: String,
               mutua: String,
               baseline: String,
               ratio: Option<f64>,
               notes: String| Row {
        section,
        measure,
        mutua,
        baseline,
        ratio,
        higher_is_better: false,
        notes,
    };
    if let Some(wire) = r.wire.first() {
        let scale = &wire.scale;
        for s in &wire.scenarios {
            let total = s.up + s.down;
            let scene = if s.name == "already in sync" {
                format!("already in sync ({} group messages)", scale.messages)
            } else {
                s.name.clone()
            };
            rows.push(row(
                "1",
                format!("{scene}: bytes, fresh connection"),
                format!(
                    "{} ({} up, {} down)",
                    bytes(total),
                    bytes(s.up),
                    bytes(s.down)
                ),
                format!("{} in {} messages", bytes(s.fresh.bytes), s.fresh.messages),
                ratio(total as f64, s.fresh.bytes as f64),
                format!(
                    "{} envelopes received, {} checkpoints",
                    s.envelopes_received, s.checkpoints_loaded
                ),
            ));
            if let Some(saved) = &s.saved {
                rows.push(row(
                    "1",
                    format!("{scene}: bytes, saved sync state"),
                    bytes(total),
                    format!("{} in {} messages", bytes(saved.bytes), saved.messages),
                    ratio(total as f64, saved.bytes as f64),
                    "Mutua always keeps its position (saved state)".into(),
                ));
            }
            let best = s.saved.unwrap_or(s.fresh);
            rows.push(row(
                "1",
                format!("{scene}: round trips"),
                format!("{} HTTP requests", s.requests),
                format!(
                    "{} (fresh {}), {} documents",
                    best.round_trips, s.fresh.round_trips, s.fresh.documents
                ),
                ratio(s.requests as f64, best.round_trips as f64),
                "baseline: documents sync in parallel on one connection".into(),
            ));
        }
    }
    for wire in &r.wire {
        for s in &wire.scenarios {
            rows.push(row(
                "2",
                format!("{} — {}", s.name, wire.backend),
                ms(s.millis),
                ms(s.fresh.millis),
                ratio(s.millis, s.fresh.millis),
                format!(
                    "median of {}; baseline in-process, no network",
                    s.timed_runs
                ),
            ));
        }
    }
    if let Some(screens) = &r.screens {
        for q in &screens.times {
            rows.push(row(
                "3",
                format!("{} (p50 / p95)", q.name),
                format!("{} / {}", ms(q.p50_ms), ms(q.p95_ms)),
                "—".into(),
                None,
                format!("{} runs, {} rows", q.runs, q.rows),
            ));
        }
    }
    if let Some(b) = &r.backend {
        rows.push(row(
            "4",
            "cold start to first screen data, raw key (keychain)".into(),
            ms(b.cold_start_raw_key_ms),
            "—".into(),
            None,
            format!("median of {} fresh processes", b.runs),
        ));
        rows.push(row(
            "4",
            "cold start to first screen data, passphrase (Argon2id)".into(),
            ms(b.cold_start_passphrase_ms),
            "—".into(),
            None,
            format!("of which Argon2id {}", ms(b.kdf_ms)),
        ));
        rows.push(row(
            "4",
            "peak RSS at ten-years scale".into(),
            format!("{:.1} MiB", b.peak_rss_kib as f64 / 1024.0),
            "—".into(),
            None,
            "open, every screen, every message paged through".into(),
        ));
        rows.push(row(
            "4",
            "database on disk vs raw content".into(),
            bytes(b.db_bytes),
            format!("{} raw text", bytes(b.raw_bytes)),
            ratio(b.db_bytes as f64, b.raw_bytes as f64),
            format!(
                "encrypted; holds the change log ({} in {} changes), snapshots, projections, search index",
                bytes(b.change_log_bytes),
                b.changes
            ),
        ));
        rows.push(row(
            "4",
            "database on disk vs Automerge save() of the same documents".into(),
            bytes(b.db_bytes),
            bytes(b.automerge_saved_bytes),
            ratio(b.db_bytes as f64, b.automerge_saved_bytes as f64),
            format!(
                "{} documents; the baseline has no index and no encryption",
                b.documents
            ),
        ));
    }
    if let Some(load) = &r.load {
        for relay in &load.relays {
            let mut tp = row(
                "5",
                format!("envelope posts per second — {}", relay.backend),
                format!("{:.0}/s", relay.throughput.posts_per_sec),
                load.baseline
                    .as_ref()
                    .map(|b| format!("{:.0}/s", b.throughput.posts_per_sec))
                    .unwrap_or_else(|| "—".into()),
                load.baseline.as_ref().and_then(|b| {
                    ratio(relay.throughput.posts_per_sec, b.throughput.posts_per_sec)
                }),
                format!(
                    "{} posts by {} writers in {:.1} s",
                    relay.throughput.posts, load.plan.writers, relay.throughput.secs
                ),
            );
            tp.higher_is_better = true;
            rows.push(tp);
            for (label, mine, theirs) in [
                (
                    "p50",
                    relay.latency.p50_ms,
                    load.baseline.as_ref().and_then(|b| b.latency.p50_ms),
                ),
                (
                    "p99",
                    relay.latency.p99_ms,
                    load.baseline.as_ref().and_then(|b| b.latency.p99_ms),
                ),
            ] {
                rows.push(row(
                    "5",
                    format!(
                        "live delivery {label}, {} waiting clients — {}",
                        relay.latency.waiters, relay.backend
                    ),
                    ms(mine),
                    theirs.map(ms).unwrap_or_else(|| "—".into()),
                    theirs.and_then(|t| ratio(mine, t)),
                    format!(
                        "{}/{} deliveries; relay peak RSS {:.0} MiB{}",
                        relay.latency.deliveries,
                        relay.latency.expected,
                        relay.peak_rss_kib as f64 / 1024.0,
                        load.baseline
                            .as_ref()
                            .map(|b| format!(
                                ", sync server {:.0} MiB, {}/{} deliveries",
                                b.server_peak_rss_kib as f64 / 1024.0,
                                b.latency.deliveries,
                                b.latency.expected
                            ))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
    }
    if let Some(s) = &r.sizes {
        rows.push(row(
            "6",
            "desktop app binary (release, custom-protocol)".into(),
            bytes(s.app_bytes),
            "—".into(),
            None,
            "Linux x86-64, debug info stripped".into(),
        ));
        rows.push(row(
            "6",
            "UI wasm, raw".into(),
            bytes(s.wasm_bytes),
            "—".into(),
            None,
            String::new(),
        ));
        rows.push(row(
            "6",
            "UI wasm, gzip -9".into(),
            bytes(s.wasm_gzip_bytes),
            "—".into(),
            None,
            String::new(),
        ));
        rows.push(row(
            "6",
            "UI wasm, brotli 11".into(),
            bytes(s.wasm_brotli_bytes),
            "—".into(),
            None,
            String::new(),
        ));
    }
    rows
}
