//! First run, locking, the profile, Today, and deleting everything.

use chrono::{Duration, Utc};
use mutua_api::{AppInfo, ErrorKind, Group, Profile, Protection, SavedSeries, SessionState, Today};
use serde_json::{Value, json};

use super::{Harness, PASSPHRASE, assert_kind};

#[test]
fn app_info_answers_with_the_package_version() {
    let h = Harness::new();
    let info: AppInfo = h.ok("app_info", Value::Null);
    // `mock_context` reports version 0.1.0 for its package.
    assert_eq!(info.version, "0.1.0");
    assert!(!info.data_dir_present, "a first run has no data folder yet");
}

#[test]
fn unknown_commands_are_rejected() {
    let h = Harness::new();
    assert!(h.invoke("no_such_command", Value::Null).is_err());
}

#[test]
fn a_first_run_sets_up_a_passphrase_protected_member() {
    let h = Harness::new();
    let state: SessionState = h.ok("session_state", Value::Null);
    assert!(!state.initialised && !state.unlocked);
    assert_eq!(state.protection, None);

    let locked = h.err("profile", Value::Null);
    assert_kind(&locked, ErrorKind::Locked);
    assert_eq!(locked.message, "Set up Mutua first.");

    let profile: Profile = h.ok(
        "setup",
        json!({
            "pseudonym": "  Ana G. ",
            "passphrase": PASSPHRASE,
            "language": "es",
            "time_zone": "America/Bogota",
        }),
    );
    let expected = Profile {
        pseudonym: "Ana G.".into(),
        language: Some("es".into()),
        time_zone: Some("America/Bogota".into()),
    };
    assert_eq!(profile, expected);
    assert_eq!(h.ok::<Profile>("profile", Value::Null), expected);

    let state: SessionState = h.ok("session_state", Value::Null);
    assert!(state.initialised && state.unlocked);
    assert_eq!(state.protection, Some(Protection::Passphrase));
    assert!(h.ok::<AppInfo>("app_info", Value::Null).data_dir_present);
    assert!(h.data_dir().join("mutua.db").is_file());

    // A second setup is refused, and the first member's data is untouched.
    let again = h.err(
        "setup",
        json!({"pseudonym": "Bo K.", "passphrase": PASSPHRASE, "language": null, "time_zone": null}),
    );
    assert_kind(&again, ErrorKind::InvalidInput);
    assert_eq!(h.ok::<Profile>("profile", Value::Null), expected);
}

#[test]
fn a_refused_setup_leaves_nothing_behind() {
    let h = Harness::new();
    let setup = |pseudonym: &str, passphrase: &str, zone: &str, language: &str| {
        h.err(
            "setup",
            json!({
                "pseudonym": pseudonym,
                "passphrase": passphrase,
                "language": language,
                "time_zone": zone,
            }),
        )
    };
    let short = setup("Ana G.", "short", "Europe/Madrid", "es");
    assert_kind(&short, ErrorKind::InvalidInput);
    assert!(short.message.contains("at least 8 characters"), "{short}");

    let phone = setup("+34 612 345 678", PASSPHRASE, "Europe/Madrid", "es");
    assert_kind(&phone, ErrorKind::InvalidInput);
    assert!(phone.message.contains("phone number"), "{phone}");

    // These two are refused only after the data was created: it is removed again.
    let zone = setup("Ana G.", PASSPHRASE, "Mars/Olympus", "es");
    assert_kind(&zone, ErrorKind::InvalidInput);
    assert!(zone.message.contains("time zone"), "{zone}");
    let language = setup("Ana G.", PASSPHRASE, "Europe/Madrid", "xx");
    assert_kind(&language, ErrorKind::InvalidInput);

    let state: SessionState = h.ok("session_state", Value::Null);
    assert!(!state.initialised && !state.unlocked, "{state:?}");
    let _: Profile = h.ok(
        "setup",
        json!({"pseudonym": "Ana G.", "passphrase": PASSPHRASE, "language": "es", "time_zone": "Europe/Madrid"}),
    );
}

#[test]
fn setup_without_a_time_zone_takes_the_systems() {
    let h = Harness::new();
    let profile: Profile = h.ok(
        "setup",
        json!({"pseudonym": "Ana G.", "passphrase": PASSPHRASE, "language": null, "time_zone": null}),
    );
    let zone = profile.time_zone.expect("a zone is always set");
    assert!(zone.parse::<chrono_tz::Tz>().is_ok(), "{zone}");
    assert_eq!(profile.language, None);
}

#[test]
fn a_locked_store_answers_locked_until_the_right_passphrase() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let () = h.ok("lock", Value::Null);

    let state: SessionState = h.ok("session_state", Value::Null);
    assert!(state.initialised && !state.unlocked);
    assert_eq!(state.protection, Some(Protection::Passphrase));
    // The unlock screen can speak the member's language before anything is decrypted.
    assert_eq!(state.language.as_deref(), Some("es"));
    for (cmd, request) in [
        ("profile", Value::Null),
        ("today", Value::Null),
        ("groups", json!({"include_archived": true})),
        ("group", json!({"id": group})),
        (
            "calendar",
            json!({"from": "2027-01-01", "to": "2027-01-31"}),
        ),
        ("contacts", Value::Null),
        ("search_journal", json!({"query": "anything"})),
        ("export_all", json!({"folder": "/tmp"})),
        ("delete_everything", json!({"confirm": "Ana G."})),
    ] {
        let error = h.err(cmd, request);
        assert_kind(&error, ErrorKind::Locked);
        assert_eq!(error.message, "Unlock Mutua first.", "{cmd}");
    }

    let wrong = h.err("unlock", json!({"passphrase": "correct horse battery!"}));
    assert_kind(&wrong, ErrorKind::WrongPassphrase);
    assert!(!h.ok::<SessionState>("session_state", Value::Null).unlocked);
    let missing = h.err("unlock", json!({"passphrase": null}));
    assert_kind(&missing, ErrorKind::Locked);
    assert!(missing.message.contains("passphrase"), "{missing}");

    let profile: Profile = h.ok("unlock", json!({"passphrase": PASSPHRASE}));
    assert_eq!(profile.pseudonym, "Ana G.");
    assert!(h.ok::<SessionState>("session_state", Value::Null).unlocked);
    let groups: Vec<Group> = h.ok("groups", json!({"include_archived": false}));
    assert_eq!(groups.len(), 1, "the data survived locking");
    // Unlocking what is open just answers the profile.
    let again: Profile = h.ok("unlock", json!({"passphrase": PASSPHRASE}));
    assert_eq!(again, profile);
}

#[test]
fn the_profile_is_updated_all_or_nothing() {
    let h = Harness::set_up();
    let updated: Profile = h.ok(
        "update_profile",
        json!({"pseudonym": "Ana García R.", "language": "en", "time_zone": "America/Santiago"}),
    );
    assert_eq!(
        updated,
        Profile {
            pseudonym: "Ana García R.".into(),
            language: Some("en".into()),
            time_zone: Some("America/Santiago".into()),
        }
    );
    for bad in [
        json!({"pseudonym": "Ana", "language": "en", "time_zone": "Mars/Olympus"}),
        json!({"pseudonym": "ana@example.org", "language": "es", "time_zone": null}),
        json!({"pseudonym": "Ana", "language": "xx", "time_zone": "Europe/Rome"}),
    ] {
        assert_kind(&h.err("update_profile", bad), ErrorKind::InvalidInput);
    }
    assert_eq!(h.ok::<Profile>("profile", Value::Null), updated);
}

#[test]
fn time_zones_are_the_sorted_iana_names() {
    let h = Harness::new();
    let zones: Vec<String> = h.ok("time_zones", Value::Null);
    assert!(zones.len() > 400, "{}", zones.len());
    assert!(zones.windows(2).all(|w| w[0] < w[1]));
    for zone in ["Europe/Madrid", "America/Bogota", "America/Santiago", "UTC"] {
        assert!(zones.iter().any(|z| z == zone), "{zone}");
    }
}

#[test]
fn today_shows_the_next_meetings_who_is_reachable_and_the_latest_entries() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let _: SavedSeries = h.ok(
        "add_series",
        json!({
            "group_id": group,
            "form": {
                "title": "Daily check-in",
                "start": format!("{tomorrow}T10:00:00"),
                "time_zone": "Europe/Madrid",
                "duration_minutes": 30,
                "rrule": "FREQ=DAILY",
                "format": "online",
                "place": null,
                "online_url": "https://meet.example.org/circle",
                "phone": null,
                "agenda": null,
            },
        }),
    );
    let always: Vec<Value> = (0..7)
        .map(|day| json!({"weekday": day, "start": 0, "end": 1440}))
        .collect();
    let _: Value = h.ok(
        "add_contact",
        json!({
            "pseudonym": "Sam R.", "phone": null, "link": null, "note": null, "group_id": null,
            "time_zone": "Asia/Tokyo", "availability": always,
        }),
    );
    for i in 0..7 {
        let _: Value = h.ok(
            "add_entry",
            json!({"text": format!("entry {i}"), "mood": 3, "emotions": [], "tags": [], "written_at": null}),
        );
    }

    let today: Today = h.ok("today", Value::Null);
    assert_eq!(today.pseudonym, "Ana G.");
    assert_eq!(today.next_meetings.len(), 5, "at most five meetings");
    assert!(
        today
            .next_meetings
            .windows(2)
            .all(|w| w[0].start_utc < w[1].start_utc)
    );
    assert!(
        today
            .next_meetings
            .iter()
            .all(|m| m.start_utc > today.now_utc)
    );
    assert_eq!(today.reachable.len(), 1);
    assert_eq!(today.reachable[0].contact.form.pseudonym, "Sam R.");
    assert_eq!(today.recent_entries.len(), 5, "the latest five entries");
}

#[test]
fn delete_everything_asks_for_the_name_then_removes_the_data() {
    let h = Harness::set_up();
    h.group("Tuesday circle");
    let wrong = h.err("delete_everything", json!({"confirm": "Ana"}));
    assert_kind(&wrong, ErrorKind::InvalidInput);
    assert!(!wrong.message.contains("Ana G."), "no content in errors");
    assert!(
        h.data_dir().join("mutua.db").is_file(),
        "nothing was deleted"
    );
    assert_eq!(
        h.ok::<Vec<Group>>("groups", json!({"include_archived": true}))
            .len(),
        1
    );

    let () = h.ok("delete_everything", json!({"confirm": "  ana g. "}));
    for file in ["mutua.db", "mutua.db-wal", "mutua.db-shm", "keyinfo.json"] {
        assert!(!h.data_dir().join(file).exists(), "{file} is still there");
    }
    assert!(!h.data_dir().exists(), "the empty data folder goes too");
    let state: SessionState = h.ok("session_state", Value::Null);
    assert!(!state.initialised && !state.unlocked);
    assert_eq!(h.err("profile", Value::Null).message, "Set up Mutua first.");

    // A new start is possible straight away.
    let _: Profile = h.ok(
        "setup",
        json!({"pseudonym": "Bo K.", "passphrase": PASSPHRASE, "language": null, "time_zone": "UTC"}),
    );
    assert!(
        h.ok::<Vec<Group>>("groups", json!({"include_archived": true}))
            .is_empty()
    );
}
