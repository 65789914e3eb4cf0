//! Journal entries written in the past: for importing a journal kept elsewhere and for the
//! benchmark's ten-years member. An entry goes into the journal document of the year it was
//! created in (as [`Mutua::add_entry`] does with "now"), so a backfilled decade spreads over ten
//! yearly documents instead of piling into this year's.

use chrono::{DateTime, Duration, Utc};

use super::{Entry, EntryFields};
use crate::error::{Error, Result};
use crate::ids::{DocId, new_id};
use crate::store::Mutua;

impl Mutua {
    /// Adds an entry as if it had been written at `created_at` (to the second). The entry's own
    /// `written_at` is kept as given. A creation time in the future is refused.
    pub fn backfill_entry(
        &mut self,
        fields: EntryFields,
        created_at: DateTime<Utc>,
    ) -> Result<Entry> {
        let fields = fields.normalised();
        fields.validate()?;
        if created_at > Utc::now() + Duration::minutes(5) {
            return Err(Error::invalid(
                "an entry from the past cannot be dated in the future",
            ));
        }
        let created_at = DateTime::from_timestamp(created_at.timestamp(), 0).unwrap_or(created_at);
        let entry = Entry {
            id: new_id()?,
            fields,
            created_at: crate::time::to_text(created_at),
            updated_at: crate::time::to_text(created_at),
        };
        self.write_entry(&DocId::journal_for(created_at), &entry)?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backfilled_entry_goes_into_its_own_year() {
        let mut m = Mutua::ephemeral("Ana").expect("store");
        let at = DateTime::parse_from_rfc3339("2019-06-01T08:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let fields = EntryFields {
            text: "A calm morning after the meeting".into(),
            mood: Some(4),
            emotions: vec!["Calm".into()],
            tags: vec![],
            written_at: at,
            time_zone: "Europe/Madrid".into(),
        };
        let entry = m.backfill_entry(fields.clone(), at).expect("entry");
        assert_eq!(entry.created_at, "2019-06-01T08:30:00Z");
        let hits = m.search_journal("calm", 10).expect("search");
        assert_eq!(hits.len(), 1);
        let docs = m
            .changes_since(&Default::default(), crate::changes::Scope::Everything)
            .expect("changes")
            .docs;
        assert!(
            docs.iter().any(|(d, _)| d.to_string() == "me/journal/2019"),
            "{:?}",
            docs.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>()
        );
        let future = Utc::now() + Duration::days(1);
        assert!(m.backfill_entry(fields, future).is_err());
    }
}
