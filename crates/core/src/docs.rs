//! Automerge documents at rest: a snapshot plus the log of every change, per document.
//!
//! Every change a device makes or receives is kept in `change`, keyed by (document, actor, seq),
//! because that log is what other replicas ask for ("everything of actor A after seq 41"). To
//! load fast, a document also keeps a snapshot (`Automerge::save`) of the changes marked
//! `in_snapshot`; loading applies the snapshot, then the few changes after it. Changes that
//! arrived before their dependencies stay unmarked and are re-offered to Automerge on each load,
//! which queues them until the dependencies come.
//!
//! Loaded documents are cached. The cache is only a copy: if writing to SQLite fails, the cached
//! document is dropped and reloaded from disk, so memory never runs ahead of what is stored.

use std::collections::{BTreeMap, HashMap};

use automerge::{ActorId, Automerge, Change};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::{Error, Result};
use crate::ids::DocId;

/// Snapshot a document once this many changes have piled up after its snapshot.
const SNAPSHOT_EVERY: i64 = 64;

/// Per document: for each actor (hex), the highest seq held with no gap before it.
pub type DocVector = BTreeMap<String, u64>;

pub(crate) struct Docs {
    actor: ActorId,
    loaded: HashMap<DocId, Automerge>,
}

impl Docs {
    pub fn new(actor: ActorId) -> Docs {
        Docs {
            actor,
            loaded: HashMap::new(),
        }
    }

    /// The document, loaded from the database on first use (empty if it does not exist yet).
    pub fn get(&mut self, conn: &Connection, id: &DocId) -> Result<&mut Automerge> {
        if !self.loaded.contains_key(id) {
            let doc = load(conn, id, &self.actor)?;
            self.loaded.insert(id.clone(), doc);
        }
        self.loaded
            .get_mut(id)
            .ok_or_else(|| Error::document(id, "vanished from the cache"))
    }

    /// This device's Automerge actor, as stored in `change.actor`.
    pub fn actor_bytes(&self) -> Vec<u8> {
        self.actor.to_bytes().to_vec()
    }

    pub fn forget(&mut self, id: &DocId) {
        self.loaded.remove(id);
    }
}

fn load(conn: &Connection, id: &DocId, actor: &ActorId) -> Result<Automerge> {
    let key = id.to_string();
    let snapshot: Option<Option<Vec<u8>>> = conn
        .query_row("SELECT snapshot FROM doc WHERE id = ?1", [&key], |row| {
            row.get(0)
        })
        .optional()?;
    let mut doc = match snapshot.flatten() {
        Some(bytes) => Automerge::load(&bytes).map_err(|e| Error::document(id, e))?,
        None => Automerge::new(),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT bytes FROM change WHERE doc_id = ?1 AND in_snapshot = 0 ORDER BY seq",
    )?;
    let changes = stmt
        .query_map([&key], |row| row.get::<_, Vec<u8>>(0))?
        .map(|bytes| {
            let bytes = bytes?;
            Change::from_bytes(bytes).map_err(|e| Error::document(id, e))
        })
        .collect::<Result<Vec<_>>>()?;
    doc.apply_changes(changes)
        .map_err(|e| Error::document(id, e))?;
    doc.set_actor(actor.clone());
    Ok(doc)
}

/// Records `changes` of document `id`; returns how many were new to this database.
pub(crate) fn store_changes(
    tx: &Transaction<'_>,
    id: &DocId,
    changes: &mut [Change],
) -> Result<usize> {
    let key = id.to_string();
    tx.execute(
        "INSERT INTO doc (id, updated_at) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
        params![key, crate::time::now_text()],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO change (doc_id, actor, seq, hash, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut new = 0;
    for change in changes.iter_mut() {
        let actor = change.actor_id().to_bytes().to_vec();
        let seq = i64::try_from(change.seq())
            .map_err(|_| Error::document(id, "change sequence number out of range"))?;
        let hash = change.hash().0.to_vec();
        new += insert.execute(params![key, actor, seq, hash, change.bytes().as_ref()])?;
    }
    Ok(new)
}

/// Folds the changes after the snapshot into a new snapshot once enough have piled up.
pub(crate) fn maybe_snapshot(tx: &Transaction<'_>, id: &DocId, doc: &Automerge) -> Result<()> {
    let key = id.to_string();
    let pending: i64 = tx.query_row(
        "SELECT count(*) FROM change WHERE doc_id = ?1 AND in_snapshot = 0",
        [&key],
        |row| row.get(0),
    )?;
    if pending < SNAPSHOT_EVERY {
        return Ok(());
    }
    tx.execute(
        "UPDATE doc SET snapshot = ?2 WHERE id = ?1",
        params![key, doc.save()],
    )?;
    // Only changes the document has applied are in the snapshot; queued ones stay pending.
    let hashes: Vec<Vec<u8>> = {
        let mut stmt =
            tx.prepare_cached("SELECT hash FROM change WHERE doc_id = ?1 AND in_snapshot = 0")?;
        stmt.query_map([&key], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut mark =
        tx.prepare_cached("UPDATE change SET in_snapshot = 1 WHERE doc_id = ?1 AND hash = ?2")?;
    for hash in hashes {
        let applied = automerge::ChangeHash::try_from(hash.as_slice())
            .map(|h| automerge::ReadDoc::get_change_by_hash(doc, &h).is_some())
            .unwrap_or(false);
        if applied {
            mark.execute(params![key, hash])?;
        }
    }
    Ok(())
}

/// Every document this database holds.
pub(crate) fn doc_ids(conn: &Connection) -> Result<Vec<DocId>> {
    let mut stmt = conn.prepare("SELECT id FROM doc ORDER BY id")?;
    let ids = stmt.query_map([], |row| row.get::<_, String>(0))?;
    let mut out = Vec::new();
    for id in ids {
        // A row that does not parse cannot have come from this code; skip rather than fail open.
        if let Ok(doc_id) = id?.parse::<DocId>() {
            out.push(doc_id);
        }
    }
    Ok(out)
}

/// What this database holds of each document: actor → highest contiguous seq.
pub(crate) fn vector(conn: &Connection, id: &DocId) -> Result<DocVector> {
    let mut stmt =
        conn.prepare_cached("SELECT actor, seq FROM change WHERE doc_id = ?1 ORDER BY actor, seq")?;
    let rows = stmt.query_map([id.to_string()], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?))
    })?;
    let mut out = DocVector::new();
    let mut gap: Option<Vec<u8>> = None;
    for row in rows {
        let (actor, seq) = row?;
        if gap.as_ref() == Some(&actor) {
            continue;
        }
        let key = hex::encode(&actor);
        let next = out.get(&key).copied().unwrap_or(0) + 1;
        if u64::try_from(seq).ok() == Some(next) {
            out.insert(key, next);
        } else {
            // A hole in this actor's run: what follows it cannot be claimed yet.
            gap = Some(actor);
        }
    }
    Ok(out)
}

/// The stored changes of `id` that a replica holding `theirs` lacks, oldest first per actor.
pub(crate) fn changes_after(
    conn: &Connection,
    id: &DocId,
    theirs: &DocVector,
) -> Result<Vec<Vec<u8>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT actor, seq, bytes FROM change WHERE doc_id = ?1 ORDER BY actor, seq",
    )?;
    let rows = stmt.query_map([id.to_string()], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (actor, seq, bytes) = row?;
        let have = theirs.get(&hex::encode(&actor)).copied().unwrap_or(0);
        if u64::try_from(seq).map(|s| s > have).unwrap_or(false) {
            out.push(bytes);
        }
    }
    Ok(out)
}
