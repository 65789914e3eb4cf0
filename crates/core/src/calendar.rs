//! Meeting series, their recurrence, and iCalendar export.
//!
//! A group's meetings are kept the way RFC 5545 keeps them: a first meeting in a named IANA time
//! zone, a repeat rule (RRULE), cancelled dates (EXDATE) and moved dates (RECURRENCE-ID
//! overrides), all keyed by the *local wall-clock* time of the original meeting. Nothing is ever
//! stored as a list of UTC instants, so a weekly 19:00 meeting stays at 19:00 for the people in
//! the room when their clocks change, and a change of tz database rules is picked up for free.
//!
//! Recurrence is expanded by the `rrule` crate in floating local time; each wall-clock date is
//! then placed in the zone by [`localize`], which applies the RFC 5545 rules for daylight-saving
//! gaps (shift forward) and overlaps (first instant). [`export_ics`] writes the same calendar as
//! an `.ics` file that other calendar programs expand to the very same instants.

mod ics;
mod localtime;
mod recurrence;
mod rule;
mod vtimezone;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

pub use chrono_tz::Tz;
pub use ics::export_ics;
pub use localtime::{Localized, localize, parse_tz};
pub use rule::validate_rrule;

/// The longest meeting we accept, in minutes.
pub const MAX_DURATION_MINUTES: u32 = 24 * 60;

/// How many dates one question about a series may expand before we stop and say so.
///
/// Weekly meetings reach it after ~380 years, daily ones after ~55 years: only a rule that
/// repeats every hour, minute or second (or an absurd window) runs into it.
pub const MAX_EXPANDED_DATES: usize = 20_000;

/// How the group meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingFormat {
    InPerson,
    Online,
    Hybrid,
    Phone,
}

/// A group's recurring (or one-off) meeting, as kept in the group's shared document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingSeries {
    /// Stable identifier; the iCalendar UID is `{id}@mutua`.
    pub id: String,
    pub group_id: String,
    pub title: String,
    /// Wall-clock start of the first meeting, in `tz`.
    pub start: NaiveDateTime,
    /// IANA time zone name, e.g. `Europe/Madrid`.
    pub tz: String,
    /// Length of each meeting: more than 0, at most [`MAX_DURATION_MINUTES`].
    pub duration_minutes: u32,
    /// RFC 5545 RRULE value without the `RRULE:` prefix, e.g. `FREQ=MONTHLY;BYDAY=2TU`.
    /// `None` is a single meeting.
    pub rrule: Option<String>,
    /// Cancelled meetings, keyed by their original local start.
    pub exdates: BTreeSet<NaiveDateTime>,
    /// Moved meetings, keyed by their original local start.
    pub overrides: BTreeMap<NaiveDateTime, OccurrenceOverride>,
    pub format: MeetingFormat,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub phone: Option<String>,
    pub agenda: Option<String>,
}

/// Where and for how long one moved meeting now takes place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OccurrenceOverride {
    /// New local start, in the series' time zone.
    pub start: NaiveDateTime,
    pub duration_minutes: u32,
}

impl OccurrenceOverride {
    /// A moved meeting from its new local start and end (both in the series' zone).
    pub fn between(start: NaiveDateTime, end: NaiveDateTime) -> Result<Self, CalendarError> {
        let minutes = (end - start).num_minutes();
        if minutes <= 0 {
            return Err(CalendarError::EndBeforeStart);
        }
        let duration_minutes = u32::try_from(minutes).unwrap_or(u32::MAX);
        if duration_minutes > MAX_DURATION_MINUTES {
            return Err(CalendarError::InvalidDuration(duration_minutes));
        }
        Ok(Self {
            start,
            duration_minutes,
        })
    }
}

/// One concrete meeting of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occurrence {
    pub series_id: String,
    pub title: String,
    /// The date the rule gives (the RECURRENCE-ID), local wall clock.
    pub original_start: NaiveDateTime,
    /// The actual local wall-clock start, after a move or a daylight-saving gap shift.
    pub start_local: NaiveDateTime,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
    pub tz: String,
    /// The meeting was moved away from the rule's date.
    pub moved: bool,
    /// The wall-clock time did not exist that day (clocks went forward) and was moved forward by
    /// the length of the gap.
    pub shifted_by_dst_gap: bool,
}

/// What can be wrong with a meeting series, said so that a member can fix it.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "unknown time zone {0:?}: use an IANA name such as {hint}",
        hint = localtime::suggest_zone(.0)
    )]
    UnknownTimeZone(String),
    #[error("the repeat rule {rule:?} is not valid: {reason}")]
    InvalidRrule { rule: String, reason: String },
    #[error(
        "the repeat rule ends ({until}) before the first meeting ({start})",
        start = rule::describe(.start)
    )]
    UntilBeforeStart { until: String, start: NaiveDateTime },
    #[error(
        "the first meeting ({start}) is not one of the dates of the repeat rule {rule:?}: \
         start the series on a date the rule gives",
        start = rule::describe(.start)
    )]
    StartNotInRule { start: NaiveDateTime, rule: String },
    #[error(
        "a meeting must last more than 0 and at most {MAX_DURATION_MINUTES} minutes (24 hours), \
         not {0}"
    )]
    InvalidDuration(u32),
    #[error(
        "there is no meeting of this series on {date} to cancel or move",
        date = rule::describe(.0)
    )]
    NotAnOccurrence(NaiveDateTime),
    #[error("the meeting would end before (or when) it starts")]
    EndBeforeStart,
    #[error(
        "this asks for more than {limit} meeting dates at once: the series repeats too often \
         or the period is too long; choose a shorter period"
    )]
    TooManyOccurrences { limit: usize },
}
