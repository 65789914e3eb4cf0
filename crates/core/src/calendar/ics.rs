//! Writing meeting series as an RFC 5545 `.ics` calendar.
//!
//! Each series becomes one VEVENT with its rule and cancellations, plus one VEVENT per moved
//! meeting (same UID, RECURRENCE-ID of the original date). Times are local with a TZID, and a
//! VTIMEZONE for every zone used travels with them, so a calendar program expands the file to the
//! same instants as [`MeetingSeries::occurrences`]. The `icalendar` crate builds the events and
//! escapes their text; it cannot express a VTIMEZONE, and its line folding lets a continuation
//! line reach 76 octets, so every line is (re)folded here by one function.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use icalendar::{CalendarDateTime, Component, Event, EventLike, Property};

use super::localtime::localize;
use super::recurrence::Schedule;
use super::vtimezone::vtimezone_lines;
use super::{MeetingFormat, MeetingSeries, Tz};

/// Longest content line, in octets, without the CRLF (RFC 5545 3.1).
const MAX_LINE_OCTETS: usize = 75;

/// How far past the export (or the first meeting, if later) an open-ended series' zone rules
/// are written.
const OPEN_ENDED_YEARS: i64 = 10;

/// The `.ics` text of these series. A series that does not pass its own checks (unknown zone,
/// bad rule or duration) is left out: callers validate before storing, so this does not happen.
pub fn export_ics(calendar_name: &str, series: &[MeetingSeries], stamp: DateTime<Utc>) -> String {
    let schedules: Vec<Schedule<'_>> = series
        .iter()
        .filter_map(|one| Schedule::new(one).ok())
        .collect();

    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Mutua//Mutua calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("NAME:{}", escape_text(calendar_name)),
        format!("X-WR-CALNAME:{}", escape_text(calendar_name)),
    ];
    let mut zones: BTreeMap<&str, (Tz, DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for schedule in &schedules {
        let (first, last) = span(schedule, stamp);
        let zone = zones
            .entry(schedule.tz.name())
            .or_insert((schedule.tz, first, last));
        zone.1 = zone.1.min(first);
        zone.2 = zone.2.max(last);
    }
    for (tz, first, last) in zones.into_values() {
        // A year of margin before, as other programs may show the weeks before a first meeting.
        lines.extend(vtimezone_lines(
            tz,
            first - Duration::days(366),
            last + Duration::days(1),
        ));
    }
    for schedule in &schedules {
        for event in events(schedule, stamp) {
            // Writing to a String cannot fail.
            lines.extend(unfolded_lines(&event.try_into_string().unwrap_or_default()));
        }
    }
    lines.push("END:VCALENDAR".to_owned());

    let mut text = String::new();
    for line in lines {
        push_folded(&mut text, &line);
    }
    text
}

/// TEXT escaping (RFC 5545 3.3.11), for the lines written here rather than by `icalendar`.
pub(super) fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in clean_text(text).chars() {
        match c {
            '\\' | ';' | ',' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '\n' => escaped.push_str("\\n"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Line breaks as `\n` and no other control characters, which TEXT may not hold.
fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// The instants this series needs its zone rules for.
fn span(schedule: &Schedule<'_>, stamp: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let series = schedule.series;
    let place = |local: NaiveDateTime| localize(local, schedule.tz).utc;
    let first_start = place(series.start);
    let moved = series.overrides.values().map(|moved| place(moved.start));
    let first = moved.clone().fold(first_start, DateTime::min);
    let last_date = match &schedule.rule {
        None => Some(series.start),
        Some(rule) => rule.last_date().ok().flatten(),
    };
    let last = match last_date {
        Some(last_date) => place(last_date),
        None => first_start.max(stamp) + Duration::days(366 * OPEN_ENDED_YEARS),
    };
    let last =
        moved.fold(last, DateTime::max) + Duration::minutes(i64::from(series.duration_minutes));
    (first, last)
}

fn events(schedule: &Schedule<'_>, stamp: DateTime<Utc>) -> Vec<Event> {
    let series = schedule.series;
    let uid = format!("{}@mutua", series.id);
    let zoned = |local: NaiveDateTime| CalendarDateTime::WithTimezone {
        date_time: local,
        tzid: series.tz.clone(),
    };
    let described = |event: &mut Event| {
        event
            .uid(&uid)
            .timestamp(stamp)
            .summary(&clean_text(&series.title));
        if let Some(place) = &series.place {
            event.location(&clean_text(place));
        }
        if let Some(url) = &series.online_url {
            event.url(&clean_text(url));
        }
        if let Some(description) = description(series) {
            event.description(&description);
        }
        event.add_property("X-MUTUA-FORMAT", format_name(&series.format));
    };

    let mut master = Event::new();
    described(&mut master);
    master.starts(zoned(series.start));
    master.add_property("DURATION", ics_duration(series.duration_minutes));
    if let Some(rule) = &schedule.rule {
        master.add_property("RRULE", rule.ics_value.as_str());
    }
    // Also without a rule: a cancelled one-off meeting is its own start in EXDATE.
    if !series.exdates.is_empty() {
        let dates: Vec<String> = series.exdates.iter().map(|date| ics_local(*date)).collect();
        master.append_property(
            Property::new("EXDATE", dates.join(","))
                .add_parameter("TZID", &series.tz)
                .done(),
        );
    }
    let mut events = vec![master];

    // Moved meetings whose original is not a date of the rule are left out, as in
    // `occurrences`; if the rule cannot be expanded at all, none is written.
    for (original, moved) in schedule.live_overrides().unwrap_or_default() {
        let mut event = Event::new();
        described(&mut event);
        event.recurrence_id(zoned(original));
        event.starts(zoned(moved.start));
        event.add_property("DURATION", ics_duration(moved.duration_minutes));
        events.push(event);
    }
    events
}

fn description(series: &MeetingSeries) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(agenda) = &series.agenda {
        parts.push(clean_text(agenda));
    }
    if let Some(url) = &series.online_url {
        parts.push(format!("Online: {}", clean_text(url)));
    }
    if let Some(phone) = &series.phone {
        parts.push(format!("Phone: {}", clean_text(phone)));
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

fn format_name(format: &MeetingFormat) -> &'static str {
    match format {
        MeetingFormat::InPerson => "in_person",
        MeetingFormat::Online => "online",
        MeetingFormat::Hybrid => "hybrid",
        MeetingFormat::Phone => "phone",
    }
}

/// Exact hours and minutes, e.g. `PT1H30M` (never days, which are nominal in RFC 5545).
fn ics_duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("PT{minutes}M"),
        (hours, 0) => format!("PT{hours}H"),
        (hours, minutes) => format!("PT{hours}H{minutes}M"),
    }
}

fn ics_local(local: NaiveDateTime) -> String {
    local.format("%Y%m%dT%H%M%S").to_string()
}

/// The logical lines of `icalendar` output: its folds undone, its CRLFs removed.
fn unfolded_lines(folded: &str) -> Vec<String> {
    folded
        .replace("\r\n ", "")
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Appends `line` folded to at most 75 octets per physical line (continuations start with a
/// space, which counts), never splitting a UTF-8 character, each ended by CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::NaiveDate;

    use super::*;
    use crate::calendar::OccurrenceOverride;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn stamp() -> DateTime<Utc> {
        at(2025, 1, 1, 12, 0).and_utc()
    }

    fn tuesday_group() -> MeetingSeries {
        MeetingSeries {
            id: "tue".into(),
            group_id: "g1".into(),
            title: "Tuesday group; newcomers, welcome".into(),
            start: at(2025, 1, 14, 19, 0),
            tz: "Europe/Madrid".into(),
            duration_minutes: 90,
            rrule: Some("FREQ=MONTHLY;BYDAY=2TU".into()),
            exdates: BTreeSet::from([at(2025, 2, 11, 19, 0)]),
            overrides: BTreeMap::from([(
                at(2025, 3, 11, 19, 0),
                OccurrenceOverride {
                    start: at(2025, 3, 12, 18, 30),
                    duration_minutes: 60,
                },
            )]),
            format: MeetingFormat::Hybrid,
            place: Some("Centro cívico, sala 2".into()),
            online_url: Some("https://meet.example/tue".into()),
            phone: None,
            agenda: Some("Reading\r\nSharing\\round".into()),
        }
    }

    /// The logical lines of an exported file.
    fn lines_of(text: &str) -> Vec<String> {
        text.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn series_becomes_a_master_event_and_one_event_per_move() {
        let text = export_ics("Our group", &[tuesday_group()], stamp());
        let lines = lines_of(&text);
        let has = |line: &str| lines.iter().any(|l| l == line);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
        assert_eq!(lines.iter().filter(|l| *l == "UID:tue@mutua").count(), 2);
        assert_eq!(
            lines
                .iter()
                .filter(|l| *l == "DTSTAMP:20250101T120000Z")
                .count(),
            2
        );
        assert!(has("DTSTART;TZID=Europe/Madrid:20250114T190000"));
        assert!(has("DURATION:PT1H30M"));
        assert!(has("RRULE:FREQ=MONTHLY;BYDAY=2TU"));
        assert!(has("EXDATE;TZID=Europe/Madrid:20250211T190000"));
        assert!(has("RECURRENCE-ID;TZID=Europe/Madrid:20250311T190000"));
        assert!(has("DTSTART;TZID=Europe/Madrid:20250312T183000"));
        assert!(has("DURATION:PT1H"));
        assert!(
            has("SUMMARY:Tuesday group\\; newcomers\\, welcome"),
            "{lines:?}"
        );
        assert!(has("LOCATION:Centro cívico\\, sala 2"));
        assert!(has("URL:https://meet.example/tue"));
        assert!(
            has("DESCRIPTION:Reading\\nSharing\\\\round\\n\\nOnline: https://meet.example/tue"),
            "{lines:?}"
        );
        assert!(has("X-MUTUA-FORMAT:hybrid"));
        assert!(has("NAME:Our group") && has("X-WR-CALNAME:Our group"));
        // One VTIMEZONE, before the events, spanning a year before the start to ten after now.
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VTIMEZONE").count(), 1);
        let vtimezone = lines
            .iter()
            .position(|l| l == "TZID:Europe/Madrid")
            .unwrap();
        assert!(vtimezone < lines.iter().position(|l| l == "BEGIN:VEVENT").unwrap());
        assert!(
            text.contains("20240331T020000") && text.contains("20341029T030000"),
            "{text}"
        );
        assert!(!text.contains("20351028T030000"));
    }

    #[test]
    fn every_line_is_folded_to_75_octets_with_crlf() {
        let mut series = tuesday_group();
        series.agenda = Some("Ñandú über café — ".repeat(40) + &"x".repeat(149));
        series.title = "y".repeat(150 - "SUMMARY:".len());
        let text = export_ics("Grupo de apoyo mutuo", &[series.clone()], stamp());
        assert!(
            !text.replace("\r\n", "").contains(['\r', '\n']),
            "bare CR or LF"
        );
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        let unfolded = lines_of(&text);
        assert!(
            unfolded
                .iter()
                .any(|l| *l == format!("SUMMARY:{}", series.title))
        );
        assert!(
            unfolded
                .iter()
                .any(|l| l.starts_with("DESCRIPTION:Ñandú über café — Ñandú"))
        );
    }

    #[test]
    fn folding_keeps_characters_whole() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(100));
        push_folded(&mut out, &line);
        let physical: Vec<&str> = out.split_terminator("\r\n").collect();
        assert!(physical.iter().all(|l| l.len() <= 75));
        assert!(physical[1..].iter().all(|l| l.starts_with(' ')));
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn until_is_exported_in_utc_and_zones_are_written_once_each() {
        let mut madrid = tuesday_group();
        madrid.rrule = Some("FREQ=MONTHLY;BYDAY=2TU;UNTIL=20250610".into());
        let mut second = tuesday_group();
        second.id = "other".into();
        let mut bogota = tuesday_group();
        bogota.id = "bog".into();
        bogota.tz = "America/Bogota".into();
        bogota.overrides.clear();
        let text = export_ics("x", &[madrid, second, bogota], stamp());
        let lines = lines_of(&text);
        assert!(
            lines
                .iter()
                .any(|l| l == "RRULE:FREQ=MONTHLY;BYDAY=2TU;UNTIL=20250610T215959Z"),
            "{lines:?}"
        );
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VTIMEZONE").count(), 2);
        assert_eq!(lines.iter().filter(|l| l.starts_with("TZID:")).count(), 2);
    }

    #[test]
    fn invalid_series_and_stray_moves_are_left_out() {
        let mut broken = tuesday_group();
        broken.tz = "Nowhere/Land".into();
        let mut stray = tuesday_group();
        stray.id = "stray".into();
        stray.overrides.insert(
            at(2025, 3, 12, 19, 0),
            OccurrenceOverride {
                start: at(2025, 3, 13, 19, 0),
                duration_minutes: 60,
            },
        );
        let text = export_ics("x", &[broken, stray], stamp());
        let lines = lines_of(&text);
        assert!(!text.contains("Nowhere"));
        assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 2);
        assert!(!text.contains("20250312T190000"));
    }

    #[test]
    fn durations_are_exact_hours_and_minutes() {
        assert_eq!(ics_duration(45), "PT45M");
        assert_eq!(ics_duration(60), "PT1H");
        assert_eq!(ics_duration(90), "PT1H30M");
        assert_eq!(ics_duration(24 * 60), "PT24H");
    }
}
