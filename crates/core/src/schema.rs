//! The database schema: one current definition, its version, and the steps that bring an older
//! database up to it.
//!
//! Shipped upgrade steps are never edited; a new version adds a step. A test opens a frozen
//! fixture of every old version, upgrades it, and checks the result equals a fresh database.
//!
//! Tables fall in two families. *Storage* (`device`, `doc`, `change`) is the truth: the device's
//! keys and every Automerge change. *Projections* (everything else) are read models derived from
//! the documents; they are updated as changes apply and can be dropped and rebuilt at any time.

use rusqlite::Transaction;

use crate::error::Result;

/// Version 1: first release. Version 2: journal search ignores accents ("animo" finds "ánimo"),
/// which matters for Spanish-speaking groups.
pub const VERSION: i64 = 2;

pub const SCHEMA: &str = r#"
CREATE TABLE device (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    member_id        TEXT NOT NULL,
    actor            BLOB NOT NULL,
    signing_secret   BLOB NOT NULL,
    agreement_secret BLOB NOT NULL,
    created_at       TEXT NOT NULL
);

CREATE TABLE doc (
    id         TEXT PRIMARY KEY,
    snapshot   BLOB,
    updated_at TEXT NOT NULL
);

CREATE TABLE change (
    doc_id      TEXT NOT NULL REFERENCES doc(id) ON DELETE CASCADE,
    actor       BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    bytes       BLOB NOT NULL,
    in_snapshot INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (doc_id, actor, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX change_by_hash ON change (doc_id, hash);

CREATE TABLE profile (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    pseudonym  TEXT NOT NULL,
    language   TEXT,
    time_zone  TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE left_group (
    group_id TEXT PRIMARY KEY,
    left_at  TEXT NOT NULL
);

CREATE TABLE groups (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    purpose          TEXT,
    kind             TEXT NOT NULL,
    planned_sessions INTEGER,
    admission        TEXT NOT NULL,
    language         TEXT,
    place            TEXT,
    online_url       TEXT,
    guidelines       TEXT,
    archived         INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE group_member (
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    pseudonym   TEXT NOT NULL,
    roles       TEXT NOT NULL,
    signing_key TEXT,
    joined_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;

CREATE TABLE meeting_series (
    id         TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX meeting_series_by_group ON meeting_series (group_id);

CREATE TABLE contact (
    id           TEXT PRIMARY KEY,
    pseudonym    TEXT NOT NULL,
    phone        TEXT,
    link         TEXT,
    note         TEXT,
    group_id     TEXT,
    time_zone    TEXT NOT NULL,
    availability TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE journal_entry (
    rid        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    doc_id     TEXT NOT NULL,
    written_at TEXT NOT NULL,
    local_date TEXT NOT NULL,
    time_zone  TEXT NOT NULL,
    mood       INTEGER,
    text       TEXT NOT NULL,
    emotions   TEXT NOT NULL,
    tags       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX journal_entry_by_date ON journal_entry (local_date, written_at);
CREATE INDEX journal_entry_by_doc ON journal_entry (doc_id);
"#;

/// Journal search, accent-insensitive (since version 2). One constant for both a fresh database
/// and the upgrade, so that both end with the very same definition.
const JOURNAL_FTS: &str = "CREATE VIRTUAL TABLE journal_fts USING fts5(\
    text, emotions, tags, tokenize = 'unicode61 remove_diacritics 2')";

/// Creates the current schema in an empty database.
pub fn create(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(JOURNAL_FTS)?;
    Ok(())
}

/// Tables derived from documents, in the order a rebuild clears them.
pub const PROJECTION_TABLES: &[&str] = &[
    "profile",
    "left_group",
    "groups",
    "group_member",
    "meeting_series",
    "contact",
    "journal_entry",
    "journal_fts",
];

/// Brings a database at `from` up to [`VERSION`], one step at a time.
pub fn upgrade_from(tx: &Transaction<'_>, from: i64) -> Result<()> {
    let mut version = from;
    while version < VERSION {
        match version {
            1 => upgrade_1_to_2(tx)?,
            other => {
                return Err(crate::error::Error::DatabaseDamaged(format!(
                    "schema version {other} is unknown"
                )));
            }
        }
        version += 1;
    }
    Ok(())
}

fn upgrade_1_to_2(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch("DROP TABLE journal_fts;")?;
    tx.execute_batch(JOURNAL_FTS)?;
    tx.execute_batch(
        "INSERT INTO journal_fts (rowid, text, emotions, tags)
             SELECT rid, text, emotions, tags FROM journal_entry;",
    )?;
    Ok(())
}
