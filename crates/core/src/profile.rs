//! The member's profile: the pseudonym others see and personal settings.
//!
//! Anonymity is the groups' own rule, so the pseudonym is checked: a first name and an initial
//! ("Sam R.") is the norm; phone numbers and e-mail addresses are refused as names.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::amjson;
use crate::error::{Error, Result};
use crate::ids::DocId;
use crate::store::Mutua;

const INFO: &str = "info";
const PROFILE_KEY: &str = "profile";
const LEFT_GROUPS: &str = "left_groups";
const SETTINGS: &str = "settings";
const MESSAGING_KEY: &str = "messaging";
pub const LANGUAGES: &[&str] = &["en", "es"];
pub(crate) const LANGUAGE_FILE: &str = "language";

/// How the member's messaging behaves, on all of their devices: a record of its own in the
/// profile document (`settings/messaging`), beside the profile rather than in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MessagingSettings {
    /// Whether reading a conversation tells the others how far this member has read.
    #[serde(default)]
    read_receipts: bool,
    updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub pseudonym: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    pub updated_at: String,
}

/// Trims and checks a pseudonym; returns it ready to store.
pub fn check_pseudonym(name: &str) -> Result<String> {
    let name = name.trim();
    let advice = "use a pseudonym such as \"Sam R.\": a first name and an initial";
    if name.is_empty() {
        return Err(Error::invalid(format!("the name is empty; {advice}")));
    }
    if name.chars().count() > 40 {
        return Err(Error::invalid(format!(
            "the name is longer than 40 characters; {advice}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("the name contains control characters"));
    }
    if name.chars().filter(char::is_ascii_digit).count() >= 7 {
        return Err(Error::invalid(format!(
            "that looks like a phone number; Mutua never uses phone numbers as names — {advice}"
        )));
    }
    if name.contains('@') {
        return Err(Error::invalid(format!(
            "that looks like an e-mail address; Mutua never uses them as names — {advice}"
        )));
    }
    Ok(name.to_owned())
}

impl Mutua {
    pub fn profile(&self) -> Result<Profile> {
        self.conn
            .query_row(
                "SELECT pseudonym, language, time_zone, updated_at FROM profile WHERE id = 1",
                [],
                |row| {
                    Ok(Profile {
                        pseudonym: row.get(0)?,
                        language: row.get(1)?,
                        time_zone: row.get(2)?,
                        updated_at: row.get(3)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotInitialised)
    }

    pub fn set_pseudonym(&mut self, name: &str) -> Result<()> {
        let name = check_pseudonym(name)?;
        self.update_profile(|p| p.pseudonym = name)
    }

    pub fn set_language(&mut self, language: Option<&str>) -> Result<()> {
        if let Some(lang) = language
            && !LANGUAGES.contains(&lang)
        {
            return Err(Error::invalid(format!(
                "language \"{lang}\" is not available; choose one of: {}",
                LANGUAGES.join(", ")
            )));
        }
        let chosen = language.map(str::to_owned);
        self.update_profile(|p| p.language = chosen)?;
        self.remember_language(language)
    }

    /// Keeps the language in a small plain file beside the database, the one setting readable
    /// while the data is locked (the unlock screen speaks it). It reveals only "en" or "es".
    fn remember_language(&self, language: Option<&str>) -> Result<()> {
        let Some(dir) = self.data_dir() else {
            return Ok(());
        };
        let path = dir.join(LANGUAGE_FILE);
        match language {
            Some(lang) => crate::fsutil::write_atomically(&path, lang.as_bytes()),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&path, e)),
                _ => Ok(()),
            },
        }
    }

    /// Brings the language file in line with the profile (which may have changed on another
    /// device); called when the data is opened.
    pub(crate) fn refresh_remembered_language(&self) -> Result<()> {
        let language = self.profile().ok().and_then(|p| p.language);
        self.remember_language(language.as_deref())
    }

    /// The language last chosen for the data in `dir`, readable without unlocking.
    pub fn remembered_language(dir: &std::path::Path) -> Option<String> {
        let text = std::fs::read_to_string(dir.join(LANGUAGE_FILE)).ok()?;
        let lang = text.trim();
        LANGUAGES.contains(&lang).then(|| lang.to_owned())
    }

    /// The member's own time zone, used for journal dates and "who can I reach now".
    pub fn set_time_zone(&mut self, tz: &str) -> Result<()> {
        crate::calendar::parse_tz(tz)?;
        let tz = tz.to_owned();
        self.update_profile(|p| p.time_zone = Some(tz))
    }

    fn update_profile(&mut self, edit: impl FnOnce(&mut Profile)) -> Result<()> {
        let mut profile = self.read_doc(&DocId::Profile, |doc| {
            amjson::read_record(doc, INFO, PROFILE_KEY)
                .and_then(|v| serde_json::from_value::<Profile>(v).ok())
        })?;
        let mut p = profile.take().unwrap_or(Profile {
            pseudonym: String::new(),
            language: None,
            time_zone: None,
            updated_at: String::new(),
        });
        edit(&mut p);
        p.updated_at = crate::time::now_text();
        let record = serde_json::to_value(&p).map_err(|e| Error::invalid(e.to_string()))?;
        self.change_doc(&DocId::Profile, |tx| {
            amjson::write_record(tx, INFO, PROFILE_KEY, &record)
        })
    }

    /// Whether this member sends read receipts. Off unless they turn it on (DESIGN.md 2): a
    /// member who reads and does not answer owes nobody an explanation.
    pub fn read_receipts(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT read_receipts FROM messaging_setting WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// Turns read receipts on or off on all of the member's devices.
    pub fn set_read_receipts(&mut self, on: bool) -> Result<()> {
        let settings = MessagingSettings {
            read_receipts: on,
            updated_at: crate::time::now_text(),
        };
        let record = serde_json::to_value(&settings).map_err(|e| Error::invalid(e.to_string()))?;
        self.change_doc(&DocId::Profile, |tx| {
            amjson::write_record(tx, SETTINGS, MESSAGING_KEY, &record)
        })
    }

    /// Records locally and on the member's other devices that they left `group`.
    pub(crate) fn mark_group_left(&mut self, group: &str) -> Result<()> {
        let record = serde_json::json!({ "left_at": crate::time::now_text() });
        self.change_doc(&DocId::Profile, |tx| {
            amjson::write_record(tx, LEFT_GROUPS, group, &record)
        })
    }
}

/// Projects the profile document (small: always whole).
pub(crate) fn project(tx: &Transaction<'_>, doc: &automerge::Automerge) -> Result<()> {
    tx.execute("DELETE FROM profile", [])?;
    tx.execute("DELETE FROM left_group", [])?;
    tx.execute("DELETE FROM messaging_setting", [])?;
    let messaging = amjson::read_record(doc, SETTINGS, MESSAGING_KEY)
        .and_then(|v| serde_json::from_value::<MessagingSettings>(v).ok());
    if let Some(s) = messaging {
        tx.execute(
            "INSERT INTO messaging_setting (id, read_receipts, updated_at) VALUES (1, ?1, ?2)",
            params![s.read_receipts, s.updated_at],
        )?;
    }
    let profile = amjson::read_record(doc, INFO, PROFILE_KEY)
        .and_then(|v| serde_json::from_value::<Profile>(v).ok())
        .filter(|p| check_pseudonym(&p.pseudonym).is_ok());
    if let Some(p) = profile {
        tx.execute(
            "INSERT INTO profile (id, pseudonym, language, time_zone, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![p.pseudonym, p.language, p.time_zone, p.updated_at],
        )?;
    }
    for group in amjson::record_keys(doc, LEFT_GROUPS) {
        let left_at = amjson::read_record(doc, LEFT_GROUPS, &group)
            .and_then(|v| v.get("left_at").and_then(Value::as_str).map(str::to_owned));
        if let (true, Some(left_at)) = (crate::ids::is_valid_id(&group), left_at) {
            tx.execute(
                "INSERT INTO left_group (group_id, left_at) VALUES (?1, ?2)",
                params![group, left_at],
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_follow_the_anonymity_norm() {
        assert_eq!(check_pseudonym("  Sam R. ").expect("ok"), "Sam R.");
        assert!(check_pseudonym("").is_err());
        assert!(check_pseudonym("+34 612 345 678").is_err());
        assert!(check_pseudonym("sam@example.org").is_err());
        assert!(check_pseudonym(&"x".repeat(41)).is_err());
    }

    #[test]
    fn profile_settings_round_trip() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.set_language(Some("es")).expect("language");
        m.set_time_zone("America/Bogota").expect("tz");
        let p = m.profile().expect("profile");
        assert_eq!(p.pseudonym, "Ana G.");
        assert_eq!(p.language.as_deref(), Some("es"));
        assert_eq!(p.time_zone.as_deref(), Some("America/Bogota"));
        assert!(m.set_language(Some("xx")).is_err());
        assert!(m.set_time_zone("Mars/Olympus").is_err());
        assert_eq!(
            m.profile().expect("profile").language.as_deref(),
            Some("es")
        );
    }

    #[test]
    fn read_receipts_are_off_until_turned_on() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        assert!(!m.read_receipts().expect("default"));
        m.set_read_receipts(true).expect("on");
        assert!(m.read_receipts().expect("on"));
        m.set_language(Some("es"))
            .expect("other settings leave it alone");
        assert!(m.read_receipts().expect("still on"));
        m.set_read_receipts(false).expect("off");
        assert!(!m.read_receipts().expect("off"));
    }

    #[test]
    fn the_language_is_readable_while_locked() {
        let dir = tempfile::tempdir().expect("tmp");
        let cheap = crate::unlock::KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        };
        let mut m = Mutua::init_with_kdf(
            dir.path(),
            "Ana G.",
            crate::NewProtection::Passphrase("long enough"),
            cheap,
        )
        .expect("init");
        assert_eq!(Mutua::remembered_language(dir.path()), None);
        m.set_language(Some("es")).expect("language");
        drop(m);
        assert_eq!(
            Mutua::remembered_language(dir.path()).as_deref(),
            Some("es")
        );
        Mutua::destroy(dir.path()).expect("destroy");
        assert_eq!(Mutua::remembered_language(dir.path()), None);
    }
}
