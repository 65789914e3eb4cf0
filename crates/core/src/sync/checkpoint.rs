//! Checkpoints: an encrypted snapshot of one shared document, so a device that joins a group
//! with a long history downloads the snapshot plus the envelopes after it instead of every
//! envelope ever sent (DESIGN.md 3.2).
//!
//! A checkpoint travels as an [`Envelope`] like any other: the document's Automerge `save()` and
//! the (doc, device) → seq runs it covers, sealed under the current epoch key and signed by the
//! device that made it. The relay keeps the newest one per document. A member's device uploads
//! one when a document has gained [`CHECKPOINT_EVERY`] envelopes since its last upload to that
//! relay, and only if those envelopes weigh at least as much as the previous checkpoint did, so
//! uploads stay rare and never cost more than the traffic they summarise.
//!
//! A device with no history in a space fetches the checkpoints before its first handshake,
//! checks each exactly as it checks envelopes (the signer must be a device of the roster or one
//! the invitation vouched for, not removed at that epoch; the ciphertext must open under a key it
//! holds), applies the snapshot, and records what it covers in `checkpoint_cover`. Its handshake
//! then says "I have" those runs, so the relay sends only the tail. A forged, altered or stale
//! checkpoint costs nothing but a download: it is ignored (with a warning when it is bad), and
//! whatever it does not cover still comes as envelopes. Envelopes a checkpoint covers are simply
//! not held on this device; everything it does hold is still kept verbatim for other routes.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, ReadDoc};
use ed25519_dalek::VerifyingKey;
use mutua_protocol::{DeviceTag, DocTag, Envelope, HaveEntry, OpenError, SpaceId};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::DocId;
use crate::store::Mutua;
use crate::sync::space::{self, Space};
use crate::sync::tables;

/// A document gets a new checkpoint on a relay after this many new envelopes.
pub const CHECKPOINT_EVERY: u64 = 256;

/// Larger snapshots are not uploaded (the relay's default body limit is 8 MiB).
const MAX_CHECKPOINT_BYTES: usize = 4 << 20;

/// Marks a checkpoint's plaintext, so it can never be taken for an envelope's payload.
const MAGIC: &[u8] = b"mutua/checkpoint/1\0";

/// Inside a checkpoint.
#[derive(Debug, Serialize, Deserialize)]
struct CheckpointBody {
    doc: String,
    /// `Automerge::save()` of the document.
    snapshot: Vec<u8>,
    /// For each device that wrote to the document: envelopes 1..=seq are in the snapshot.
    covers: Vec<HaveEntry>,
}

/// A checkpoint made by this device, ready to upload.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub doc: String,
    pub envelope: Envelope,
    /// Envelopes of the document this device held when it made the checkpoint.
    held: u64,
    held_bytes: u64,
}

/// What taking in a relay's checkpoints did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointsLoaded {
    pub loaded: usize,
    pub rejected: usize,
}

/// Per (doc, device): the highest seq this device holds with no gap, counting runs a loaded
/// checkpoint covers. `applied_only` leaves out envelopes not opened yet; `doc` limits it to one
/// document.
pub(crate) fn have(
    conn: &Connection,
    space: &SpaceId,
    doc: Option<&DocTag>,
    applied_only: bool,
) -> Result<Vec<HaveEntry>> {
    let doc_bytes = doc.map(|d| d.as_bytes().to_vec());
    let mut runs: BTreeMap<(DocTag, DeviceTag), u64> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT doc_tag, device_tag, seq FROM checkpoint_cover
             WHERE space_id = ?1 AND (?2 IS NULL OR doc_tag = ?2)",
        )?;
        let rows = stmt.query_map(params![space.as_bytes().to_vec(), doc_bytes], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, u64>(2)?,
            ))
        })?;
        for row in rows {
            let (d, v, seq) = row?;
            if let (Ok(d), Ok(v)) = (DocTag::from_slice(&d), DeviceTag::from_slice(&v)) {
                runs.insert((d, v), seq);
            }
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT doc_tag, device_tag, seq FROM envelope
         WHERE space_id = ?1 AND (?2 IS NULL OR doc_tag = ?2)
           AND (state = 'applied' OR (state = 'held' AND NOT ?3))
         ORDER BY doc_tag, device_tag, seq",
    )?;
    let rows = stmt.query_map(
        params![space.as_bytes().to_vec(), doc_bytes, applied_only],
        |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, u64>(2)?,
            ))
        },
    )?;
    let mut blocked: BTreeSet<(DocTag, DeviceTag)> = BTreeSet::new();
    for row in rows {
        let (d, v, seq) = row?;
        let (Ok(d), Ok(v)) = (DocTag::from_slice(&d), DeviceTag::from_slice(&v)) else {
            continue;
        };
        if blocked.contains(&(d, v)) {
            continue;
        }
        let run = runs.entry((d, v)).or_insert(0);
        if seq <= *run {
            continue;
        }
        if seq == *run + 1 {
            *run = seq;
        } else {
            // A hole: what follows it cannot be claimed yet.
            blocked.insert((d, v));
        }
    }
    Ok(runs
        .into_iter()
        .filter(|(_, seq)| *seq > 0)
        .map(|((doc, device), seq)| HaveEntry { doc, device, seq })
        .collect())
}

fn space_bytes(id: &SpaceId) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// Checkpoints are for group spaces, whose roster lives in the group's documents. (Group ids are
/// hex; other kinds of space are named otherwise.)
fn is_group_space(space: &Space) -> bool {
    !space.group_id.is_empty() && space.group_id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Mutua {
    /// Whether this device has nothing of `space` from anyone else yet and has never talked to
    /// `relay` about it: a fresh join, which should start from the relay's checkpoints.
    pub fn wants_checkpoints(&self, relay: &str, space_id: &SpaceId) -> Result<bool> {
        if self.relay_position(relay, space_id)?.is_some() {
            return Ok(false);
        }
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(false);
        };
        if !is_group_space(&space) {
            return Ok(false);
        }
        let me = space.naming.device_tag(&self.identity.signing_public());
        let has_history: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM envelope WHERE space_id = ?1 AND device_tag != ?2)
                 OR EXISTS (SELECT 1 FROM checkpoint_cover WHERE space_id = ?1)",
            params![space_bytes(space_id), me.as_bytes().to_vec()],
            |row| row.get(0),
        )?;
        Ok(!has_history)
    }

    /// Checks and applies checkpoints fetched from `relay` for `space_id`. Bad ones are ignored
    /// with a warning the member sees; none is ever applied unverified.
    pub fn absorb_checkpoints(
        &mut self,
        relay: &str,
        space_id: &SpaceId,
        checkpoints: &[Envelope],
    ) -> Result<CheckpointsLoaded> {
        self.absorb_checkpoints_from(Some(relay), space_id, checkpoints)
    }

    /// [`Mutua::absorb_checkpoints`] for checkpoints that came from `relay`, or by another
    /// route (`None`: a sync file), which leaves what this device knows of relays alone.
    pub(crate) fn absorb_checkpoints_from(
        &mut self,
        relay: Option<&str>,
        space_id: &SpaceId,
        checkpoints: &[Envelope],
    ) -> Result<CheckpointsLoaded> {
        let mut out = CheckpointsLoaded::default();
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(out);
        };
        if !is_group_space(&space) {
            return Ok(out);
        }
        // The roster first: the other checkpoints' signers are checked against it.
        let meta_tag = space.doc_tag(&space.meta_doc());
        let mut ordered: Vec<&Envelope> = checkpoints.iter().collect();
        ordered.sort_by_key(|e| e.header().doc != meta_tag);
        for env in ordered {
            match self.open_checkpoint(&space, env)? {
                Ok((doc, snapshot, covers)) => {
                    let changes = snapshot.get_changes(&[]);
                    self.apply_changes(vec![(doc.clone(), changes)])?;
                    let tx = self.conn.transaction()?;
                    for c in &covers {
                        tx.execute(
                            "INSERT INTO checkpoint_cover (space_id, doc_tag, device_tag, seq)
                             VALUES (?1, ?2, ?3, ?4)
                             ON CONFLICT (space_id, doc_tag, device_tag)
                             DO UPDATE SET seq = max(seq, excluded.seq)",
                            params![
                                space_bytes(space_id),
                                c.doc.as_bytes().to_vec(),
                                c.device.as_bytes().to_vec(),
                                c.seq
                            ],
                        )?;
                    }
                    // The relay has this checkpoint: no need to upload another one soon.
                    let held: u64 = covers.iter().map(|c| c.seq).sum();
                    if let Some(relay) = relay {
                        tx.execute(
                        "INSERT INTO checkpoint_sent (relay, space_id, doc_id, held, held_bytes, size)
                         VALUES (?1, ?2, ?3, ?4, 0, ?5)
                         ON CONFLICT (relay, space_id, doc_id) DO UPDATE SET
                             held = excluded.held, held_bytes = 0, size = excluded.size",
                        params![
                            relay,
                            space_bytes(space_id),
                            doc.to_string(),
                            held,
                            env.to_bytes().len() as u64
                        ],
                    )?;
                    }
                    tx.commit()?;
                    out.loaded += 1;
                }
                Err(Some(why)) => {
                    tables::event(
                        &self.conn,
                        Some(&space.group_id),
                        "rejected_checkpoint",
                        &format!("a checkpoint was {why} and was ignored"),
                    )?;
                    out.rejected += 1;
                }
                Err(None) => {}
            }
        }
        Ok(out)
    }

    /// Verifies and opens one checkpoint: `Ok(Err(Some(why)))` for a bad one, `Ok(Err(None))`
    /// for one this device cannot judge (sealed under a key it does not hold).
    #[allow(clippy::type_complexity)]
    fn open_checkpoint(
        &mut self,
        space: &Space,
        env: &Envelope,
    ) -> Result<std::result::Result<(DocId, Automerge, Vec<HaveEntry>), Option<&'static str>>> {
        let h = env.header();
        if h.space != space.id {
            return Ok(Err(Some("for another group")));
        }
        let Some(key) = space.keys.get(&h.epoch) else {
            return Ok(Err(None));
        };
        let meta = space.meta_doc();
        let devices = self.read_doc(&meta, |doc| space::roster_with_anchors(doc, space))?;
        let Some(device) = devices.get(&h.device) else {
            return Ok(Err(Some("signed by a device the group does not know")));
        };
        if device
            .removed_epoch
            .is_some_and(|removed| h.epoch >= removed)
        {
            return Ok(Err(Some("made by a removed member's device")));
        }
        let Ok(sender) = VerifyingKey::from_bytes(&device.signing) else {
            return Ok(Err(Some("signed by a malformed key")));
        };
        let plaintext = match env.open(key, &sender) {
            Ok(p) => p,
            Err(OpenError::BadSignature) => {
                return Ok(Err(Some("forged or altered (bad signature)")));
            }
            Err(OpenError::Undecryptable) => {
                return Ok(Err(Some("altered (cannot be decrypted)")));
            }
        };
        let Some(inner) = plaintext.strip_prefix(MAGIC) else {
            return Ok(Err(Some("not a checkpoint inside")));
        };
        let Ok(body) = mutua_protocol::decode::<CheckpointBody>(inner) else {
            return Ok(Err(Some("malformed inside")));
        };
        let Ok(doc) = body.doc.parse::<DocId>() else {
            return Ok(Err(Some("for an unknown kind of document")));
        };
        if !space.carries(&doc) || space.doc_tag(&doc) != h.doc {
            return Ok(Err(Some("for a document that does not belong here")));
        }
        let Ok(snapshot) = Automerge::load(&body.snapshot) else {
            return Ok(Err(Some("malformed inside")));
        };
        // A checkpoint vouches only for its own document's envelopes.
        let covers = body
            .covers
            .into_iter()
            .filter(|c| c.doc == h.doc && c.seq > 0)
            .collect();
        Ok(Ok((doc, snapshot, covers)))
    }

    /// Checkpoints of `space_id` due for upload to `relay`: documents that gained
    /// [`CHECKPOINT_EVERY`] envelopes (and at least the last checkpoint's weight in bytes) since
    /// the last one this device uploaded there or loaded from there.
    pub fn due_checkpoints(&mut self, relay: &str, space_id: &SpaceId) -> Result<Vec<Checkpoint>> {
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(Vec::new());
        };
        if space.removed || !is_group_space(&space) {
            return Ok(Vec::new());
        }
        // doc, envelopes held (opened or covered), their bytes, and the last upload's numbers.
        let rows: Vec<(String, u64, u64, u64, u64, u64)> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT e.doc_id, count(*) + coalesce((SELECT sum(c.seq) FROM checkpoint_cover c
                            WHERE c.space_id = e.space_id AND c.doc_tag = e.doc_tag), 0),
                        sum(length(e.bytes)),
                        coalesce(s.held, 0), coalesce(s.held_bytes, 0), coalesce(s.size, 0)
                 FROM envelope e
                 LEFT JOIN checkpoint_sent s ON s.relay = ?1 AND s.space_id = e.space_id
                      AND s.doc_id = e.doc_id
                 WHERE e.space_id = ?2 AND e.state = 'applied' AND e.doc_id IS NOT NULL
                 GROUP BY e.doc_id",
            )?;
            stmt.query_map(params![relay, space_bytes(space_id)], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get::<_, Option<u64>>(2)?.unwrap_or(0),
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for (name, held, held_bytes, last_held, last_bytes, last_size) in rows {
            let new = held.saturating_sub(last_held);
            let new_bytes = held_bytes.saturating_sub(last_bytes);
            if new < CHECKPOINT_EVERY || new_bytes < last_size {
                continue;
            }
            let Ok(doc) = name.parse::<DocId>() else {
                continue;
            };
            if !space.carries(&doc) {
                continue;
            }
            if let Some(envelope) = self.make_checkpoint(&space, &doc)? {
                out.push(Checkpoint {
                    doc: name,
                    envelope,
                    held,
                    held_bytes,
                });
            }
        }
        Ok(out)
    }

    /// Seals a checkpoint of `doc`, or `None` if the document cannot be summarised now (changes
    /// waiting for their dependencies, or too big).
    pub(crate) fn make_checkpoint(
        &mut self,
        space: &Space,
        doc: &DocId,
    ) -> Result<Option<Envelope>> {
        let (complete, snapshot) = self.read_doc(doc, |d| {
            let complete = d.get_missing_deps(&[]).is_empty();
            (complete, if complete { d.save() } else { Vec::new() })
        })?;
        if !complete || snapshot.len() > MAX_CHECKPOINT_BYTES {
            return Ok(None);
        }
        let tag = space.doc_tag(doc);
        let covers = have(&self.conn, &space.id, Some(&tag), true)?;
        if covers.is_empty() {
            return Ok(None);
        }
        let seq = covers.iter().map(|c| c.seq).sum::<u64>();
        let body = CheckpointBody {
            doc: doc.to_string(),
            snapshot,
            covers,
        };
        let mut plaintext = MAGIC.to_vec();
        plaintext.extend(mutua_protocol::encode(&body));
        let env = Envelope::seal(
            space.id,
            tag,
            space.naming.device_tag(&self.identity.signing_public()),
            seq,
            space.epoch,
            &plaintext,
            space.current_key()?,
            &self.identity.signing_key(),
        )
        .map_err(|e| Error::Random(e.to_string()))?;
        Ok(Some(env))
    }

    /// `relay` took `checkpoint`.
    pub fn checkpoint_uploaded(
        &self,
        relay: &str,
        space_id: &SpaceId,
        checkpoint: &Checkpoint,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO checkpoint_sent (relay, space_id, doc_id, held, held_bytes, size)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (relay, space_id, doc_id) DO UPDATE SET held = excluded.held,
                 held_bytes = excluded.held_bytes, size = excluded.size",
            params![
                relay,
                space_bytes(space_id),
                checkpoint.doc,
                checkpoint.held,
                checkpoint.held_bytes,
                checkpoint.envelope.to_bytes().len() as u64
            ],
        )?;
        Ok(())
    }

    /// How many envelope runs of `space_id` this device holds only through checkpoints.
    pub fn checkpoint_covered(&self, space_id: &SpaceId) -> Result<u64> {
        Ok(self
            .conn
            .query_row(
                "SELECT sum(seq) FROM checkpoint_cover WHERE space_id = ?1",
                [space_bytes(space_id)],
                |row| row.get::<_, Option<u64>>(0),
            )
            .optional()?
            .flatten()
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_start_after_what_a_checkpoint_covers() {
        let m = Mutua::ephemeral("Ana G.").expect("store");
        let space = SpaceId([1; 16]);
        let (d, v) = (DocTag([2; 16]), DeviceTag([3; 16]));
        m.conn
            .execute(
                "INSERT INTO checkpoint_cover (space_id, doc_tag, device_tag, seq) VALUES (?1, ?2, ?3, 40)",
                params![space_bytes(&space), d.as_bytes().to_vec(), v.as_bytes().to_vec()],
            )
            .expect("cover");
        for (seq, state) in [
            (38, "applied"),
            (41, "applied"),
            (42, "held"),
            (44, "applied"),
        ] {
            m.conn
                .execute(
                    "INSERT INTO envelope (space_id, doc_tag, device_tag, seq, epoch, bytes, state, received_at)
                     VALUES (?1, ?2, ?3, ?4, 0, x'00', ?5, '')",
                    params![space_bytes(&space), d.as_bytes().to_vec(), v.as_bytes().to_vec(), seq, state],
                )
                .expect("envelope");
        }
        let all = have(&m.conn, &space, None, false).expect("have");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].seq, 42);
        let applied = have(&m.conn, &space, Some(&d), true).expect("have");
        assert_eq!(applied[0].seq, 41);
        assert!(
            have(&m.conn, &space, Some(&DocTag([9; 16])), true)
                .expect("have")
                .is_empty()
        );
    }
}
