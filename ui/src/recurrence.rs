//! The recurrence editor's model: what a member picks ("every month on the second Tuesday,
//! ten times") and the RFC 5545 RRULE text the core stores.
//!
//! The core rejects a series whose start is not itself one of the rule's dates, so the editor
//! also finds the first matching date on or after the one the member typed and tells them it
//! moved. Rules the editor cannot show (an INTERVAL, a yearly rule from an imported feed) are
//! kept verbatim as [`Repeat::Custom`], so editing a meeting never rewrites them by accident.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Which weekday of the month: the first … fourth, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

impl Nth {
    pub const ALL: [Nth; 5] = [Nth::First, Nth::Second, Nth::Third, Nth::Fourth, Nth::Last];

    /// The number in front of the weekday in `BYDAY` (`2TU`, `-1FR`).
    pub fn code(self) -> i8 {
        match self {
            Nth::First => 1,
            Nth::Second => 2,
            Nth::Third => 3,
            Nth::Fourth => 4,
            Nth::Last => -1,
        }
    }

    pub fn from_code(code: i8) -> Option<Nth> {
        Nth::ALL.into_iter().find(|nth| nth.code() == code)
    }

    /// Which of a month's weekdays `date` is, counted from the start.
    pub fn of(date: NaiveDate) -> Nth {
        match (date.day() - 1) / 7 {
            0 => Nth::First,
            1 => Nth::Second,
            2 => Nth::Third,
            _ => Nth::Fourth,
        }
    }

    fn matches(self, date: NaiveDate) -> bool {
        match self {
            Nth::Last => {
                date.checked_add_signed(Duration::days(7))
                    .map(|d| d.month())
                    != Some(date.month())
            }
            nth => (date.day() - 1) / 7 + 1 == u32::from(nth.code().unsigned_abs()),
        }
    }
}

/// How a meeting repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    Once,
    /// Index 0 is Monday.
    Weekly {
        days: [bool; 7],
    },
    MonthlyWeekday {
        nth: Nth,
        weekday: Weekday,
    },
    MonthlyDay {
        day: u32,
    },
    /// A rule the editor cannot show, kept as written (without UNTIL/COUNT, held in `Ends`).
    Custom(String),
}

/// When a repeating meeting stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    Never,
    /// The last day a meeting may fall on (inclusive, in the meeting's zone).
    On(NaiveDate),
    After(u32),
}

/// A whole rule as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub repeat: Repeat,
    pub ends: Ends,
}

pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn day_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn parse_day(code: &str) -> Option<Weekday> {
    WEEKDAYS.into_iter().find(|day| day_code(*day) == code)
}

impl Rule {
    pub fn once() -> Rule {
        Rule {
            repeat: Repeat::Once,
            ends: Ends::Never,
        }
    }

    /// The RRULE text for the core, or `None` for a meeting that happens once.
    pub fn to_rrule(&self) -> Option<String> {
        let mut parts = match &self.repeat {
            Repeat::Once => return None,
            Repeat::Weekly { days } => {
                let codes: Vec<&str> = WEEKDAYS
                    .iter()
                    .zip(days)
                    .filter(|(_, on)| **on)
                    .map(|(day, _)| day_code(*day))
                    .collect();
                if codes.is_empty() {
                    vec!["FREQ=WEEKLY".to_owned()]
                } else {
                    vec![
                        "FREQ=WEEKLY".to_owned(),
                        format!("BYDAY={}", codes.join(",")),
                    ]
                }
            }
            Repeat::MonthlyWeekday { nth, weekday } => vec![
                "FREQ=MONTHLY".to_owned(),
                format!("BYDAY={}{}", nth.code(), day_code(*weekday)),
            ],
            Repeat::MonthlyDay { day } => {
                vec!["FREQ=MONTHLY".to_owned(), format!("BYMONTHDAY={day}")]
            }
            Repeat::Custom(text) => vec![text.clone()],
        };
        match self.ends {
            Ends::Never => {}
            Ends::On(date) => parts.push(format!("UNTIL={}T235959", date.format("%Y%m%d"))),
            Ends::After(count) => parts.push(format!("COUNT={count}")),
        }
        Some(parts.join(";"))
    }

    /// Reads a stored rule back into the editor; anything it cannot show becomes `Custom`.
    pub fn parse(text: Option<&str>) -> Rule {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Rule::once();
        };
        let body = text
            .strip_prefix("RRULE:")
            .or_else(|| text.strip_prefix("rrule:"))
            .unwrap_or(text);
        let mut freq = None;
        let mut byday = None;
        let mut bymonthday = None;
        let mut ends = Ends::Never;
        let mut rest = Vec::new();
        for part in body.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                rest.push(part.to_owned());
                continue;
            };
            let (name, value) = (name.to_ascii_uppercase(), value.to_ascii_uppercase());
            match name.as_str() {
                "FREQ" => freq = Some(value),
                "BYDAY" => byday = Some(value),
                "BYMONTHDAY" => bymonthday = Some(value),
                "WKST" => {}
                "INTERVAL" if value == "1" => {}
                "COUNT" => match value.parse() {
                    Ok(count) => ends = Ends::After(count),
                    Err(_) => rest.push(format!("{name}={value}")),
                },
                "UNTIL" => match value
                    .get(..8)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
                {
                    Some(date) => ends = Ends::On(date),
                    None => rest.push(format!("{name}={value}")),
                },
                _ => rest.push(format!("{name}={value}")),
            }
        }
        let custom = || {
            // Keep the rule whole except its end, which the editor shows.
            let mut parts = Vec::new();
            if let Some(freq) = &freq {
                parts.push(format!("FREQ={freq}"));
            }
            if let Some(byday) = &byday {
                parts.push(format!("BYDAY={byday}"));
            }
            if let Some(day) = &bymonthday {
                parts.push(format!("BYMONTHDAY={day}"));
            }
            parts.extend(rest.iter().cloned());
            Repeat::Custom(parts.join(";"))
        };
        if !rest.is_empty() {
            return Rule {
                repeat: custom(),
                ends,
            };
        }
        let repeat = match (freq.as_deref(), byday.as_deref(), bymonthday.as_deref()) {
            (Some("WEEKLY"), Some(days), None) => {
                let mut on = [false; 7];
                let mut ok = true;
                for code in days.split(',') {
                    match parse_day(code.trim()) {
                        Some(day) => on[day.num_days_from_monday() as usize] = true,
                        None => ok = false,
                    }
                }
                if ok {
                    Repeat::Weekly { days: on }
                } else {
                    custom()
                }
            }
            (Some("MONTHLY"), Some(day), None) => {
                let split = day.len().saturating_sub(2);
                let (number, code) = day.split_at(split);
                match (
                    number.parse::<i8>().ok().and_then(Nth::from_code),
                    parse_day(code),
                ) {
                    (Some(nth), Some(weekday)) => Repeat::MonthlyWeekday { nth, weekday },
                    _ => custom(),
                }
            }
            (Some("MONTHLY"), None, Some(day)) => match day.parse::<u32>() {
                Ok(day @ 1..=31) => Repeat::MonthlyDay { day },
                _ => custom(),
            },
            _ => custom(),
        };
        Rule { repeat, ends }
    }

    /// Whether a meeting may fall on `date` under this rule (ends aside).
    pub fn matches(&self, date: NaiveDate) -> bool {
        match &self.repeat {
            Repeat::Once | Repeat::Custom(_) => true,
            Repeat::Weekly { days } => {
                !days.contains(&true) || days[date.weekday().num_days_from_monday() as usize]
            }
            Repeat::MonthlyWeekday { nth, weekday } => {
                date.weekday() == *weekday && nth.matches(date)
            }
            Repeat::MonthlyDay { day } => date.day() == *day,
        }
    }

    /// The first date on or after `from` that the rule allows (`from` itself if it does).
    pub fn first_on_or_after(&self, from: NaiveDate) -> Option<NaiveDate> {
        // Every rule the editor builds matches within 62 days (day 31 skips at most a month).
        from.iter_days().take(400).find(|date| self.matches(*date))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn second_tuesday_builds_and_parses() {
        let rule = Rule {
            repeat: Repeat::MonthlyWeekday {
                nth: Nth::Second,
                weekday: Weekday::Tue,
            },
            ends: Ends::Never,
        };
        assert_eq!(rule.to_rrule().unwrap(), "FREQ=MONTHLY;BYDAY=2TU");
        assert_eq!(Rule::parse(Some("FREQ=MONTHLY;BYDAY=2TU")), rule);
        // 2026-02-01 is a Sunday: the second Tuesday is the 10th.
        assert_eq!(
            rule.first_on_or_after(date(2026, 2, 1)),
            Some(date(2026, 2, 10))
        );
        assert_eq!(
            rule.first_on_or_after(date(2026, 2, 11)),
            Some(date(2026, 3, 10))
        );
    }

    #[test]
    fn weekly_with_until() {
        let mut days = [false; 7];
        days[0] = true;
        days[3] = true;
        let rule = Rule {
            repeat: Repeat::Weekly { days },
            ends: Ends::On(date(2027, 1, 1)),
        };
        let text = rule.to_rrule().unwrap();
        assert_eq!(text, "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270101T235959");
        assert_eq!(Rule::parse(Some(&text)), rule);
    }

    #[test]
    fn last_friday_and_count() {
        let rule = Rule::parse(Some("FREQ=MONTHLY;BYDAY=-1FR;COUNT=10"));
        assert_eq!(
            rule.repeat,
            Repeat::MonthlyWeekday {
                nth: Nth::Last,
                weekday: Weekday::Fri
            }
        );
        assert_eq!(rule.ends, Ends::After(10));
        assert_eq!(
            rule.first_on_or_after(date(2026, 2, 1)),
            Some(date(2026, 2, 27))
        );
    }

    #[test]
    fn unknown_rules_are_kept() {
        let rule = Rule::parse(Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=4"));
        assert_eq!(
            rule.repeat,
            Repeat::Custom("FREQ=WEEKLY;BYDAY=TU;INTERVAL=2".into())
        );
        assert_eq!(
            rule.to_rrule().unwrap(),
            "FREQ=WEEKLY;BYDAY=TU;INTERVAL=2;COUNT=4"
        );
    }

    #[test]
    fn day_31_skips_short_months() {
        let rule = Rule::parse(Some("FREQ=MONTHLY;BYMONTHDAY=31"));
        assert_eq!(
            rule.first_on_or_after(date(2026, 2, 1)),
            Some(date(2026, 3, 31))
        );
    }
}
