//! The harness still builds and runs: one tiny run end to end (a 4-member group's year on a
//! real relay process, the Automerge baseline, a tiny ten-years database, the screen queries,
//! the relay load generator) and the table written from it. Seconds, not minutes; no timing
//! is asserted, only that every measured thing happened and was reported.

use mutua_bench::{Mode, Options};

#[test]
fn a_tiny_run_measures_every_scenario_and_writes_the_table() {
    mutua_bench::relay::use_binary(mutua_tests::relay::RelayProcess::binary());
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = Options {
        mode: Mode::Tiny,
        out_dir: dir.path().to_path_buf(),
        work_dir: dir.path().join("work"),
        app_binary: None,
        wasm: None,
        postgres: false,
        node_baseline: false,
    };
    let results = mutua_bench::run(&opts).expect("the tiny run");

    let wire = &results.wire[0];
    let names: Vec<&str> = wire.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "already in sync",
            "one new message",
            "catch-up after 3 missed",
            "catch-up after 6 missed",
            "new device joins the year-old group"
        ]
    );
    for s in &wire.scenarios {
        assert!(s.requests > 0 && s.up > 0 && s.down > 0, "{s:?}");
        assert!(s.fresh.documents > 0, "{s:?}");
    }
    let by = |name: &str| wire.scenarios.iter().find(|s| s.name == name).expect(name);
    // What D received is what was sent while it was away.
    assert_eq!(by("already in sync").envelopes_received, 0);
    assert!(by("one new message").envelopes_received >= 1);
    assert!(by("catch-up after 6 missed").envelopes_received >= 3);
    // Joining downloads the whole history: more than any catch-up, in Mutua and in Automerge.
    let join = by("new device joins the year-old group");
    assert!(join.down > by("catch-up after 6 missed").down);
    assert!(join.fresh.bytes > by("catch-up after 6 missed").fresh.bytes);
    assert!(join.saved.is_none());

    let screens = results.screens.as_ref().expect("screens");
    assert_eq!(
        screens.thread_messages, 30,
        "the busiest tiny group holds 60 / 2 messages"
    );
    assert_eq!(screens.times.len(), 7);
    let load = results.load.as_ref().expect("load");
    let relay = &load.relays[0];
    assert_eq!(relay.throughput.posts, 20);
    assert_eq!(relay.latency.waiters, 4);
    assert_eq!(
        relay.latency.deliveries, relay.latency.expected,
        "{relay:?}"
    );

    let table = std::fs::read_to_string(dir.path().join("BENCHMARKS.md")).expect("the table");
    assert!(table.contains("Mode: tiny"), "{table}");
    for needle in [
        "| 1 | already in sync (24 group messages): bytes, fresh connection |",
        "| 2 | one new message — SQLite |",
        "| 3 | today screen (p50 / p95) |",
        "| 5 | envelope posts per second — SQLite |",
    ] {
        assert!(table.contains(needle), "{needle} missing from:\n{table}");
    }
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("BENCHMARKS.json")).expect("the JSON"),
    )
    .expect("valid JSON");
    assert!(json["rows"].as_array().is_some_and(|r| r.len() > 20));
}
