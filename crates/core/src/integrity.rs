//! Is the data whole? The checks a member (`mutua projections verify`), a support session or a
//! crash test runs after something went wrong: the pages of the encrypted file, SQLite's own
//! structure, the foreign keys, and the read models against a rebuild from the documents.
//!
//! These are read-only except [`Mutua::verify_projections`], which leaves the projections
//! rebuilt (and so repaired) whatever it finds: a check that found a difference and left it in
//! place would only make the member run a second command.

use crate::error::Result;
use crate::store::Mutua;

/// What [`Mutua::check_integrity`] found. Every list is empty for a sound database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// SQLCipher's per-page HMAC check: pages that were altered or torn.
    pub cipher: Vec<String>,
    /// `PRAGMA integrity_check`: b-tree, index and constraint problems.
    pub structure: Vec<String>,
    /// `PRAGMA foreign_key_check`: rows pointing at rows that do not exist.
    pub foreign_keys: Vec<String>,
}

impl IntegrityReport {
    pub fn is_ok(&self) -> bool {
        self.cipher.is_empty() && self.structure.is_empty() && self.foreign_keys.is_empty()
    }

    /// Everything found, one problem a line (for an error message or a test failure).
    pub fn problems(&self) -> Vec<String> {
        let tagged = |tag: &str, items: &[String]| {
            items
                .iter()
                .map(|p| format!("{tag}: {p}"))
                .collect::<Vec<_>>()
        };
        let mut out = tagged("pages", &self.cipher);
        out.extend(tagged("structure", &self.structure));
        out.extend(tagged("foreign keys", &self.foreign_keys));
        out
    }
}

impl Mutua {
    /// Checks the whole database file. An in-memory replica has no pages to authenticate, so
    /// its `cipher` list is always empty.
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        let mut report = IntegrityReport::default();
        if self.data_dir().is_some() {
            let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
            report.cipher = stmt
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        report.structure = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .filter(|row| !matches!(row, Ok(line) if line == "ok"))
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        report.foreign_keys = stmt
            .query_map([], |row| {
                Ok(format!(
                    "{} row {} → {}",
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                    row.get::<_, String>(2)?
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(report)
    }

    /// Rebuilds every projection from the documents and says whether the rebuilt tables equal
    /// the ones kept up to date incrementally. Either way they are the rebuilt ones afterwards.
    pub fn verify_projections(&mut self) -> Result<bool> {
        let before = self.projection_dump()?;
        self.rebuild_projections()?;
        Ok(self.projection_dump()? == before)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Mutua, NewProtection};
    use crate::unlock::{KdfParams, Unlock};

    fn cheap() -> KdfParams {
        KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }

    #[test]
    fn a_sound_database_passes_and_a_torn_page_is_found() {
        let dir = tempfile::tempdir().expect("tmp");
        let passphrase = NewProtection::Passphrase("long enough");
        {
            let mut m =
                Mutua::init_with_kdf(dir.path(), "Ana G.", passphrase, cheap()).expect("init");
            for i in 0..40 {
                m.add_entry(crate::journal::EntryFields {
                    text: format!("entry {i} {}", "words ".repeat(50)),
                    mood: Some(3),
                    emotions: vec![],
                    tags: vec![],
                    written_at: crate::time::now(),
                    time_zone: "UTC".into(),
                })
                .expect("entry");
            }
            let report = m.check_integrity().expect("check");
            assert!(report.is_ok(), "{:?}", report.problems());
            assert!(m.verify_projections().expect("verify"));
            m.checkpoint().expect("checkpoint");
        }
        // Flip one byte in the middle of a page past the header: SQLCipher's HMAC must notice.
        let path = dir.path().join(crate::store::DB_FILE);
        let mut bytes = std::fs::read(&path).expect("read");
        assert!(bytes.len() > 3 * 4096, "the test needs a few pages");
        bytes[2 * 4096 + 100] ^= 0x55;
        std::fs::write(&path, &bytes).expect("write");
        let found = Mutua::open(dir.path(), Unlock::Passphrase("long enough"))
            .and_then(|m| m.check_integrity());
        match found {
            Ok(report) => assert!(!report.is_ok(), "a torn page went unnoticed"),
            // Opening may already trip over the page; that is noticing too.
            Err(e) => {
                assert!(e.to_string().contains("damaged") || e.to_string().contains("storage"))
            }
        }
    }

    #[test]
    fn a_projection_that_drifted_is_reported_and_repaired() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.add_contact(crate::contacts::ContactFields {
            pseudonym: "Sam R.".into(),
            phone: None,
            link: None,
            note: None,
            group_id: None,
            time_zone: "UTC".into(),
            availability: vec![],
        })
        .expect("contact");
        assert!(m.verify_projections().expect("verify"));
        m.conn
            .execute("UPDATE contact SET pseudonym = 'Drifted'", [])
            .expect("drift");
        assert!(!m.verify_projections().expect("verify"));
        assert!(m.verify_projections().expect("verify again"));
        assert_eq!(
            m.contacts().expect("contacts")[0].fields.pseudonym,
            "Sam R."
        );
    }
}
