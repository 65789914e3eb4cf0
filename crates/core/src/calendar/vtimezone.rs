//! VTIMEZONE components, so an `.ics` file carries the zone rules it was computed with.
//!
//! chrono-tz answers "what is the offset at this instant" but does not list its transitions, so
//! they are found by sampling the offset every few hours over the span the calendar needs and
//! bisecting each change down to the second. Transitions of the same kind (same offsets and
//! name) share one STANDARD or DAYLIGHT sub-component: its DTSTART is the first, RDATE the rest.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::localtime::offset_seconds;

/// No two transitions of a real zone are closer than this, so sampling at this step finds all.
const SAMPLE_STEP_HOURS: i64 = 6;

/// A change of UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transition {
    /// First instant of the new offset.
    at: NaiveDateTime,
    from: i64,
    to: i64,
    name: String,
    daylight: bool,
}

/// Content lines (unfolded) of a VTIMEZONE for `tz`, valid for instants in [from, to].
pub(super) fn vtimezone_lines(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    // Start at a midnight for a tidy first DTSTART.
    let from = from.date_naive().and_time(chrono::NaiveTime::MIN);
    let initial = state_at(tz, from, None);
    let mut kinds: Vec<(Transition, Vec<NaiveDateTime>)> = Vec::new();
    for change in std::iter::once(initial).chain(transitions(tz, from, to.naive_utc())) {
        // DTSTART and RDATE of a sub-component are in the offset in force before the change.
        let local_onset = change.at + Duration::seconds(change.from);
        let same_kind = |(kind, _): &&mut (Transition, Vec<NaiveDateTime>)| {
            (kind.from, kind.to, &kind.name, kind.daylight)
                == (change.from, change.to, &change.name, change.daylight)
        };
        match kinds.iter_mut().find(same_kind) {
            Some((_, onsets)) => onsets.push(local_onset),
            None => kinds.push((change, vec![local_onset])),
        }
    }

    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{}", tz.name())];
    for (kind, onsets) in kinds {
        let component = if kind.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        lines.push(format!("BEGIN:{component}"));
        lines.push(format!("DTSTART:{}", ics_local(onsets[0])));
        if onsets.len() > 1 {
            let rest: Vec<String> = onsets[1..].iter().map(|onset| ics_local(*onset)).collect();
            lines.push(format!("RDATE:{}", rest.join(",")));
        }
        lines.push(format!("TZOFFSETFROM:{}", ics_offset(kind.from)));
        lines.push(format!("TZOFFSETTO:{}", ics_offset(kind.to)));
        lines.push(format!("TZNAME:{}", super::ics::escape_text(&kind.name)));
        lines.push(format!("END:{component}"));
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines
}

/// The offset in force at `at`, as a "transition" from `previous` (or from itself).
fn state_at(tz: Tz, at: NaiveDateTime, previous: Option<i64>) -> Transition {
    let offset = tz.offset_from_utc_datetime(&at);
    let to = offset_seconds(tz, at);
    Transition {
        at,
        from: previous.unwrap_or(to),
        to,
        // Zones without a letter abbreviation are named by their offset, as tzdata does ("-05").
        name: offset
            .abbreviation()
            .map_or_else(|| numeric_name(to), str::to_owned),
        daylight: !offset.dst_offset().is_zero(),
    }
}

fn transitions(tz: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Vec<Transition> {
    let step = Duration::hours(SAMPLE_STEP_HOURS);
    let mut found = Vec::new();
    let mut before = from;
    while before < to {
        let after = before + step;
        let offset_before = offset_seconds(tz, before);
        if offset_seconds(tz, after) != offset_before {
            // Bisect to the first second of the new offset.
            let (mut low, mut high) = (before, after);
            while high - low > Duration::seconds(1) {
                let middle = low + (high - low) / 2;
                if offset_seconds(tz, middle) == offset_before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            found.push(state_at(tz, high, Some(offset_before)));
        }
        before = after;
    }
    found
}

fn ics_local(local: NaiveDateTime) -> String {
    local.format("%Y%m%dT%H%M%S").to_string()
}

/// `-05`, `+0530`.
fn numeric_name(seconds: i64) -> String {
    let name = ics_offset(seconds);
    match name.strip_suffix("00") {
        Some(hours) if name.len() == 5 => hours.to_owned(),
        _ => name,
    }
}

/// `+0100`, `-0430`, or `+001539` when seconds are involved (old local mean times).
fn ics_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn madrid_has_standard_and_daylight_with_every_change() {
        let lines = vtimezone_lines(Tz::Europe__Madrid, utc(2024, 1, 1), utc(2026, 1, 1));
        let expected = [
            "BEGIN:VTIMEZONE",
            "TZID:Europe/Madrid",
            "BEGIN:STANDARD",
            "DTSTART:20240101T010000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:20240331T020000",
            "RDATE:20250330T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "TZNAME:CEST",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20241027T030000",
            "RDATE:20251026T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
            "END:STANDARD",
            "END:VTIMEZONE",
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn new_york_changes_at_two_in_the_morning() {
        let text =
            vtimezone_lines(Tz::America__New_York, utc(2025, 1, 1), utc(2026, 1, 1)).join("\n");
        assert!(
            text.contains(
                "DTSTART:20250309T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\nTZNAME:EDT"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "DTSTART:20251102T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nTZNAME:EST"
            ),
            "{text}"
        );
    }

    #[test]
    fn zone_without_daylight_time_has_one_standard() {
        let lines = vtimezone_lines(Tz::America__Bogota, utc(2024, 1, 1), utc(2035, 1, 1));
        assert_eq!(
            lines,
            [
                "BEGIN:VTIMEZONE",
                "TZID:America/Bogota",
                "BEGIN:STANDARD",
                "DTSTART:20231231T190000",
                "TZOFFSETFROM:-0500",
                "TZOFFSETTO:-0500",
                "TZNAME:-05",
                "END:STANDARD",
                "END:VTIMEZONE",
            ]
        );
    }

    #[test]
    fn southern_hemisphere_daylight_time_starts_in_october() {
        let text =
            vtimezone_lines(Tz::Australia__Sydney, utc(2025, 1, 1), utc(2026, 1, 1)).join("\n");
        assert!(
            text.starts_with(
                "BEGIN:VTIMEZONE\nTZID:Australia/Sydney\nBEGIN:DAYLIGHT\nDTSTART:20250101T110000\n\
                 TZOFFSETFROM:+1100\nTZOFFSETTO:+1100\nTZNAME:AEDT"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\nDTSTART:20250406T030000\nTZOFFSETFROM:+1100\nTZOFFSETTO:+1000"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "BEGIN:DAYLIGHT\nDTSTART:20251005T020000\nTZOFFSETFROM:+1000\nTZOFFSETTO:+1100"
            ),
            "{text}"
        );
    }

    #[test]
    fn offsets_with_seconds_are_written_in_full() {
        assert_eq!(ics_offset(3600), "+0100");
        assert_eq!(ics_offset(-16200), "-0430");
        assert_eq!(ics_offset(-(3 * 3600 + 58 * 60 + 45)), "-035845");
        assert_eq!(ics_offset(0), "+0000");
        assert_eq!(numeric_name(-5 * 3600), "-05");
        assert_eq!(numeric_name(19800), "+0530");
    }
}
