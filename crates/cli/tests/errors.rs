//! Failures: exit code 1, nothing on stdout, one line on stderr that starts with `mutua:` and
//! says what is wrong, and the member's data exactly as it was before.

mod common;

use common::{Data, arg, id, items, strings};

fn member_with_monthly_circle() -> (Data, String) {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Circle", "--place", "Hall"]);
    let saved = ana.json(&[
        "meeting",
        "add",
        "--group",
        "Circle",
        "--title",
        "Monthly",
        "--start",
        "2026-01-13T19:00",
        "--tz",
        "Europe/Madrid",
        "--duration",
        "90m",
        "--rrule",
        "FREQ=MONTHLY;BYDAY=2TU",
        "--place",
        "Hall",
    ]);
    (ana, id(&saved["series"]))
}

/// `meeting add` to the circle with these fields replaced.
fn add_meeting<'a>(changes: &[(&'a str, &'a str)]) -> Vec<&'a str> {
    let mut fields = vec![
        ("--title", "Weekly"),
        ("--start", "2026-01-13T19:00"),
        ("--tz", "Europe/Madrid"),
        ("--duration", "1h"),
        ("--rrule", "FREQ=WEEKLY;BYDAY=TU"),
        ("--place", "Hall"),
    ];
    for (flag, value) in changes {
        match fields.iter_mut().find(|(f, _)| f == flag) {
            Some(field) => field.1 = value,
            None => fields.push((flag, value)),
        }
    }
    let mut args = vec!["meeting", "add", "--group", "Circle"];
    for (flag, value) in fields {
        args.extend([flag, value]);
    }
    args
}

/// Flags to change in [`add_meeting`], and what the error must say.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn bad_meeting_input_is_refused_in_one_line_and_changes_nothing() {
    let (ana, series) = member_with_monthly_circle();
    // The base arguments are fine: one such meeting can be added (then removed again).
    let probe = ana.json(&add_meeting(&[]));
    ana.json(&["meeting", "delete", &id(&probe["series"])]);
    let before = ana.state();

    let cases: &[Case<'_>] = &[
        (
            &[("--rrule", "FREQ=SOMETIMES")],
            &["repeat rule", "FREQ=SOMETIMES", "not valid"],
        ),
        (&[("--rrule", "FREQ=WEEKLY;BYDAY=XX")], &["repeat rule"]),
        (
            &[("--start", "2026-01-14T19:00")],
            &["not one of the dates of the repeat rule"],
        ),
        (
            &[("--rrule", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20250101T000000")],
            &["ends"],
        ),
        (
            &[("--tz", "Europe/Madird")],
            &["unknown time zone", "Europe/Madird", "Europe/Madrid"],
        ),
        (&[("--tz", "CEST+2")], &["unknown time zone"]),
        (&[("--duration", "0")], &["more than 0", "not 0"]),
        (&[("--duration", "0m")], &["more than 0"]),
        (&[("--duration", "25h")], &["1440"]),
        (&[("--duration", "soon")], &["not a duration"]),
        (
            &[("--start", "13/01/2026 19:00")],
            &["not a date and time", "2026-01-06T19:00"],
        ),
        (
            &[("--online-url", "javascript:alert(1)")],
            &["not a web link"],
        ),
        (&[("--title", "   ")], &["title"]),
    ];
    for (changes, needles) in cases {
        ana.fails_with(&add_meeting(changes), needles);
    }
    // `--format online` without a link.
    ana.fails_with(&add_meeting(&[("--format", "online")]), &["needs a link"]);

    let s = series.as_str();
    ana.fails_with(
        &["meeting", "edit", s, "--tz", "Nowhere/City"],
        &["unknown time zone"],
    );
    ana.fails_with(
        &["meeting", "edit", s, "--rrule", "FREQ=DAILY;COUNT=x"],
        &["repeat rule"],
    );
    ana.fails_with(&["meeting", "edit", s, "--duration", "0"], &["more than 0"]);
    // Moving to an impossible time: ending when it starts, or a meeting that does not exist.
    ana.fails_with(
        &[
            "meeting",
            "move",
            "--series",
            s,
            "--occurrence",
            "2026-02-10",
            "--to",
            "2026-02-11T19:00",
            "--duration",
            "0",
        ],
        &["end before"],
    );
    ana.fails_with(
        &[
            "meeting",
            "move",
            "--series",
            s,
            "--occurrence",
            "2026-01-14",
            "--to",
            "2026-01-15T19:00",
        ],
        &["no meeting on 2026-01-14"],
    );
    ana.fails_with(
        &[
            "meeting",
            "move",
            "--series",
            s,
            "--occurrence",
            "2026-02-10",
            "--to",
            "next week",
        ],
        &["not a date and time"],
    );
    ana.fails_with(
        &["meeting", "cancel", "--series", s, "--on", "2026-01-20"],
        &["no meeting on 2026-01-20"],
    );
    ana.fails_with(
        &["meeting", "restore", "--series", s, "--on", "2026-01-13"],
        &["no cancelled meeting"],
    );
    ana.fails_with(
        &["calendar", "--from", "2026-02-01", "--to", "2026-01-01"],
        &["--to (2026-01-01) is before --from (2026-02-01)"],
    );
    ana.fails_with(&["calendar", "--from", "1 Feb"], &["not a date"]);
    ana.fails_with(
        &["calendar", "--tz", "Mars/Olympus"],
        &["unknown time zone"],
    );

    // Other records refuse bad input the same way.
    ana.fails_with(
        &["group", "create", "--name", "X", "--online-url", "ftp://x"],
        &["not a web link"],
    );
    ana.fails_with(
        &["group", "create", "--name", "X", "--sessions", "4"],
        &["facilitated"],
    );
    ana.fails_with(&["group", "create", "--place", "Hall"], &["--name"]);
    ana.fails_with(
        &[
            "group", "role", "--group", "Circle", "--member", "Ana G.", "--role", "boss",
        ],
        &["unknown role"],
    );
    ana.fails_with(
        &["contact", "add", "--name", "612 345 678"],
        &["phone number"],
    );
    ana.fails_with(
        &["contact", "add", "--name", "Sam R.", "--tz", "Bogota"],
        &["unknown time zone"],
    );
    ana.fails_with(
        &[
            "contact",
            "add",
            "--name",
            "Sam R.",
            "--available",
            "someday",
        ],
        &["availability window"],
    );
    ana.fails_with(
        &[
            "contact",
            "add",
            "--name",
            "Sam R.",
            "--available",
            "mon 19:00-19:00",
        ],
        &["empty"],
    );
    ana.fails_with(
        &["contact", "add", "--name", "Sam R.", "--phone", "call me"],
        &["not a phone number"],
    );
    ana.fails_with(
        &["journal", "add", "Hello", "--mood", "9"],
        &["out of range"],
    );
    ana.fails_with(
        &["journal", "add", "--tag", "empty"],
        &["needs some text, a mood or an emotion"],
    );
    ana.fails_with(
        &["journal", "list", "--to", "2026-01-01"],
        &["--to needs --from"],
    );
    ana.fails_with(
        &["profile", "set", "--tz", "Atlantis"],
        &["unknown time zone"],
    );
    ana.fails_with(&["profile", "set", "--language", "xx"], &["not available"]);

    assert_eq!(
        ana.state(),
        before,
        "failed commands must not change anything"
    );
}

#[test]
fn dst_gap_start_is_moved_forward_with_a_note() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Circle", "--place", "Hall"]);
    // 02:30 does not exist in Madrid on 29 March 2026: the clocks jump from 02:00 to 03:00.
    let run = ana.ok(&[
        "--json",
        "meeting",
        "add",
        "--group",
        "Circle",
        "--title",
        "Night owls",
        "--start",
        "2026-03-29T02:30",
        "--tz",
        "Europe/Madrid",
        "--duration",
        "1h",
        "--once",
        "--place",
        "Hall",
    ]);
    let note = run.stderr.trim_end();
    assert!(!note.contains('\n'), "one note line: {note:?}");
    assert!(note.starts_with("note: "), "{note:?}");
    assert!(
        note.contains("02:30") && note.contains("03:30"),
        "says when it starts instead: {note:?}"
    );
    let saved: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert!(
        saved["note"]
            .as_str()
            .expect("note in JSON")
            .contains("03:30")
    );
    assert_eq!(
        saved["series"]["start"], "2026-03-29T02:30:00",
        "kept as the member typed it"
    );

    let cal = ana.json(&["calendar", "--from", "2026-03-29", "--to", "2026-03-29"]);
    assert_eq!(items(&cal).len(), 1, "{cal:#}");
    assert_eq!(cal[0]["start_local"], "2026-03-29T03:30:00");
    assert_eq!(cal[0]["start_utc"], "2026-03-29T01:30:00Z");
    assert_eq!(cal[0]["end_utc"], "2026-03-29T02:30:00Z");
    assert_eq!(cal[0]["shifted_by_dst_gap"], true);

    // A weekly 02:30 series that starts before the change: no note, and only the one meeting
    // in the gap is shifted.
    let run = ana.ok(&[
        "--json",
        "meeting",
        "add",
        "--group",
        "Circle",
        "--title",
        "Sunday vigil",
        "--start",
        "2026-03-22T02:30",
        "--tz",
        "Europe/Madrid",
        "--duration",
        "30m",
        "--rrule",
        "FREQ=WEEKLY;BYDAY=SU",
        "--place",
        "Hall",
    ]);
    assert!(run.stderr.is_empty(), "02:30 exists on 22 March: {run:#?}");
    let cal = ana.json(&["calendar", "--from", "2026-03-22", "--to", "2026-04-05"]);
    let vigil: Vec<_> = items(&cal)
        .iter()
        .filter(|o| o["title"] == "Sunday vigil")
        .collect();
    let utc: Vec<_> = vigil
        .iter()
        .map(|o| o["start_utc"].as_str().expect("utc"))
        .collect();
    assert_eq!(
        utc,
        [
            "2026-03-22T01:30:00Z",
            "2026-03-29T01:30:00Z",
            "2026-04-05T00:30:00Z"
        ]
    );
    let shifted: Vec<_> = vigil
        .iter()
        .map(|o| o["shifted_by_dst_gap"] == true)
        .collect();
    assert_eq!(shifted, [false, true, false]);

    // 02:30 on 25 October happens twice (the clocks go back): the first one, still summer time.
    ana.json(&[
        "meeting",
        "add",
        "--group",
        "Circle",
        "--title",
        "Twice",
        "--start",
        "2026-10-25T02:30",
        "--tz",
        "Europe/Madrid",
        "--duration",
        "1h",
        "--once",
        "--place",
        "Hall",
    ]);
    let cal = ana.json(&["calendar", "--from", "2026-10-25", "--to", "2026-10-25"]);
    let twice: Vec<_> = items(&cal)
        .iter()
        .filter(|o| o["title"] == "Twice")
        .collect();
    assert_eq!(twice.len(), 1, "{cal:#}");
    assert_eq!(twice[0]["start_utc"], "2026-10-25T00:30:00Z");
}

#[test]
fn unknown_and_ambiguous_names_are_reported() {
    let (ana, _) = member_with_monthly_circle();
    let before = ana.state();
    ana.fails_with(
        &["group", "show", "nosuchgroup"],
        &["no group matches \"nosuchgroup\""],
    );
    ana.fails_with(&["group", "members", "nosuchgroup"], &["no group matches"]);
    ana.fails_with(
        &["group", "edit", "nosuchgroup", "--name", "X"],
        &["no group matches"],
    );
    ana.fails_with(&["group", "archive", "nosuchgroup"], &["no group matches"]);
    ana.fails_with(&["group", "leave", "nosuchgroup"], &["no group matches"]);
    ana.fails_with(
        &[
            "group", "role", "--group", "Circle", "--member", "Nobody", "--role", "member",
        ],
        &["no member matches"],
    );
    ana.fails_with(
        &["meeting", "show", "nosuchmeeting"],
        &["no meeting series matches"],
    );
    ana.fails_with(
        &[
            "meeting",
            "add",
            "--group",
            "nosuchgroup",
            "--title",
            "T",
            "--start",
            "2026-01-13T19:00",
            "--tz",
            "UTC",
            "--duration",
            "1h",
            "--once",
            "--place",
            "Hall",
        ],
        &["no group matches"],
    );
    ana.fails_with(
        &["meeting", "delete", "nosuchmeeting"],
        &["no meeting series matches"],
    );
    ana.fails_with(&["contact", "show", "Nobody"], &["no contact matches"]);
    ana.fails_with(&["contact", "remove", "Nobody"], &["no contact matches"]);
    ana.fails_with(
        &["journal", "show", "deadbeef"],
        &["no journal entry matches"],
    );
    ana.fails_with(
        &["journal", "delete", "not-an-id"],
        &["no journal entry matches"],
    );
    ana.fails_with(
        &[
            "calendar",
            "export",
            "--group",
            "nosuchgroup",
            "--out",
            arg(&ana.file("x.ics")),
        ],
        &["no group matches"],
    );
    assert!(
        !ana.file("x.ics").exists(),
        "no file for a group that does not exist"
    );
    assert_eq!(ana.state(), before);

    // Two groups with one name: the name is ambiguous, the ids are not.
    let other = id(&ana.json(&["group", "create", "--name", "circle", "--place", "Park"]));
    let before = ana.state();
    ana.fails_with(
        &["group", "show", "Circle"],
        &["matches more than one group", &other[..8]],
    );
    ana.fails_with(
        &["group", "edit", "Circle", "--place", "Moon"],
        &["more than one"],
    );
    assert_eq!(
        ana.json(&["group", "show", &other])["group"]["place"],
        "Park"
    );
    assert_eq!(ana.state(), before);
}

#[test]
fn unlocking_needs_the_right_passphrase() {
    let (ana, _) = member_with_monthly_circle();
    let before = ana.state();

    let mut wrong = ana.command();
    wrong
        .env("MUTUA_PASSPHRASE", "not the passphrase")
        .args(["group", "create", "--name", "New"]);
    let line = Data::run_command(wrong)
        .assert_error("wrong passphrase")
        .to_owned();
    assert!(line.contains("passphrase is wrong"), "{line}");

    let mut none = ana.command();
    none.env_remove("MUTUA_PASSPHRASE").args(["group", "list"]);
    let line = Data::run_command(none)
        .assert_error("no passphrase, no terminal")
        .to_owned();
    assert!(
        line.contains("passphrase is needed") && line.contains("MUTUA_PASSPHRASE"),
        "{line}"
    );

    assert_eq!(
        ana.state(),
        before,
        "the right passphrase still opens everything as it was"
    );
}

#[test]
fn setup_errors_create_nothing() {
    let data = Data::empty();
    // Before init: every command says to run `mutua init`, and creates nothing.
    for args in [
        &["group", "list"][..],
        &["status"],
        &["journal", "add", "hello"],
        &["export"],
    ] {
        data.fails_with(args, &["no Mutua data here yet", "mutua init"]);
    }
    assert!(
        !data.dir.exists(),
        "reading must not create the data directory"
    );

    // Refused before anything is written.
    data.fails_with(
        &["init", "--name", "+34 612 345 678"],
        &["phone number", "Sam R."],
    );
    data.fails_with(&["init", "--name", "sam@example.org"], &["e-mail"]);
    data.fails_with(
        &["init", "--name", "Ana G.", "--tz", "Mars/Olympus"],
        &["unknown time zone"],
    );
    data.fails_with(
        &["init", "--name", "Ana G.", "--language", "xx"],
        &["not available"],
    );
    let mut no_passphrase = data.command();
    no_passphrase
        .env_remove("MUTUA_PASSPHRASE")
        .args(["init", "--name", "Ana G."]);
    let line = Data::run_command(no_passphrase)
        .assert_error("init without a passphrase")
        .to_owned();
    assert!(line.contains("MUTUA_PASSPHRASE"), "{line}");
    let mut short = data.command();
    short
        .env("MUTUA_PASSPHRASE", "short")
        .args(["init", "--name", "Ana G."]);
    let line = Data::run_command(short)
        .assert_error("short passphrase")
        .to_owned();
    assert!(line.contains("at least 8 characters"), "{line}");
    data.fails_with(&["status"], &["mutua init"]);

    // The first good init works; a second one is refused and touches nothing, even with
    // another passphrase.
    let profile = data.json(&[
        "init",
        "--name",
        "Ana G.",
        "--tz",
        "America/Bogota",
        "--language",
        "es",
    ]);
    assert_eq!(profile["pseudonym"], "Ana G.");
    assert_eq!(profile["language"], "es");
    assert_eq!(profile["time_zone"], "America/Bogota");
    data.json(&["group", "create", "--name", "Circle", "--place", "Hall"]);
    let before = data.state();
    data.fails_with(&["init", "--name", "Bea L."], &["already exists"]);
    let mut other = data.command();
    other
        .env("MUTUA_PASSPHRASE", "another passphrase")
        .args(["init", "--name", "Bea L."]);
    Data::run_command(other).assert_error("init twice with another passphrase");
    assert_eq!(
        data.state(),
        before,
        "the first passphrase still opens the same data"
    );

    // Pseudonyms stay pseudonyms after setup too.
    data.fails_with(
        &["profile", "set", "--name", "+34 612 345 678"],
        &["phone number"],
    );
    assert_eq!(data.json(&["profile", "show"])["pseudonym"], "Ana G.");
    assert_eq!(data.state(), before);
}

#[test]
fn damaged_and_foreign_change_files_change_nothing() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&[
        "group",
        "create",
        "--name",
        "Grief support",
        "--place",
        "Library",
    ]);
    ana.json(&[
        "contact",
        "add",
        "--name",
        "Sam R.",
        "--tz",
        "America/Bogota",
    ]);
    let file = ana.file("all.mch");
    let report = ana.json(&["changes", "export", "--out", arg(&file)]);
    assert!(report["changes"].as_u64().expect("count") >= 2, "{report}");
    let good = std::fs::read(&file).expect("change file");

    let bea = Data::init("Ana G.", "Europe/Madrid");
    bea.json(&["group", "create", "--name", "Mine", "--place", "Home"]);
    let before = bea.state();

    let write = |name: &str, bytes: &[u8]| {
        let path = bea.file(name);
        std::fs::write(&path, bytes).expect("write test file");
        path
    };
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let mut newer = good.clone();
    newer[7] = b'9';
    let vector = bea.file("vector.json");
    bea.json(&["changes", "vector", "--out", arg(&vector)]);
    let cases: Vec<(std::path::PathBuf, &[&str])> = vec![
        (
            write("zip.mch", b"PK\x03\x04 this is a zip file"),
            &["not a Mutua change file"],
        ),
        (write("empty.mch", b""), &["not a Mutua change file"]),
        (vector.clone(), &["not a Mutua change file"]),
        (
            write("newer.mch", &newer),
            &["not a Mutua change file", "newer"],
        ),
        (
            write("truncated.mch", &good[..good.len() - 7]),
            &["damaged", "nothing was imported"],
        ),
        (
            write("flipped.mch", &flipped),
            &["damaged", "nothing was imported"],
        ),
        (bea.file("missing.mch"), &["could not read"]),
    ];
    for (path, needles) in &cases {
        bea.fails_with(&["changes", "import", arg(path)], needles);
    }
    // A vector that is not one: refused before any file is written.
    let out = bea.file("never.mch");
    bea.fails_with(
        &[
            "changes",
            "export",
            "--since",
            arg(&file),
            "--out",
            arg(&out),
        ],
        &["not a Mutua vector file"],
    );
    assert!(!out.exists());
    assert_eq!(bea.state(), before, "nothing changed");

    // The intact file does import: the failures above were about the damage.
    let report = bea.json(&["changes", "import", arg(&write("good.mch", &good))]);
    assert!(report["new"].as_u64().expect("new") > 0, "{report}");
    assert_eq!(
        strings(&bea.json(&["group", "list"]), "name"),
        ["Grief support", "Mine"]
    );
}

/// When standard output cannot be written (a full disk here; a closed pipe behaves alike), the
/// failure is reported like any other: one line, exit code 1, no panic.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_is_a_one_line_error() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", "Circle", "--place", "Hall"]);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut cmd = ana.command();
    cmd.args(["--json", "group", "list"]).stdout(full);
    let run = Data::run_command(cmd);
    assert!(
        !run.stderr.contains("panicked"),
        "a panic is not an error message: {run:#?}"
    );
    run.assert_error("stdout is /dev/full");
}
