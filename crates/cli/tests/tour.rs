//! The happy path, command by command, read back through `--json`: groups, meetings and the
//! calendar across daylight-saving changes, iCalendar export, contacts across time zones, the
//! journal, the full export, leaving a group, and the projections after many edits.

mod common;

use common::{Data, arg, id, items, strings};
use serde_json::{Value, json};

const CIRCLE: &str = "Tuesday carers' circle";

/// A member in Madrid with one peer-led circle meeting in person.
fn member_with_circle() -> (Data, String) {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    let group = ana.json(&[
        "group",
        "create",
        "--name",
        CIRCLE,
        "--purpose",
        "Peer support for people caring for a family member",
        "--place",
        "Community hall, room 2",
        "--language",
        "es",
        "--guidelines",
        "What is said here stays here.",
    ]);
    (ana, id(&group))
}

/// Adds the monthly circle: second Tuesday, 19:00 Madrid time, 90 minutes.
fn add_monthly(ana: &Data) -> String {
    let saved = ana.json(&[
        "meeting",
        "add",
        "--group",
        CIRCLE,
        "--title",
        "Monthly circle",
        "--start",
        "2026-01-13T19:00",
        "--tz",
        "Europe/Madrid",
        "--duration",
        "90m",
        "--rrule",
        "FREQ=MONTHLY;BYDAY=2TU",
        "--place",
        "Community hall, room 2",
    ]);
    assert!(
        saved["note"].is_null(),
        "19:00 exists every day: no note expected, got {saved}"
    );
    let series = &saved["series"];
    assert_eq!(series["rrule"], "FREQ=MONTHLY;BYDAY=2TU");
    assert_eq!(series["duration_minutes"], 90);
    assert_eq!(series["tz"], "Europe/Madrid");
    assert_eq!(series["format"], "in_person");
    id(series)
}

fn calendar_2026(ana: &Data) -> Value {
    ana.json(&["calendar", "--from", "2026-01-01", "--to", "2026-12-31"])
}

#[test]
fn groups_create_list_show_edit_archive_members_roles() {
    let (ana, circle) = member_with_circle();
    let grief = ana.json(&[
        "group",
        "create",
        "--name",
        "Grief support",
        "--kind",
        "facilitated",
        "--sessions",
        "8",
        "--admission",
        "closed",
        "--online-url",
        "https://meet.example.org/grief",
    ]);
    assert_eq!(grief["kind"], "facilitated");
    assert_eq!(grief["planned_sessions"], 8);
    assert_eq!(grief["admission"], "closed");

    let list = ana.json(&["group", "list"]);
    assert_eq!(
        strings(&list, "name"),
        ["Grief support", CIRCLE],
        "sorted by name"
    );
    assert!(items(&list).iter().all(|g| g["archived"] == false));

    // By id prefix; `show` carries members and meeting series.
    let shown = ana.json(&["group", "show", &circle[..8]]);
    assert_eq!(shown["group"]["id"], circle.as_str());
    assert_eq!(
        shown["group"]["guidelines"],
        "What is said here stays here."
    );
    assert_eq!(shown["group"]["language"], "es");
    assert_eq!(strings(&shown["members"], "pseudonym"), ["Ana G."]);
    assert!(items(&shown["meetings"]).is_empty());

    // Editing changes only what is given; an empty value clears an optional field.
    let edited = ana.json(&[
        "group",
        "edit",
        CIRCLE,
        "--name",
        "Tuesday circle",
        "--admission",
        "closed",
        "--purpose",
        "",
    ]);
    assert_eq!(edited["id"], circle.as_str());
    assert_eq!(edited["name"], "Tuesday circle");
    assert_eq!(edited["admission"], "closed");
    assert!(edited.get("purpose").is_none(), "purpose cleared: {edited}");
    let shown = ana.json(&["group", "show", "tuesday CIRCLE"]);
    assert_eq!(
        shown["group"]["place"], "Community hall, room 2",
        "untouched fields stay"
    );
    assert_eq!(shown["group"]["name"], "Tuesday circle");
    assert!(shown["group"].get("purpose").is_none());

    // Archive hides from the default list; --all shows it; --undo brings it back.
    let archived = ana.json(&["group", "archive", "Tuesday circle"]);
    assert_eq!(archived["archived"], true);
    assert_eq!(
        strings(&ana.json(&["group", "list"]), "name"),
        ["Grief support"]
    );
    let all = ana.json(&["group", "list", "--all"]);
    assert_eq!(strings(&all, "name"), ["Grief support", "Tuesday circle"]);
    assert_eq!(all[1]["archived"], true);
    let back = ana.json(&["group", "archive", "Tuesday circle", "--undo"]);
    assert_eq!(back["archived"], false);
    assert_eq!(items(&ana.json(&["group", "list"])).len(), 2);

    // The creator's roles: co-host of a peer-led group, facilitator of a facilitated one.
    let members = ana.json(&["group", "members", &circle]);
    assert_eq!(items(&members).len(), 1);
    assert_eq!(members[0]["roles"], json!(["member", "co-host"]));
    let member_id = members[0]["member_id"]
        .as_str()
        .expect("member id")
        .to_owned();
    let members = ana.json(&["group", "members", "Grief support"]);
    assert_eq!(members[0]["roles"], json!(["facilitator"]));

    let roles = ana.json(&[
        "group",
        "role",
        "--group",
        "Tuesday circle",
        "--member",
        "Ana G.",
        "--role",
        "service:secretary",
        "--role",
        "facilitator",
    ]);
    assert_eq!(roles["roles"], json!(["facilitator", "service:secretary"]));
    let members = ana.json(&["group", "members", "Tuesday circle"]);
    assert_eq!(members[0]["member_id"], member_id.as_str());
    assert_eq!(
        members[0]["roles"],
        json!(["facilitator", "service:secretary"]),
        "roles persist"
    );
}

#[test]
fn monthly_meeting_across_dst_cancel_move_and_ics() {
    let (ana, circle) = member_with_circle();
    let series = add_monthly(&ana);

    // Second Tuesdays of 2026 at 19:00 Madrid: 18:00Z in winter (CET), 17:00Z in summer (CEST,
    // 29 March to 25 October).
    let expected = [
        ("2026-01-13", 18),
        ("2026-02-10", 18),
        ("2026-03-10", 18),
        ("2026-04-14", 17),
        ("2026-05-12", 17),
        ("2026-06-09", 17),
        ("2026-07-14", 17),
        ("2026-08-11", 17),
        ("2026-09-08", 17),
        ("2026-10-13", 17),
        ("2026-11-10", 18),
        ("2026-12-08", 18),
    ];
    let cal = calendar_2026(&ana);
    assert_eq!(items(&cal).len(), 12, "{cal:#}");
    for (item, (date, hour)) in items(&cal).iter().zip(expected) {
        assert_eq!(item["series_id"], series.as_str());
        assert_eq!(item["group_id"], circle.as_str());
        assert_eq!(item["group_name"], CIRCLE);
        assert_eq!(item["tz"], "Europe/Madrid");
        assert_eq!(item["start_local"], format!("{date}T19:00:00"));
        assert_eq!(item["start_utc"], format!("{date}T{hour}:00:00Z"), "{item}");
        assert_eq!(
            item["end_utc"],
            format!("{date}T{}:30:00Z", hour + 1),
            "90 minutes: {item}"
        );
        assert_eq!(item["moved"], false);
        assert_eq!(item["shifted_by_dst_gap"], false);
    }
    // Showing the calendar in another zone changes the window, not the instants.
    let in_bogota = ana.json(&[
        "calendar",
        "--from",
        "2026-03-10",
        "--to",
        "2026-03-10",
        "--tz",
        "America/Bogota",
    ]);
    assert_eq!(strings(&in_bogota, "start_utc"), ["2026-03-10T18:00:00Z"]);

    // An archived group's meetings leave the calendar, and come back with it.
    ana.json(&["group", "archive", CIRCLE]);
    assert!(
        items(&calendar_2026(&ana)).is_empty(),
        "archived groups have no calendar"
    );
    ana.json(&["group", "archive", CIRCLE, "--undo"]);
    assert_eq!(items(&calendar_2026(&ana)).len(), 12);

    // The hall is closed in August.
    let cancelled = ana.json(&[
        "meeting",
        "cancel",
        "--series",
        "Monthly circle",
        "--on",
        "2026-08-11",
    ]);
    assert_eq!(cancelled["exdates"], json!(["2026-08-11T19:00:00"]));
    let cal = calendar_2026(&ana);
    assert_eq!(items(&cal).len(), 11);
    assert!(
        !strings(&cal, "start_local")
            .iter()
            .any(|s| s.starts_with("2026-08")),
        "{cal:#}"
    );

    // October's meeting moves across the end of summer time, and lasts two hours.
    let moved = ana.json(&[
        "meeting",
        "move",
        "--series",
        &series[..8],
        "--occurrence",
        "2026-10-13T19:00",
        "--to",
        "2026-10-27T19:00",
        "--duration",
        "2h",
    ]);
    assert!(moved["note"].is_null());
    assert_eq!(
        moved["series"]["overrides"]["2026-10-13T19:00:00"],
        json!({ "start": "2026-10-27T19:00:00", "duration_minutes": 120 })
    );
    let cal = calendar_2026(&ana);
    assert_eq!(items(&cal).len(), 11);
    let moved: Vec<&Value> = items(&cal).iter().filter(|o| o["moved"] == true).collect();
    assert_eq!(moved.len(), 1, "exactly one meeting is moved: {cal:#}");
    assert_eq!(moved[0]["original_start"], "2026-10-13T19:00:00");
    assert_eq!(moved[0]["start_local"], "2026-10-27T19:00:00");
    assert_eq!(
        moved[0]["start_utc"], "2026-10-27T18:00:00Z",
        "winter time again on 27 October"
    );
    assert_eq!(moved[0]["end_utc"], "2026-10-27T20:00:00Z");
    assert!(!strings(&cal, "start_local").contains(&"2026-10-13T19:00:00".to_owned()));

    // Restore and cancel again round-trips.
    let restored = ana.json(&[
        "meeting",
        "restore",
        "--series",
        "Monthly circle",
        "--on",
        "2026-08-11",
    ]);
    assert_eq!(restored["exdates"], json!([]));
    assert_eq!(items(&calendar_2026(&ana)).len(), 12);
    ana.json(&[
        "meeting",
        "cancel",
        "--series",
        "Monthly circle",
        "--on",
        "2026-08-11",
    ]);
    assert_eq!(items(&calendar_2026(&ana)).len(), 11);

    let listed = ana.json(&["meeting", "list", "--group", CIRCLE]);
    assert_eq!(strings(&listed, "id"), [series.as_str()]);
    let shown = ana.json(&["meeting", "show", "Monthly circle"]);
    assert_eq!(shown["exdates"], json!(["2026-08-11T19:00:00"]));

    // The same calendar as iCalendar.
    let path = ana.file("circle.ics");
    let written = ana.json(&["calendar", "export", "--group", CIRCLE, "--out", arg(&path)]);
    let bytes = std::fs::read(&path).expect("the .ics file exists");
    assert_eq!(written["bytes"], bytes.len());
    let text = String::from_utf8(bytes).expect("UTF-8");
    let unfolded = text.replace("\r\n ", "").replace("\r\n", "\n");
    let lines: Vec<&str> = unfolded.lines().collect();
    for line in [
        "BEGIN:VCALENDAR",
        "END:VCALENDAR",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Madrid",
        "DTSTART;TZID=Europe/Madrid:20260113T190000",
        "RRULE:FREQ=MONTHLY;BYDAY=2TU",
        "EXDATE;TZID=Europe/Madrid:20260811T190000",
        "RECURRENCE-ID;TZID=Europe/Madrid:20261013T190000",
        "DTSTART;TZID=Europe/Madrid:20261027T190000",
        "SUMMARY:Monthly circle",
    ] {
        assert!(
            lines.contains(&line),
            "{line:?} missing from the .ics:\n{text}"
        );
    }
    assert_eq!(
        lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(),
        2,
        "series + one move"
    );
    assert!(text.contains("\r\n"), "iCalendar lines end with CRLF");
}

/// `meeting cancel --on` takes "the meeting's date (or date and time)": with two meetings a
/// day, the time says which one.
#[test]
fn cancel_honours_the_time_when_a_series_meets_twice_a_day() {
    let ana = Data::init("Ana G.", "UTC");
    ana.json(&["group", "create", "--name", "Circle", "--place", "Hall"]);
    ana.json(&[
        "meeting",
        "add",
        "--group",
        "Circle",
        "--title",
        "Twice",
        "--start",
        "2026-01-05T10:00",
        "--tz",
        "UTC",
        "--duration",
        "1h",
        "--rrule",
        "FREQ=DAILY;BYHOUR=10,18;BYMINUTE=0",
        "--place",
        "Hall",
    ]);
    let day = |date: &str| {
        strings(
            &ana.json(&["calendar", "--from", date, "--to", date]),
            "start_local",
        )
    };
    assert_eq!(
        day("2026-01-06"),
        ["2026-01-06T10:00:00", "2026-01-06T18:00:00"]
    );
    // `move --occurrence` heeds the time...
    ana.json(&[
        "meeting",
        "move",
        "--series",
        "Twice",
        "--occurrence",
        "2026-01-07T18:00",
        "--to",
        "2026-01-07T20:00",
    ]);
    assert_eq!(
        day("2026-01-07"),
        ["2026-01-07T10:00:00", "2026-01-07T20:00:00"]
    );
    // ...and so must `cancel --on`: the 18:00 meeting is the one cancelled.
    let cancelled = ana.json(&[
        "meeting",
        "cancel",
        "--series",
        "Twice",
        "--on",
        "2026-01-06T18:00",
    ]);
    assert_eq!(cancelled["exdates"], json!(["2026-01-06T18:00:00"]));
    assert_eq!(day("2026-01-06"), ["2026-01-06T10:00:00"]);
}

#[test]
fn contacts_and_who_is_reachable_across_zones() {
    let (ana, circle) = member_with_circle();
    let sam = ana.json(&[
        "contact",
        "add",
        "--name",
        "Sam R.",
        "--tz",
        "America/Bogota",
        "--phone",
        "+57 300 000 0000",
        "--available",
        "mon 19:00-22:00",
        "--available",
        "sat 10:00-13:00",
        "--group",
        CIRCLE,
        "--note",
        "Met at the January circle",
    ]);
    let sam_id = id(&sam);
    assert_eq!(sam["time_zone"], "America/Bogota");
    assert_eq!(sam["group_id"], circle.as_str());
    assert_eq!(
        sam["availability"],
        json!([
            { "day": "mon", "start": "19:00", "end": "22:00" },
            { "day": "sat", "start": "10:00", "end": "13:00" },
        ])
    );
    // Without --tz a contact is in my zone.
    let lu = ana.json(&[
        "contact",
        "add",
        "--name",
        "Lu M.",
        "--available",
        "mon-fri 09:00-17:00",
    ]);
    assert_eq!(lu["time_zone"], "Europe/Madrid");
    assert_eq!(items(&lu["availability"]).len(), 5);
    assert_eq!(
        strings(&ana.json(&["contact", "list"]), "pseudonym"),
        ["Lu M.", "Sam R."]
    );
    assert_eq!(
        ana.json(&["contact", "show", &sam_id[..6]])["note"],
        "Met at the January circle"
    );

    let reachable = |at: &str| ana.json(&["contact", "reachable", "--at", at]);
    // 02:30 on a Tuesday in Madrid is still Monday evening in Bogotá. Summer: Madrid is UTC+2,
    // so it is 19:30 there; winter: UTC+1, so 20:30. Sam's window closes at 22:00 Bogotá =
    // 03:00Z either way (Bogotá has no summer time).
    let summer = reachable("2026-07-07T02:30");
    assert_eq!(items(&summer).len(), 1, "{summer:#}");
    assert_eq!(summer[0]["contact"]["id"], sam_id.as_str());
    assert_eq!(summer[0]["their_time"], "2026-07-06T19:30:00");
    assert_eq!(summer[0]["until"], "2026-07-07T03:00:00Z");
    let winter = reachable("2026-12-08T02:30");
    assert_eq!(strings(&winter, "their_time"), ["2026-12-07T20:30:00"]);
    assert_eq!(winter[0]["until"], "2026-12-08T03:00:00Z");
    // 04:30 in Madrid in winter is 22:30 in Bogotá: the window has closed.
    assert!(items(&reachable("2026-12-08T04:30")).is_empty());
    // An RFC 3339 moment: Monday 15:00Z is 16:00 in Madrid (Lu, until 17:00 = 16:00Z) and 10:00
    // in Bogotá (not Sam).
    let afternoon = reachable("2026-12-07T15:00:00Z");
    assert_eq!(items(&afternoon).len(), 1, "{afternoon:#}");
    assert_eq!(afternoon[0]["contact"]["pseudonym"], "Lu M.");
    assert_eq!(afternoon[0]["until"], "2026-12-07T16:00:00Z");

    // Editing and replacing availability.
    let edited = ana.json(&[
        "contact",
        "edit",
        "Sam R.",
        "--phone",
        "",
        "--tz",
        "America/Lima",
    ]);
    assert!(edited.get("phone").is_none(), "phone cleared: {edited}");
    assert_eq!(edited["time_zone"], "America/Lima");
    let windows = ana.json(&[
        "contact",
        "availability",
        "Sam R.",
        "--set",
        "tue 08:00-09:00",
    ]);
    assert_eq!(
        windows,
        json!([{ "day": "tue", "start": "08:00", "end": "09:00" }])
    );
    assert!(
        items(&reachable("2026-12-08T02:30")).is_empty(),
        "Monday window is gone"
    );
    let cleared = ana.json(&["contact", "availability", "Lu M.", "--clear"]);
    assert_eq!(cleared, json!([]));
    assert!(items(&reachable("2026-12-07T15:00:00Z")).is_empty());

    let removed = ana.json(&["contact", "remove", "Lu M."]);
    assert_eq!(removed["pseudonym"], "Lu M.");
    assert_eq!(
        strings(&ana.json(&["contact", "list"]), "pseudonym"),
        ["Sam R."]
    );
}

#[test]
fn journal_add_list_search_edit_delete_mood() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    let hard = ana.json(&[
        "journal",
        "add",
        "Hard week with Mum. Talking at the circle helped; I felt less alone.",
        "--mood",
        "2",
        "--emotion",
        "Anxious",
        "--emotion",
        "hopeful",
        "--tag",
        "caring",
        "--at",
        "2026-11-20T21:00",
    ]);
    let hard_id = id(&hard);
    assert_eq!(
        hard["written_at"], "2026-11-20T20:00:00Z",
        "21:00 Madrid is 20:00Z in November"
    );
    assert_eq!(hard["time_zone"], "Europe/Madrid");
    assert_eq!(
        hard["emotions"],
        json!(["anxious", "hopeful"]),
        "emotions are lower-cased"
    );
    let walk = ana.json(&[
        "journal",
        "add",
        "Slept better after a long walk by the river.",
        "--mood",
        "4",
        "--at",
        "2026-11-21T09:00",
    ]);
    let walk_id = id(&walk);
    // An emotion alone is an entry; 23:30 in Madrid on the 27th is still the 27th there.
    let calm = ana.json(&[
        "journal",
        "add",
        "--emotion",
        "calm",
        "--at",
        "2026-11-27T23:30",
    ]);
    let calm_id = id(&calm);

    let week = ana.json(&["journal", "list", "--by", "week", "--date", "2026-11-20"]);
    assert_eq!(strings(&week, "label"), ["2026-W47"]);
    assert_eq!(
        strings(&week[0]["entries"], "id"),
        [walk_id.clone(), hard_id.clone()],
        "newest first"
    );
    let days = ana.json(&[
        "journal",
        "list",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    assert_eq!(
        strings(&days, "label"),
        ["2026-11-27", "2026-11-21", "2026-11-20"]
    );
    let month = ana.json(&["journal", "list", "--by", "month", "--date", "2026-11-02"]);
    assert_eq!(strings(&month, "label"), ["2026-11"]);
    assert_eq!(items(&month[0]["entries"]).len(), 3);

    let search = |q: &str| ana.json(&["journal", "search", q]);
    let hits = search("alone");
    assert_eq!(items(&hits).len(), 1);
    assert_eq!(hits[0]["entry"]["id"], hard_id.as_str());
    assert!(
        hits[0]["snippet"]
            .as_str()
            .expect("snippet")
            .contains("[alone]"),
        "{hits}"
    );
    assert_eq!(search("walk")[0]["entry"]["id"], walk_id.as_str());
    assert_eq!(
        search("caring")[0]["entry"]["id"],
        hard_id.as_str(),
        "tags are searched"
    );
    assert!(items(&search("nothing-like-this")).is_empty());

    let mood = ana.json(&[
        "journal",
        "mood",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    assert_eq!(
        mood,
        json!([
            { "date": "2026-11-20", "average": 2.0, "count": 1 },
            { "date": "2026-11-21", "average": 4.0, "count": 1 },
        ])
    );

    // Edit by id prefix: new text, mood removed, the rest kept.
    let edited = ana.json(&[
        "journal",
        "edit",
        &hard_id[..6],
        "Hard week. The circle helped me breathe.",
        "--no-mood",
    ]);
    assert!(edited.get("mood").is_none(), "{edited}");
    assert_eq!(edited["emotions"], json!(["anxious", "hopeful"]));
    assert_eq!(edited["written_at"], "2026-11-20T20:00:00Z");
    assert!(
        items(&search("alone")).is_empty(),
        "the old text is no longer found"
    );
    assert_eq!(search("breathe")[0]["entry"]["id"], hard_id.as_str());
    let mood = ana.json(&[
        "journal",
        "mood",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
    ]);
    assert_eq!(strings(&mood, "date"), ["2026-11-21"]);

    let deleted = ana.json(&["journal", "delete", &walk_id]);
    assert_eq!(deleted["id"], walk_id.as_str());
    assert!(items(&search("walk")).is_empty());
    let month = ana.json(&["journal", "list", "--by", "month", "--date", "2026-11-02"]);
    assert_eq!(
        strings(&month[0]["entries"], "id"),
        [calm_id.clone(), hard_id.clone()]
    );
    assert_eq!(
        ana.json(&["journal", "show", &calm_id[..8]])["emotions"],
        json!(["calm"])
    );
    assert_eq!(ana.json(&["status"])["journal_entries"], 2);
}

#[test]
fn export_holds_everything_and_leaving_hides_the_group() {
    let (ana, circle) = member_with_circle();
    add_monthly(&ana);
    ana.json(&[
        "meeting",
        "cancel",
        "--series",
        "Monthly circle",
        "--on",
        "2026-08-11",
    ]);
    ana.json(&[
        "contact",
        "add",
        "--name",
        "Sam R.",
        "--tz",
        "America/Bogota",
        "--group",
        CIRCLE,
    ]);
    let entry = ana.json(&[
        "journal",
        "add",
        "Private words",
        "--mood",
        "3",
        "--at",
        "2026-11-20T21:00",
    ]);

    let export = ana.json(&["export"]);
    assert_eq!(export["format"], "mutua-export");
    assert_eq!(export["profile"]["pseudonym"], "Ana G.");
    assert_eq!(export["profile"]["time_zone"], "Europe/Madrid");
    assert_eq!(strings(&export["groups"], "id"), [circle.as_str()]);
    let group = &export["groups"][0];
    assert_eq!(group["guidelines"], "What is said here stays here.");
    assert_eq!(strings(&group["members"], "pseudonym"), ["Ana G."]);
    assert_eq!(strings(&group["meetings"], "title"), ["Monthly circle"]);
    assert_eq!(
        group["meetings"][0]["exdates"],
        json!(["2026-08-11T19:00:00"])
    );
    assert_eq!(strings(&export["contacts"], "pseudonym"), ["Sam R."]);
    assert_eq!(strings(&export["journal"], "id"), [id(&entry)]);
    assert_eq!(export["journal"][0]["text"], "Private words");

    // To a file: only the member may read it; nothing on stdout.
    let path = ana.file("everything.json");
    let run = ana.ok(&["export", "--out", arg(&path)]);
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert!(
        run.stderr.contains("journal"),
        "the warning mentions the journal: {run:#?}"
    );
    let mut from_file: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("export file")).expect("JSON");
    let mut from_stdout = export.clone();
    for value in [&mut from_file, &mut from_stdout] {
        value.as_object_mut().expect("object").remove("exported_at");
    }
    assert_eq!(from_file, from_stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(
            format!("{:o}", mode & 0o777),
            "600",
            "the export holds the journal in the clear"
        );
    }

    // Leaving: the group, its meetings and its calendar are gone from every view.
    let left = ana.json(&["group", "leave", CIRCLE]);
    assert_eq!(left["id"], circle.as_str());
    assert!(items(&ana.json(&["group", "list", "--all"])).is_empty());
    assert!(items(&ana.json(&["meeting", "list"])).is_empty());
    assert!(items(&calendar_2026(&ana)).is_empty());
    ana.fails_with(&["group", "show", CIRCLE], &["no group matches"]);
    let status = ana.json(&["status"]);
    assert_eq!(status["groups"], 0);
    assert_eq!(status["contacts"], 1, "contacts from the group stay");
    assert_eq!(status["journal_entries"], 1);
    assert!(items(&ana.json(&["export"])["groups"]).is_empty());
}

/// The export holds the journal in the clear: writing it over an existing file must leave that
/// file readable by the member only, as a new one is.
#[cfg(unix)]
#[test]
fn export_over_an_existing_file_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&[
        "journal",
        "add",
        "Private words",
        "--at",
        "2026-11-20T21:00",
        "--mood",
        "3",
    ]);
    let path = ana.file("everything.json");
    std::fs::write(&path, b"old").expect("existing file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    ana.ok(&["export", "--out", arg(&path)]);
    let text = std::fs::read_to_string(&path).expect("export");
    assert!(
        text.contains("Private words"),
        "the file was overwritten with the export"
    );
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(
        format!("{:o}", mode & 0o777),
        "600",
        "an overwritten export stays readable by others"
    );
}

#[test]
fn projections_verify_and_rebuild_after_many_edits() {
    let (ana, _) = member_with_circle();
    let series = add_monthly(&ana);
    for name in ["Grief support", "Morning walkers", "Parents' evening"] {
        ana.json(&[
            "group",
            "create",
            "--name",
            name,
            "--online-url",
            "https://example.org/x",
        ]);
    }
    ana.json(&[
        "group",
        "edit",
        "Morning walkers",
        "--name",
        "Early walkers",
        "--purpose",
        "Walk",
    ]);
    ana.json(&["group", "archive", "Early walkers"]);
    ana.json(&["group", "leave", "Parents' evening"]);
    ana.json(&[
        "group",
        "role",
        "--group",
        CIRCLE,
        "--member",
        "Ana G.",
        "--role",
        "service:greeter",
    ]);
    for day in ["2026-02-10", "2026-04-14", "2026-06-09"] {
        ana.json(&["meeting", "cancel", "--series", &series, "--on", day]);
    }
    ana.json(&[
        "meeting",
        "restore",
        "--series",
        &series,
        "--on",
        "2026-04-14",
    ]);
    ana.json(&[
        "meeting",
        "move",
        "--series",
        &series,
        "--occurrence",
        "2026-05-12",
        "--to",
        "2026-05-13T18:00",
    ]);
    ana.json(&[
        "meeting",
        "edit",
        &series,
        "--title",
        "Circle",
        "--duration",
        "2h",
    ]);
    let once = ana.json(&[
        "meeting",
        "add",
        "--group",
        "Grief support",
        "--title",
        "Intro",
        "--start",
        "2026-09-01T18:00",
        "--tz",
        "America/Bogota",
        "--duration",
        "1h",
        "--once",
        "--online-url",
        "https://example.org/intro",
    ]);
    ana.json(&["meeting", "delete", &id(&once["series"])]);
    for (name, tz) in [
        ("Sam R.", "America/Bogota"),
        ("Lu M.", "Asia/Tokyo"),
        ("Bo K.", "UTC"),
    ] {
        ana.json(&[
            "contact",
            "add",
            "--name",
            name,
            "--tz",
            tz,
            "--available",
            "sat 10:00-12:00",
        ]);
    }
    ana.json(&[
        "contact",
        "edit",
        "Lu M.",
        "--note",
        "Night owl",
        "--available",
        "sun 23:00-02:00",
    ]);
    ana.json(&["contact", "remove", "Bo K."]);
    let mut entries = Vec::new();
    for (i, text) in ["first words", "ánimo y calma", "third entry"]
        .iter()
        .enumerate()
    {
        let at = format!("2026-11-{:02}T20:00", 10 + i);
        let mood = (i + 2).to_string();
        entries.push(id(
            &ana.json(&["journal", "add", text, "--mood", &mood, "--at", &at])
        ));
    }
    ana.json(&[
        "journal",
        "edit",
        &entries[0],
        "first words, edited",
        "--tag",
        "edited",
    ]);
    ana.json(&["journal", "delete", &entries[2]]);

    let before = ana.state();
    let verified = ana.json(&["projections", "verify"]);
    assert_eq!(verified, json!({ "equal": true }));
    assert_eq!(
        ana.json(&["projections", "rebuild"]),
        json!({ "rebuilt": true })
    );
    assert_eq!(
        ana.json(&["projections", "verify"]),
        json!({ "equal": true })
    );
    assert_eq!(
        ana.state(),
        before,
        "rebuilding changes nothing the member can see"
    );

    // What the rebuilt tables answer.
    assert_eq!(
        strings(&ana.json(&["group", "list", "--all"]), "name").len(),
        3
    );
    let hits = ana.json(&["journal", "search", "animo"]);
    assert_eq!(
        strings(&hits, "snippet").len(),
        1,
        "accent-insensitive search after rebuild"
    );
    assert_eq!(hits[0]["entry"]["id"], entries[1].as_str());
    let circle = ana.json(&["meeting", "show", &series]);
    assert_eq!(circle["title"], "Circle");
    assert_eq!(
        circle["exdates"],
        json!(["2026-02-10T19:00:00", "2026-06-09T19:00:00"])
    );
    assert_eq!(
        circle["overrides"]["2026-05-12T19:00:00"]["start"],
        "2026-05-13T18:00:00"
    );
    assert_eq!(
        strings(&ana.json(&["contact", "list"]), "pseudonym"),
        ["Lu M.", "Sam R."]
    );
}
