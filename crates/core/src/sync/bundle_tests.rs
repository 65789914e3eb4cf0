//! Sync files between devices that never meet a relay (and one that does, for the hand-over).

use std::sync::Mutex;

use mutua_protocol::Envelope;
use rusqlite::params;

use crate::error::Error;
use crate::groups::{Admission, GroupKind};
use crate::messages::NewMessage;
use crate::store::Mutua;
use crate::sync::bundle_file;
use crate::sync::space::{self, Payload};
use crate::sync::tests::{FakeRelay, group, sync, with};
use crate::sync::{BundleImport, BundleScope, InviteMode};

fn device(name: &str) -> Mutua {
    Mutua::ephemeral(name).expect("store")
}

/// Ana creates a facilitated group and shows `others` an in-person code each; nobody has a relay.
fn circle(names: &[&str]) -> (Mutua, Vec<Mutua>, String) {
    let mut a = device("Ana G.");
    let g = a
        .create_group(group(GroupKind::Facilitated, Admission::Closed))
        .expect("group")
        .id;
    let mut others = Vec::new();
    for name in names {
        let mut m = device(name);
        let code = a
            .create_invite(&g, InviteMode::InPerson)
            .expect("invite")
            .code;
        m.accept_invite(&code).expect("accept");
        others.push(m);
    }
    (a, others, g)
}

fn everything(m: &mut Mutua) -> Vec<u8> {
    m.export_bundle(&BundleScope::Everything)
        .expect("export")
        .bytes
}

fn carry(from: &mut Mutua, to: &mut Mutua) -> BundleImport {
    let file = everything(from);
    to.import_bundle(&file).expect("import")
}

fn say(m: &mut Mutua, g: &str, text: &str) {
    m.send_to_group(g, NewMessage::text(text)).expect("send");
}

fn texts(m: &Mutua, g: &str) -> Vec<String> {
    let thread = m.group_conversation(g).expect("thread");
    let mut out: Vec<String> = m
        .messages(&thread, None, 500)
        .expect("page")
        .messages
        .into_iter()
        .map(|msg| msg.text)
        .collect();
    out.sort();
    out
}

/// The shared tables as one replica projects them (read markers are each device's own).
fn shared(m: &Mutua) -> serde_json::Value {
    let dump = m.projection_dump().expect("dump");
    serde_json::json!({
        "groups": dump["groups"],
        "group_member": dump["group_member"],
        "meeting_series": dump["meeting_series"],
        "message": dump["message"],
        "message_reaction": dump["message_reaction"],
    })
}

/// [`shared`] without the device's own roster entry.
fn others_view(m: &Mutua) -> serde_json::Value {
    let mut view = shared(m);
    let me = m.member_id().to_owned();
    if let Some(rows) = view["group_member"].as_array_mut() {
        rows.retain(|r| r["member_id"] != me.as_str());
    }
    view
}

/// Everything a file could change: projections, changes, and all sync state.
fn state(m: &Mutua) -> serde_json::Value {
    let rows = |sql: &str| -> Vec<String> {
        let mut stmt = m.conn.prepare(sql).expect("prepare");
        let columns = stmt.column_count();
        stmt.query_map([], |row| {
            let mut out = Vec::new();
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i)?;
                out.push(format!("{value:?}"));
            }
            Ok(out.join("|"))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
    };
    serde_json::json!({
        "projections": m.projection_dump().expect("dump"),
        "change": rows("SELECT doc_id, actor, seq, hash FROM change ORDER BY 1, 2, 3"),
        "envelope": rows("SELECT space_id, doc_tag, device_tag, seq, epoch, bytes, state, doc_id FROM envelope ORDER BY 1, 2, 3, 4"),
        "space": rows("SELECT id, group_id, epoch, removed, anchors FROM space ORDER BY 1"),
        "space_key": rows("SELECT * FROM space_key ORDER BY 1, 2"),
        "sealed": rows("SELECT * FROM sealed ORDER BY 1, 2"),
        "relay_has": rows("SELECT * FROM relay_has ORDER BY 1, 2, 3, 4"),
        "sync_setting": rows("SELECT * FROM sync_setting ORDER BY 1"),
        "sync_event": rows("SELECT group_id, kind, detail FROM sync_event ORDER BY id"),
        "checkpoint_cover": rows("SELECT * FROM checkpoint_cover ORDER BY 1, 2, 3"),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_group_syncs_by_file_alone_and_a_file_carries_todays_messages() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    // Written offline, never sealed by any relay round: the export seals it.
    say(&mut a, &g, "QX see you on Tuesday");
    let report = carry(&mut a, &mut b);
    assert!(report.new > 0, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(report.groups, vec![g.clone()]);
    assert_eq!(report.groups_updated, 1);
    assert_eq!(texts(&b, &g), vec!["QX see you on Tuesday"]);
    say(&mut b, &g, "QX thanks, I will be there");
    let back = carry(&mut b, &mut a);
    assert_eq!(back.rejected, 0, "{back:?}");
    assert_eq!(back.held, 0, "{back:?}");
    assert_eq!(shared(&a), shared(&b));
    assert_eq!(texts(&a, &g).len(), 2);
    assert_eq!(shared(&a)["group_member"].as_array().map(Vec::len), Some(2));
    // A file of nothing new says so.
    let again = carry(&mut b, &mut a);
    assert_eq!(again.new, 0);
    assert_eq!(again.groups_up_to_date, 1);
    assert_eq!(again.groups_updated, 0);
}

#[test]
fn importing_twice_equals_once_and_order_does_not_matter() {
    let (mut a, mut others, g) = circle(&["Bea R.", "Cai L.", "Dani P."]);
    let (mut b, mut c, mut d) = (others.remove(0), others.remove(0), others.remove(0));
    say(&mut a, &g, "QX from Ana");
    let from_a = everything(&mut a);
    c.import_bundle(&from_a).expect("c takes a");
    say(&mut c, &g, "QX from Cai");
    let from_c = everything(&mut c);
    // B takes A's file then C's; D the other way round, each twice.
    b.import_bundle(&from_a).expect("a");
    let after_one = state(&b);
    b.import_bundle(&from_a).expect("a again");
    assert_eq!(
        state(&b),
        after_one,
        "the same file twice is the same as once"
    );
    b.import_bundle(&from_c).expect("c");
    d.import_bundle(&from_c).expect("c");
    d.import_bundle(&from_a).expect("a");
    d.import_bundle(&from_c).expect("c again");
    // Each device's own roster entry has not travelled yet; everything else is equal.
    assert_eq!(others_view(&b), others_view(&d));
    assert_eq!(texts(&b, &g), vec!["QX from Ana", "QX from Cai"]);
    assert_eq!(b.held_envelopes().expect("held"), 0);
    assert_eq!(d.held_envelopes().expect("held"), 0);
    // Rebuilding from the documents gives the same tables: nothing applied half-way.
    let before = b.projection_dump().expect("dump");
    b.rebuild_projections().expect("rebuild");
    assert_eq!(b.projection_dump().expect("dump"), before);
}

#[test]
fn any_damage_is_refused_in_words_and_changes_nothing() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    say(&mut a, &g, "QX hello");
    let file = everything(&mut a);
    let before = state(&b);
    let check = |b: &mut Mutua, bytes: &[u8], what: &str| {
        let err = b.import_bundle(bytes).expect_err(what);
        let text = err.to_string();
        assert!(text.contains("nothing was changed"), "{what}: {text}");
        err
    };
    // Flipped bytes everywhere: header, checksum, manifests, envelopes, the last byte.
    let step = (file.len() / 97).max(1);
    for at in (0..file.len()).step_by(step).chain([file.len() - 1]) {
        let mut bad = file.clone();
        bad[at] ^= 0x10;
        let err = check(&mut b, &bad, &format!("flip at {at}"));
        assert!(
            matches!(
                err,
                Error::SyncFileDamaged(_) | Error::NotASyncFile | Error::SyncFileTooNew { .. }
            ),
            "flip at {at}: {err}"
        );
    }
    // Cut short, as a stick pulled mid-copy leaves it.
    for len in [0, 5, 9, 30, 42, file.len() / 2, file.len() - 1] {
        let err = check(&mut b, &file[..len], &format!("cut at {len}"));
        assert!(
            matches!(err, Error::SyncFileDamaged(_)),
            "cut at {len}: {err}"
        );
    }
    let cut = b.import_bundle(&file[..file.len() / 2]).expect_err("cut");
    assert_eq!(
        cut.to_string(),
        "this sync file is damaged (its contents do not match its checksum: it was cut short or changed while copying); nothing was changed — copy it again"
    );
    // Not a sync file at all, and one from a newer Mutua.
    let err = check(&mut b, b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "calendar");
    assert!(matches!(err, Error::NotASyncFile), "{err}");
    let mut newer = file.clone();
    newer[8] = 7;
    let err = check(&mut b, &newer, "newer");
    assert!(err.to_string().contains("newer version of Mutua"), "{err}");
    // Altered inside, with the checksum made to match again: the signed manifest notices.
    let mut body = bundle_file::Body {
        sections: bundle_file::read(&file)
            .expect("read")
            .into_iter()
            .map(|p| p.section)
            .collect(),
    };
    let section = body
        .sections
        .iter_mut()
        .find(|s| !s.envelopes.is_empty())
        .expect("section");
    let last = section.envelopes[0].len() - 70;
    section.envelopes[0][last] ^= 0x01;
    let forged = bundle_file::write(&body);
    let err = check(&mut b, &forged, "altered");
    assert!(matches!(err, Error::SyncFileDamaged(_)), "{err}");
    assert_eq!(state(&b), before, "the database is exactly as before");
    // And the good file still imports afterwards.
    b.import_bundle(&file).expect("good file");
    assert_eq!(texts(&b, &g), vec!["QX hello"]);
}

#[test]
fn a_file_for_other_groups_is_refused_and_a_mixed_one_imports_what_it_can() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    let mut stranger = device("Eli S.");
    let before = state(&stranger);
    let err = stranger
        .import_bundle(&everything(&mut a))
        .expect_err("not for Eli");
    assert!(matches!(err, Error::SyncFileNotForThisDevice), "{err}");
    assert_eq!(
        err.to_string(),
        "this sync file is for groups this device is not in; nothing was changed"
    );
    assert_eq!(state(&stranger), before);
    // Ana is in a second group Bea is not in.
    let mut fields = group(GroupKind::MutualAid, Admission::Open);
    fields.name = "Walkers".into();
    let g2 = a.create_group(fields).expect("second group").id;
    say(&mut a, &g2, "QX only for walkers");
    say(&mut a, &g, "QX for the circle");
    let report = carry(&mut a, &mut b);
    assert_eq!(report.groups, vec![g.clone()]);
    assert!(report.not_for_this_device >= 1, "{report:?}");
    assert_eq!(texts(&b, &g), vec!["QX for the circle"]);
    assert!(b.find_group(&g2).is_err());
}

#[test]
fn a_file_reveals_no_names_messages_keys_or_journal() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    carry(&mut b, &mut a);
    a.add_entry(crate::journal::EntryFields {
        text: "QX my private journal".into(),
        mood: Some(2),
        emotions: vec!["anxious".into()],
        tags: vec!["QXtag".into()],
        written_at: crate::time::now(),
        time_zone: "UTC".into(),
    })
    .expect("entry");
    // With another device of Ana's paired, her own space (profile, contacts) travels too.
    a.set_relay_url(Some("http://relay.test")).expect("relay");
    a.create_pairing().expect("pairing code");
    say(&mut a, &g, "QX a message for the group");
    let bea = b.member_id().to_owned();
    a.send_direct(&bea, NewMessage::text("QX just for Bea"))
        .expect("dm");
    let file = everything(&mut a);
    let mut needles: Vec<Vec<u8>> = [
        "Tuesday circle",
        "Carers who meet",
        "stays here",
        "Ana G.",
        "Bea R.",
        // Not "QX" alone: two bytes turn up in random ciphertext by chance.
        "QX a message",
        "QX just for",
        // Document names, long enough not to turn up by chance (3 bytes would, about once
        // in every 16 MiB).
        "group/",
        "/chat/",
        "me/profile",
        "me/contacts",
        "journal",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    needles.push(a.device().signing_public().to_vec());
    needles.push(a.device().agreement_public().to_vec());
    needles.push(b.device().signing_public().to_vec());
    needles.push(a.member_id().as_bytes().to_vec());
    needles.push(bea.as_bytes().to_vec());
    needles.push(g.as_bytes().to_vec());
    needles.push(format!("dm/{}", crate::ids::pair_id(a.member_id(), &bea)).into_bytes());
    needles.push(hex::encode(a.device().signing_public()).into_bytes());
    for needle in &needles {
        assert!(
            !contains(&file, needle),
            "the file shows {:?}",
            String::from_utf8_lossy(needle)
        );
    }
    // Opened with every key Ana holds, the file carries no private document at all.
    let mut docs = Vec::new();
    for parsed in bundle_file::read(&file).expect("read") {
        let (section, envelopes) = (parsed.section, parsed.envelopes);
        let s = space::load_space(&a.conn, &section.space)
            .expect("load")
            .expect("Ana's own space");
        for env in envelopes {
            let key = &s.keys[&env.header().epoch];
            let plain = env.decrypt_unverified(key).expect("opens");
            let payload = crate::sync::packing::unpack(&plain).expect("payload");
            docs.push(payload.doc);
        }
    }
    assert!(docs.iter().any(|d| d.starts_with("dm/")), "{docs:?}");
    assert!(docs.iter().any(|d| d == "me/profile"), "{docs:?}");
    assert!(docs.iter().all(|d| !d.contains("journal")), "{docs:?}");
    // What Bea sees: the group and the one-to-one conversation, no journal.
    b.import_bundle(&file).expect("import");
    assert_eq!(
        b.projection_dump().expect("dump")["journal_entry"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let ana = a.member_id().to_owned();
    let conversation = b.direct_conversation(&ana).expect("dm");
    assert_eq!(
        b.messages(&conversation, None, 10).expect("page").messages[0].text,
        "QX just for Bea"
    );
}

#[test]
fn a_removed_member_reads_nothing_sent_after_removal_when_everything_travels_by_file() {
    let (mut a, mut others, g) = circle(&["Bea R.", "Cai L.", "Dani P."]);
    let (mut b, mut c, mut d) = (others.remove(0), others.remove(0), others.remove(0));
    for who in [&mut b, &mut c, &mut d] {
        carry(who, &mut a);
    }
    for who in [&mut b, &mut c, &mut d] {
        carry(&mut a, who);
    }
    assert_eq!(shared(&a)["group_member"].as_array().map(Vec::len), Some(4));
    let cai = c.member_id().to_owned();
    a.remove_member(&g, &cai).expect("remove Cai");
    // With no relay, a second removal does not wait for one.
    let dani = d.member_id().to_owned();
    a.remove_member(&g, &dani).expect("remove Dani");
    say(&mut a, &g, "QX after the removals");
    let file = everything(&mut a);
    // Bea follows both key changes and reads on.
    let report = b.import_bundle(&file).expect("bea");
    assert_eq!(report.key_changes, 2, "{report:?}");
    assert_eq!(report.held, 0, "{report:?}");
    assert!(texts(&b, &g).contains(&"QX after the removals".to_owned()));
    // Bea answers under the new key; Ana reads it.
    say(&mut b, &g, "QX Bea after");
    carry(&mut b, &mut a);
    assert!(texts(&a, &g).contains(&"QX Bea after".to_owned()));
    // Cai and Dani learn they were removed, and hold nothing they could open.
    for who in [&mut c, &mut d] {
        let report = who.import_bundle(&file).expect("removed member");
        assert!(
            report.notices.iter().any(|n| n.contains("removed")),
            "{report:?}"
        );
        assert_eq!(report.removed_from, vec!["Tuesday circle".to_owned()]);
        assert!(!texts(who, &g).iter().any(|t| t.contains("after")));
        let newer: Vec<Envelope> = bundle_file::read(&everything(&mut a))
            .expect("read")
            .into_iter()
            .flat_map(|p| p.envelopes)
            .filter(|e| e.header().epoch > 0)
            .collect();
        assert!(!newer.is_empty());
        for env in &newer {
            assert!(!who.can_decrypt(&g, env).expect("check"));
        }
        // And a later file from Bea opens nothing for them either.
        let from_b = everything(&mut b);
        let _ = who.import_bundle(&from_b);
        assert!(!texts(who, &g).iter().any(|t| t.contains("after")));
    }
}

#[test]
fn a_forged_envelope_inside_a_good_file_is_rejected_with_a_warning() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    carry(&mut a, &mut b);
    say(&mut a, &g, "QX genuine");
    // Somebody holding the group's key writes as if they were Ana's device. Ana's device took
    // it from somewhere (held, not opened yet) and passes it on as it is.
    let s = space::space_for_group(&a.conn, &g)
        .expect("q")
        .expect("space");
    let forger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let doc = crate::ids::DocId::GroupMeta { group: g.clone() };
    let payload = Payload {
        doc: doc.to_string(),
        changes: vec![],
        intro: None,
    };
    let forged = Envelope::seal(
        s.id,
        s.doc_tag(&doc),
        s.naming.device_tag(&a.device().signing_public()),
        1000,
        s.epoch,
        &mutua_protocol::encode(&payload),
        s.current_key().expect("key"),
        &forger,
    )
    .expect("seal");
    let h = *forged.header();
    a.conn
        .execute(
            "INSERT INTO envelope (space_id, doc_tag, device_tag, seq, epoch, bytes, state, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', '')",
            params![
                s.id.as_bytes().to_vec(),
                h.doc.as_bytes().to_vec(),
                h.device.as_bytes().to_vec(),
                h.seq,
                h.epoch,
                forged.to_bytes()
            ],
        )
        .expect("insert");
    let report = carry(&mut a, &mut b);
    assert_eq!(report.rejected, 1, "{report:?}");
    assert!(texts(&b, &g).contains(&"QX genuine".to_owned()));
    let events = b.sync_events(10).expect("events");
    assert!(
        events.iter().any(|e| e.kind == "rejected_envelope"),
        "{events:?}"
    );
    assert!(events.iter().all(|e| !e.detail.contains("QX")));
}

#[test]
fn a_file_for_one_person_carries_only_what_they_are_not_known_to_have() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    // Ana learns of Bea (her roster entry) from a first file.
    carry(&mut b, &mut a);
    say(&mut a, &g, "QX one");
    let bea = b.member_id().to_owned();
    let first = a
        .export_bundle(&BundleScope::Member("Bea R.".into()))
        .expect("for Bea");
    assert!(first.envelopes > 0);
    assert_eq!(first.groups, 1);
    b.import_bundle(&first.bytes).expect("import");
    // Bea answers with a file for Ana: it tells Ana what Bea holds.
    say(&mut b, &g, "QX two");
    let back = b
        .export_bundle(&BundleScope::Member(a.member_id().to_owned()))
        .expect("for Ana");
    a.import_bundle(&back.bytes).expect("import");
    let space_id = space::space_for_group(&a.conn, &g)
        .expect("q")
        .expect("space")
        .id;
    assert!(!a.known_held_by(&bea, &space_id).expect("known").is_empty());
    // Nothing new: the file for Bea carries no envelope (what she wrote she has).
    let nothing = a
        .export_bundle(&BundleScope::Member(bea.clone()))
        .expect("for Bea");
    assert_eq!(nothing.envelopes, 0, "{nothing:?}");
    let report = b.import_bundle(&nothing.bytes).expect("import");
    assert_eq!(report.groups_up_to_date, 1);
    // One new message: only that travels.
    say(&mut a, &g, "QX three");
    let one = a
        .export_bundle(&BundleScope::Member(bea.clone()))
        .expect("for Bea");
    assert_eq!(one.envelopes, 1, "{one:?}");
    let everything_now = a.export_bundle(&BundleScope::Everything).expect("all");
    assert!(everything_now.envelopes > one.envelopes);
    b.import_bundle(&one.bytes).expect("import");
    assert_eq!(texts(&b, &g), texts(&a, &g));
    // A file for somebody this device shares nothing with is refused in words.
    assert!(matches!(
        a.export_bundle(&BundleScope::Member("Nobody Known".into())),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn one_group_only_and_the_member_own_space_never_goes_to_others() {
    let (mut a, mut others, g) = circle(&["Bea R."]);
    let mut b = others.remove(0);
    carry(&mut b, &mut a);
    let mut fields = group(GroupKind::MutualAid, Admission::Open);
    fields.name = "Walkers".into();
    let g2 = a.create_group(fields).expect("second").id;
    let one = a
        .export_bundle(&BundleScope::Group("Walkers".into()))
        .expect("one group");
    assert_eq!((one.spaces, one.groups), (1, 1));
    let sections = bundle_file::read(&one.bytes).expect("read");
    let walkers = space::space_for_group(&a.conn, &g2)
        .expect("q")
        .expect("s")
        .id;
    assert_eq!(sections[0].section.space, walkers);
    // A file for Bea holds the shared group and their conversation, never Ana's own space.
    a.send_direct(b.member_id(), NewMessage::text("QX hi"))
        .expect("dm");
    let for_bea = a
        .export_bundle(&BundleScope::Member(b.member_id().to_owned()))
        .expect("for Bea");
    let sections = bundle_file::read(&for_bea.bytes).expect("read");
    // Ana's own space (profile and contacts, for her other devices) exists once she pairs one.
    a.set_relay_url(Some("http://relay.test")).expect("relay");
    a.create_pairing().expect("pairing code");
    let personal = space::space_for_group(&a.conn, space::PERSONAL_SCOPE)
        .expect("q")
        .expect("Ana's own space");
    let circle_space = space::space_for_group(&a.conn, &g)
        .expect("q")
        .expect("s")
        .id;
    let spaces: Vec<_> = sections.iter().map(|p| p.section.space).collect();
    assert!(spaces.contains(&circle_space));
    assert!(!spaces.contains(&walkers));
    assert_eq!(spaces.len(), 2, "the group and the pair");
    let for_bea = a
        .export_bundle(&BundleScope::Member(b.member_id().to_owned()))
        .expect("for Bea, again");
    let spaces: Vec<_> = bundle_file::read(&for_bea.bytes)
        .expect("read")
        .into_iter()
        .map(|p| p.section.space)
        .collect();
    assert!(!spaces.contains(&personal.id), "never to another member");
    // It does go to Ana's own devices.
    for scope in [
        BundleScope::Everything,
        BundleScope::Member(a.member_id().to_owned()),
    ] {
        let file = a.export_bundle(&scope).expect("own");
        let spaces: Vec<_> = bundle_file::read(&file.bytes)
            .expect("read")
            .into_iter()
            .map(|p| p.section.space)
            .collect();
        assert!(spaces.contains(&personal.id), "{scope:?}");
    }
}

#[test]
fn a_key_change_learned_by_file_reaches_a_relay_that_never_saw_it() {
    let relay = FakeRelay::default();
    let (a, b, c, g) = {
        let (a, mut others, g) = circle(&["Bea R.", "Cai L."]);
        let (b, c) = (others.remove(0), others.remove(0));
        (Mutex::new(a), Mutex::new(b), Mutex::new(c), g)
    };
    for who in [&a, &b, &c, &a, &b, &c] {
        sync(&relay, who);
    }
    // At the meeting, with no network: Ana removes Cai and hands Bea a file.
    let cai = with(&c, |m| m.member_id().to_owned());
    with(&a, |m| m.remove_member(&g, &cai).expect("remove"));
    with(&a, |m| say(m, &g, "QX after Cai"));
    let file = with(&a, everything);
    with(&b, |m| m.import_bundle(&file).expect("import"));
    // Bea is online first: the relay has never seen the new key, and takes it from Bea.
    with(&b, |m| say(m, &g, "QX Bea online"));
    let report = sync(&relay, &b);
    assert!(report.errors.is_empty(), "{report:?}");
    // Ana comes online: her rekey is already there; she carries on.
    let report = sync(&relay, &a);
    assert!(report.errors.is_empty(), "{report:?}");
    assert!(with(&a, |m| texts(m, &g)).contains(&"QX Bea online".to_owned()));
    // Cai is out, and learns it from the relay.
    let report = sync(&relay, &c);
    assert!(
        report.notices.iter().any(|n| n.contains("removed")),
        "{report:?}"
    );
    assert!(
        !with(&c, |m| texts(m, &g))
            .iter()
            .any(|t| t.contains("QX Bea online"))
    );
}

#[test]
fn two_key_changes_that_never_met_are_refused_in_words_not_as_damage() {
    let (mut a, mut others, g) = circle(&["Bea R.", "Cai L.", "Dani P."]);
    let (mut b, mut c, mut d) = (others.remove(0), others.remove(0), others.remove(0));
    for who in [&mut b, &mut c, &mut d] {
        carry(who, &mut a);
    }
    let bea = b.member_id().to_owned();
    a.set_member_roles(&g, &bea, vec![crate::groups::Role::Facilitator])
        .expect("Bea co-facilitates");
    for who in [&mut b, &mut c, &mut d] {
        carry(&mut a, who);
    }
    // In two places that never meet, each facilitator removes somebody.
    let (cai, dani) = (c.member_id().to_owned(), d.member_id().to_owned());
    a.remove_member(&g, &cai).expect("Ana removes Cai");
    b.remove_member(&g, &dani).expect("Bea removes Dani");
    say(&mut a, &g, "QX from Ana's side");
    let file = everything(&mut a);
    let before = texts(&b, &g);
    let report = b
        .import_bundle(&file)
        .expect("not an error: refused in words");
    assert!(
        report.notices.iter().any(|n| n.contains("another key")),
        "{report:?}"
    );
    assert_eq!(texts(&b, &g), before);
    let again = state(&b);
    b.import_bundle(&file).expect("again");
    assert_eq!(state(&b), again, "the second time changes nothing either");
    let events = b.sync_events(10).expect("events");
    assert!(
        events.iter().any(|e| e.kind == "key_conflict"),
        "{events:?}"
    );
}
