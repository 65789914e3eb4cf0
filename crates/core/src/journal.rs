//! The private journal: entries with mood (1–5), named emotions, tags and text.
//!
//! Entries live in `me/journal/<year>` documents, one per year an entry was *created* in, so a
//! document stays bounded and an edited date never moves an entry between documents. These
//! documents are private: they never leave the member's own devices unless the member shares an
//! entry. Search is SQLite FTS5 over the projection, ranked by BM25, accent-insensitive.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::amjson;
use crate::calendar::parse_tz;
use crate::error::{Error, Result};
use crate::groups::to_record;
use crate::ids::{DocId, new_id};
use crate::store::Mutua;

mod backfill;

const ENTRIES: &str = "entries";
const MAX_TEXT_CHARS: usize = 50_000;

/// Emotion names the app offers as chips; members may name others.
pub const SUGGESTED_EMOTIONS: &[&str] = &[
    "calm",
    "hopeful",
    "grateful",
    "proud",
    "connected",
    "joyful",
    "tired",
    "anxious",
    "sad",
    "lonely",
    "angry",
    "ashamed",
    "guilty",
    "afraid",
    "overwhelmed",
    "numb",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryFields {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mood: Option<u8>,
    #[serde(default)]
    pub emotions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// When the entry is about (defaults to when it was written).
    pub written_at: DateTime<Utc>,
    /// The zone the member was in; decides which day the entry belongs to.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    #[serde(flatten)]
    pub fields: EntryFields,
    pub created_at: String,
    pub updated_at: String,
}

impl Entry {
    pub fn local_date(&self) -> NaiveDate {
        match parse_tz(&self.fields.time_zone) {
            Ok(tz) => self.fields.written_at.with_timezone(&tz).date_naive(),
            Err(_) => self.fields.written_at.date_naive(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
}

/// Entries of one day, ISO week or month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryGroup {
    /// "2026-11-25", "2026-W48" or "2026-11".
    pub label: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub entry: Entry,
    /// A piece of the text around the match, matches in [brackets].
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoodPoint {
    pub date: NaiveDate,
    pub average: f64,
    pub count: u32,
}

impl EntryFields {
    pub fn validate(&self) -> Result<()> {
        parse_tz(&self.time_zone)?;
        if let Some(mood) = self.mood
            && !(1..=5).contains(&mood)
        {
            return Err(Error::invalid(format!(
                "mood {mood} is out of range: use 1 (very low) to 5 (very good)"
            )));
        }
        if self.text.trim().is_empty() && self.mood.is_none() && self.emotions.is_empty() {
            return Err(Error::invalid(
                "an entry needs some text, a mood or an emotion",
            ));
        }
        if self.text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::invalid(format!(
                "the entry is longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        for (what, list) in [("emotion", &self.emotions), ("tag", &self.tags)] {
            if list.len() > 30 {
                return Err(Error::invalid(format!(
                    "an entry can have at most 30 {what}s"
                )));
            }
            if let Some(bad) = list.iter().find(|s| s.is_empty() || s.chars().count() > 40) {
                return Err(Error::invalid(format!(
                    "\"{bad}\" is not a usable {what} name"
                )));
            }
        }
        Ok(())
    }

    fn normalised(mut self) -> EntryFields {
        let clean = |list: Vec<String>, lower: bool| {
            let mut out: Vec<String> = Vec::new();
            for item in list {
                let mut item = item.trim().trim_start_matches('#').trim().to_owned();
                if lower {
                    item = item.to_lowercase();
                }
                if !item.is_empty() && !out.contains(&item) {
                    out.push(item);
                }
            }
            out
        };
        self.emotions = clean(self.emotions, true);
        self.tags = clean(self.tags, false);
        self.text = self.text.trim_end().to_owned();
        self.written_at =
            DateTime::from_timestamp(self.written_at.timestamp(), 0).unwrap_or(self.written_at);
        self
    }
}

impl Mutua {
    pub fn add_entry(&mut self, fields: EntryFields) -> Result<Entry> {
        let fields = fields.normalised();
        fields.validate()?;
        let now = crate::time::now();
        let entry = Entry {
            id: new_id()?,
            fields,
            created_at: crate::time::to_text(now),
            updated_at: crate::time::to_text(now),
        };
        self.write_entry(&DocId::journal_for(now), &entry)?;
        Ok(entry)
    }

    pub fn find_entry(&self, query: &str) -> Result<Entry> {
        let query = query.trim().to_lowercase();
        let not_found = || Error::NotFound {
            kind: "journal entry",
            query: query.clone(),
        };
        if query.len() < 4 || !query.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let ids: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT id FROM journal_entry WHERE substr(id, 1, length(?1)) = ?1 LIMIT 6",
            )?;
            stmt.query_map([&query], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        match ids.as_slice() {
            [] => Err(not_found()),
            [id] => self.entry_by_id(id)?.ok_or_else(not_found),
            many => Err(Error::Ambiguous {
                kind: "journal entry",
                query: query.clone(),
                candidates: many
                    .iter()
                    .map(|id| crate::lookup::short(id).to_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    fn entry_by_id(&self, id: &str) -> Result<Option<Entry>> {
        let sql = format!("{SELECT_ENTRY} WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], entry_from_row).optional()?)
    }

    pub fn update_entry(&mut self, query: &str, fields: EntryFields) -> Result<Entry> {
        let mut entry = self.find_entry(query)?;
        let doc = self.entry_doc(&entry.id)?;
        let fields = fields.normalised();
        fields.validate()?;
        entry.fields = fields;
        entry.updated_at = crate::time::now_text();
        self.write_entry(&doc, &entry)?;
        Ok(entry)
    }

    pub fn delete_entry(&mut self, query: &str) -> Result<Entry> {
        let entry = self.find_entry(query)?;
        let doc = self.entry_doc(&entry.id)?;
        self.change_doc(&doc, |tx| amjson::delete_record(tx, ENTRIES, &entry.id))?;
        Ok(entry)
    }

    /// Entries whose local date is in `from..=to`, newest first.
    pub fn entries_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>> {
        let sql = format!(
            "{SELECT_ENTRY} WHERE local_date BETWEEN ?1 AND ?2 ORDER BY written_at DESC, id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![from.to_string(), to.to_string()], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The latest `limit` entries, newest first.
    pub fn recent_entries(&self, limit: u32) -> Result<Vec<Entry>> {
        let sql = format!("{SELECT_ENTRY} ORDER BY written_at DESC, id LIMIT ?1");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([limit], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Entries in `from..=to` grouped by day, ISO week or month, newest group first.
    pub fn entries_by(
        &self,
        period: Period,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<EntryGroup>> {
        let mut groups: Vec<EntryGroup> = Vec::new();
        for entry in self.entries_between(from, to)? {
            let date = entry.local_date();
            let label = match period {
                Period::Day => date.to_string(),
                Period::Week => {
                    let week = date.iso_week();
                    format!("{}-W{:02}", week.year(), week.week())
                }
                Period::Month => format!("{}-{:02}", date.year(), date.month()),
            };
            match groups.last_mut() {
                Some(group) if group.label == label => group.entries.push(entry),
                _ => groups.push(EntryGroup {
                    label,
                    entries: vec![entry],
                }),
            }
        }
        Ok(groups)
    }

    /// Full-text search, best match first. Words match by prefix and ignore accents:
    /// "anx anim" finds "anxious" and "ánimo".
    pub fn search_journal(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let sql = "SELECT e.id, snippet(journal_fts, 0, '[', ']', '…', 12)
                   FROM journal_fts JOIN journal_entry e ON e.rid = journal_fts.rowid
                   WHERE journal_fts MATCH ?1
                   ORDER BY bm25(journal_fts, 1.0, 2.0, 2.0), e.written_at DESC
                   LIMIT ?2";
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(params![fts, limit], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (id, snippet) = row?;
            if let Some(entry) = self.entry_by_id(&id)? {
                hits.push(SearchHit { entry, snippet });
            }
        }
        Ok(hits)
    }

    /// Average mood per day over `from..=to`, for the mood chart; days without a mood are absent.
    pub fn mood_series(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<MoodPoint>> {
        let mut stmt = self.conn.prepare(
            "SELECT local_date, avg(mood), count(mood) FROM journal_entry
             WHERE mood IS NOT NULL AND local_date BETWEEN ?1 AND ?2
             GROUP BY local_date ORDER BY local_date",
        )?;
        let rows = stmt.query_map(params![from.to_string(), to.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, f64>(1)?,
                row.get::<_, u32>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (date, average, count) = row?;
            if let Ok(date) = date.parse() {
                out.push(MoodPoint {
                    date,
                    average,
                    count,
                });
            }
        }
        Ok(out)
    }

    fn entry_doc(&self, id: &str) -> Result<DocId> {
        let doc: String = self.conn.query_row(
            "SELECT doc_id FROM journal_entry WHERE id = ?1",
            [id],
            |row| row.get(0),
        )?;
        doc.parse()
    }

    fn write_entry(&mut self, doc: &DocId, entry: &Entry) -> Result<()> {
        let record = to_record(entry)?;
        self.change_doc(doc, |tx| {
            amjson::write_record(tx, ENTRIES, &entry.id, &record)
        })
    }
}

const SELECT_ENTRY: &str = "SELECT id, written_at, time_zone, mood, text, emotions, tags, created_at, updated_at FROM journal_entry";

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let written_at: String = row.get(1)?;
    let emotions: String = row.get(5)?;
    let tags: String = row.get(6)?;
    Ok(Entry {
        id: row.get(0)?,
        fields: EntryFields {
            written_at: crate::time::parse_text(&written_at).unwrap_or_default(),
            time_zone: row.get(2)?,
            mood: row.get(3)?,
            text: row.get(4)?,
            emotions: serde_json::from_str(&emotions).unwrap_or_default(),
            tags: serde_json::from_str(&tags).unwrap_or_default(),
        },
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

/// Turns what a person types into an FTS5 query that cannot be a syntax error: every word is
/// quoted and matched as a prefix; all words must match.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Projects one entry of journal document `doc_id`.
pub(crate) fn project_entry(
    tx: &Transaction<'_>,
    doc_id: &DocId,
    doc: &automerge::Automerge,
    id: &str,
) -> Result<()> {
    let doc_key = doc_id.to_string();
    let old: Option<i64> = tx
        .query_row(
            "SELECT rid FROM journal_entry WHERE id = ?1 AND doc_id = ?2",
            [id, &doc_key],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(rid) = old {
        tx.execute("DELETE FROM journal_fts WHERE rowid = ?1", [rid])?;
        tx.execute("DELETE FROM journal_entry WHERE rid = ?1", [rid])?;
    }
    let entry = amjson::read_record(doc, ENTRIES, id)
        .and_then(|v| serde_json::from_value::<Entry>(v).ok())
        .filter(|e| e.id == id && e.fields.validate().is_ok());
    let Some(e) = entry else { return Ok(()) };
    let emotions =
        serde_json::to_string(&e.fields.emotions).map_err(|err| Error::invalid(err.to_string()))?;
    let tags =
        serde_json::to_string(&e.fields.tags).map_err(|err| Error::invalid(err.to_string()))?;
    tx.execute(
        "INSERT INTO journal_entry (id, doc_id, written_at, local_date, time_zone, mood, text,
                                    emotions, tags, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO NOTHING",
        params![
            e.id,
            doc_key,
            crate::time::to_text(e.fields.written_at),
            e.local_date().to_string(),
            e.fields.time_zone,
            e.fields.mood,
            e.fields.text,
            emotions,
            tags,
            e.created_at,
            e.updated_at
        ],
    )?;
    let rid = tx.last_insert_rowid();
    if tx.changes() == 1 {
        tx.execute(
            "INSERT INTO journal_fts (rowid, text, emotions, tags) VALUES (?1, ?2, ?3, ?4)",
            params![
                rid,
                e.fields.text,
                e.fields.emotions.join(" "),
                e.fields.tags.join(" ")
            ],
        )?;
    }
    Ok(())
}

/// Removes every projected entry of a journal document (before re-projecting it whole).
pub(crate) fn clear_doc(tx: &Transaction<'_>, doc_id: &DocId) -> Result<()> {
    let doc_key = doc_id.to_string();
    tx.execute(
        "DELETE FROM journal_fts WHERE rowid IN (SELECT rid FROM journal_entry WHERE doc_id = ?1)",
        [&doc_key],
    )?;
    tx.execute("DELETE FROM journal_entry WHERE doc_id = ?1", [&doc_key])?;
    Ok(())
}

pub(crate) fn entry_keys(doc: &automerge::Automerge) -> Vec<String> {
    amjson::record_keys(doc, ENTRIES)
}

pub(crate) const COLLECTION: &str = ENTRIES;

/// The first and last day of the period around `date`.
pub fn period_bounds(period: Period, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match period {
        Period::Day => (date, date),
        Period::Week => {
            let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(6))
        }
        Period::Month => {
            let first = date.with_day(1).unwrap_or(date);
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            };
            (first, next.map(|n| n - Duration::days(1)).unwrap_or(first))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(text: &str, mood: Option<u8>, emotions: &[&str], at: DateTime<Utc>) -> EntryFields {
        EntryFields {
            text: text.into(),
            mood,
            emotions: emotions.iter().map(|s| (*s).to_owned()).collect(),
            tags: vec!["#meeting".into()],
            written_at: at,
            time_zone: "Europe/Madrid".into(),
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn search_ranks_by_relevance_and_ignores_accents() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        m.add_entry(entry(
            "Hoy me sentí con poco ánimo después del trabajo",
            Some(2),
            &["sad"],
            at(2, 10),
        ))
        .expect("add");
        m.add_entry(entry(
            "Ánimo, ánimo: the group lifted my ánimo a lot",
            Some(4),
            &["hopeful"],
            at(3, 10),
        ))
        .expect("add");
        m.add_entry(entry("Walked the dog", Some(3), &[], at(4, 10)))
            .expect("add");
        let hits = m.search_journal("animo", 10).expect("search");
        assert_eq!(hits.len(), 2);
        assert!(
            hits[0].entry.fields.text.starts_with("Ánimo, ánimo"),
            "more matches rank first"
        );
        assert!(hits[0].snippet.contains('['));
        assert_eq!(
            m.search_journal("hopef", 10).expect("emotion prefix").len(),
            1
        );
        assert!(
            m.search_journal("\"unbalanced AND (", 10).is_ok(),
            "syntax never errors"
        );
        assert!(m.search_journal("   ", 10).expect("empty").is_empty());
    }

    #[test]
    fn edit_delete_and_local_dates() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        // 23:30 UTC on the 24th is 00:30 on the 25th in Madrid.
        let e = m
            .add_entry(entry(
                "late",
                Some(3),
                &[],
                Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0)
                    .single()
                    .expect("t"),
            ))
            .expect("add");
        assert_eq!(e.local_date().to_string(), "2026-11-25");
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        assert_eq!(m.entries_between(day, day).expect("list").len(), 1);
        let mut f = e.fields.clone();
        f.text = "late night, could not sleep".into();
        f.mood = Some(2);
        m.update_entry(&e.id[..6], f).expect("edit");
        assert_eq!(m.search_journal("sleep", 5).expect("search").len(), 1);
        let mut bad = e.fields.clone();
        bad.mood = Some(9);
        assert!(m.update_entry(&e.id, bad).is_err());
        assert_eq!(m.find_entry(&e.id).expect("still").fields.mood, Some(2));
        m.delete_entry(&e.id).expect("delete");
        assert!(m.search_journal("sleep", 5).expect("search").is_empty());
        assert!(m.find_entry(&e.id).is_err());
    }

    #[test]
    fn grouping_and_mood_series() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        for (d, mood) in [(2, 2), (2, 4), (3, 5), (10, 1)] {
            m.add_entry(entry("x", Some(mood), &[], at(d, 12)))
                .expect("add");
        }
        let (from, to) = period_bounds(
            Period::Month,
            NaiveDate::from_ymd_opt(2026, 11, 15).expect("d"),
        );
        assert_eq!((from.day(), to.day()), (1, 30));
        let weeks = m.entries_by(Period::Week, from, to).expect("weeks");
        assert_eq!(
            weeks.iter().map(|g| g.label.as_str()).collect::<Vec<_>>(),
            ["2026-W46", "2026-W45"]
        );
        let days = m.entries_by(Period::Day, from, to).expect("days");
        assert_eq!(days.len(), 3);
        let series = m.mood_series(from, to).expect("series");
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].average, 3.0);
        assert_eq!(series[0].count, 2);
    }

    #[test]
    fn empty_entries_are_refused() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        assert!(m.add_entry(entry("  ", None, &[], at(2, 10))).is_err());
        assert!(
            m.add_entry(entry("", Some(3), &[], at(2, 10))).is_ok(),
            "a mood check-in alone is fine"
        );
    }
}
