//! Meeting series through the calendar: recurrence in the meeting's zone, shown on the
//! viewer's clock; cancelled and moved meetings; refused rules.

use chrono::{Datelike, NaiveDateTime, Weekday};
use mutua_api::{ErrorKind, GroupDetail, MeetingFormat, Occurrence, Profile, SavedSeries, Series};
use serde_json::{Value, json};

use super::{Harness, assert_kind};

fn at(text: &str) -> NaiveDateTime {
    text.parse().expect("a local date-time")
}

fn series_form(start: &str, rrule: Option<&str>) -> Value {
    json!({
        "title": "Second-Tuesday meeting",
        "start": start,
        "time_zone": "Europe/Madrid",
        "duration_minutes": 90,
        "rrule": rrule,
        "format": "in_person",
        "place": "Community hall, room 2",
        "online_url": null,
        "phone": null,
        "agenda": "Check-in, reading, sharing",
    })
}

/// A member in Bogotá (UTC−5 all year) in a group that meets in Madrid (UTC+1, +2 in summer),
/// with a monthly second-Tuesday series from January 2027.
fn bogota_member_with_madrid_meeting() -> (Harness, String, Series) {
    let h = Harness::set_up();
    let _: Profile = h.ok(
        "update_profile",
        json!({"pseudonym": "Ana G.", "language": "es", "time_zone": "America/Bogota"}),
    );
    let group = h.group("Tuesday circle");
    let saved: SavedSeries = h.ok(
        "add_series",
        json!({
            "group_id": group,
            "form": series_form("2027-01-12T19:00:00", Some("FREQ=MONTHLY;BYDAY=2TU")),
        }),
    );
    assert_eq!(saved.note, None);
    (h, group, saved.series)
}

fn year_2027(h: &Harness) -> Vec<Occurrence> {
    h.ok(
        "calendar",
        json!({"from": "2027-01-01", "to": "2027-12-31"}),
    )
}

#[test]
fn a_monthly_series_shows_on_the_viewers_clock_across_daylight_saving() {
    let (h, group, series) = bogota_member_with_madrid_meeting();
    let year = year_2027(&h);
    assert_eq!(year.len(), 12);
    for (month, meeting) in (1..=12).zip(&year) {
        assert_eq!(meeting.series_id, series.id);
        assert_eq!(meeting.group_id, group);
        assert_eq!(meeting.group_name, "Tuesday circle");
        assert_eq!(meeting.time_zone, "Europe/Madrid");
        assert_eq!(meeting.format, MeetingFormat::InPerson);
        assert_eq!(meeting.place.as_deref(), Some("Community hall, room 2"));
        assert!(!meeting.moved);
        let local = meeting.start_local;
        assert_eq!((local.month(), local.weekday()), (month, Weekday::Tue));
        assert!((8..=14).contains(&local.day()), "the second Tuesday");
        assert_eq!(local.time(), at("2027-01-01T19:00:00").time());
        // Madrid is on summer time from 28 March to 31 October 2027; Bogotá never is.
        let summer = (4..=10).contains(&month);
        let expected_hour = if summer { 12 } else { 13 };
        assert_eq!(
            meeting.start_viewer,
            local.date().and_hms_opt(expected_hour, 0, 0).expect("time"),
            "{local}"
        );
        assert_eq!(
            meeting.start_viewer,
            (meeting.start_utc - chrono::Duration::hours(5)).naive_utc()
        );
        assert_eq!((meeting.end_utc - meeting.start_utc).num_minutes(), 90);
    }
    assert_eq!(year[0].start_viewer, at("2027-01-12T13:00:00"));
    assert_eq!(year[6].start_viewer, at("2027-07-13T12:00:00"));

    // The range is in the viewer's days: only January's meeting in January.
    let january: Vec<Occurrence> = h.ok(
        "calendar",
        json!({"from": "2027-01-01", "to": "2027-01-31"}),
    );
    assert_eq!(january.len(), 1);

    let detail: GroupDetail = h.ok("group", json!({"id": group}));
    assert_eq!(detail.series, vec![series]);
}

#[test]
fn cancelled_and_moved_meetings() {
    let (h, _, series) = bogota_member_with_madrid_meeting();

    let cancelled: Series = h.ok(
        "cancel_occurrence",
        json!({"series_id": series.id, "date": "2027-03-09"}),
    );
    assert_eq!(cancelled.cancelled, vec![at("2027-03-09T19:00:00")]);
    let year = year_2027(&h);
    assert_eq!(year.len(), 11);
    assert!(year.iter().all(|m| m.start_local.month() != 3));

    let moved: SavedSeries = h.ok(
        "move_occurrence",
        json!({"series_id": series.id, "original": "2027-05-11T19:00:00", "to": "2027-05-12T18:00:00"}),
    );
    assert_eq!(
        moved.series.moved,
        vec![(at("2027-05-11T19:00:00"), at("2027-05-12T18:00:00"))]
    );
    let year = year_2027(&h);
    assert_eq!(year.len(), 11);
    let may: Vec<&Occurrence> = year.iter().filter(|m| m.start_local.month() == 5).collect();
    assert_eq!(may.len(), 1);
    assert!(may[0].moved);
    assert_eq!(may[0].original_start, at("2027-05-11T19:00:00"));
    assert_eq!(may[0].start_local, at("2027-05-12T18:00:00"));
    assert_eq!(may[0].start_viewer, at("2027-05-12T11:00:00"));

    let restored: Series = h.ok(
        "restore_occurrence",
        json!({"series_id": series.id, "date": "2027-03-09"}),
    );
    assert!(restored.cancelled.is_empty());
    assert_eq!(year_2027(&h).len(), 12);

    // There is no meeting on a Wednesday to cancel.
    let stray = h.err(
        "cancel_occurrence",
        json!({"series_id": series.id, "date": "2027-03-10"}),
    );
    assert_kind(&stray, ErrorKind::InvalidInput);
}

#[test]
fn an_invalid_rule_is_refused_helpfully_and_nothing_is_stored() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");

    let bad = h.err(
        "add_series",
        json!({"group_id": group, "form": series_form("2027-01-12T19:00:00", Some("FREQ=SOMETIMES;BYDAY=2TU"))}),
    );
    assert_kind(&bad, ErrorKind::InvalidInput);
    assert!(bad.message.contains("repeat rule"), "{bad}");
    assert!(bad.message.contains("FREQ=SOMETIMES"), "{bad}");

    // A first meeting on a Wednesday is not a second Tuesday.
    let off = h.err(
        "add_series",
        json!({"group_id": group, "form": series_form("2027-01-13T19:00:00", Some("FREQ=MONTHLY;BYDAY=2TU"))}),
    );
    assert_kind(&off, ErrorKind::InvalidInput);
    assert!(off.message.contains("not one of the dates"), "{off}");

    let zone = h.err(
        "add_series",
        json!({"group_id": group, "form": {
            "title": "x", "start": "2027-01-12T19:00:00", "time_zone": "Madrid",
            "duration_minutes": 60, "rrule": null, "format": "phone", "place": null,
            "online_url": null, "phone": "+34 600 000 000", "agenda": null,
        }}),
    );
    assert_kind(&zone, ErrorKind::InvalidInput);
    assert!(
        zone.message.contains("Europe/Madrid"),
        "suggests a zone: {zone}"
    );

    let detail: GroupDetail = h.ok("group", json!({"id": group}));
    assert!(detail.series.is_empty());
    assert!(year_2027(&h).is_empty());
}

#[test]
fn a_start_in_a_daylight_saving_gap_comes_with_a_note() {
    let h = Harness::set_up();
    let group = h.group("Tuesday circle");
    // 28 March 2027, 02:30 does not exist in Madrid.
    let saved: SavedSeries = h.ok(
        "add_series",
        json!({"group_id": group, "form": series_form("2027-03-28T02:30:00", None)}),
    );
    let note = saved.note.expect("a note about the gap");
    assert!(note.contains("03:30"), "{note}");
}

#[test]
fn series_are_updated_and_deleted() {
    let (h, group, series) = bogota_member_with_madrid_meeting();
    let mut form = series_form(
        "2027-01-12T18:30:00",
        Some("FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
    );
    form["title"] = json!("Renamed meeting");
    let updated: SavedSeries = h.ok("update_series", json!({"id": series.id, "form": form}));
    assert_eq!(updated.series.form.title, "Renamed meeting");
    let year = year_2027(&h);
    assert_eq!(year.len(), 6);
    assert!(year.iter().all(|m| m.title == "Renamed meeting"));

    let () = h.ok("delete_series", json!({"id": series.id}));
    assert!(year_2027(&h).is_empty());
    let detail: GroupDetail = h.ok("group", json!({"id": group}));
    assert!(detail.series.is_empty());
    assert_kind(
        &h.err("delete_series", json!({"id": series.id})),
        ErrorKind::NotFound,
    );
}
