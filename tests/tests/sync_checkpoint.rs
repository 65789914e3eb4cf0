//! Checkpoints and departures against a real `mutua-relay` process, on SQLite and on a real
//! PostgreSQL: a device joining a group with a thousand messages starts from the checkpoints
//! and downloads only the tail; a member who leaves reads nothing sent after the others rotate.

use std::sync::Mutex;

use mutua_core::Mutua;
use mutua_core::sync::InviteMode;
use mutua_core::sync::checkpoint::CHECKPOINT_EVERY;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::driver::sync_once;
use mutua_tests::devices::{assert_no_plaintext, member, open_group, say, shared, sync, with};
use mutua_tests::postgres::TempPostgres;
use mutua_tests::relay::{RelayProcess, RelayStorage};

const MESSAGES: usize = 1000;

fn join(client: &RelayClient, inviter: &Mutex<Mutua>, group: &str, name: &str) -> Mutex<Mutua> {
    let who = member(name);
    let code = with(inviter, |m| {
        m.create_invite(group, InviteMode::InPerson)
            .expect("invite")
    })
    .code;
    with(&who, |m| m.accept_invite(&code).expect("accept"));
    sync(client, inviter);
    who
}

fn scenario(storage: RelayStorage, db_file: Option<std::path::PathBuf>) {
    let mut relay = RelayProcess::start(&storage);
    let client = RelayClient::new(&relay.url()).expect("client");
    let a = member("Ana QXA.");
    let g = with(&a, |m| {
        m.create_group(open_group("Sunflower circle QX"))
            .expect("group")
            .id
    });
    sync(&client, &a);
    let b = join(&client, &a, &g, "Bea QXB.");
    sync(&client, &b);

    // A thousand messages, each sent on its own (one envelope each), by two members.
    let mut sent_checkpoints = 0;
    for i in 0..MESSAGES {
        let who = if i % 4 == 3 { &b } else { &a };
        say(who, &g, &format!("message {i} QX-M"));
        sent_checkpoints += sync(&client, who).checkpoints_sent;
    }
    sync(&client, &a);
    sync(&client, &b);
    // Uploads stay rare: about one per CHECKPOINT_EVERY envelopes per device.
    assert!(sent_checkpoints >= 2, "{sent_checkpoints}");
    assert!(
        sent_checkpoints <= 2 * MESSAGES / CHECKPOINT_EVERY as usize,
        "{sent_checkpoints}"
    );
    let total = with(&a, |m| m.envelopes_of_group(&g).expect("envelopes")).len();
    assert!(total > MESSAGES, "{total}");

    // A new member on a fresh device: checkpoints first, then only the tail.
    let d = join(&client, &a, &g, "Dani QXD.");
    let report = sync(&client, &d);
    assert!(report.checkpoints_loaded >= 1, "{report:?}");
    let tail = CHECKPOINT_EVERY as usize + 20;
    assert!(
        report.received <= tail,
        "received {} of {total} envelopes: {report:?}",
        report.received
    );
    eprintln!(
        "checkpoints: the new device received {} envelopes and {} checkpoints; the group has {total} envelopes",
        report.received, report.checkpoints_loaded
    );
    sync(&client, &a);
    sync(&client, &b);
    let view = shared(&a);
    assert_eq!(
        view["message"].as_array().map(Vec::len),
        Some(MESSAGES),
        "every message"
    );
    assert_eq!(shared(&d), view);
    assert_eq!(shared(&b), view);
    // What D writes now, the others open (D's envelopes continue after the checkpoint).
    say(&d, &g, "Hello from the new device QX-D");
    sync(&client, &d);
    sync(&client, &a);
    assert_eq!(shared(&a), shared(&d));

    // B leaves; its device delivers the departure; A's device rotates the key.
    with(&b, |m| m.leave_group(&g).expect("leave"));
    sync(&client, &b);
    let report = sync(&client, &a);
    assert_eq!(report.rotated, 1, "{report:?}");
    say(&a, &g, "After Bea left QX-SECRET");
    sync(&client, &a);
    let report = sync(&client, &d);
    assert_eq!(report.rotated, 0, "{report:?}");
    assert!(
        shared(&d)["message"]
            .to_string()
            .contains("After Bea left QX-SECRET")
    );
    let report = sync_once(&b, &client, &|_| {}).expect("sync");
    assert!(
        report.notices.iter().any(|n| n.contains("removed")),
        "{report:?}"
    );
    assert!(!shared(&b)["message"].to_string().contains("After Bea left"));
    // Nothing B's device holds opens what A sent after the rotation.
    let a_latest = with(&a, |m| m.envelopes_of_group(&g).expect("envelopes"));
    let newer: Vec<mutua_protocol::Envelope> = a_latest
        .iter()
        .filter_map(|bytes| mutua_protocol::Envelope::from_bytes(bytes).ok())
        .filter(|e| e.header().epoch > 0)
        .collect();
    assert!(newer.len() >= 2, "{}", newer.len());
    for env in &newer {
        assert!(!with(&b, |m| m.can_decrypt(&g, env).expect("keys")));
        assert!(with(&d, |m| m.can_decrypt(&g, env).expect("keys")));
    }

    // The relay holds no plaintext: not in its logs, not in its database (checkpoints included).
    let mut stored = relay.logs().into_bytes();
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
            "Ana QXA.",
            "Bea QXB.",
            "Dani QXD.",
            "message 1 QX-M",
            "Hello from the new device",
            "After Bea left",
        ],
    );
}

#[test]
fn a_new_device_starts_from_checkpoints_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.db");
    scenario(RelayStorage::Sqlite(db.clone()), Some(db));
}

#[test]
fn a_new_device_starts_from_checkpoints_on_postgres() {
    let pg = TempPostgres::start();
    scenario(RelayStorage::Postgres(pg.url()), None);
}
