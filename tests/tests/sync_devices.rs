//! One-to-one messages and a member's second device, through a real `mutua-relay` process on
//! SQLite and on a real PostgreSQL: a direct message reaches exactly its two members; a device
//! paired by code becomes the same member with their groups, messages, profile and contacts but
//! never their journal, and writes into the groups as them; a used or expired pairing code is
//! refused and changes nothing; the relay's storage and logs hold no plaintext.

use std::sync::Mutex;

use mutua_core::contacts::ContactFields;
use mutua_core::groups::GroupFields;
use mutua_core::journal::EntryFields;
use mutua_core::messages::NewMessage;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::{InviteMode, PairingStatus};
use mutua_core::{KdfParams, Mutua, NewProtection};
use mutua_tests::devices::{assert_no_plaintext, member, sync, with};
use mutua_tests::postgres::TempPostgres;
use mutua_tests::relay::{RelayProcess, RelayStorage};

fn count(dump: &serde_json::Value, table: &str) -> usize {
    dump[table].as_array().map(Vec::len).unwrap_or(0)
}

fn group(name: &str) -> GroupFields {
    GroupFields {
        purpose: Some("Carers QX-PURPOSE".into()),
        ..GroupFields::named(name)
    }
}

fn texts(who: &Mutex<Mutua>, conversation: &mutua_core::messages::Conversation) -> Vec<String> {
    with(who, |m| m.messages(conversation, None, 100).expect("page"))
        .messages
        .into_iter()
        .map(|msg| msg.text)
        .collect()
}

fn scenario(storage: RelayStorage, stored_by_relay: impl FnOnce(&mut RelayProcess) -> Vec<u8>) {
    let mut relay = RelayProcess::start(&storage);
    let client = RelayClient::new(&relay.url()).expect("client");
    let (a, b, c) = (member("Ana QXA."), member("Bea QXB."), member("Caro QXC."));

    // Ana has two groups: Bea and Caro are in the first, Bea in the second.
    let g1 = with(&a, |m| {
        m.create_group(group("Sunflower QX")).expect("group").id
    });
    let g2 = with(&a, |m| {
        m.create_group(group("Evening QX")).expect("group").id
    });
    for (who, g) in [(&b, &g1), (&c, &g1), (&b, &g2)] {
        let code = with(&a, |m| {
            m.create_invite(g, InviteMode::InPerson).expect("invite")
        })
        .code;
        with(who, |m| m.accept_invite(&code).expect("accept"));
    }
    for who in [&a, &b, &c, &a, &b, &c] {
        sync(&client, who);
    }
    with(&a, |m| {
        m.send_to_group(&g1, NewMessage::text("QX-G1 hello circle"))
            .expect("send");
        m.send_to_group(&g2, NewMessage::text("QX-G2 hello evening"))
            .expect("send");
        m.add_entry(EntryFields {
            text: "QX-JOURNAL I did not sleep".into(),
            mood: Some(2),
            emotions: vec![],
            tags: vec![],
            written_at: mutua_core::time::now(),
            time_zone: "UTC".into(),
        })
        .expect("entry");
        m.add_contact(ContactFields {
            pseudonym: "Rosa QXR.".into(),
            phone: None,
            link: None,
            note: Some("QX-CONTACT sponsor".into()),
            group_id: None,
            time_zone: "UTC".into(),
            availability: vec![],
        })
        .expect("contact");
    });

    // --- One-to-one: Ana writes to Bea while offline; both sync.
    let bea_id = with(&b, |m| m.member_id().to_owned());
    let ana_id = with(&a, |m| m.member_id().to_owned());
    let dm = with(&a, |m| {
        m.send_direct(&bea_id, NewMessage::text("QX-DM only for Bea"))
            .expect("dm")
    })
    .conversation;
    sync(&client, &a);
    sync(&client, &b);
    sync(&client, &c);
    let inbox = with(&b, |m| m.conversations().expect("inbox"));
    let summary = inbox
        .iter()
        .find(|s| s.conversation == dm)
        .expect("Bea has the conversation");
    assert_eq!(summary.unread, 1);
    assert_eq!(summary.peer_id.as_deref(), Some(ana_id.as_str()));
    assert_eq!(texts(&b, &dm), ["QX-DM only for Bea"]);
    // Caro shares the group but not the pair: the pair's space is not among Caro's, and
    // nothing of it shows anywhere on Caro's device.
    let pair_space = with(&a, |m| m.space_of_conversation(&dm).expect("space")).expect("pair");
    assert_eq!(
        with(&b, |m| m.space_of_conversation(&dm).expect("space")),
        Some(pair_space)
    );
    assert!(!with(&c, |m| m.sync_spaces().expect("spaces")).contains(&pair_space));
    assert!(with(&c, |m| m.space_of_conversation(&dm).expect("space")).is_none());
    assert!(
        with(&c, |m| m.conversations().expect("inbox"))
            .iter()
            .all(|s| s.conversation != dm)
    );
    let caro_dump = with(&c, |m| m.projection_dump().expect("dump")).to_string();
    assert!(!caro_dump.contains("QX-DM"));
    // The pair space is not a group space: the group's envelopes never carry the conversation.
    assert!(!with(&a, |m| m.envelopes_of_group(&g1).expect("envelopes")).is_empty());

    // --- A second device for Ana.
    with(&a, |m| m.set_relay_url(Some(&relay.url())).expect("relay"));
    let code = with(&a, |m| m.create_pairing().expect("pairing")).code;
    assert!(code.starts_with("mutua-pair:"));
    let dir = tempfile::tempdir().expect("tmp");
    let cheap = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };
    let a2 = Mutex::new(
        Mutua::init_paired_with_kdf(
            &dir.path().join("laptop"),
            &code,
            NewProtection::Passphrase("long enough"),
            cheap,
        )
        .expect("paired store"),
    );
    assert_eq!(with(&a2, |m| m.member_id().to_owned()), ana_id);
    assert!(matches!(
        with(&a2, |m| m.pairing_status().expect("status")),
        Some(PairingStatus::Waiting { .. })
    ));
    sync(&client, &a2);
    let report = sync(&client, &a);
    assert!(
        report.notices.iter().any(|n| n.contains("paired")),
        "{report:?}"
    );
    sync(&client, &a2);
    sync(&client, &a2);
    assert_eq!(
        with(&a2, |m| m.pairing_status().expect("status")),
        Some(PairingStatus::Paired)
    );
    let mut groups: Vec<String> = with(&a2, |m| m.groups(false).expect("groups"))
        .into_iter()
        .map(|g| g.id)
        .collect();
    groups.sort();
    let mut expected = vec![g1.clone(), g2.clone()];
    expected.sort();
    assert_eq!(groups, expected);
    let g1_thread = with(&a2, |m| m.group_conversation(&g1).expect("thread"));
    let g2_thread = with(&a2, |m| m.group_conversation(&g2).expect("thread"));
    assert!(texts(&a2, &g1_thread).contains(&"QX-G1 hello circle".to_owned()));
    assert!(texts(&a2, &g2_thread).contains(&"QX-G2 hello evening".to_owned()));
    assert_eq!(
        with(&a2, |m| m.profile().expect("profile").pseudonym),
        "Ana QXA."
    );
    let contacts = with(&a2, |m| m.contacts().expect("contacts"));
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].fields.pseudonym, "Rosa QXR.");
    let dump = with(&a2, |m| m.projection_dump().expect("dump"));
    assert_eq!(count(&dump, "journal_entry"), 0);
    assert!(!dump.to_string().contains("QX-JOURNAL"));
    // The one-to-one conversation is on the new device too.
    assert_eq!(texts(&a2, &dm), ["QX-DM only for Bea"]);
    for who in [&a, &a2] {
        let devices = with(who, |m| m.member_devices().expect("devices"));
        assert_eq!(devices.len(), 2, "{devices:?}");
    }

    // The new device writes to a group as Ana; Bea and Caro accept it.
    with(&a2, |m| {
        m.send_to_group(&g1, NewMessage::text("QX-LAPTOP from the laptop"))
            .expect("send")
    });
    sync(&client, &a2);
    for who in [&b, &c] {
        sync(&client, who);
        let thread = with(who, |m| m.group_conversation(&g1).expect("thread"));
        let page = with(who, |m| m.messages(&thread, None, 100).expect("page"));
        let msg = page
            .messages
            .iter()
            .find(|msg| msg.text == "QX-LAPTOP from the laptop")
            .expect("accepted from the new device");
        assert_eq!(msg.author_id, ana_id);
    }

    // --- The same code again, on a third install: refused, nothing changes.
    let devices_before = with(&a, |m| m.member_devices().expect("devices"));
    let a3 = Mutex::new(Mutua::ephemeral_paired(&code).expect("store"));
    sync(&client, &a3);
    sync(&client, &a);
    let report = sync(&client, &a3);
    assert!(
        report.notices.iter().any(|n| n.contains("already used")),
        "{report:?}"
    );
    match with(&a3, |m| m.pairing_status().expect("status")) {
        Some(PairingStatus::Refused { reason }) => assert!(reason.contains("already used")),
        other => panic!("a reused code must be refused: {other:?}"),
    }
    assert!(with(&a3, |m| m.groups(true).expect("groups")).is_empty());
    assert!(with(&a3, |m| m.contacts().expect("contacts")).is_empty());
    assert!(with(&a3, |m| m.sync_spaces().expect("spaces")).is_empty());
    sync(&client, &b);
    assert_eq!(
        with(&a, |m| m.member_devices().expect("devices")),
        devices_before
    );

    // --- An expired code: a clear error, and no data directory is made.
    let expired = with(&a, |m| m.create_pairing_valid_for(-1).expect("pairing")).code;
    let late_dir = dir.path().join("too-late");
    let err = Mutua::init_paired_with_kdf(
        &late_dir,
        &expired,
        NewProtection::Passphrase("long enough"),
        cheap,
    )
    .expect_err("expired");
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(!Mutua::exists(&late_dir));

    // --- The relay holds no plaintext, in its storage or its logs.
    let mut stored = relay.logs().into_bytes();
    stored.extend(stored_by_relay(&mut relay));
    assert!(stored.len() > 10_000, "the relay's storage was read");
    assert_no_plaintext(
        &stored,
        "the relay",
        &[
            "QX-DM only for Bea",
            "QX-JOURNAL",
            "QX-CONTACT sponsor",
            "QX-LAPTOP from the laptop",
            "QX-G1 hello circle",
            "Carers QX-PURPOSE",
            "Ana QXA.",
            "Bea QXB.",
            "Rosa QXR.",
            "Sunflower QX",
            &ana_id,
            &bea_id,
        ],
    );
}

#[test]
fn direct_messages_and_a_paired_device_through_a_relay_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("relay.db");
    scenario(RelayStorage::Sqlite(db.clone()), |relay| {
        relay.terminate();
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            let mut p = db.clone().into_os_string();
            p.push(suffix);
            bytes.extend(std::fs::read(&p).unwrap_or_default());
        }
        bytes
    });
}

#[test]
fn direct_messages_and_a_paired_device_through_a_relay_on_postgres() {
    let pg = TempPostgres::start();
    scenario(RelayStorage::Postgres(pg.url()), |_| {
        let mut bytes = pg.dump().into_bytes();
        bytes.extend(pg.server_log().into_bytes());
        bytes
    });
}
