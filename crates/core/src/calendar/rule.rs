//! Repeat rules (RRULE) as members write them, checked and made ready to expand.
//!
//! The `rrule` crate runs the rule in *floating* local time (a UTC start that stands in for the
//! wall clock), so every date keeps its wall-clock time whatever the zone does; the dates are
//! placed in the zone afterwards (see `recurrence`). Handing the real zone to `rrule` would be
//! shorter but wrong: it drops dates whose midnight does not exist (Chile springs forward at
//! 24:00) and reads a non-UTC UNTIL in the *computer's* zone. UNTIL is therefore taken out of the
//! rule, turned into the UTC instant RFC 5545 means by it, and applied to the placed dates.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rrule::{RRule, RRuleError, RRuleSet, Unvalidated};

use super::localtime::{localize, parse_tz};
use super::{CalendarError, MAX_EXPANDED_DATES, Tz};

/// Checks a repeat rule for a series starting at `start` (local, in `tz`): the text, a known
/// zone, an UNTIL that is not before the start, and a start that is one of the rule's dates.
pub fn validate_rrule(rule: &str, start: NaiveDateTime, tz: &str) -> Result<(), CalendarError> {
    Rule::parse(rule, start, parse_tz(tz)?).map(|_| ())
}

/// `Tue 2025-03-11 19:00`, for messages.
pub(super) fn describe(local: &NaiveDateTime) -> String {
    local.format("%a %Y-%m-%d %H:%M").to_string()
}

/// A parsed, checked repeat rule.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    /// The rule without UNTIL, run in floating time.
    rrule: RRule,
    /// UNTIL as the UTC instant it means; inclusive.
    until: Option<DateTime<Utc>>,
    /// The rule as written to an `.ics` file: upper case, UNTIL in UTC.
    pub ics_value: String,
    start: NaiveDateTime,
    tz: Tz,
}

impl Rule {
    pub(super) fn parse(text: &str, start: NaiveDateTime, tz: Tz) -> Result<Self, CalendarError> {
        let invalid = |reason: &str| CalendarError::InvalidRrule {
            rule: text.to_owned(),
            reason: reason.to_owned(),
        };
        let body = text.trim();
        let body = match body.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &body[6..],
            _ => body,
        };
        if body.contains([':', '\n', '\r']) {
            return Err(invalid(
                "write only the rule itself, such as FREQ=WEEKLY;BYDAY=TU \
                 (no DTSTART or other lines)",
            ));
        }
        let mut parts = Vec::new();
        let mut until_text = None;
        for part in body
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((name, value)) = part.split_once('=') else {
                return Err(invalid(&format!("{part:?} should look like NAME=VALUE")));
            };
            let (name, value) = (
                name.trim().to_ascii_uppercase(),
                value.trim().to_ascii_uppercase(),
            );
            if name == "UNTIL" {
                if until_text.replace(value).is_some() {
                    return Err(invalid("UNTIL is given twice"));
                }
            } else {
                parts.push(format!("{name}={value}"));
            }
        }
        let unvalidated: RRule<Unvalidated> = parts
            .join(";")
            .parse()
            .map_err(|error| invalid(&rrule_reason(&error)))?;
        if unvalidated.get_interval() == 0 {
            return Err(invalid("INTERVAL must be 1 or more"));
        }
        if until_text.is_some() && unvalidated.get_count().is_some() {
            return Err(invalid(
                "a rule ends either after COUNT meetings or on UNTIL, not both",
            ));
        }
        let rrule = unvalidated
            .validate(floating(start))
            .map_err(|error| invalid(&rrule_reason(&error)))?;
        let until = until_text
            .map(|value| {
                parse_until(&value, tz).ok_or_else(|| {
                    invalid(&format!(
                        "UNTIL={value} is not a date (20250630) or a date and time \
                         (20250630T190000Z)"
                    ))
                })
            })
            .transpose()?;
        if let Some(until) = until {
            if until < localize(start, tz).utc {
                return Err(CalendarError::UntilBeforeStart {
                    until: until
                        .with_timezone(&tz)
                        .format("%a %Y-%m-%d %H:%M")
                        .to_string(),
                    start,
                });
            }
            parts.push(format!("UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
        }
        let rule = Self {
            rrule,
            until,
            ics_value: parts.join(";"),
            start,
            tz,
        };
        let mut first = None;
        rule.walk(|date| {
            first = Some(date);
            false
        })?;
        if first != Some(start) {
            return Err(CalendarError::StartNotInRule {
                start,
                rule: text.to_owned(),
            });
        }
        Ok(rule)
    }

    /// Calls `visit` with the rule's local dates in order, from the start, until it returns
    /// false or the dates run out.
    pub(super) fn walk(
        &self,
        mut visit: impl FnMut(NaiveDateTime) -> bool,
    ) -> Result<(), CalendarError> {
        // `limit` makes rrule give up on rules that never match (e.g. 30 February).
        let set = RRuleSet::new(floating(self.start))
            .rrule(self.rrule.clone())
            .limit();
        for (index, date) in (&set).into_iter().enumerate() {
            if index >= MAX_EXPANDED_DATES {
                return Err(CalendarError::TooManyOccurrences {
                    limit: MAX_EXPANDED_DATES,
                });
            }
            let local = date.naive_utc();
            if self
                .until
                .is_some_and(|until| localize(local, self.tz).utc > until)
            {
                break;
            }
            if !visit(local) {
                break;
            }
        }
        Ok(())
    }

    /// The last local date of a rule that ends (COUNT or UNTIL), or `None` if it goes on.
    pub(super) fn last_date(&self) -> Result<Option<NaiveDateTime>, CalendarError> {
        if self.until.is_none() && self.rrule.get_count().is_none() {
            return Ok(None);
        }
        let mut last = None;
        self.walk(|date| {
            last = Some(date);
            true
        })?;
        Ok(last)
    }
}

/// The floating stand-in for a local wall-clock time.
fn floating(local: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

/// UNTIL as a UTC instant: `...Z` is UTC; a local date-time is read in the series' zone; a bare
/// date means "through that day".
fn parse_until(value: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Some(utc) = value.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .ok()
            .map(|at| at.and_utc());
    }
    let local = match NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S") {
        Ok(local) => local,
        Err(_) if value.len() == 8 => NaiveDate::parse_from_str(value, "%Y%m%d")
            .ok()?
            .and_hms_opt(23, 59, 59)?,
        Err(_) => return None,
    };
    Some(localize(local, tz).utc)
}

fn rrule_reason(error: &RRuleError) -> String {
    match error {
        RRuleError::ParserError(error) => error.to_string(),
        RRuleError::ValidationError(error) => error.to_string(),
        RRuleError::IterError(error) => error.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn until_is_written_to_ics_in_utc() {
        let rule = Rule::parse(
            "rrule:freq=weekly;until=20250121T190000",
            at(2025, 1, 7, 19, 0),
            Tz::Europe__Madrid,
        )
        .unwrap();
        assert_eq!(rule.ics_value, "FREQ=WEEKLY;UNTIL=20250121T180000Z");
        assert_eq!(rule.last_date().unwrap(), Some(at(2025, 1, 21, 19, 0)));
    }

    #[test]
    fn bad_rules_are_refused_in_plain_words() {
        let start = at(2025, 1, 7, 19, 0);
        let error = validate_rrule("FREQ=FORTNIGHTLY", start, "Europe/Madrid").unwrap_err();
        assert!(
            matches!(error, CalendarError::InvalidRrule { .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("the repeat rule \"FREQ=FORTNIGHTLY\" is not valid")
        );
        for rule in [
            "",
            "WEEKLY",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=MONTHLY;BYMONTHDAY=40",
            "DTSTART:20250107T190000\nRRULE:FREQ=WEEKLY",
            "FREQ=WEEKLY;INTERVAL=0",
            "FREQ=WEEKLY;COUNT=3;UNTIL=20250301T000000Z",
            "FREQ=WEEKLY;UNTIL=tomorrow",
        ] {
            let error = validate_rrule(rule, start, "Europe/Madrid").unwrap_err();
            assert!(
                matches!(error, CalendarError::InvalidRrule { .. }),
                "{rule:?}: {error}"
            );
        }
        validate_rrule("RRULE:FREQ=WEEKLY;BYDAY=TU", start, "Europe/Madrid").unwrap();
    }

    #[test]
    fn until_before_start_is_refused() {
        let error = validate_rrule(
            "FREQ=WEEKLY;UNTIL=20241231T000000Z",
            at(2025, 1, 7, 19, 0),
            "Europe/Madrid",
        )
        .unwrap_err();
        assert!(
            matches!(error, CalendarError::UntilBeforeStart { .. }),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "the repeat rule ends (Tue 2024-12-31 01:00) before the first meeting \
             (Tue 2025-01-07 19:00)"
        );
    }

    #[test]
    fn start_must_be_a_date_of_the_rule() {
        // 2025-01-07 is a Tuesday, not a Monday, nor the second Tuesday.
        for rule in [
            "FREQ=WEEKLY;BYDAY=MO",
            "FREQ=MONTHLY;BYDAY=2TU",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        ] {
            let error = validate_rrule(rule, at(2025, 1, 7, 19, 0), "Europe/Madrid").unwrap_err();
            assert!(
                matches!(error, CalendarError::StartNotInRule { .. }),
                "{rule}: {error}"
            );
        }
    }
}
