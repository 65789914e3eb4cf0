//! The database schema: one current definition, its version, and the steps that bring an older
//! database up to it.
//!
//! Shipped upgrade steps are never edited; a new version adds a step. A test opens a frozen
//! fixture of every old version, upgrades it, and checks the result equals a fresh database.
//!
//! Tables fall in three families. *Storage* (`device`, `doc`, `change`) is the truth: the device's
//! keys and every Automerge change. *Projections* ([`PROJECTION_TABLES`]) are read models derived
//! from the documents; they are updated as changes apply and can be dropped and rebuilt at any
//! time. *Local state* (`message_read`, `message_hidden`) is this device's own and is never
//! shared, nor touched by a rebuild.

use rusqlite::Transaction;

use crate::error::Result;

/// Version 1: first release. Version 2: journal search ignores accents ("animo" finds "ánimo"),
/// which matters for Spanish-speaking groups. Version 3: messages (group threads and one-to-one
/// conversations), with the local read markers and "deleted for me" list. Version 4: encrypted
/// sync (spaces, keys, envelopes, invitations; see `sync::tables`).
pub const VERSION: i64 = 4;

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

/// Messages (since version 3). One constant for both a fresh database and the upgrade.
///
/// `message`, `message_reaction`, `message_receipt`, `direct_pair` and `messaging_setting` are
/// projections of the chat documents (and of the profile's messaging settings). A message is
/// keyed by its document as well as its id, so two documents claiming one id can never make a
/// rebuild differ from the incremental tables. `message_read` and `message_hidden` are not
/// projections but this device's own state, high-churn and never shared (DESIGN.md 3.1): how
/// far the member has read each conversation, and the messages they deleted for themselves.
const MESSAGES: &str = r#"
CREATE TABLE message (
    doc_id           TEXT NOT NULL,
    id               TEXT NOT NULL,
    conversation     TEXT NOT NULL,
    author_id        TEXT NOT NULL,
    author_pseudonym TEXT NOT NULL,
    text             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    sent_at          TEXT NOT NULL,
    reply_to         TEXT,
    edited_at        TEXT,
    deleted_at       TEXT,
    PRIMARY KEY (doc_id, id)
) WITHOUT ROWID;
CREATE INDEX message_by_conversation ON message (conversation, sent_at, id);
CREATE INDEX message_by_id ON message (id);

CREATE TABLE message_reaction (
    doc_id     TEXT NOT NULL,
    message_id TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    pseudonym  TEXT NOT NULL,
    emoji      TEXT NOT NULL,
    reacted_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, message_id, member_id)
) WITHOUT ROWID;
CREATE INDEX message_reaction_by_message ON message_reaction (message_id);

CREATE TABLE message_receipt (
    doc_id       TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    conversation TEXT NOT NULL,
    pseudonym    TEXT NOT NULL,
    read_up_to   TEXT NOT NULL,
    PRIMARY KEY (doc_id, member_id)
) WITHOUT ROWID;
CREATE INDEX message_receipt_by_conversation ON message_receipt (conversation);

CREATE TABLE direct_pair (
    doc_id      TEXT PRIMARY KEY,
    pair_id     TEXT NOT NULL,
    member_a    TEXT NOT NULL,
    pseudonym_a TEXT NOT NULL,
    member_b    TEXT NOT NULL,
    pseudonym_b TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX direct_pair_by_pair ON direct_pair (pair_id);

CREATE TABLE messaging_setting (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    read_receipts INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE message_read (
    conversation TEXT PRIMARY KEY,
    read_up_to   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE message_hidden (
    message_id TEXT PRIMARY KEY,
    hidden_at  TEXT NOT NULL
) WITHOUT ROWID;
"#;

/// Creates the current schema in an empty database.
pub fn create(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(JOURNAL_FTS)?;
    tx.execute_batch(MESSAGES)?;
    tx.execute_batch(crate::sync::tables::TABLES)?;
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
    "message",
    "message_reaction",
    "message_receipt",
    "direct_pair",
    "messaging_setting",
];

/// Brings a database at `from` up to [`VERSION`], one step at a time.
pub fn upgrade_from(tx: &Transaction<'_>, from: i64) -> Result<()> {
    let mut version = from;
    while version < VERSION {
        match version {
            1 => upgrade_1_to_2(tx)?,
            2 => upgrade_2_to_3(tx)?,
            // New tables only: nothing synced before this version.
            3 => tx.execute_batch(crate::sync::tables::TABLES)?,
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

/// New tables only: the chat documents arrive with this version, so there is nothing to project
/// yet, and the profile's messaging settings default to "no read receipts" until set.
fn upgrade_2_to_3(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(MESSAGES)?;
    Ok(())
}
