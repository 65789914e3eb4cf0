//! What a member's device does when the network in front of the relay misbehaves: a captive
//! portal, a proxy error page, a reply cut short after the relay acted on it, and a relay whose
//! storage for the group is full. Each gets an error in words, changes nothing the member has,
//! and the next round with a working relay finishes the job with nothing lost or doubled.

use std::sync::Mutex;

use mutua_core::Mutua;
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::sync::InviteMode;
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::driver::sync_once;
use mutua_tests::devices::{member, say, shared, sync, with};
use mutua_tests::hostile::{Behaviour, Hostile};
use mutua_tests::relay::{RelayProcess, RelayStorage};

/// A round that must fail: the error (or the groups' errors) in words.
fn failed_round(client: &RelayClient, who: &Mutex<Mutua>) -> String {
    match sync_once(who, client, &|_| {}) {
        Err(e) => e.to_string(),
        Ok(report) => {
            assert!(!report.errors.is_empty(), "the round succeeded: {report:?}");
            report.errors.join("; ")
        }
    }
}

fn messages(view: &serde_json::Value) -> usize {
    view["message"].as_array().map(Vec::len).unwrap_or(0)
}

/// Words that do not compress much, so a few hundred messages weigh what real ones do.
fn sentence(seed: u64, words: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::new();
    for _ in 0..words {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = 3 + (x >> 60) as usize % 6;
        for i in 0..len {
            out.push(char::from(b'a' + ((x >> (i * 5 + 3)) % 26) as u8));
        }
        out.push(' ');
    }
    out
}

/// Ana's group with Bea in it, both synced through `client`.
fn circle(client: &RelayClient) -> (Mutex<Mutua>, Mutex<Mutua>, String) {
    let (a, b) = (member("Ana F."), member("Bea F."));
    let g = with(&a, |m| {
        m.create_group(GroupFields {
            name: "Harvest circle".into(),
            purpose: None,
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Closed,
            language: None,
            place: None,
            online_url: None,
            guidelines: None,
        })
        .expect("group")
        .id
    });
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&b, |m| m.accept_invite(&code).expect("accept"));
    for who in [&a, &b, &a] {
        sync(client, who);
    }
    (a, b, g)
}

#[test]
fn a_captive_portal_a_proxy_error_and_a_cut_reply_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = RelayProcess::start(&RelayStorage::Sqlite(dir.path().join("relay.db")));
    let direct = RelayClient::new(&relay.url()).expect("client");
    let (a, b, g) = circle(&direct);
    say(
        &a,
        &g,
        "written while the village hall wifi wanted a sign-in",
    );

    // A captive portal and a proxy's error page: clear words, and nothing changes here.
    for (behaviour, words) in [
        (Behaviour::CaptivePortal, "is this a Mutua relay?"),
        (Behaviour::BadGateway, "is this a Mutua relay?"),
    ] {
        let hostile = Hostile::start(behaviour.clone());
        let client = RelayClient::new(&hostile.url()).expect("client");
        let before = shared(&a);
        let last_synced = with(&a, |m| m.last_synced().expect("last synced"));
        let error = failed_round(&client, &a);
        assert!(error.contains(words), "{behaviour:?}: {error}");
        assert!(
            !error.contains("<html") && !error.contains("Village"),
            "the page itself is not shown to the member: {error}"
        );
        assert_eq!(shared(&a), before, "{behaviour:?} changed local data");
        assert_eq!(
            with(&a, |m| m.last_synced().expect("last synced")),
            last_synced,
            "a failed round does not count as synced"
        );
    }

    // The relay acts on a push but its reply is cut short on the way back.
    for i in 0..3 {
        say(&a, &g, &format!("sent while the reply was cut {i}"));
    }
    let upstream = relay.url().trim_start_matches("http://").to_owned();
    let proxy = Hostile::start(Behaviour::CutSyncReply { upstream, nth: 1 });
    let via_proxy = RelayClient::new(&proxy.url()).expect("client");
    let error = failed_round(&via_proxy, &a);
    assert_eq!(proxy.cuts(), 1, "the first sync reply was cut");
    assert!(error.contains("relay unreachable"), "{error}");
    // The next round (through the same proxy, now behaving) resends; the relay keeps one copy.
    sync(&via_proxy, &a);
    assert!(proxy.sync_requests() >= 2);
    sync(&direct, &b);
    let view = shared(&a);
    assert_eq!(messages(&view), 4, "{view}");
    assert_eq!(shared(&b), view, "Bea has every message exactly once");
}

#[test]
fn a_full_quota_is_said_in_words_and_sync_resumes_when_there_is_room() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = RelayStorage::Sqlite(dir.path().join("relay.db"));
    let small = [
        "--quota-bytes",
        "20000",
        "--rate",
        "100000",
        "--burst",
        "100000",
    ];
    let mut relay = RelayProcess::start_with(&storage, &small);
    let client = RelayClient::new(&relay.url()).expect("client");
    let (a, b, g) = circle(&client);

    for i in 0..300 {
        say(&a, &g, &sentence(i, 30));
    }
    let before = shared(&a);
    let error = failed_round(&client, &a);
    assert!(
        error.contains("storage for this group is full"),
        "the member is told what happened: {error}"
    );
    assert!(error.contains("more room"), "and what to do: {error}");
    assert_eq!(shared(&a), before, "nothing local was lost or changed");
    assert_eq!(messages(&before), 300);

    // Whoever runs the relay gives the group more room: the same database, a larger quota.
    relay.terminate();
    let roomy = RelayProcess::start(&storage);
    let client = RelayClient::new(&roomy.url()).expect("client");
    sync(&client, &a);
    sync(&client, &b);
    let view = shared(&a);
    assert_eq!(messages(&view), 300);
    assert_eq!(shared(&b), view);
}
