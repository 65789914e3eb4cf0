//! Calendar arithmetic the screens need: months, the month grid, minutes ↔ "19:30".

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveTime, Timelike};

pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

pub fn last_of_month(date: NaiveDate) -> NaiveDate {
    add_months(first_of_month(date), 1)
        .pred_opt()
        .unwrap_or(date)
}

/// The first of the month `months` away (negative goes back).
pub fn add_months(date: NaiveDate, months: i32) -> NaiveDate {
    let first = first_of_month(date);
    let shifted = if months >= 0 {
        first.checked_add_months(Months::new(months.unsigned_abs()))
    } else {
        first.checked_sub_months(Months::new(months.unsigned_abs()))
    };
    shifted.unwrap_or(first)
}

/// The weeks (Monday first) covering `month`, each a row of seven dates; days of the
/// neighbouring months fill the first and last rows.
pub fn month_grid(month: NaiveDate) -> Vec<[NaiveDate; 7]> {
    let first = first_of_month(month);
    let last = last_of_month(month);
    let mut start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    while start <= last {
        let mut week = [start; 7];
        for (offset, day) in week.iter_mut().enumerate() {
            *day = start + Duration::days(offset as i64);
        }
        weeks.push(week);
        start += Duration::days(7);
    }
    weeks
}

/// `19:30` for a number of minutes after midnight (1440 shows as `24:00`).
pub fn minutes_text(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Minutes after midnight from `19:30` (`24:00` allowed, meaning the end of the day).
pub fn parse_minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.get(..2)?.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let minutes = parse_minutes(text)?;
    NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)
}

pub fn time_text(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn february_2026_grid() {
        let grid = month_grid(NaiveDate::from_ymd_opt(2026, 2, 10).unwrap());
        // 1 Feb 2026 is a Sunday: the first row starts on Monday 26 January.
        assert_eq!(grid[0][0], NaiveDate::from_ymd_opt(2026, 1, 26).unwrap());
        assert_eq!(
            grid.last().unwrap()[6],
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!(grid.len(), 5);
    }

    #[test]
    fn minutes_round_trip() {
        assert_eq!(parse_minutes("19:30"), Some(1170));
        assert_eq!(parse_minutes("24:00"), Some(1440));
        assert_eq!(parse_minutes("25:00"), None);
        assert_eq!(minutes_text(1440), "24:00");
        assert_eq!(
            add_months(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(), 1).month(),
            2
        );
    }
}
