//! Reading what people type: dates, times, durations.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use mutua_core::calendar::localize;

pub fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("\"{text}\" is not a date; write it as 2026-01-06"))
}

/// A local wall-clock date and time: 2026-01-06T19:00 (seconds optional; a space works too).
pub fn local_datetime(text: &str) -> Result<NaiveDateTime> {
    let t = text.trim().replace(' ', "T");
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&t, format) {
            return Ok(dt);
        }
    }
    bail!("\"{text}\" is not a date and time; write it as 2026-01-06T19:00")
}

/// A date, or a date and time.
pub fn date_or_datetime(text: &str) -> Result<NaiveDateTime> {
    local_datetime(text).or_else(|_| Ok(date(text)?.and_time(NaiveTime::MIN)))
}

/// A moment: RFC 3339 with an offset, or a local date-time read in `tz`.
pub fn moment(text: &str, tz: Tz) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    Ok(localize(local_datetime(text)?, tz).utc)
}

/// "90m", "1h30m", "2h" or plain minutes ("90").
pub fn minutes(text: &str) -> Result<u32> {
    let t = text.trim().to_lowercase();
    let bad = || anyhow::anyhow!("\"{text}\" is not a duration; write it like 90m, 1h30m or 2h");
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let mut total: u32 = 0;
    let mut number = String::new();
    let mut saw_unit = false;
    for c in t.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' => {
                let n: u32 = number.parse().map_err(|_| bad())?;
                total = total
                    .checked_add(if c == 'h' {
                        n.checked_mul(60).ok_or_else(bad)?
                    } else {
                        n
                    })
                    .ok_or_else(bad)?;
                number.clear();
                saw_unit = true;
            }
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() || !saw_unit {
        return Err(bad());
    }
    Ok(total)
}

pub fn tz(name: &str) -> Result<Tz> {
    Ok(mutua_core::calendar::parse_tz(name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(minutes("90m").expect("m"), 90);
        assert_eq!(minutes("1h30m").expect("hm"), 90);
        assert_eq!(minutes("2h").expect("h"), 120);
        assert_eq!(minutes("45").expect("plain"), 45);
        for bad in ["", "h", "1x", "1h30", "-5m"] {
            assert!(minutes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes() {
        assert_eq!(
            local_datetime("2026-01-06T19:00").expect("t").to_string(),
            "2026-01-06 19:00:00"
        );
        assert_eq!(
            local_datetime("2026-01-06 19:00:30")
                .expect("t")
                .to_string(),
            "2026-01-06 19:00:30"
        );
        assert!(local_datetime("06/01/2026 19:00").is_err());
        assert_eq!(
            date_or_datetime("2026-01-06").expect("d").to_string(),
            "2026-01-06 00:00:00"
        );
    }
}
