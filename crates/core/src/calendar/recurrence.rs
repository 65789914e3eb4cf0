//! Expanding a meeting series into its meetings.
//!
//! The rule gives local wall-clock dates ([`Rule`]); each is placed in the series' zone by
//! [`localize`], which applies the RFC 5545 daylight-saving rules. Then cancelled dates are
//! dropped and moved ones replaced, and only meetings *starting* in the asked window are kept.
//! A moved meeting belongs to the window of its new start, wherever its original date lies.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::localtime::{localize, parse_tz};
use super::rule::Rule;
use super::{
    CalendarError, Localized, MAX_DURATION_MINUTES, MeetingSeries, Occurrence, OccurrenceOverride,
    Tz,
};

/// Any instant within [from, to) comes from a local date within this margin: offsets stay within
/// ±14 h and a gap shifts by at most a day.
const WINDOW_MARGIN_DAYS: i64 = 3;

/// A series whose zone, duration and rule have been checked: ready to expand.
#[derive(Debug)]
pub(super) struct Schedule<'a> {
    pub series: &'a MeetingSeries,
    pub tz: Tz,
    pub rule: Option<Rule>,
}

impl<'a> Schedule<'a> {
    pub(super) fn new(series: &'a MeetingSeries) -> Result<Self, CalendarError> {
        let tz = parse_tz(&series.tz)?;
        check_duration(series.duration_minutes)?;
        let rule = series
            .rrule
            .as_deref()
            .filter(|rule| !rule.trim().is_empty())
            .map(|rule| Rule::parse(rule, series.start, tz))
            .transpose()?;
        Ok(Self { series, tz, rule })
    }

    /// The rule's local dates from `from` through `through` (both inclusive), in order.
    pub(super) fn dates_between(
        &self,
        from: NaiveDateTime,
        through: NaiveDateTime,
    ) -> Result<Vec<NaiveDateTime>, CalendarError> {
        let start = self.series.start;
        let Some(rule) = &self.rule else {
            return Ok(Vec::from_iter(
                (from..=through).contains(&start).then_some(start),
            ));
        };
        let mut dates = Vec::new();
        rule.walk(|date| {
            if date >= from && date <= through {
                dates.push(date);
            }
            date < through
        })?;
        Ok(dates)
    }

    /// Whether the rule gives a meeting at `local` (cancelled and moved ones included).
    pub(super) fn is_date(&self, local: NaiveDateTime) -> Result<bool, CalendarError> {
        Ok(self.dates_between(local, local)?.contains(&local))
    }

    /// Moved meetings whose original date is really one of the rule's, and not cancelled.
    /// Others can appear after concurrent edits (the rule changed); they are left out, here and
    /// in the `.ics` file alike.
    pub(super) fn live_overrides(
        &self,
    ) -> Result<Vec<(NaiveDateTime, &'a OccurrenceOverride)>, CalendarError> {
        let series = self.series;
        let mut live = Vec::new();
        for (original, moved) in &series.overrides {
            if !series.exdates.contains(original) && self.is_date(*original)? {
                live.push((*original, moved));
            }
        }
        Ok(live)
    }

    pub(super) fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Occurrence>, CalendarError> {
        if from >= to {
            return Ok(Vec::new());
        }
        let series = self.series;
        let margin = Duration::days(WINDOW_MARGIN_DAYS);
        let low = from
            .naive_utc()
            .checked_sub_signed(margin)
            .unwrap_or(NaiveDateTime::MIN);
        let high = to
            .naive_utc()
            .checked_add_signed(margin)
            .unwrap_or(NaiveDateTime::MAX);
        let in_window = |at: DateTime<Utc>| from <= at && at < to;

        let dates = self.dates_between(low, high)?;
        let mut found = Vec::new();
        for &original in &dates {
            if series.exdates.contains(&original) || series.overrides.contains_key(&original) {
                continue;
            }
            let placed = localize(original, self.tz);
            if in_window(placed.utc) {
                found.push(self.occurrence(original, placed, series.duration_minutes, false));
            }
        }
        for (&original, moved) in &series.overrides {
            let placed = localize(moved.start, self.tz);
            if series.exdates.contains(&original) || !in_window(placed.utc) {
                continue;
            }
            let is_date = if (low..=high).contains(&original) {
                dates.binary_search(&original).is_ok()
            } else {
                self.is_date(original)?
            };
            if is_date {
                found.push(self.occurrence(original, placed, moved.duration_minutes, true));
            }
        }
        found.sort_by_key(|occurrence| (occurrence.start_utc, occurrence.original_start));
        Ok(found)
    }

    fn occurrence(
        &self,
        original: NaiveDateTime,
        placed: Localized,
        duration_minutes: u32,
        moved: bool,
    ) -> Occurrence {
        Occurrence {
            series_id: self.series.id.clone(),
            title: self.series.title.clone(),
            original_start: original,
            start_local: placed.local,
            start_utc: placed.utc,
            // Hours and minutes of a duration are exact time (RFC 5545 3.3.6), even across a
            // clock change.
            end_utc: placed.utc + Duration::minutes(i64::from(duration_minutes)),
            tz: self.series.tz.clone(),
            moved,
            shifted_by_dst_gap: placed.shifted_by_dst_gap,
        }
    }
}

impl MeetingSeries {
    /// Checks everything a member could get wrong: zone, duration, rule, and that every
    /// cancelled or moved date is a date of the series.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let schedule = Schedule::new(self)?;
        for moved in self.overrides.values() {
            if moved.duration_minutes == 0 {
                return Err(CalendarError::EndBeforeStart);
            }
            check_duration(moved.duration_minutes)?;
        }
        let keys = || self.exdates.iter().chain(self.overrides.keys());
        let (Some(first), Some(last)) = (keys().min(), keys().max()) else {
            return Ok(());
        };
        let dates = schedule.dates_between(*first, *last)?;
        match keys().find(|key| dates.binary_search(key).is_err()) {
            Some(stray) => Err(CalendarError::NotAnOccurrence(*stray)),
            None => Ok(()),
        }
    }

    /// The meetings that start in [from, to), sorted by start: cancelled ones left out, moved
    /// ones at their new time. Cancelled or moved dates that are not dates of the rule are
    /// ignored here (see [`MeetingSeries::validate`]).
    pub fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Occurrence>, CalendarError> {
        Schedule::new(self)?.occurrences(from, to)
    }

    /// Whether the rule gives a meeting at this original local start, to check the target of a
    /// cancel or move. Already cancelled or moved dates still count.
    pub fn is_occurrence(&self, original_local: NaiveDateTime) -> Result<bool, CalendarError> {
        Schedule::new(self)?.is_date(original_local)
    }
}

fn check_duration(minutes: u32) -> Result<(), CalendarError> {
    if minutes == 0 || minutes > MAX_DURATION_MINUTES {
        return Err(CalendarError::InvalidDuration(minutes));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::calendar::{MeetingFormat, validate_rrule};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        at(y, m, d, h, min).and_utc()
    }

    fn series(start: NaiveDateTime, tz: &str, rrule: Option<&str>) -> MeetingSeries {
        MeetingSeries {
            id: "s1".into(),
            group_id: "g1".into(),
            title: "Tuesday group".into(),
            start,
            tz: tz.into(),
            duration_minutes: 90,
            rrule: rrule.map(Into::into),
            exdates: BTreeSet::new(),
            overrides: BTreeMap::new(),
            format: MeetingFormat::InPerson,
            place: None,
            online_url: None,
            phone: None,
            agenda: None,
        }
    }

    fn starts_utc(occurrences: &[Occurrence]) -> Vec<DateTime<Utc>> {
        occurrences.iter().map(|o| o.start_utc).collect()
    }

    fn starts_local(occurrences: &[Occurrence]) -> Vec<NaiveDateTime> {
        occurrences.iter().map(|o| o.start_local).collect()
    }

    fn year_2025(s: &MeetingSeries) -> Vec<Occurrence> {
        s.occurrences(utc(2025, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0))
            .unwrap()
    }

    #[test]
    fn weekly_meeting_in_january() {
        let s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        let found = s
            .occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 2, 1, 0, 0))
            .unwrap();
        assert_eq!(
            starts_utc(&found),
            [
                utc(2025, 1, 7, 18, 0),
                utc(2025, 1, 14, 18, 0),
                utc(2025, 1, 21, 18, 0),
                utc(2025, 1, 28, 18, 0)
            ]
        );
        let first = &found[0];
        assert_eq!(first.end_utc, utc(2025, 1, 7, 19, 30));
        assert_eq!(first.original_start, at(2025, 1, 7, 19, 0));
        assert_eq!((first.moved, first.shifted_by_dst_gap), (false, false));
        assert_eq!(
            (first.series_id.as_str(), first.tz.as_str()),
            ("s1", "Europe/Madrid")
        );
    }

    #[test]
    fn window_is_half_open_on_start_times() {
        let s = series(at(2025, 1, 7, 19, 0), "UTC", Some("FREQ=WEEKLY"));
        // A meeting running at `from` but started before it is not listed; one starting at `to`
        // is not either.
        let found = s
            .occurrences(utc(2025, 1, 7, 19, 30), utc(2025, 1, 21, 19, 0))
            .unwrap();
        assert_eq!(starts_utc(&found), [utc(2025, 1, 14, 19, 0)]);
        let found = s
            .occurrences(utc(2025, 1, 14, 19, 0), utc(2025, 1, 14, 19, 1))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert!(
            s.occurrences(utc(2025, 2, 1, 0, 0), utc(2025, 1, 1, 0, 0))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn several_weekdays() {
        let s = series(
            at(2025, 1, 6, 18, 0),
            "America/New_York",
            Some("FREQ=WEEKLY;BYDAY=MO,TH"),
        );
        let found = s
            .occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 1, 20, 0, 0))
            .unwrap();
        assert_eq!(
            starts_local(&found),
            [
                at(2025, 1, 6, 18, 0),
                at(2025, 1, 9, 18, 0),
                at(2025, 1, 13, 18, 0),
                at(2025, 1, 16, 18, 0)
            ]
        );
        assert_eq!(found[0].start_utc, utc(2025, 1, 6, 23, 0));
    }

    #[test]
    fn second_tuesday_of_each_month() {
        let s = series(
            at(2025, 1, 14, 19, 0),
            "Europe/Madrid",
            Some("FREQ=MONTHLY;BYDAY=2TU"),
        );
        let days: Vec<_> = year_2025(&s).iter().map(|o| o.start_local.date()).collect();
        let expected: Vec<_> = [
            (1, 14),
            (2, 11),
            (3, 11),
            (4, 8),
            (5, 13),
            (6, 10),
            (7, 8),
            (8, 12),
            (9, 9),
            (10, 14),
            (11, 11),
            (12, 9),
        ]
        .iter()
        .map(|(m, d)| NaiveDate::from_ymd_opt(2025, *m, *d).unwrap())
        .collect();
        assert_eq!(days, expected);
    }

    #[test]
    fn last_friday_of_each_month() {
        let s = series(
            at(2025, 1, 31, 20, 0),
            "Europe/Madrid",
            Some("FREQ=MONTHLY;BYDAY=-1FR"),
        );
        let found = s
            .occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 6, 1, 0, 0))
            .unwrap();
        assert_eq!(
            starts_local(&found),
            [
                at(2025, 1, 31, 20, 0),
                at(2025, 2, 28, 20, 0),
                at(2025, 3, 28, 20, 0),
                at(2025, 4, 25, 20, 0),
                at(2025, 5, 30, 20, 0)
            ]
        );
    }

    #[test]
    fn count_ends_the_series() {
        let s = series(
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
            Some("FREQ=WEEKLY;COUNT=3"),
        );
        assert_eq!(
            starts_local(&year_2025(&s)),
            [
                at(2025, 1, 7, 19, 0),
                at(2025, 1, 14, 19, 0),
                at(2025, 1, 21, 19, 0)
            ]
        );
    }

    #[test]
    fn until_is_inclusive_in_all_three_forms() {
        // 2025-01-21 19:00 in Madrid is 18:00 UTC.
        for until in ["20250121T180000Z", "20250121T190000", "20250121"] {
            let rule = format!("FREQ=WEEKLY;UNTIL={until}");
            let s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some(&rule));
            assert_eq!(year_2025(&s).len(), 3, "{rule}");
            assert!(s.is_occurrence(at(2025, 1, 21, 19, 0)).unwrap());
            assert!(!s.is_occurrence(at(2025, 1, 28, 19, 0)).unwrap(), "{rule}");
        }
        let s = series(
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
            Some("FREQ=WEEKLY;UNTIL=20250121T175959Z"),
        );
        assert_eq!(year_2025(&s).len(), 2);
    }

    #[test]
    fn madrid_keeps_local_time_across_both_changes() {
        // Clocks change on the last Sunday of March (30th) and of October (26th) 2025.
        let s = series(
            at(2025, 3, 23, 19, 0),
            "Europe/Madrid",
            Some("FREQ=WEEKLY;BYDAY=SU"),
        );
        let found = year_2025(&s);
        let by_day = |m, d| {
            found
                .iter()
                .find(|o| o.start_local.date() == NaiveDate::from_ymd_opt(2025, m, d).unwrap())
                .unwrap()
        };
        assert_eq!(by_day(3, 23).start_utc, utc(2025, 3, 23, 18, 0));
        assert_eq!(by_day(3, 30).start_utc, utc(2025, 3, 30, 17, 0));
        assert_eq!(by_day(10, 19).start_utc, utc(2025, 10, 19, 17, 0));
        assert_eq!(by_day(10, 26).start_utc, utc(2025, 10, 26, 18, 0));
        assert!(
            found
                .iter()
                .all(|o| o.start_local.time() == at(2025, 1, 1, 19, 0).time())
        );
    }

    #[test]
    fn madrid_night_meeting_in_gap_and_overlap() {
        let s = series(
            at(2025, 3, 23, 2, 30),
            "Europe/Madrid",
            Some("FREQ=WEEKLY;BYDAY=SU"),
        );
        let found = year_2025(&s);
        let march_30 = found
            .iter()
            .find(|o| o.original_start == at(2025, 3, 30, 2, 30))
            .unwrap();
        assert_eq!(march_30.start_local, at(2025, 3, 30, 3, 30));
        assert_eq!(march_30.start_utc, utc(2025, 3, 30, 1, 30));
        assert!(march_30.shifted_by_dst_gap);
        let october_26 = found
            .iter()
            .find(|o| o.original_start == at(2025, 10, 26, 2, 30))
            .unwrap();
        assert_eq!(
            october_26.start_utc,
            utc(2025, 10, 26, 0, 30),
            "the CEST instant"
        );
        assert!(!october_26.shifted_by_dst_gap);
        assert_eq!(found.iter().filter(|o| o.shifted_by_dst_gap).count(), 1);
    }

    #[test]
    fn new_york_second_sunday_of_march_and_first_of_november() {
        let s = series(
            at(2025, 3, 3, 19, 0),
            "America/New_York",
            Some("FREQ=WEEKLY;BYDAY=MO,TH"),
        );
        let found = year_2025(&s);
        let start_of = |local| {
            found
                .iter()
                .find(|o| o.original_start == local)
                .unwrap()
                .start_utc
        };
        assert_eq!(
            start_of(at(2025, 3, 6, 19, 0)),
            utc(2025, 3, 7, 0, 0),
            "EST, UTC-5"
        );
        assert_eq!(
            start_of(at(2025, 3, 10, 19, 0)),
            utc(2025, 3, 10, 23, 0),
            "EDT, UTC-4"
        );
        assert_eq!(start_of(at(2025, 10, 30, 19, 0)), utc(2025, 10, 30, 23, 0));
        assert_eq!(start_of(at(2025, 11, 3, 19, 0)), utc(2025, 11, 4, 0, 0));
    }

    #[test]
    fn new_york_half_past_two_is_shifted_to_half_past_three() {
        let s = series(
            at(2025, 3, 2, 2, 30),
            "America/New_York",
            Some("FREQ=WEEKLY;BYDAY=SU"),
        );
        let found = s
            .occurrences(utc(2025, 3, 1, 0, 0), utc(2025, 3, 20, 0, 0))
            .unwrap();
        assert_eq!(
            starts_utc(&found),
            [
                utc(2025, 3, 2, 7, 30),
                utc(2025, 3, 9, 7, 30),
                utc(2025, 3, 16, 6, 30)
            ]
        );
        assert_eq!(found[1].original_start, at(2025, 3, 9, 2, 30));
        assert_eq!(found[1].start_local, at(2025, 3, 9, 3, 30));
        assert!(found[1].shifted_by_dst_gap && !found[0].shifted_by_dst_gap);
        // The shifted meeting is still the rule's date: it can be cancelled by its original time.
        assert!(s.is_occurrence(at(2025, 3, 9, 2, 30)).unwrap());
    }

    #[test]
    fn new_york_half_past_one_on_fall_back_day_is_the_edt_instant() {
        let s = series(
            at(2025, 10, 26, 1, 30),
            "America/New_York",
            Some("FREQ=WEEKLY;BYDAY=SU;COUNT=3"),
        );
        let found = year_2025(&s);
        assert_eq!(
            starts_utc(&found),
            [
                utc(2025, 10, 26, 5, 30),
                utc(2025, 11, 2, 5, 30),
                utc(2025, 11, 9, 6, 30)
            ]
        );
        assert_eq!(found[1].start_local, at(2025, 11, 2, 1, 30));
    }

    #[test]
    fn sydney_in_the_southern_hemisphere() {
        // Daylight time ends on the first Sunday of April, starts on the first Sunday of October.
        let s = series(
            at(2025, 3, 30, 10, 0),
            "Australia/Sydney",
            Some("FREQ=WEEKLY;BYDAY=SU"),
        );
        let found = year_2025(&s);
        let start_of = |local| {
            found
                .iter()
                .find(|o| o.original_start == local)
                .unwrap()
                .start_utc
        };
        assert_eq!(
            start_of(at(2025, 3, 30, 10, 0)),
            utc(2025, 3, 29, 23, 0),
            "AEDT, UTC+11"
        );
        assert_eq!(
            start_of(at(2025, 4, 6, 10, 0)),
            utc(2025, 4, 6, 0, 0),
            "AEST, UTC+10"
        );
        assert_eq!(start_of(at(2025, 9, 28, 10, 0)), utc(2025, 9, 28, 0, 0));
        assert_eq!(start_of(at(2025, 10, 5, 10, 0)), utc(2025, 10, 4, 23, 0));
    }

    #[test]
    fn santiago_meeting_at_missing_midnight_is_kept_and_shifted() {
        // Chile springs forward at 24:00 on Saturday 2025-09-06; 00:30 on the 7th does not exist.
        let s = series(
            at(2025, 8, 31, 0, 30),
            "America/Santiago",
            Some("FREQ=WEEKLY;BYDAY=SU"),
        );
        let found = s
            .occurrences(utc(2025, 8, 30, 0, 0), utc(2025, 9, 20, 0, 0))
            .unwrap();
        assert_eq!(
            starts_local(&found),
            [
                at(2025, 8, 31, 0, 30),
                at(2025, 9, 7, 1, 30),
                at(2025, 9, 14, 0, 30)
            ]
        );
        assert_eq!(
            starts_utc(&found),
            [
                utc(2025, 8, 31, 4, 30),
                utc(2025, 9, 7, 4, 30),
                utc(2025, 9, 14, 3, 30)
            ]
        );
        assert!(found[1].shifted_by_dst_gap);
    }

    #[test]
    fn cancelled_meeting_is_left_out() {
        let mut s = series(
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
            Some("FREQ=WEEKLY;COUNT=4"),
        );
        s.exdates.insert(at(2025, 1, 14, 19, 0));
        s.validate().unwrap();
        assert_eq!(
            starts_local(&year_2025(&s)),
            [
                at(2025, 1, 7, 19, 0),
                at(2025, 1, 21, 19, 0),
                at(2025, 1, 28, 19, 0)
            ]
        );
        assert!(
            s.is_occurrence(at(2025, 1, 14, 19, 0)).unwrap(),
            "still a date of the rule"
        );
    }

    #[test]
    fn moved_meetings_inside_and_outside_the_window() {
        let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        // Moved within January, by a day and to a longer meeting.
        s.overrides.insert(
            at(2025, 1, 14, 19, 0),
            OccurrenceOverride {
                start: at(2025, 1, 15, 18, 0),
                duration_minutes: 120,
            },
        );
        // From January out to February.
        s.overrides.insert(
            at(2025, 1, 28, 19, 0),
            OccurrenceOverride {
                start: at(2025, 2, 3, 19, 0),
                duration_minutes: 90,
            },
        );
        // From February into January.
        s.overrides.insert(
            at(2025, 2, 4, 19, 0),
            OccurrenceOverride {
                start: at(2025, 1, 30, 19, 0),
                duration_minutes: 60,
            },
        );
        s.validate().unwrap();
        let january = s
            .occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 2, 1, 0, 0))
            .unwrap();
        assert_eq!(
            starts_local(&january),
            [
                at(2025, 1, 7, 19, 0),
                at(2025, 1, 15, 18, 0),
                at(2025, 1, 21, 19, 0),
                at(2025, 1, 30, 19, 0)
            ]
        );
        let moved = &january[1];
        assert!(moved.moved);
        assert_eq!(moved.original_start, at(2025, 1, 14, 19, 0));
        assert_eq!(moved.end_utc - moved.start_utc, Duration::minutes(120));
        assert_eq!(january[3].original_start, at(2025, 2, 4, 19, 0));
        assert_eq!(january[3].end_utc, utc(2025, 1, 30, 19, 0));
        let february = s
            .occurrences(utc(2025, 2, 1, 0, 0), utc(2025, 2, 12, 0, 0))
            .unwrap();
        assert_eq!(
            starts_local(&february),
            [at(2025, 2, 3, 19, 0), at(2025, 2, 11, 19, 0)]
        );
    }

    #[test]
    fn moved_meeting_far_from_its_original_date() {
        let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        s.overrides.insert(
            at(2025, 1, 7, 19, 0),
            OccurrenceOverride {
                start: at(2025, 6, 1, 12, 0),
                duration_minutes: 60,
            },
        );
        let june = s
            .occurrences(utc(2025, 6, 1, 0, 0), utc(2025, 6, 2, 0, 0))
            .unwrap();
        assert_eq!(june.len(), 1);
        assert!(june[0].moved);
        // A cancellation wins over a move of the same date.
        s.exdates.insert(at(2025, 1, 7, 19, 0));
        assert!(
            s.occurrences(utc(2025, 6, 1, 0, 0), utc(2025, 6, 2, 0, 0))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn single_meeting_without_rule() {
        let mut s = series(at(2025, 5, 5, 10, 0), "Europe/Madrid", None);
        assert_eq!(starts_utc(&year_2025(&s)), [utc(2025, 5, 5, 8, 0)]);
        assert!(s.is_occurrence(at(2025, 5, 5, 10, 0)).unwrap());
        assert!(!s.is_occurrence(at(2025, 5, 12, 10, 0)).unwrap());
        s.rrule = Some("  ".into());
        assert_eq!(year_2025(&s).len(), 1);
    }

    #[test]
    fn unknown_zone_is_refused() {
        let error =
            validate_rrule("FREQ=WEEKLY", at(2025, 1, 7, 19, 0), "Europe/Madird").unwrap_err();
        assert!(
            matches!(error, CalendarError::UnknownTimeZone(ref name) if name == "Europe/Madird")
        );
        let s = series(at(2025, 1, 7, 19, 0), "Mars/Olympus", Some("FREQ=WEEKLY"));
        assert!(matches!(
            s.validate(),
            Err(CalendarError::UnknownTimeZone(_))
        ));
        assert!(matches!(
            s.occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 2, 1, 0, 0)),
            Err(CalendarError::UnknownTimeZone(_))
        ));
    }

    #[test]
    fn bad_durations_are_refused() {
        for minutes in [0, 24 * 60 + 1] {
            let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
            s.duration_minutes = minutes;
            assert!(matches!(s.validate(), Err(CalendarError::InvalidDuration(m)) if m == minutes));
        }
        let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        s.duration_minutes = 24 * 60;
        s.validate().unwrap();
    }

    #[test]
    fn cancel_or_move_of_a_date_that_is_not_a_meeting_is_refused() {
        let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        s.exdates.insert(at(2025, 1, 8, 19, 0));
        assert!(
            matches!(s.validate(), Err(CalendarError::NotAnOccurrence(d))
                if d == at(2025, 1, 8, 19, 0))
        );
        s.exdates.clear();
        s.overrides.insert(
            at(2025, 1, 14, 18, 0),
            OccurrenceOverride {
                start: at(2025, 1, 15, 18, 0),
                duration_minutes: 60,
            },
        );
        let error = s.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            "there is no meeting of this series on Tue 2025-01-14 18:00 to cancel or move"
        );
        // Stray keys are ignored when listing.
        assert_eq!(
            s.occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 2, 1, 0, 0))
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn move_that_ends_before_it_starts_is_refused() {
        let start = at(2025, 1, 15, 18, 0);
        assert!(matches!(
            OccurrenceOverride::between(start, start),
            Err(CalendarError::EndBeforeStart)
        ));
        assert!(matches!(
            OccurrenceOverride::between(start, at(2025, 1, 15, 17, 0)),
            Err(CalendarError::EndBeforeStart)
        ));
        assert!(matches!(
            OccurrenceOverride::between(start, at(2025, 1, 17, 17, 0)),
            Err(CalendarError::InvalidDuration(_))
        ));
        assert_eq!(
            OccurrenceOverride::between(start, at(2025, 1, 15, 19, 30))
                .unwrap()
                .duration_minutes,
            90
        );
        let mut s = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        s.overrides.insert(
            at(2025, 1, 14, 19, 0),
            OccurrenceOverride {
                start,
                duration_minutes: 0,
            },
        );
        assert!(matches!(s.validate(), Err(CalendarError::EndBeforeStart)));
    }

    #[test]
    fn runaway_expansion_stops_with_a_clear_error() {
        let s = series(
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
            Some("FREQ=SECONDLY"),
        );
        let error = s
            .occurrences(utc(2025, 1, 1, 0, 0), utc(2025, 2, 1, 0, 0))
            .unwrap_err();
        assert!(matches!(error, CalendarError::TooManyOccurrences { .. }));
        assert!(
            error.to_string().contains("choose a shorter period"),
            "{error}"
        );
        let weekly = series(at(2025, 1, 7, 19, 0), "Europe/Madrid", Some("FREQ=WEEKLY"));
        let far = Utc.with_ymd_and_hms(2600, 1, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            weekly.occurrences(far, far + Duration::days(7)),
            Err(CalendarError::TooManyOccurrences { .. })
        ));
        // A bounded rule is not a runaway whatever the window.
        let counted = series(
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
            Some("FREQ=SECONDLY;COUNT=5"),
        );
        assert_eq!(
            counted
                .occurrences(utc(2000, 1, 1, 0, 0), far)
                .unwrap()
                .len(),
            5
        );
    }

    fn arbitrary_series() -> impl Strategy<Value = (MeetingSeries, Vec<usize>)> {
        let zones = prop::sample::select(vec![
            "Europe/Madrid",
            "America/New_York",
            "America/Santiago",
            "Australia/Sydney",
            "America/Bogota",
            "UTC",
        ]);
        (
            zones,
            0i64..3650,
            // Hours 0-3 often hit a gap or an overlap somewhere.
            prop::sample::select(vec![0u32, 1, 2, 3, 9, 19, 23]),
            prop::sample::select(vec![0u32, 30]),
            0usize..4,
            1u16..4,
            prop::option::of(1u32..40),
            prop::collection::vec(0usize..30, 0..5),
        )
            .prop_map(|(tz, day, hour, minute, kind, interval, count, cancel)| {
                let start = at(2020, 1, 1, hour, minute) + Duration::days(day);
                let weekday = rrule::NWeekday::Every(chrono::Datelike::weekday(&start)).to_string();
                let day_of_month = chrono::Datelike::day(&start);
                let rule = match kind {
                    0 => format!("FREQ=WEEKLY;INTERVAL={interval}"),
                    1 => format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={weekday},SA"),
                    2 => format!(
                        "FREQ=MONTHLY;INTERVAL={interval};BYDAY={}{weekday}",
                        (day_of_month - 1) / 7 + 1
                    ),
                    _ => format!("FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY={day_of_month}"),
                };
                let rule = match count {
                    Some(count) => format!("{rule};COUNT={count}"),
                    None => rule,
                };
                (series(start, tz, Some(&rule)), cancel)
            })
    }

    proptest! {
        #[test]
        fn occurrences_lie_in_the_window_sorted_and_never_on_a_cancelled_date(
            (mut s, cancel) in arbitrary_series(),
            from_day in -60i64..4000,
            length_days in 1i64..800,
        ) {
            let tz = parse_tz(&s.tz).unwrap();
            let dates = Schedule::new(&s)
                .unwrap()
                .dates_between(s.start, s.start + Duration::days(6000))
                .unwrap();
            for index in cancel {
                if let Some(date) = dates.get(index) {
                    s.exdates.insert(*date);
                }
            }
            prop_assert!(s.validate().is_ok());
            let from = utc(2020, 1, 1, 0, 0) + Duration::days(from_day);
            let to = from + Duration::days(length_days);
            let found = s.occurrences(from, to).unwrap();
            for occurrence in &found {
                prop_assert!(from <= occurrence.start_utc && occurrence.start_utc < to);
                prop_assert!(!s.exdates.contains(&occurrence.original_start));
                prop_assert!(dates.contains(&occurrence.original_start));
                prop_assert_eq!(localize(occurrence.original_start, tz).utc, occurrence.start_utc);
            }
            prop_assert!(found.windows(2).all(|pair| pair[0].start_utc <= pair[1].start_utc));
            // Nothing is lost either: every non-cancelled date placed in the window is listed.
            let expected = dates.iter().filter(|d| !s.exdates.contains(d)).filter(|d| {
                let at = localize(**d, tz).utc;
                from <= at && at < to
            }).count();
            prop_assert_eq!(found.len(), expected);
        }
    }
}
