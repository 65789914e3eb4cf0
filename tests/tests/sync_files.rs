//! Sync files, this "done when": one device carries a sync file between two groups of
//! devices that never meet — cluster A syncs through one real relay process, cluster B through
//! another — and everyone converges. A key change made in cluster A reaches cluster B's relay
//! through the files alone, and the member it removes reads nothing newer. Also measures how
//! big a day's file is.

use std::path::Path;
use std::sync::Mutex;

use mutua_core::Mutua;
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::sync::client::RelayClient;
use mutua_core::sync::{BundleImport, BundleScope, InviteMode, sync_file};
use mutua_tests::devices::{assert_no_plaintext, member, say, shared, sync, with};
use mutua_tests::relay::{RelayProcess, RelayStorage};

/// `from` saves a file for everything it syncs on disk (as on a USB stick); `to` opens it.
fn carry(dir: &Path, name: &str, from: &Mutex<Mutua>, to: &Mutex<Mutua>) -> BundleImport {
    let made = with(from, |m| {
        m.export_bundle(&BundleScope::Everything).expect("export")
    });
    let path = sync_file::save(&dir.join(name), &made.bytes, &mut |_, _| {}).expect("save");
    let bytes = sync_file::read(&path, &mut |_, _| {}).expect("read");
    assert_eq!(bytes, made.bytes);
    let report = with(to, |m| m.import_bundle(&bytes).expect("import"));
    assert_eq!(report.rejected, 0, "{report:?}");
    report
}

fn count(view: &serde_json::Value, table: &str) -> usize {
    view[table].as_array().map(Vec::len).unwrap_or(0)
}

fn circle() -> GroupFields {
    GroupFields {
        name: "Sunflower circle QX".into(),
        purpose: Some("Bereavement support QX".into()),
        kind: GroupKind::Facilitated,
        planned_sessions: None,
        admission: Admission::Closed,
        language: Some("es".into()),
        place: Some("Parish hall QX".into()),
        online_url: None,
        guidelines: None,
    }
}

#[test]
fn a_carrier_joins_two_clusters_that_never_meet_and_everyone_converges() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay_a = RelayProcess::start(&RelayStorage::Sqlite(dir.path().join("a.db")));
    let relay_b = RelayProcess::start(&RelayStorage::Sqlite(dir.path().join("b.db")));
    let (via_a, via_b) = (
        RelayClient::new(&relay_a.url()).expect("client"),
        RelayClient::new(&relay_b.url()).expect("client"),
    );
    // Ana holds the group; at a meeting she lets everyone in with in-person codes. Bea and
    // Cai (the carrier) live in town, near relay A; Dani and Eli in the village, near relay B.
    let ana = member("Ana QXA.");
    let g = with(&ana, |m| m.create_group(circle()).expect("group").id);
    let (bea, cai, dani, eli) = (
        member("Bea QXB."),
        member("Cai QXC."),
        member("Dani QXD."),
        member("Eli QXE."),
    );
    for who in [&bea, &cai, &dani, &eli] {
        let code = with(&ana, |m| {
            m.create_invite(&g, InviteMode::InPerson).expect("invite")
        })
        .code;
        with(who, |m| m.accept_invite(&code).expect("accept"));
    }
    let town = [&ana, &bea, &cai];
    let village = [&dani, &eli];
    let settle = || {
        for _ in 0..2 {
            for who in town {
                sync(&via_a, who);
            }
            for who in village {
                sync(&via_b, who);
            }
        }
    };
    settle();
    // The village cannot check each other's introductions yet: the invitations are in Ana's
    // roster, which has not reached relay B.
    assert!(with(&eli, |m| m.held_envelopes().expect("held")) > 0);

    // Nor write: the group's details are in Ana's documents too. The carrier's first file
    // brings them.
    assert!(with(&dani, |m| m.find_group(&g)).is_err());
    say(&ana, &g, "Welcome, everyone QX-A");
    say(&bea, &g, "Glad to be here QX-B");
    settle();
    let first = carry(dir.path(), "to-village-first", &cai, &dani);
    assert!(first.new > 0, "{first:?}");
    assert_eq!(first.groups_updated, 1, "{first:?}");
    settle();
    // Both clusters write; the carrier goes back and forth with files.
    say(&dani, &g, "Greetings from the village QX-D");
    say(&eli, &g, "The bus only runs on Tuesdays QX-E");
    say(&bea, &g, "How is everyone? QX-B2");
    for round in 0..2 {
        settle();
        carry(dir.path(), &format!("to-village-{round}"), &cai, &dani);
        settle();
        carry(dir.path(), &format!("to-town-{round}"), &dani, &cai);
        settle();
    }
    let view = shared(&ana);
    for who in [&bea, &cai, &dani, &eli] {
        assert_eq!(shared(who), view);
        assert_eq!(with(who, |m| m.held_envelopes().expect("held")), 0);
    }
    assert_eq!(count(&view, "message"), 5);
    assert_eq!(count(&view, "group_member"), 5);
    assert!(view.to_string().contains("QX-E"));

    // A reply to Eli's message and a reaction, both ways, then again one exchange each way.
    let eli_message = with(&ana, |m| {
        let thread = m.group_conversation(&g).expect("thread");
        m.messages(&thread, None, 50)
            .expect("page")
            .messages
            .into_iter()
            .find(|msg| msg.text.contains("QX-E"))
            .expect("Eli's message reached Ana")
            .id
    });
    with(&ana, |m| m.react(&eli_message, "🤗").expect("react"));
    with(&eli, |m| m.react(&eli_message, "🙏").expect("react"));
    settle();
    carry(dir.path(), "to-village-2", &cai, &dani);
    carry(dir.path(), "to-town-2", &dani, &cai);
    settle();
    let view = shared(&ana);
    for who in [&bea, &cai, &dani, &eli] {
        assert_eq!(shared(who), view);
    }
    assert_eq!(count(&view, "message_reaction"), 2);

    // Ana removes Eli in town. The key change reaches the village only through the carrier's
    // file; Dani hands it to relay B, which has never seen it; Eli learns of the removal there.
    let eli_id = with(&eli, |m| m.member_id().to_owned());
    with(&ana, |m| m.remove_member(&g, &eli_id).expect("remove"));
    say(&ana, &g, "After Eli left QX-SECRET");
    settle();
    let report = carry(dir.path(), "to-village-3", &cai, &dani);
    assert_eq!(report.key_changes, 1, "{report:?}");
    say(&dani, &g, "Dani after the key change QX-D2");
    settle();
    carry(dir.path(), "to-town-3", &dani, &cai);
    settle();
    let view = shared(&ana);
    for who in [&bea, &cai, &dani] {
        assert_eq!(shared(who), view);
    }
    assert!(view.to_string().contains("QX-SECRET"));
    assert!(view.to_string().contains("QX-D2"));
    // Eli's device heard it from relay B during the rounds above.
    let events = with(&eli, |m| m.sync_events(20).expect("events"));
    assert!(events.iter().any(|e| e.kind == "removed"), "{events:?}");
    let eli_view = shared(&eli).to_string();
    assert!(!eli_view.contains("QX-SECRET"));
    assert!(!eli_view.contains("QX-D2"));

    // The files on the "stick" held no plaintext.
    for entry in std::fs::read_dir(dir.path()).expect("list") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "mutua-sync") {
            let bytes = std::fs::read(&path).expect("read");
            assert_no_plaintext(
                &bytes,
                &path.display().to_string(),
                &[
                    "Sunflower",
                    "Bereavement",
                    "Parish hall",
                    "Welcome, everyone",
                    "Greetings from the village",
                    "The bus only runs",
                    "After Eli left",
                    "Dani after the key change",
                    "Ana QXA.",
                ],
            );
        }
    }
}

fn weekly(agenda: Option<String>) -> mutua_core::meetings::SeriesFields {
    mutua_core::meetings::SeriesFields {
        title: "Weekly circle".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(19, 0, 0))
            .expect("date"),
        tz: "America/Bogota".into(),
        duration_minutes: 90,
        rrule: Some("FREQ=WEEKLY;BYDAY=TU".into()),
        format: mutua_core::calendar::MeetingFormat::InPerson,
        place: Some("Parish hall".into()),
        online_url: None,
        phone: None,
        agenda,
    }
}

/// Reasonably varied message texts, 60–320 characters, as members write them.
fn message_text(i: usize) -> String {
    const WORDS: &[&str] = &[
        "today",
        "was",
        "hard",
        "but",
        "I",
        "went",
        "to",
        "the",
        "meeting",
        "and",
        "it",
        "helped",
        "thank",
        "you",
        "all",
        "for",
        "listening",
        "see",
        "you",
        "on",
        "Tuesday",
        "my",
        "mother",
        "called",
        "again",
        "slept",
        "better",
        "walk",
        "tomorrow",
        "anyone",
        "coffee",
        "after",
        "grateful",
        "tired",
        "still",
        "here",
    ];
    let len = 60 + (i * 7919) % 260;
    let mut out = String::new();
    let mut k = i;
    while out.len() < len {
        k = k
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(WORDS[(k >> 33) % WORDS.len()]);
    }
    out
}

/// One day of a group of ten: 200 messages of realistic length and 5 meeting edits, written on
/// many devices that each synced through the town relay after every message (the worst case:
/// one envelope per message). The carrier's file for a village member who had everything up to
/// yesterday holds exactly that day. Sizes are printed for the report and bounded loosely.
#[test]
fn the_size_of_one_days_sync_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let relay = RelayProcess::start(&RelayStorage::Sqlite(dir.path().join("a.db")));
    let client = RelayClient::new(&relay.url()).expect("client");
    let ana = member("Ana G.");
    let g = with(&ana, |m| m.create_group(circle()).expect("group").id);
    let mut town = vec![ana];
    for i in 1..9 {
        town.push(member(&format!("Member {i}")));
    }
    let dani = member("Dani P.");
    for who in town.iter().skip(1).chain([&dani]) {
        let code = with(&town[0], |m| {
            m.create_invite(&g, InviteMode::InPerson).expect("invite")
        })
        .code;
        with(who, |m| m.accept_invite(&code).expect("accept"));
    }
    for _ in 0..2 {
        for who in &town {
            sync(&client, who);
        }
    }
    let series = with(&town[0], |m| {
        m.add_series(&g, weekly(None)).expect("series")
    })
    .series
    .id;
    sync(&client, &town[0]);
    // Yesterday: Dani got everything from the carrier and told the carrier what it holds.
    let carrier = &town[1];
    sync(&client, carrier);
    carry(dir.path(), "yesterday", carrier, &dani);
    carry(dir.path(), "yesterday-back", &dani, carrier);

    // Today.
    let mut plain_bytes = 0;
    for i in 0..200 {
        let text = message_text(i);
        plain_bytes += text.len();
        let who = &town[i % town.len()];
        say(who, &g, &text);
        sync(&client, who);
    }
    for e in 0..5 {
        with(&town[0], |m| {
            let agenda = format!("Agenda, version {e}: a round of sharing, then a short walk");
            m.update_series(&series, weekly(Some(agenda)))
                .expect("edit")
        });
        sync(&client, &town[0]);
    }
    sync(&client, carrier);
    let dani_id = with(&dani, |m| m.member_id().to_owned());
    let day = with(carrier, |m| {
        m.export_bundle(&BundleScope::Member(dani_id.clone()))
            .expect("for Dani")
    });
    let whole = with(carrier, |m| {
        m.export_bundle(&BundleScope::Everything).expect("all")
    });
    let report = with(&dani, |m| m.import_bundle(&day.bytes).expect("import"));
    assert_eq!(report.rejected, 0);
    assert_eq!(shared(&dani)["message"], shared(carrier)["message"]);
    assert_eq!(count(&shared(&dani), "message"), 200);
    eprintln!(
        "one day (200 messages, {plain_bytes} bytes of text; 5 meeting edits; one envelope per message): \
         file for one member {} bytes ({} envelopes); everything the carrier holds {} bytes ({} envelopes)",
        day.bytes.len(),
        day.envelopes,
        whole.bytes.len(),
        whole.envelopes
    );
    assert!(day.envelopes >= 205, "{day:?}");
    assert!(day.envelopes < whole.envelopes, "{day:?}");
    // A loose bound: the ciphertext plus a few hundred bytes of envelope per message.
    assert!(
        day.bytes.len() < plain_bytes * 3 + 205 * 600,
        "{} bytes",
        day.bytes.len()
    );
}

/// A month of a busy group written on one device that makes a file every day (so a day's
/// messages share envelopes), then everything in one file: the basis for the yearly estimate in
/// the README (a year is twelve such months in twelve month documents). Slow in a debug build,
/// so compiled only on request:
/// `cargo test -p mutua-tests --features measure --test sync_files -- --nocapture`.
#[cfg(feature = "measure")]
#[test]
fn the_size_of_a_months_sync_file() {
    let ana = member("Ana G.");
    let g = with(&ana, |m| m.create_group(circle()).expect("group").id);
    let series = with(&ana, |m| m.add_series(&g, weekly(None)).expect("series"))
        .series
        .id;
    let mut plain = 0;
    let mut last_day = 0;
    for day in 0..30 {
        for i in 0..200 {
            let text = message_text(day * 200 + i);
            plain += text.len();
            say(&ana, &g, &text);
        }
        for e in 0..5 {
            with(&ana, |m| {
                let agenda = format!("Day {day}, version {e}: a round of sharing, then a walk");
                m.update_series(&series, weekly(Some(agenda)))
                    .expect("edit")
            });
        }
        last_day = with(&ana, |m| {
            m.export_bundle(&BundleScope::Group(g.clone()))
                .expect("daily file")
                .bytes
                .len()
        });
    }
    let month = with(&ana, |m| {
        m.export_bundle(&BundleScope::Group(g.clone()))
            .expect("all")
    });
    eprintln!(
        "a month (6,000 messages, {plain} bytes of text), sealed once a day: {} bytes in {} envelopes \
         ({:.0} bytes per message); a year is about twelve times that",
        month.bytes.len(),
        month.envelopes,
        month.bytes.len() as f64 / 6000.0
    );
    assert!(month.bytes.len() >= last_day);
    assert!(month.bytes.len() > plain);
}
