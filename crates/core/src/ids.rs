//! Identifiers: random entity ids and the names of Automerge documents.
//!
//! Entity ids are 128 random bits in lowercase hex, so two offline devices never pick the same
//! one. Document ids name what a document holds and therefore where it may travel: `me/…`
//! documents belong to the member alone, `group/<id>/…` documents are shared with that group,
//! `dm/<pair>/…` documents with the two members of a pair.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// 16 random bytes, hex encoded (32 characters).
pub fn new_id() -> Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(bytes)
}

/// Checks an entity id as it arrives from a document or the command line.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A pair id is exactly what [`pair_id`] makes: 32 lowercase hex characters.
fn is_valid_pair(pair: &str) -> bool {
    pair.len() == 32 && pair.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The id of the one-to-one conversation between two members, the same whichever of them asks,
/// so both sides name the same documents without having to agree on anything first: lowercase
/// hex of the first 16 bytes of SHA-256(`"mutua/dm/1\0"` + smaller id + `"\0"` + larger id).
pub fn pair_id(a: &str, b: &str) -> String {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut hash = Sha256::new();
    hash.update(b"mutua/dm/1\0");
    hash.update(low.as_bytes());
    hash.update(b"\0");
    hash.update(high.as_bytes());
    let digest = hash.finalize();
    hex::encode(&digest[..16])
}

/// A calendar month in UTC: messages live in the document of the month they were sent in, so
/// a conversation's documents stay bounded however long it runs (DESIGN.md 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// A month of the years 1970 to 9999 (`yyyy-mm` has room for four digits, and no message
    /// was sent before 1970).
    pub fn new(year: i32, month: u32) -> Result<Month> {
        if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(Error::invalid(format!(
                "{year:04}-{month:02} is not a month Mutua can hold"
            )));
        }
        Ok(Month { year, month })
    }

    /// The UTC month `at` falls in; fails only for a clock set before 1970 or after 9999.
    pub fn of(at: DateTime<Utc>) -> Result<Month> {
        Month::new(at.year(), at.month())
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 (January) to 12.
    pub fn month(self) -> u32 {
        self.month
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = Error;

    /// Exactly `yyyy-mm`.
    fn from_str(s: &str) -> Result<Month> {
        let bad = || Error::invalid(format!("\"{s}\" is not a month (yyyy-mm)"));
        let (year, month) = s.split_once('-').ok_or_else(bad)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(bad());
        }
        Month::new(
            year.parse().map_err(|_| bad())?,
            month.parse().map_err(|_| bad())?,
        )
        .map_err(|_| bad())
    }
}

/// The Automerge documents a member holds. Each stays bounded (DESIGN.md 3.1): the journal is
/// split by year; a group's roster and its calendar change at different rates and are separate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocId {
    /// The member's pseudonym and personal settings.
    Profile,
    /// The member's peer contacts and their availability.
    Contacts,
    /// The member's journal entries written in one calendar year (UTC).
    Journal { year: i32 },
    /// A group's profile, guidelines and roster.
    GroupMeta { group: String },
    /// A group's meeting series.
    GroupCalendar { group: String },
    /// A group's thread: the messages sent to it in one month (UTC).
    GroupChat { group: String, month: Month },
    /// A one-to-one conversation in one month (UTC); `pair` is [`pair_id`] of the two members.
    Direct { pair: String, month: Month },
}

/// What kind of data a document holds; decides which projection tables it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Profile,
    Contacts,
    Journal,
    GroupMeta,
    GroupCalendar,
    GroupChat,
    Direct,
}

impl DocId {
    pub fn journal_for(at: chrono::DateTime<chrono::Utc>) -> DocId {
        DocId::Journal { year: at.year() }
    }

    pub fn kind(&self) -> DocKind {
        match self {
            DocId::Profile => DocKind::Profile,
            DocId::Contacts => DocKind::Contacts,
            DocId::Journal { .. } => DocKind::Journal,
            DocId::GroupMeta { .. } => DocKind::GroupMeta,
            DocId::GroupCalendar { .. } => DocKind::GroupCalendar,
            DocId::GroupChat { .. } => DocKind::GroupChat,
            DocId::Direct { .. } => DocKind::Direct,
        }
    }

    /// Private documents never leave the member's own devices.
    pub fn is_private(&self) -> bool {
        matches!(self, DocId::Journal { .. })
    }

    pub fn group(&self) -> Option<&str> {
        match self {
            DocId::GroupMeta { group }
            | DocId::GroupCalendar { group }
            | DocId::GroupChat { group, .. } => Some(group),
            _ => None,
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocId::Profile => f.write_str("me/profile"),
            DocId::Contacts => f.write_str("me/contacts"),
            DocId::Journal { year } => write!(f, "me/journal/{year:04}"),
            DocId::GroupMeta { group } => write!(f, "group/{group}/meta"),
            DocId::GroupCalendar { group } => write!(f, "group/{group}/calendar"),
            DocId::GroupChat { group, month } => write!(f, "group/{group}/chat/{month}"),
            DocId::Direct { pair, month } => write!(f, "dm/{pair}/{month}"),
        }
    }
}

impl FromStr for DocId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid(format!("\"{s}\" is not a Mutua document id"));
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            ["me", "profile"] => Ok(DocId::Profile),
            ["me", "contacts"] => Ok(DocId::Contacts),
            ["me", "journal", year] if year.len() == 4 => {
                let year: i32 = year.parse().map_err(|_| bad())?;
                Ok(DocId::Journal { year })
            }
            ["group", group, "meta"] if is_valid_id(group) => Ok(DocId::GroupMeta {
                group: (*group).to_owned(),
            }),
            ["group", group, "calendar"] if is_valid_id(group) => Ok(DocId::GroupCalendar {
                group: (*group).to_owned(),
            }),
            ["group", group, "chat", month] if is_valid_id(group) => Ok(DocId::GroupChat {
                group: (*group).to_owned(),
                month: month.parse().map_err(|_| bad())?,
            }),
            ["dm", pair, month] if is_valid_pair(pair) => Ok(DocId::Direct {
                pair: (*pair).to_owned(),
                month: month.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_round_trip() {
        let group = new_id().expect("random");
        for id in [
            DocId::Profile,
            DocId::Contacts,
            DocId::Journal { year: 2026 },
            DocId::GroupMeta {
                group: group.clone(),
            },
            DocId::GroupCalendar {
                group: group.clone(),
            },
            DocId::GroupChat {
                group,
                month: Month::new(2026, 3).expect("month"),
            },
            DocId::Direct {
                pair: pair_id("a1", "b2"),
                month: Month::new(1970, 12).expect("month"),
            },
        ] {
            assert_eq!(id.to_string().parse::<DocId>().expect("parses"), id);
        }
    }

    #[test]
    fn chat_doc_ids_read_as_designed() {
        let chat = DocId::GroupChat {
            group: "ab12".into(),
            month: Month::new(2026, 3).expect("month"),
        };
        assert_eq!(chat.to_string(), "group/ab12/chat/2026-03");
        assert_eq!(chat.group(), Some("ab12"));
        assert!(!chat.is_private());
        let pair = pair_id("a1", "b2");
        let dm = DocId::Direct {
            pair: pair.clone(),
            month: Month::new(2027, 11).expect("month"),
        };
        assert_eq!(dm.to_string(), format!("dm/{pair}/2027-11"));
        assert_eq!(dm.group(), None);
        assert!(!dm.is_private());
    }

    #[test]
    fn months_are_checked_and_ordered() {
        assert_eq!(Month::new(2026, 1).expect("ok").to_string(), "2026-01");
        assert_eq!("9999-12".parse::<Month>().expect("last").year(), 9999);
        assert_eq!("1970-01".parse::<Month>().expect("first").month(), 1);
        for bad in [
            "2026-00",
            "2026-13",
            "1969-12",
            "10000-01",
            "2026-1",
            "26-01",
            "2026/01",
            "2026-01-01",
            "+026-01",
            "２０２６-01",
            "",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad} should be rejected");
        }
        assert!(Month::new(2026, 12).expect("dec") < Month::new(2027, 1).expect("jan"));
        let at = chrono::DateTime::parse_from_rfc3339("2026-05-31T23:59:59-03:00")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            Month::of(at).expect("month").to_string(),
            "2026-06",
            "months are UTC"
        );
    }

    #[test]
    fn pair_ids_are_symmetric_and_distinct() {
        let (a, b, c) = (
            new_id().expect("a"),
            new_id().expect("b"),
            new_id().expect("c"),
        );
        assert_eq!(pair_id(&a, &b), pair_id(&b, &a));
        assert_ne!(pair_id(&a, &b), pair_id(&a, &c));
        assert!(is_valid_pair(&pair_id(&a, &b)));
        // Fixed vector: other implementations (and the sync layer) must agree byte for byte.
        assert_eq!(pair_id("b", "a"), "fc5d25dd02e75c3dc620dc825cbadeee");
        assert_eq!(
            pair_id(
                "fedcba9876543210fedcba9876543210",
                "0123456789abcdef0123456789abcdef"
            ),
            "70242541acd12ec71ae94ce47aedff01"
        );
    }

    #[test]
    fn foreign_doc_ids_are_rejected() {
        for bad in [
            "",
            "me",
            "me/journal/26",
            "group/../meta",
            "group/x y/meta",
            "other/thing",
            "group/ab12/chat",
            "group/ab12/chat/2026-13",
            "group/ab12/chat/2026-3",
            "group/ab12/chat/2026-03/x",
            "dm/ab12/2026-03",
            "dm/0123456789ABCDEF0123456789ABCDEF/2026-03",
            "dm/0123456789abcdef0123456789abcdef",
            "dm/0123456789abcdef0123456789abcdef/1969-12",
        ] {
            assert!(bad.parse::<DocId>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn new_ids_are_distinct_hex() {
        let a = new_id().expect("random");
        let b = new_id().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(is_valid_id(&a));
    }
}
