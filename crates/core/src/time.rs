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

/// The IANA zone this device is set to (`TZ` first, then the system's setting), or UTC when
/// neither names a zone the time zone database knows. The one place every front end asks.
pub fn system_time_zone() -> chrono_tz::Tz {
    std::env::var("TZ")
        .ok()
        .and_then(|name| name.parse().ok())
        .or_else(|| {
            iana_time_zone::get_timezone()
                .ok()
                .and_then(|name| name.parse().ok())
        })
        .unwrap_or(chrono_tz::Tz::UTC)
}
