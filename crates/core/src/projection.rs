//! Projections: the SQLite tables screens read, kept in step with the documents.
//!
//! After each change (local or merged) the store asks Automerge for the patches between the old
//! and new heads and works out which *records* they touched — `entries/<id>`, `members/<id>` —
//! then re-reads just those records and replaces their rows. A rebuild does the same for every
//! record of every document. Because both paths run the same per-record code, a test can demand
//! that the incremental tables and the rebuilt ones are equal, row for row.

use std::collections::BTreeSet;

use automerge::{Automerge, Patch, PatchAction, Prop};
use rusqlite::{Connection, Transaction};
use serde_json::{Map, Value};

use crate::amjson;
use crate::error::Result;
use crate::ids::DocId;
use crate::{contacts, groups, journal, meetings, messages, profile, schema};

/// What a set of patches touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Touched {
    All,
    Some {
        collections: BTreeSet<String>,
        records: BTreeSet<(String, String)>,
    },
}

/// Reads the patches of a change and names the records they touched. Records sit at the root
/// under `<collection>/<key>` (see `amjson`), so the first step of a patch's path, or the key
/// of a patch on the root itself, names the record.
pub(crate) fn touched(patches: &[Patch]) -> Touched {
    let mut collections = BTreeSet::new();
    let mut records = BTreeSet::new();
    for patch in patches {
        let root_key = match (patch.path.first(), &patch.action) {
            (Some((_, Prop::Map(key))), _) => key.clone(),
            (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => key.clone(),
            _ => return Touched::All,
        };
        match amjson::split_key(&root_key) {
            Some((collection, key)) => {
                records.insert((collection.to_owned(), key.to_owned()));
            }
            None => {
                collections.insert(root_key);
            }
        }
    }
    Touched::Some {
        collections,
        records,
    }
}

/// Brings the projection of document `id` up to date with `doc` for what `touched` names.
pub(crate) fn project(
    tx: &Transaction<'_>,
    id: &DocId,
    doc: &Automerge,
    touched: &Touched,
) -> Result<()> {
    let wants_all = |collection: &str| match touched {
        Touched::All => true,
        Touched::Some { collections, .. } => collections.contains(collection),
    };
    let records_in = |collection: &str| -> Vec<String> {
        match touched {
            Touched::All => Vec::new(),
            Touched::Some { records, .. } => records
                .iter()
                .filter(|(c, _)| c == collection)
                .map(|(_, key)| key.clone())
                .collect(),
        }
    };
    match id {
        DocId::Profile => profile::project(tx, doc)?,
        DocId::GroupMeta { group } => {
            let info = groups::COLLECTION_INFO;
            if wants_all(info) || !records_in(info).is_empty() {
                groups::project_info(tx, group, doc)?;
            }
            let members = groups::COLLECTION_MEMBERS;
            let keys = if wants_all(members) {
                tx.execute("DELETE FROM group_member WHERE group_id = ?1", [group])?;
                groups::member_keys(doc)
            } else {
                records_in(members)
            };
            for key in keys {
                groups::project_member(tx, group, doc, &key)?;
            }
        }
        DocId::GroupCalendar { group } => {
            let keys = if wants_all(meetings::COLLECTION) {
                tx.execute("DELETE FROM meeting_series WHERE group_id = ?1", [group])?;
                meetings::series_keys(doc)
            } else {
                records_in(meetings::COLLECTION)
            };
            for key in keys {
                meetings::project_series(tx, group, doc, &key)?;
            }
        }
        DocId::Contacts => {
            let keys = if wants_all(contacts::COLLECTION) {
                tx.execute("DELETE FROM contact", [])?;
                contacts::contact_keys(doc)
            } else {
                records_in(contacts::COLLECTION)
            };
            for key in keys {
                contacts::project_contact(tx, doc, &key)?;
            }
        }
        DocId::Journal { .. } => {
            let keys = if wants_all(journal::COLLECTION) {
                journal::clear_doc(tx, id)?;
                journal::entry_keys(doc)
            } else {
                records_in(journal::COLLECTION)
            };
            for key in keys {
                journal::project_entry(tx, id, doc, &key)?;
            }
        }
        DocId::GroupChat { .. } | DocId::Direct { .. } => {
            for collection in messages::COLLECTIONS {
                let keys = if wants_all(collection) {
                    messages::clear(tx, id, collection)?;
                    messages::record_keys(doc, collection)
                } else {
                    records_in(collection)
                };
                for key in keys {
                    messages::project_record(tx, id, doc, collection, &key)?;
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn clear_all(tx: &Transaction<'_>) -> Result<()> {
    for table in schema::PROJECTION_TABLES {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    Ok(())
}

/// Every projection row as JSON, in a stable order, leaving out row ids (which legitimately
/// differ between an incrementally maintained table and a rebuilt one).
pub(crate) fn dump(conn: &Connection) -> Result<Value> {
    let queries: &[(&str, &str)] = &[
        (
            "profile",
            "SELECT pseudonym, language, time_zone, updated_at FROM profile",
        ),
        (
            "left_group",
            "SELECT group_id, left_at FROM left_group ORDER BY group_id",
        ),
        ("groups", "SELECT * FROM groups ORDER BY id"),
        (
            "group_member",
            "SELECT * FROM group_member ORDER BY group_id, member_id",
        ),
        ("meeting_series", "SELECT * FROM meeting_series ORDER BY id"),
        ("contact", "SELECT * FROM contact ORDER BY id"),
        (
            "journal_entry",
            "SELECT id, doc_id, written_at, local_date, time_zone, mood, text, emotions, tags,
                    created_at, updated_at
             FROM journal_entry ORDER BY id",
        ),
        (
            "journal_fts",
            "SELECT e.id, f.text, f.emotions, f.tags FROM journal_fts f
             JOIN journal_entry e ON e.rid = f.rowid ORDER BY e.id",
        ),
        ("journal_fts_rows", "SELECT count(*) FROM journal_fts"),
        ("message", "SELECT * FROM message ORDER BY doc_id, id"),
        (
            "message_reaction",
            "SELECT * FROM message_reaction ORDER BY doc_id, message_id, member_id",
        ),
        (
            "message_receipt",
            "SELECT * FROM message_receipt ORDER BY doc_id, member_id",
        ),
        ("direct_pair", "SELECT * FROM direct_pair ORDER BY doc_id"),
        ("messaging_setting", "SELECT * FROM messaging_setting"),
    ];
    let mut out = Map::new();
    for (name, sql) in queries {
        let mut stmt = conn.prepare(sql)?;
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let rows = stmt.query_map([], |row| {
            let mut obj = Map::new();
            for (i, column) in columns.iter().enumerate() {
                let value = match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                    rusqlite::types::ValueRef::Real(f) => Value::from(f),
                    rusqlite::types::ValueRef::Text(t) => {
                        Value::String(String::from_utf8_lossy(t).into_owned())
                    }
                    rusqlite::types::ValueRef::Blob(b) => Value::String(hex::encode(b)),
                };
                obj.insert(column.clone(), value);
            }
            Ok(Value::Object(obj))
        })?;
        out.insert(
            (*name).to_owned(),
            Value::Array(rows.collect::<rusqlite::Result<_>>()?),
        );
    }
    Ok(Value::Object(out))
}
