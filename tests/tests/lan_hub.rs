//! The meeting-room hub on loopback, with no internet relay: fifteen members' devices converge
//! through one hub; what the room shared reaches, through the host, a member who was never at
//! the meeting (messages, a removal's key change, checkpoints); a hub that moved to another
//! address or was reset; and finding a hub by mDNS under its opaque name.
//!
//! The hub is the real `mutua-hub` (the embedded relay over HTTP on 127.0.0.x); devices are
//! real `Mutua` stores in their own data folders; the internet relay is a real `mutua-relay`
//! process. Waits are bounded only to avoid hangs; nothing asserts on time.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mutua_core::calendar::MeetingFormat;
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::meetings::SeriesFields;
use mutua_core::messages::NewMessage;
use mutua_core::sync::client::{RelayClient, Transport};
use mutua_core::sync::driver::sync_once;
use mutua_core::sync::hub::{HubAddress, HubLink, hub_key};
use mutua_core::sync::{InviteMode, SyncReport};
use mutua_core::{KdfParams, Mutua, NewProtection};
use mutua_hub::{AnnounceState, Hub, HubConfig, MdnsOptions};
use mutua_tests::devices::{say, with};
use mutua_tests::relay::{RelayProcess, RelayStorage};

/// A member's device with its own data folder (cheap Argon2 costs: this is a test).
fn device(root: &Path, name: &str) -> Mutex<Mutua> {
    let dir = root.join(name.replace([' ', '.'], "_"));
    let kdf = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };
    Mutex::new(
        Mutua::init_with_kdf(
            &dir,
            name,
            NewProtection::Passphrase("a test passphrase"),
            kdf,
        )
        .expect("init"),
    )
}

fn round<C: Transport>(client: &C, who: &Mutex<Mutua>) -> SyncReport {
    let report = sync_once(who, client, &|_| {}).expect("sync");
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    report
}

fn hub_on(root: &Path, listen: &str) -> Hub {
    Hub::start(HubConfig {
        listen: Some(listen.parse().expect("addr")),
        announce: false,
        ..HubConfig::new(root)
    })
    .expect("hub")
}

fn link(hub: &Hub) -> HubLink {
    HubLink::connect(&HubAddress::parse(&hub.local_url()).expect("address")).expect("link")
}

fn new_group(host: &Mutex<Mutua>, name: &str) -> String {
    with(host, |m| {
        m.create_group(GroupFields {
            name: name.into(),
            purpose: Some("Peer support at the hall".into()),
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Closed,
            language: Some("es".into()),
            place: Some("Village hall".into()),
            online_url: None,
            guidelines: None,
        })
        .expect("group")
        .id
    })
}

fn invite_in_person(host: &Mutex<Mutua>, group: &str, who: &Mutex<Mutua>) {
    let code = with(host, |m| {
        m.create_invite(group, InviteMode::InPerson)
            .expect("invite")
    })
    .code;
    with(who, |m| m.accept_invite(&code).expect("accept"));
}

/// What every member's device must agree on: the group, its roster, its meetings, and its
/// thread (one-to-one conversations differ per device by design).
fn shared(who: &Mutex<Mutua>, group: &str) -> serde_json::Value {
    let dump = with(who, |m| m.projection_dump().expect("dump"));
    let thread: Vec<serde_json::Value> = dump["message"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["conversation"].as_str() == Some(&format!("group:{group}")))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "groups": dump["groups"],
        "group_member": dump["group_member"],
        "meeting_series": dump["meeting_series"],
        "thread": thread,
    })
}

fn count(view: &serde_json::Value, table: &str) -> usize {
    view[table].as_array().map(Vec::len).unwrap_or(0)
}

fn series(title: &str) -> SeriesFields {
    SeriesFields {
        title: title.into(),
        start: NaiveDate::from_ymd_opt(2026, 3, 3)
            .and_then(|d| d.and_hms_opt(19, 0, 0))
            .expect("date"),
        tz: "America/Bogota".into(),
        duration_minutes: 90,
        rrule: Some("FREQ=WEEKLY;BYDAY=TU".into()),
        format: MeetingFormat::InPerson,
        place: Some("Village hall".into()),
        online_url: None,
        phone: None,
        agenda: None,
    }
}

/// Bytes the hub stored, from its metrics (what crossed the room, minus protocol overhead).
fn hub_stored_bytes(hub: &Hub) -> Option<u64> {
    let text = reqwest::blocking::get(format!("{}/metrics", hub.local_url()))
        .ok()?
        .text()
        .ok()?;
    text.lines()
        .find(|l| l.starts_with("mutua_relay_bytes_stored_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

#[test]
fn fifteen_devices_converge_through_a_hub_with_no_internet() {
    const DEVICES: usize = 15;
    const EACH: usize = 3;
    let root = tempfile::tempdir().expect("tempdir");
    let devices: Vec<Mutex<Mutua>> = (0..DEVICES)
        .map(|i| device(root.path(), &format!("Member H{i:02}")))
        .collect();
    let host = &devices[0];
    let hub = hub_on(&root.path().join("member_h00"), "127.0.0.1:0");
    let g = new_group(host, "Hall circle");
    for who in &devices[1..] {
        invite_in_person(host, &g, who);
    }
    // Before the meeting the host writes and plans the meetings; the others joined in person
    // and write as soon as their first round brought the group.
    for n in 0..EACH {
        say(host, &g, &format!("H00 says {n}"));
    }
    with(host, |m| {
        m.add_series(&g, series("Tuesday circle")).expect("series")
    });
    let six = with(&devices[6], |m| m.member_id().to_owned());

    // Everyone at once, each in its own thread, until it holds the whole thread and roster.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    let rounds: Vec<usize> = std::thread::scope(|s| {
        let jobs: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, who)| {
                let hub_url = hub.local_url();
                let g = g.clone();
                let six = six.clone();
                s.spawn(move || {
                    let link = HubLink::connect(&HubAddress::parse(&hub_url).expect("address"))
                        .expect("link");
                    let mut n = 0;
                    let mut said = false;
                    let mut dm_sent = false;
                    loop {
                        n += 1;
                        round(&link, who);
                        if i > 0 && !said && with(who, |m| m.find_group(&g).is_ok()) {
                            said = true;
                            for k in 0..EACH {
                                say(who, &g, &format!("H{i:02} says {k}"));
                            }
                        }
                        // A one-to-one message once the roster says who member 6 is.
                        if i == 5 && !dm_sent {
                            // As soon as the roster says who member 6 is.
                            dm_sent = with(who, |m| {
                                m.send_direct(&six, NewMessage::text("See you after, H06?"))
                                    .is_ok()
                            });
                        }
                        let view = shared(who, &g);
                        if count(&view, "thread") == DEVICES * EACH
                            && count(&view, "group_member") == DEVICES
                            && count(&view, "meeting_series") == 1
                            && (i != 5 || dm_sent)
                            && n >= 3
                        {
                            return n;
                        }
                        assert!(Instant::now() < deadline, "device {i} did not converge");
                        std::thread::sleep(Duration::from_millis(50));
                    }
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().expect("thread"))
            .collect()
    });
    let converged = started.elapsed();

    // Meeting edits at the meeting: one cancels a date, another moves one, the host edits the
    // group; two passes over everyone bring them to all.
    let client = link(&hub);
    with(&devices[2], |m| {
        m.cancel_occurrence(
            "Tuesday circle",
            NaiveDate::from_ymd_opt(2026, 3, 10).expect("d"),
        )
        .expect("cancel")
    });
    with(&devices[3], |m| {
        let at = NaiveDate::from_ymd_opt(2026, 3, 17)
            .and_then(|d| d.and_hms_opt(19, 0, 0))
            .expect("t");
        m.move_occurrence("Tuesday circle", at, at + chrono::Duration::days(1), None)
            .expect("move")
    });
    with(host, |m| {
        let group = m.find_group(&g).expect("group");
        let mut fields = group.fields;
        fields.guidelines = Some("What is said here stays here.".into());
        m.update_group(&g, fields).expect("edit")
    });
    for _ in 0..2 {
        for who in &devices {
            round(&client, who);
        }
    }

    let view = shared(host, &g);
    assert_eq!(count(&view, "thread"), DEVICES * EACH);
    assert_eq!(count(&view, "group_member"), DEVICES);
    assert!(view.to_string().contains("What is said here stays here."));
    let meeting = view["meeting_series"].to_string();
    assert!(
        meeting.contains("2026-03-10"),
        "the cancellation arrived: {meeting}"
    );
    assert!(
        meeting.contains("2026-03-18"),
        "the move arrived: {meeting}"
    );
    for (i, who) in devices.iter().enumerate() {
        assert_eq!(shared(who, &g), view, "device {i} differs");
        with(who, |m| {
            let before = m.projection_dump().expect("dump");
            m.rebuild_projections().expect("rebuild");
            assert_eq!(
                m.projection_dump().expect("dump"),
                before,
                "device {i}: rebuild"
            );
        });
    }
    // The one-to-one message reached its reader, and only the two of them.
    let dm_text = "See you after, H06?";
    let has_dm = |who: &Mutex<Mutua>| {
        with(who, |m| m.projection_dump().expect("d"))
            .to_string()
            .contains(dm_text)
    };
    assert!(has_dm(&devices[5]) && has_dm(&devices[6]));
    assert!(!has_dm(&devices[7]));
    assert!(hub.syncs() > 0);

    let bytes = hub_stored_bytes(&hub);
    println!(
        "LAN hub: {DEVICES} devices converged in {:.2} s ({} rounds per device at most, {} sync requests answered){}",
        converged.as_secs_f64(),
        rounds.iter().max().copied().unwrap_or(0),
        hub.syncs(),
        bytes.map_or(String::new(), |b| format!(", {b} bytes stored by the hub"))
    );
    hub.stop();
}

#[test]
fn what_the_room_shared_reaches_a_member_who_was_never_there() {
    let root = tempfile::tempdir().expect("tempdir");
    let relay = RelayProcess::start(&RelayStorage::Sqlite(root.path().join("relay.db")));
    let internet = RelayClient::new(&relay.url()).expect("relay client");
    let host = device(root.path(), "Host SF");
    let b = device(root.path(), "Bea SF");
    let c = device(root.path(), "Caro SF");
    let d = device(root.path(), "Dani SF");
    let z = device(root.path(), "Zoe SF");
    let g = new_group(&host, "Store and forward circle");
    for who in [&b, &c, &d, &z] {
        invite_in_person(&host, &g, who);
    }
    // Before the meeting, the host and Zoe (who will not come) sync online once.
    round(&internet, &host);
    round(&internet, &z);
    round(&internet, &host);

    // The meeting: no internet. Bea, Caro and Dani only ever talk to the hub.
    let hub = hub_on(&root.path().join("host_sf"), "127.0.0.1:0");
    let room = link(&hub);
    for who in [&host, &b, &c, &d] {
        round(&room, who);
    }
    say(&c, &g, "Caro at the meeting SF-1");
    say(&d, &g, "Dani at the meeting SF-2");
    round(&room, &c);
    round(&room, &d);
    // Bea writes enough, a round each time, that the chat gets checkpoints at the hub.
    for i in 0..(mutua_core::sync::checkpoint::CHECKPOINT_EVERY + 8) {
        say(&b, &g, &format!("b{i}"));
        round(&room, &b);
    }
    round(&room, &host);
    round(&room, &host);
    // The host removes Dani at the meeting; the key changes on the hub.
    let dani = with(&d, |m| m.member_id().to_owned());
    with(&host, |m| m.remove_member(&g, &dani).expect("remove"));
    round(&room, &host);
    round(&room, &b);
    say(&b, &g, "After the removal SF-SECRET");
    round(&room, &b);
    // Eli joins in person at the meeting and starts from the hub's checkpoints.
    let e = device(root.path(), "Eli SF");
    invite_in_person(&host, &g, &e);
    round(&room, &host);
    let first = round(&room, &e);
    assert!(first.checkpoints_loaded > 0, "{first:?}");
    round(&room, &e);
    say(&e, &g, "Eli is new SF-3");
    round(&room, &e);
    for who in [&host, &b, &c, &e, &host] {
        round(&room, who);
    }
    let at_meeting = shared(&host, &g);
    assert_eq!(shared(&e, &g), at_meeting);
    hub.stop();

    // After the meeting, only the host goes online: it carries everything to the relay,
    // including the key change (without it the relay would refuse the new key).
    let report = round(&internet, &host);
    assert!(report.sent > 0, "{report:?}");
    round(&internet, &host);
    // Zoe, who was never at the meeting, gets all of it: the new key, every message, the
    // roster with Eli in and Dani out.
    round(&internet, &z);
    round(&internet, &z);
    let zoe = shared(&z, &g);
    assert_eq!(zoe, at_meeting);
    let text = zoe.to_string();
    for words in ["SF-1", "SF-2", "SF-3", "SF-SECRET", "b263"] {
        assert!(text.contains(words), "{words} missing for Zoe");
    }
    let roster = zoe["group_member"].to_string();
    assert!(
        roster.contains("Eli SF") && !roster.contains("Dani SF"),
        "{roster}"
    );
    // Dani, removed at the meeting, learns it from the relay and reads nothing new.
    let dani_report = sync_once(&d, &internet, &|_| {}).expect("sync");
    assert!(
        dani_report.notices.iter().any(|n| n.contains("removed")),
        "{dani_report:?}"
    );
    assert!(!shared(&d, &g).to_string().contains("SF-SECRET"));
    // A member who joins later through the relay starts from checkpoints the host uploaded.
    let y = device(root.path(), "Yara SF");
    invite_in_person(&host, &g, &y);
    round(&internet, &host);
    let fresh = round(&internet, &y);
    assert!(fresh.checkpoints_loaded > 0, "{fresh:?}");
    round(&internet, &y);
    round(&internet, &host);
    round(&internet, &y);
    let yara = shared(&y, &g);
    assert!(yara.to_string().contains("SF-SECRET"));
    assert_eq!(count(&yara, "thread"), count(&at_meeting, "thread"));
}

#[test]
fn a_hub_at_a_new_address_carries_on_and_a_reset_hub_gets_everything_again() {
    let root = tempfile::tempdir().expect("tempdir");
    let host = device(root.path(), "Host MV");
    let b = device(root.path(), "Bea MV");
    let g = new_group(&host, "Moving hall");
    invite_in_person(&host, &g, &b);
    let host_dir = root.path().join("host_mv");

    let hub = hub_on(&host_dir, "127.0.0.1:0");
    let id = hub.info().hub.clone();
    let room = link(&hub);
    round(&room, &host);
    round(&room, &b);
    round(&room, &host);
    hub.stop();

    // Next week the laptop has another address: the same hub, so rounds carry on from where
    // they stopped — nothing is sent again.
    let moved = hub_on(&host_dir, "127.0.0.2:0");
    assert_eq!(moved.info().hub, id);
    let room = link(&moved);
    assert_eq!(room.base(), hub_key(&id));
    let quiet = round(&room, &b);
    assert_eq!((quiet.sent, quiet.received), (0, 0), "{quiet:?}");
    say(&b, &g, "From the new address MV-1");
    assert_eq!(round(&room, &b).sent, 1);
    round(&room, &host);
    assert!(shared(&host, &g).to_string().contains("MV-1"));
    moved.stop();

    // The hub is reset: a new hub, and devices offer it everything they hold.
    mutua_hub::host::reset(&host_dir).expect("reset");
    let fresh = hub_on(&host_dir, "127.0.0.1:0");
    assert_ne!(fresh.info().hub, id);
    let room = link(&fresh);
    let pushed = round(&room, &b);
    assert!(
        pushed.sent >= 2,
        "Bea's envelopes go to the new hub: {pushed:?}"
    );
    let c = device(root.path(), "Caro MV");
    invite_in_person(&host, &g, &c);
    round(&room, &host);
    round(&room, &c);
    round(&room, &c);
    round(&room, &host);
    assert_eq!(shared(&c, &g), shared(&host, &g));
    assert!(shared(&c, &g).to_string().contains("MV-1"));
}

/// mDNS on the loopback interface and a private port, so nothing leaves this machine.
fn loopback_mdns() -> MdnsOptions {
    // A port of our own per run, so parallel runs do not hear each other.
    let port = 20_000 + (std::process::id() % 20_000) as u16;
    MdnsOptions {
        port,
        interfaces: Some(vec!["lo".into()]),
    }
}

#[test]
fn a_hub_is_found_by_mdns_under_an_opaque_rotating_name() {
    let root = tempfile::tempdir().expect("tempdir");
    let host = device(root.path(), "Host MD");
    let b = device(root.path(), "Bea MD");
    let g = new_group(&host, "Found by looking");
    invite_in_person(&host, &g, &b);
    let mdns = loopback_mdns();
    let hub = Hub::start(HubConfig {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        announce: true,
        mdns: mdns.clone(),
        rotate_every: Duration::from_secs(2),
        ..HubConfig::new(root.path().join("host_md"))
    })
    .expect("hub");
    let AnnounceState::Announced { instance } = hub.announce_state() else {
        panic!("not announced: {:?}", hub.announce_state());
    };
    assert_eq!(instance.len(), 16);
    assert!(instance.bytes().all(|c| c.is_ascii_hexdigit()));

    let found = mutua_hub::browse(Duration::from_secs(4), &mdns).expect("browse");
    let ours = found
        .iter()
        .find(|h| h.code == hub.code())
        .unwrap_or_else(|| panic!("hub {} not found among {found:?}", hub.code()));
    assert_eq!(ours.address(), hub.addresses()[0]);
    // The name reveals nothing: random hex, no group, no member, not the machine's name.
    assert!(
        ours.instance.bytes().all(|c| c.is_ascii_hexdigit()),
        "{}",
        ours.instance
    );
    for secret in ["Found", "Host", "Bea", &g] {
        assert!(!ours.instance.contains(secret));
    }

    // A member syncs with the hub they found, by its QR text (address + code).
    let room = HubLink::connect(&HubAddress::parse(&ours.share_text()).expect("qr")).expect("link");
    round(&link(&hub), &host);
    round(&room, &b);
    say(&b, &g, "Found you MD-1");
    round(&room, &b);
    round(&link(&hub), &host);
    assert!(shared(&host, &g).to_string().contains("MD-1"));

    // The name rotates while hosting.
    std::thread::sleep(Duration::from_secs(5));
    let AnnounceState::Announced { instance: later } = hub.announce_state() else {
        panic!("not announced after rotating: {:?}", hub.announce_state());
    };
    assert_ne!(later, instance);
    let again = mutua_hub::browse(Duration::from_secs(4), &mdns).expect("browse");
    assert!(
        again
            .iter()
            .any(|h| h.code == hub.code() && h.instance != instance),
        "{again:?}"
    );
    hub.stop();
}
