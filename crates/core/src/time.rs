//! Time as the store writes it: UTC instants as RFC 3339 text with second precision, which sort
//! correctly as strings, and the member's own time zone for anything shown as a date.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    // Second precision everywhere: what is stored is what is compared.
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

pub fn now_text() -> String {
    to_text(now())
}

pub fn to_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_text(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The zone this device is in, or UTC when the system does not say.
pub fn system_time_zone() -> String {
    std::env::var("TZ")
        .ok()
        .filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_owned())
}
