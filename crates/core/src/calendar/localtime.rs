//! Placing a wall-clock time in a named zone, the way RFC 5545 (3.3.5) asks.
//!
//! Twice a year a local time is either missing (clocks jump forward: 02:30 does not exist) or
//! happens twice (clocks go back: 01:30 happens in summer time and again in winter time). A
//! meeting at such a time is moved forward by the length of the gap, or held at the first of the
//! two instants. chrono reports both cases; this module decides them, in one place.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};

use super::CalendarError;

/// A local wall-clock time placed in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Localized {
    pub utc: DateTime<Utc>,
    /// The wall clock actually shown at `utc`: the input, unless it fell in a gap.
    pub local: NaiveDateTime,
    /// The input did not exist that day and was moved forward by the length of the gap.
    pub shifted_by_dst_gap: bool,
}

/// The IANA zone with this exact name (e.g. `Europe/Madrid`).
pub fn parse_tz(name: &str) -> Result<Tz, CalendarError> {
    name.parse::<Tz>()
        .map_err(|_| CalendarError::UnknownTimeZone(name.to_owned()))
}

/// Places `local` in `tz`: a time in a spring-forward gap is shifted forward by the gap length
/// (02:30 becomes 03:30), an ambiguous fall-back time takes the first (earlier) instant.
pub fn localize(local: NaiveDateTime, tz: Tz) -> Localized {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Localized {
            utc: at.with_timezone(&Utc),
            local,
            shifted_by_dst_gap: false,
        },
        LocalResult::Ambiguous(a, b) => Localized {
            utc: a.min(b).with_timezone(&Utc),
            local,
            shifted_by_dst_gap: false,
        },
        LocalResult::None => {
            // RFC 5545: read the time with the offset in force *before* the gap.
            let utc = (local - Duration::seconds(offset_before_gap(local, tz))).and_utc();
            Localized {
                utc,
                local: utc.with_timezone(&tz).naive_local(),
                shifted_by_dst_gap: true,
            }
        }
    }
}

/// Seconds east of UTC in `tz` at the UTC instant `utc`.
pub(super) fn offset_seconds(tz: Tz, utc: NaiveDateTime) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc())
}

/// The offset in force just before the gap that swallows `local`.
///
/// Bisects the UTC instants around `local` for the last one whose wall clock is still before
/// `local`. Offsets lie within ±14 h and real gaps last at most a day (Samoa, 2011), so two days
/// either side always bracket the transition.
fn offset_before_gap(local: NaiveDateTime, tz: Tz) -> i64 {
    let wall = |utc: NaiveDateTime| utc + Duration::seconds(offset_seconds(tz, utc));
    let (mut before, mut after) = (local - Duration::days(2), local + Duration::days(2));
    while after - before > Duration::seconds(1) {
        let mid = before + (after - before) / 2;
        if wall(mid) < local {
            before = mid;
        } else {
            after = mid;
        }
    }
    offset_seconds(tz, before)
}

/// A valid zone name close to `name`, to suggest in an error message.
pub(super) fn suggest_zone(name: &str) -> &'static str {
    let wanted = name.to_ascii_lowercase();
    TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .map(|candidate| {
            (
                edit_distance(&wanted, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= 4)
        .min()
        .map_or("Europe/Madrid", |(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        at(y, m, d, h, min).and_utc()
    }

    #[test]
    fn ordinary_time_keeps_its_wall_clock() {
        let placed = localize(at(2025, 6, 10, 19, 0), Tz::Europe__Madrid);
        assert_eq!(placed.utc, utc(2025, 6, 10, 17, 0));
        assert_eq!(placed.local, at(2025, 6, 10, 19, 0));
        assert!(!placed.shifted_by_dst_gap);
    }

    #[test]
    fn new_york_spring_gap_shifts_forward_by_an_hour() {
        let placed = localize(at(2025, 3, 9, 2, 30), Tz::America__New_York);
        assert_eq!(placed.utc, utc(2025, 3, 9, 7, 30));
        assert_eq!(placed.local, at(2025, 3, 9, 3, 30));
        assert!(placed.shifted_by_dst_gap);
    }

    #[test]
    fn new_york_fall_back_takes_the_first_instant() {
        let placed = localize(at(2025, 11, 2, 1, 30), Tz::America__New_York);
        assert_eq!(
            placed.utc,
            utc(2025, 11, 2, 5, 30),
            "01:30 EDT, not 01:30 EST"
        );
        assert_eq!(placed.local, at(2025, 11, 2, 1, 30));
        assert!(!placed.shifted_by_dst_gap);
    }

    #[test]
    fn half_hour_gap_of_lord_howe_shifts_by_half_an_hour() {
        // Lord Howe Island moves its clocks by 30 minutes: 02:00 -> 02:30 on 2025-10-05.
        let placed = localize(at(2025, 10, 5, 2, 15), Tz::Australia__Lord_Howe);
        assert_eq!(placed.local, at(2025, 10, 5, 2, 45));
        assert!(placed.shifted_by_dst_gap);
    }

    #[test]
    fn santiago_midnight_gap_shifts_to_one_in_the_morning() {
        // Chile springs forward at 24:00: Saturday 2025-09-06 24:00 becomes Sunday 01:00.
        let placed = localize(at(2025, 9, 7, 0, 30), Tz::America__Santiago);
        assert_eq!(placed.local, at(2025, 9, 7, 1, 30));
        assert_eq!(placed.utc, utc(2025, 9, 7, 4, 30));
        assert!(placed.shifted_by_dst_gap);
    }

    #[test]
    fn samoa_skipped_day_shifts_by_a_whole_day() {
        let placed = localize(at(2011, 12, 30, 12, 0), Tz::Pacific__Apia);
        assert_eq!(placed.local, at(2011, 12, 31, 12, 0));
        assert!(placed.shifted_by_dst_gap);
    }

    #[test]
    fn unknown_zone_is_refused_with_a_suggestion() {
        let error = parse_tz("Europe/Madird").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown time zone \"Europe/Madird\": use an IANA name such as Europe/Madrid"
        );
        let error = parse_tz("america/bogota").unwrap_err();
        assert!(
            error.to_string().ends_with("such as America/Bogota"),
            "{error}"
        );
        assert_eq!(parse_tz("America/Bogota").unwrap(), Tz::America__Bogota);
    }
}
