//! Members' devices syncing through a real `mutua-relay` process on 127.0.0.1, on SQLite and on
//! a real PostgreSQL started for the test: offline edits converge, a long-offline device catches
//! up, a relay killed mid-sync loses nothing, a removed member reads nothing new, and the relay
//! holds no plaintext. Two relay processes on one PostgreSQL wake each other's long-polls.

use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::sync::InviteMode;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::driver::sync_once;
use mutua_tests::devices::{assert_no_plaintext, member, open_group, say, shared, sync, with};
use mutua_tests::postgres::TempPostgres;
use mutua_tests::relay::{RelayProcess, RelayStorage};

fn count(view: &serde_json::Value, table: &str) -> usize {
    view[table].as_array().map(Vec::len).unwrap_or(0)
}

fn scenario(storage: RelayStorage, db_file: Option<std::path::PathBuf>) {
    let mut relay = RelayProcess::start(&storage);
    let client = RelayClient::new(&relay.url()).expect("client");
    let (a, b, c) = (member("Ana QXA."), member("Bea QXB."), member("Caro QXC."));
    let g = with(&a, |m| {
        m.create_group(GroupFields {
            name: "Sunflower circle QX".into(),
            purpose: Some("Bereavement support QX".into()),
            kind: GroupKind::Facilitated,
            planned_sessions: Some(12),
            admission: Admission::Closed,
            language: Some("es".into()),
            place: None,
            online_url: None,
            guidelines: None,
        })
        .expect("group")
        .id
    });
    for who in [&b, &c] {
        let code = with(&a, |m| {
            m.create_invite(&g, InviteMode::InPerson).expect("invite")
        })
        .code;
        with(who, |m| m.accept_invite(&code).expect("accept"));
    }
    for who in [&a, &b, &c, &a] {
        sync(&client, who);
    }

    // Three members write offline, then sync in some order: everyone ends equal.
    say(&a, &g, "Welcome, both of you QX-A");
    say(&b, &g, "Thank you for having me QX-B");
    say(&c, &g, "See you on Tuesday QX-C");
    for who in [&c, &b, &a, &c, &b] {
        sync(&client, who);
    }
    let view = shared(&a);
    assert_eq!(view, shared(&b));
    assert_eq!(view, shared(&c));
    assert_eq!(count(&view, "message"), 3);
    assert_eq!(count(&view, "group_member"), 3);

    // C goes offline while 1,000 messages are written.
    for i in 0..600 {
        say(&a, &g, &format!("a{i}"));
    }
    for i in 0..400 {
        say(&b, &g, &format!("b{i}"));
    }
    sync(&client, &a);
    sync(&client, &b);
    sync(&client, &a);
    // The relay is killed while C is catching up, then restarted on the same database.
    let catching_up = std::thread::scope(|s| {
        let job = s.spawn(|| sync_once(&c, &client, &|_| {}));
        std::thread::sleep(std::time::Duration::from_millis(150));
        relay.kill_hard();
        job.join().expect("thread")
    });
    relay.restart();
    let client = RelayClient::new(&relay.url()).expect("client");
    // The interrupted round may have failed (relay unreachable) or finished just before the
    // kill; either way the next round must bring everything and lose nothing.
    if let Err(e) = &catching_up {
        assert!(e.to_string().contains("relay unreachable"), "{e}");
    }
    sync(&client, &c);
    let view = shared(&a);
    assert_eq!(count(&view, "message"), 1003);
    assert_eq!(shared(&c), view);
    assert_eq!(shared(&b), view);

    // Removal: A removes C; nothing sent afterwards can be read with what C holds.
    let c_id = with(&c, |m| m.member_id().to_owned());
    with(&a, |m| m.remove_member(&g, &c_id).expect("remove"));
    say(&a, &g, "After the removal QX-SECRET");
    sync(&client, &a);
    sync(&client, &b);
    assert!(
        shared(&b)["message"]
            .to_string()
            .contains("After the removal QX-SECRET")
    );
    let report = sync_once(&c, &client, &|_| {}).expect("sync");
    assert!(
        report.notices.iter().any(|n| n.contains("removed")),
        "{report:?}"
    );
    assert!(
        !shared(&c)["message"]
            .to_string()
            .contains("After the removal")
    );

    // The relay's logs, and its database file, hold no plaintext.
    let logs = relay.logs();
    let mut stored = logs.clone().into_bytes();
    if let Some(path) = &db_file {
        relay.terminate();
        for suffix in ["", "-wal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            stored.extend(std::fs::read(&p).unwrap_or_default());
        }
        assert!(stored.len() > 100_000, "the database file was read");
    }
    assert_no_plaintext(
        &stored,
        "the relay",
        &[
            "Sunflower circle",
            "Bereavement support",
            "Ana QXA.",
            "Bea QXB.",
            "Caro QXC.",
            "Welcome, both of you",
            "See you on Tuesday",
            "After the removal",
        ],
    );
}

#[test]
fn members_sync_through_a_relay_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.db");
    scenario(RelayStorage::Sqlite(db.clone()), Some(db));
}

#[test]
fn members_sync_through_a_relay_on_postgres() {
    let pg = TempPostgres::start();
    scenario(RelayStorage::Postgres(pg.url()), None);
}

/// Two relay processes share one PostgreSQL (as behind a load balancer): a message pushed
/// through relay 1 wakes a device long-polling on relay 2, which fetches it in the round the
/// wake started, not on a timer.
#[test]
fn two_relays_on_one_postgres_deliver_live_to_each_other() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    use mutua_core::sync::Progress;
    use mutua_core::sync::driver::{Cause, watch};

    let pg = TempPostgres::start();
    let storage = RelayStorage::Postgres(pg.url());
    let (relay1, relay2) = (RelayProcess::start(&storage), RelayProcess::start(&storage));
    let one = RelayClient::new(&relay1.url()).expect("client");
    let two = RelayClient::new(&relay2.url()).expect("client");
    let (a, b) = (member("Ana QXA."), member("Bea QXB."));
    let g = with(&a, |m| {
        m.create_group(open_group("Sunflower circle QX"))
            .expect("group")
            .id
    });
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&b, |m| m.accept_invite(&code).expect("accept"));
    sync(&one, &a);
    sync(&two, &b);
    sync(&one, &a);
    sync(&two, &b);

    let (stop, nudge) = (AtomicBool::new(false), AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Progress>();
    // Only a guard against a hang: no assertion depends on how long anything takes.
    let next = || {
        rx.recv_timeout(Duration::from_secs(180))
            .expect("the watch keeps reporting")
    };
    std::thread::scope(|s| {
        let (b, two, stop, nudge) = (&b, &two, &stop, &nudge);
        let watcher = s.spawn(move || {
            let report = move |p: Progress| {
                let _ = tx.send(p);
            };
            watch(b, two, stop, nudge, &report);
        });
        // The first round ends and B starts waiting on relay 2.
        loop {
            if next() == Progress::Waiting {
                break;
            }
        }
        say(&a, &g, "Live through the other relay QX-LIVE");
        sync(&one, &a);
        // The round that brings the message must be one the relay's long-poll started.
        let brought = loop {
            match next() {
                Progress::Done(report) if report.applied > 0 => break report,
                Progress::Failed { message, .. } => panic!("B's watch failed: {message}"),
                _ => {}
            }
        };
        assert_eq!(brought.cause, Cause::RelayWoke, "{brought:?}");
        assert!(
            shared(b)["message"]
                .to_string()
                .contains("Live through the other relay QX-LIVE")
        );
        // Stop the watch: one more message wakes its long-poll so it sees `stop` at once.
        stop.store(true, Ordering::Relaxed);
        say(&a, &g, "Goodbye QX-LIVE");
        sync(&one, &a);
        watcher.join().expect("the watch thread");
    });
}
