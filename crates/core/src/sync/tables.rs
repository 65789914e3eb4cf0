//! Where sync keeps its state, in the member's encrypted database (schema version 4).
//!
//! * `space`, `space_key`: the spaces this device takes part in, their naming key and every
//!   epoch key it holds; `anchors` are the signing keys of the devices the invitation vouched
//!   for (the roster as the inviter knew it), so a new member can check the first envelopes. Keys never leave the device except wrapped for another device.
//! * `envelope`: every envelope this device made or received, verbatim, so it can be passed on by
//!   any route (relay, local network, file) and so "what I have" is a query. `state` is
//!   `applied`, `held` (not verifiable yet: its sender's introduction or its epoch key has not
//!   arrived) or `rejected` (forged or altered; the bytes are dropped).
//! * `sealed`: per document, how far this device's own changes are sealed into envelopes.
//! * `relay_state`: per relay and space, the relay's position last seen and what it holds.
//!   `relay_has` also keeps what a member met by sync file holds, under the route
//!   `peer:<member id>` ([`super::bundle`]); relay addresses start with `http`, so they never mix.
//! * `sync_setting`: small values: the relay, `rekey:<space>` (this device's rekey not yet on the
//!   relay), `rekey-log:<space>:<epoch>` (every key change made or accepted, [`super::forward`]).
//! * `invitation`, `join_request`, `joining`: invitations this device made, requests to approve,
//!   and this device's own pending request to join.
//! * `pairing`: pairing codes this device showed (`shown`: `open`, then `used` by `device`) and
//!   this device's own request to be paired (`joining`: `requested`, `paired` or `refused`).
//! * `sync_event`: warnings the member should see (a rejected envelope, a removal).
//! * `checkpoint_cover`: per (doc, device), the envelopes 1..=seq this device holds only as part
//!   of a checkpoint it loaded ([`super::checkpoint`]); `checkpoint_sent`: per relay and
//!   document, how much this device held when it last uploaded (or loaded) a checkpoint there.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

pub const TABLES: &str = r#"
CREATE TABLE space (
    id         BLOB PRIMARY KEY,
    group_id   TEXT NOT NULL UNIQUE,
    naming_key BLOB NOT NULL,
    epoch      INTEGER NOT NULL,
    removed    INTEGER NOT NULL DEFAULT 0,
    intro      BLOB,
    anchors    BLOB,
    created_at TEXT NOT NULL
);

CREATE TABLE space_key (
    space_id BLOB NOT NULL REFERENCES space(id) ON DELETE CASCADE,
    epoch    INTEGER NOT NULL,
    key      BLOB NOT NULL,
    PRIMARY KEY (space_id, epoch)
) WITHOUT ROWID;

CREATE TABLE envelope (
    space_id    BLOB NOT NULL,
    doc_tag     BLOB NOT NULL,
    device_tag  BLOB NOT NULL,
    seq         INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    bytes       BLOB,
    state       TEXT NOT NULL,
    doc_id      TEXT,
    received_at TEXT NOT NULL,
    PRIMARY KEY (space_id, doc_tag, device_tag, seq)
) WITHOUT ROWID;
CREATE INDEX envelope_held ON envelope (space_id, state);

CREATE TABLE sealed (
    space_id BLOB NOT NULL,
    doc_id   TEXT NOT NULL,
    next_seq INTEGER NOT NULL,
    through  INTEGER NOT NULL,
    PRIMARY KEY (space_id, doc_id)
) WITHOUT ROWID;

CREATE TABLE relay_state (
    relay    TEXT NOT NULL,
    space_id BLOB NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (relay, space_id)
) WITHOUT ROWID;

CREATE TABLE relay_has (
    relay      TEXT NOT NULL,
    space_id   BLOB NOT NULL,
    doc_tag    BLOB NOT NULL,
    device_tag BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (relay, space_id, doc_tag, device_tag)
) WITHOUT ROWID;

CREATE TABLE invitation (
    id         TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL,
    mode       TEXT NOT NULL,
    secret     BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE join_request (
    invite_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    pseudonym   TEXT NOT NULL,
    signing     BLOB NOT NULL,
    agreement   BLOB NOT NULL,
    state       TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (invite_id, member_id)
) WITHOUT ROWID;

CREATE TABLE joining (
    invite_id  TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    group_name TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE pairing (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    secret     BLOB NOT NULL,
    code       TEXT NOT NULL,
    state      TEXT NOT NULL,
    device     BLOB,
    detail     TEXT NOT NULL DEFAULT '',
    expires    INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sync_event (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    group_id TEXT,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL
);

CREATE TABLE sync_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE checkpoint_cover (
    space_id   BLOB NOT NULL,
    doc_tag    BLOB NOT NULL,
    device_tag BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (space_id, doc_tag, device_tag)
) WITHOUT ROWID;

CREATE TABLE checkpoint_sent (
    relay      TEXT NOT NULL,
    space_id   BLOB NOT NULL,
    doc_id     TEXT NOT NULL,
    held       INTEGER NOT NULL,
    held_bytes INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (relay, space_id, doc_id)
) WITHOUT ROWID;
"#;

pub(crate) fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM sync_setting WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()?)
}

pub(crate) fn set_setting(conn: &Connection, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => conn.execute(
            "INSERT INTO sync_setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => conn.execute("DELETE FROM sync_setting WHERE key = ?1", [key])?,
    };
    Ok(())
}

pub(crate) fn event(
    conn: &Connection,
    group: Option<&str>,
    kind: &str,
    detail: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_event (at, group_id, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![crate::time::now_text(), group, kind, detail],
    )?;
    Ok(())
}
