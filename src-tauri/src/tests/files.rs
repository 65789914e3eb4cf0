//! Exports written to disk, and the window's lack of any dialog permission of its own.

use mutua_api::{ErrorKind, ExportSummary, Group, SavedSeries};
use serde_json::{Value, json};

use super::{Harness, assert_kind, group_form};

fn monthly_series(h: &Harness, group: &str) {
    let _: SavedSeries = h.ok(
        "add_series",
        json!({"group_id": group, "form": {
            "title": "Second-Tuesday meeting",
            "start": "2027-01-12T19:00:00",
            "time_zone": "Europe/Madrid",
            "duration_minutes": 90,
            "rrule": "FREQ=MONTHLY;BYDAY=2TU",
            "format": "in_person",
            "place": "Community hall",
            "online_url": null,
            "phone": null,
            "agenda": null,
        }}),
    );
}

#[test]
fn a_groups_calendar_is_exported_as_ics() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    monthly_series(&h, &group);

    // The member typed a name without the extension: `.ics` is added.
    let chosen = h.scratch().join("tuesday");
    let () = h.ok(
        "export_group_ics",
        json!({"group_id": group, "path": chosen.display().to_string()}),
    );
    let ics = std::fs::read_to_string(h.scratch().join("tuesday.ics")).expect("the .ics file");
    assert!(!chosen.exists());
    for expected in [
        "BEGIN:VCALENDAR",
        "X-WR-CALNAME:Tuesday circle",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Madrid",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU",
        "DTSTART;TZID=Europe/Madrid:20270112T190000",
        "SUMMARY:Second-Tuesday meeting",
        "END:VCALENDAR",
    ] {
        assert!(ics.contains(expected), "missing {expected} in\n{ics}");
    }

    let relative = h.err(
        "export_group_ics",
        json!({"group_id": group, "path": "tuesday.ics"}),
    );
    assert_kind(&relative, ErrorKind::InvalidInput);
    let missing = h.err(
        "export_group_ics",
        json!({"group_id": "0123456789abcdef0123456789abcdef",
               "path": h.scratch().join("x.ics").display().to_string()}),
    );
    assert_kind(&missing, ErrorKind::NotFound);
    assert!(!h.scratch().join("x.ics").exists());
}

#[test]
fn export_all_writes_the_json_and_one_calendar_per_group() {
    let h = Harness::set_up();
    let tuesday = h.group("Tuesday circle");
    monthly_series(&h, &tuesday);
    let other = h.group("Mon/Thu: grief?");
    let _: Group = h.ok("archive_group", json!({"id": other, "archived": true}));
    // Same name, same file name: the second gets a number (which one is second is up to
    // their random ids).
    let _: Group = h.ok("create_group", group_form("Tuesday circle"));
    let _: Value = h.ok(
        "add_entry",
        json!({"text": "Felt heard tonight", "mood": 4, "emotions": [], "tags": [],
               "written_at": "2026-11-24T21:00:00Z"}),
    );
    let _: Value = h.ok(
        "add_contact",
        json!({"pseudonym": "Sam R.", "phone": null, "link": null, "note": null,
               "group_id": null, "time_zone": "Asia/Tokyo", "availability": []}),
    );

    let folder = h.scratch();
    let summary: ExportSummary = h.ok(
        "export_all",
        json!({"folder": folder.display().to_string()}),
    );
    let names: Vec<String> = summary
        .files
        .iter()
        .map(|f| {
            let path = std::path::Path::new(f);
            assert!(path.is_absolute() && path.is_file(), "{f}");
            path.file_name()
                .and_then(|n| n.to_str())
                .expect("a file name")
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "mutua-export.json",
            "Tuesday circle.ics",
            "Tuesday circle (2).ics",
            "Mon_Thu_ grief_.ics",
        ]
    );

    let json: Value = serde_json::from_slice(
        &std::fs::read(folder.join("mutua-export.json")).expect("the export"),
    )
    .expect("valid JSON");
    assert_eq!(json["format"], "mutua-export");
    assert_eq!(json["profile"]["pseudonym"], "Ana G.");
    assert_eq!(json["groups"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["journal"][0]["text"], "Felt heard tonight");
    assert_eq!(json["contacts"][0]["pseudonym"], "Sam R.");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder.join("mutua-export.json"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the journal is for the member only");
    }
    let with_rule = ["Tuesday circle.ics", "Tuesday circle (2).ics"]
        .iter()
        .map(|name| std::fs::read_to_string(folder.join(name)).expect("calendar"))
        .filter(|ics| ics.contains("RRULE:FREQ=MONTHLY;BYDAY=2TU"))
        .count();
    assert_eq!(with_rule, 1);
    let archived_ics =
        std::fs::read_to_string(folder.join("Mon_Thu_ grief_.ics")).expect("calendar");
    assert!(archived_ics.contains("X-WR-CALNAME:Mon/Thu: grief?"));
    assert!(!archived_ics.contains("BEGIN:VEVENT"));

    let nowhere = h.err(
        "export_all",
        json!({"folder": folder.join("no such folder").display().to_string()}),
    );
    assert_kind(&nowhere, ErrorKind::InvalidInput);
}

#[test]
fn the_window_cannot_open_dialogs_by_itself() {
    // The dialog plugin is registered (the shell opens dialogs from Rust), but no capability
    // grants its commands to the window.
    let h = Harness::new();
    let denied = h.invoke_raw("plugin:dialog|save", json!({"options": {}}));
    let error = denied.expect_err("the window may not call the dialog plugin");
    assert!(error.to_string().contains("not allowed"), "{error}");
}
