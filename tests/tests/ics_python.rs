//! The `.ics` export, read back by an independent implementation.
//!
//! A calendar of several series is exported, expanded by Python's `icalendar` and
//! `recurring-ical-events` (tests/python/ics_occurrences.py, versions pinned in
//! tests/python/requirements.txt), and the meetings it finds must be exactly those of
//! `MeetingSeries::occurrences`: same UIDs, same UTC starts and ends.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use mutua_core::calendar::{
    MeetingFormat, MeetingSeries, Occurrence, OccurrenceOverride, export_ics,
};

type Row = (String, String, String);

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|day| day.and_hms_opt(h, min, 0))
        .expect("valid test date")
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("valid test date")
}

fn series(id: &str, start: NaiveDateTime, tz: &str, rrule: Option<&str>) -> MeetingSeries {
    MeetingSeries {
        id: id.into(),
        group_id: "group-1".into(),
        title: format!("{id}: sharing; newcomers, welcome"),
        start,
        tz: tz.into(),
        duration_minutes: 90,
        rrule: rrule.map(Into::into),
        exdates: BTreeSet::new(),
        overrides: BTreeMap::new(),
        format: MeetingFormat::Hybrid,
        place: Some("Centro cívico, sala 2".into()),
        online_url: Some("https://meet.example/room".into()),
        phone: Some("+34 600 000 000".into()),
        agenda: Some("Reading\nSharing round\nClosing".into()),
    }
}

fn calendar() -> Vec<MeetingSeries> {
    let madrid = series(
        "madrid-2nd-tuesday",
        at(2025, 1, 14, 19, 0),
        "Europe/Madrid",
        Some("FREQ=MONTHLY;BYDAY=2TU"),
    );
    // Crosses the second Sunday of March and the first Sunday of November.
    let mut new_york = series(
        "ny-mon-thu",
        at(2025, 1, 6, 19, 0),
        "America/New_York",
        Some("FREQ=WEEKLY;BYDAY=MO,TH"),
    );
    new_york.duration_minutes = 60;

    // Cancellations and moves, in the southern hemisphere (Sydney changes on the first Sunday of
    // April and of October).
    let mut sydney = series(
        "sydney-wednesday",
        at(2024, 11, 6, 18, 30),
        "Australia/Sydney",
        Some("FREQ=WEEKLY;BYDAY=WE,SU"),
    );
    sydney.exdates.insert(at(2025, 1, 8, 18, 30));
    sydney.exdates.insert(at(2025, 4, 9, 18, 30));
    // Moved within the year, to a longer meeting on the Thursday.
    sydney.overrides.insert(
        at(2025, 4, 2, 18, 30),
        OccurrenceOverride {
            start: at(2025, 4, 3, 17, 0),
            duration_minutes: 120,
        },
    );
    // Moved from December 2024 into January 2025, and from December 2025 out of the year.
    sydney.overrides.insert(
        at(2024, 12, 25, 18, 30),
        OccurrenceOverride {
            start: at(2025, 1, 2, 18, 30),
            duration_minutes: 90,
        },
    );
    sydney.overrides.insert(
        at(2025, 12, 31, 18, 30),
        OccurrenceOverride {
            start: at(2026, 1, 2, 18, 30),
            duration_minutes: 90,
        },
    );

    // No daylight saving time at all; ends on a date (UNTIL without a time).
    let bogota = series(
        "bogota-saturday",
        at(2025, 1, 4, 10, 0),
        "America/Bogota",
        Some("FREQ=WEEKLY;BYDAY=SA;UNTIL=20251101"),
    );

    // 02:30 does not exist on 2025-03-09 in New York: the meeting moves to 03:30 EDT.
    let gap = series(
        "ny-sunday-0230",
        at(2025, 2, 23, 2, 30),
        "America/New_York",
        Some("FREQ=WEEKLY;BYDAY=SU;COUNT=5"),
    );
    // 01:30 happens twice on 2025-11-02 in New York: the meeting takes the first (EDT).
    let mut overlap = series(
        "ny-sunday-0130",
        at(2025, 10, 19, 1, 30),
        "America/New_York",
        Some("FREQ=WEEKLY;BYDAY=SU;COUNT=4"),
    );
    overlap.duration_minutes = 20;

    // Right after the jump forward (02:00 -> 03:00) and after the fall back (03:00 -> 02:00) in
    // Madrid, and on the evening of both New York changes: a VTIMEZONE that changes offset at the
    // wrong hour or on the wrong day puts these at other instants.
    let madrid_early = series(
        "madrid-sunday-0330",
        at(2025, 1, 5, 3, 30),
        "Europe/Madrid",
        Some("FREQ=WEEKLY;BYDAY=SU"),
    );
    let new_york_evening = series(
        "ny-sunday-evening",
        at(2025, 1, 5, 19, 30),
        "America/New_York",
        Some("FREQ=WEEKLY;BYDAY=SU"),
    );

    let mut one_off = series(
        "madrid-one-off",
        at(2025, 6, 21, 11, 0),
        "Europe/Madrid",
        None,
    );
    one_off.agenda = None;

    // One-off meetings, one cancelled and one moved (to the next day, in the other zone's
    // daylight time: 2025-03-30 is the day Madrid changes).
    let mut cancelled = series(
        "madrid-cancelled",
        at(2025, 5, 3, 11, 0),
        "Europe/Madrid",
        None,
    );
    cancelled.exdates.insert(at(2025, 5, 3, 11, 0));
    let mut moved = series(
        "madrid-moved",
        at(2025, 3, 29, 11, 0),
        "Europe/Madrid",
        None,
    );
    moved.overrides.insert(
        at(2025, 3, 29, 11, 0),
        OccurrenceOverride {
            start: at(2025, 3, 30, 11, 0),
            duration_minutes: 45,
        },
    );

    let all = vec![
        madrid,
        new_york,
        sydney,
        bogota,
        gap,
        overlap,
        madrid_early,
        new_york_evening,
        one_off,
        cancelled,
        moved,
    ];
    for one in &all {
        one.validate()
            .unwrap_or_else(|error| panic!("{}: {error}", one.id));
    }
    all
}

fn row(uid: String, start: DateTime<Utc>, end: DateTime<Utc>) -> Row {
    let text = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    (uid, text(start), text(end))
}

fn core_occurrences(
    all: &[MeetingSeries],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Occurrence> {
    all.iter()
        .flat_map(|one| {
            one.occurrences(from, to)
                .unwrap_or_else(|error| panic!("{}: {error}", one.id))
        })
        .collect()
}

fn core_rows(occurrences: &[Occurrence]) -> Vec<Row> {
    let mut rows: Vec<Row> = occurrences
        .iter()
        .map(|o| row(format!("{}@mutua", o.series_id), o.start_utc, o.end_utc))
        .collect();
    rows.sort();
    rows
}

/// The interpreter with the pinned packages: `MUTUA_PYTHON`, else the workspace's `.venv`.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("MUTUA_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = workspace().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "Python checker not installed: run `cargo xtask test`, which creates .venv with \
         tests/python/requirements.txt"
    );
    venv
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// Runs the Python checker on `ics` and returns its two readings.
fn python_rows(ics: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> (Vec<Row>, Vec<Row>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("calendar.ics");
    std::fs::write(&file, ics).expect("write the .ics file");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/ics_occurrences.py");
    let format = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let python = python();
    let output = Command::new(&python)
        .arg(&script)
        .arg(&file)
        .arg(format(from))
        .arg(format(to))
        .output()
        .unwrap_or_else(|error| panic!("could not run {}: {error}", python.display()));
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON from the checker");
    let rows = |key: &str| -> Vec<Row> {
        serde_json::from_value(json[key].clone()).unwrap_or_else(|error| panic!("{key}: {error}"))
    };
    (rows("by_zone_name"), rows("by_vtimezone"))
}

/// Equal lists, or a panic that shows only the rows on one side and not the other.
fn assert_same_rows(found: &[Row], expected: &[Row], what: &str) {
    if found == expected {
        return;
    }
    let missing: Vec<&Row> = expected.iter().filter(|row| !found.contains(row)).collect();
    let extra: Vec<&Row> = found.iter().filter(|row| !expected.contains(row)).collect();
    let first_difference = found.iter().zip(expected).position(|(a, b)| a != b);
    panic!(
        "{what}: {} meetings instead of {}\nonly in core: {missing:#?}\nonly in Python: \
         {extra:#?}\nfirst difference in order: {:?}",
        found.len(),
        expected.len(),
        first_difference.map(|index| (&found[index], &expected[index])),
    );
}

fn assert_same_meetings(all: &[MeetingSeries], from: DateTime<Utc>, to: DateTime<Utc>) {
    let ics = export_ics("Mutua test calendar", all, utc(2025, 1, 1));
    let occurrences = core_occurrences(all, from, to);
    let (by_zone_name, by_vtimezone) = python_rows(&ics, from, to);

    // Meetings whose wall-clock time fell in a spring-forward gap are where Python's libraries
    // depart from RFC 5545, so they are checked apart, and less strictly:
    // - recurring-ical-events adds the duration on the wall clock (02:30 + 90 min = 04:00 EDT, a
    //   30-minute meeting), where RFC 5545 3.3.6 makes hours and minutes exact time;
    // - dateutil's `tzical`, which reads a VTIMEZONE, gives a missing time the offset *after*
    //   the gap (02:30 EDT = 01:30 EST), where RFC 5545 3.3.5 says the one before (03:30 EDT).
    // Every other meeting must match exactly.
    let (shifted, exact): (Vec<Occurrence>, Vec<Occurrence>) =
        occurrences.into_iter().partition(|o| o.shifted_by_dst_gap);
    let exact = core_rows(&exact);
    let shifted = core_rows(&shifted);
    let check = |python: &[Row], what: &str, same_start: bool| {
        let (matching, other): (Vec<Row>, Vec<Row>) =
            python.iter().cloned().partition(|row| exact.contains(row));
        assert_same_rows(&matching, &exact, what);
        let key = |rows: &[Row]| -> Vec<(String, String)> {
            rows.iter()
                .map(|(uid, start, _)| {
                    (
                        uid.clone(),
                        if same_start {
                            start.clone()
                        } else {
                            String::new()
                        },
                    )
                })
                .collect()
        };
        assert_eq!(
            key(&other),
            key(&shifted),
            "{what}: meetings in a daylight-saving gap"
        );
    };
    check(&by_zone_name, "Python with the tz database", true);
    check(&by_vtimezone, "Python with the file's VTIMEZONE", false);
}

#[test]
fn python_expands_the_exported_calendar_to_the_same_meetings() {
    let all = calendar();
    let (from, to) = (utc(2025, 1, 1), utc(2026, 1, 1));
    // Make sure the interesting cases are really in the window.
    let occurrences = core_occurrences(&all, from, to);
    assert!(
        occurrences
            .iter()
            .any(|o| o.shifted_by_dst_gap && o.series_id == "ny-sunday-0230")
    );
    assert!(
        occurrences
            .iter()
            .any(|o| o.moved && o.original_start == at(2024, 12, 25, 18, 30))
    );
    assert!(
        !occurrences
            .iter()
            .any(|o| o.original_start == at(2025, 12, 31, 18, 30))
    );
    assert!(occurrences.iter().any(|o| {
        o.series_id == "ny-sunday-0130"
            && o.start_utc
                == Utc
                    .with_ymd_and_hms(2025, 11, 2, 5, 30, 0)
                    .single()
                    .expect("date")
    }));
    assert_eq!(
        occurrences
            .iter()
            .filter(|o| o.series_id == "bogota-saturday")
            .count(),
        44
    );

    assert_same_meetings(&all, from, to);
}

#[test]
fn python_agrees_over_ten_years_and_on_short_windows() {
    let all = calendar();
    assert_same_meetings(&all, utc(2025, 1, 1), utc(2035, 1, 1));
    // A window that starts in the middle of a meeting (Thursday 2025-03-06, 19:00-20:00 EST):
    // only meetings starting inside the window count, on both sides.
    let from = Utc
        .with_ymd_and_hms(2025, 3, 7, 0, 30, 0)
        .single()
        .expect("date");
    assert_same_meetings(&all, from, from + chrono::Duration::days(10));
}
