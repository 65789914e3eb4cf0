//! Identifiers: random entity ids and the names of Automerge documents.
//!
//! Entity ids are 128 random bits in lowercase hex, so two offline devices never pick the same
//! one. Document ids name what a document holds and therefore where it may travel: `me/…`
//! documents belong to the member alone, `group/<id>/…` documents are shared with that group.

use std::fmt;
use std::str::FromStr;

use chrono::Datelike;

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
}

/// What kind of data a document holds; decides which projection tables it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Profile,
    Contacts,
    Journal,
    GroupMeta,
    GroupCalendar,
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
        }
    }

    /// Private documents never leave the member's own devices.
    pub fn is_private(&self) -> bool {
        matches!(self, DocId::Journal { .. })
    }

    pub fn group(&self) -> Option<&str> {
        match self {
            DocId::GroupMeta { group } | DocId::GroupCalendar { group } => Some(group),
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
            DocId::GroupCalendar { group },
        ] {
            assert_eq!(id.to_string().parse::<DocId>().expect("parses"), id);
        }
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
