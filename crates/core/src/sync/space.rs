//! A group's sync space: its keys, the devices allowed to write to it, and the two directions
//! of the envelope log — sealing this device's new changes, and opening what arrived.

use std::collections::{BTreeMap, HashMap};

use automerge::Change;
use ed25519_dalek::VerifyingKey;
use mutua_protocol::{
    DeviceTag, DocTag, Envelope, EpochKey, HaveEntry, NamingKey, OpenError, SpaceId,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::amjson;
use crate::error::{Error, Result};
use crate::ids::DocId;
use crate::store::Mutua;
use crate::sync::packing::{self, Unreadable};
use crate::sync::tables;

/// Roster collections in `group/<id>/meta` that sync relies on.
pub(crate) const DEVICES: &str = "devices";
pub(crate) const INVITES: &str = "invites";

/// Most changes sealed into one envelope.
const MAX_CHANGES_PER_ENVELOPE: usize = 256;
/// Most bytes of (uncompressed) changes sealed into one envelope, unless one change is bigger
/// by itself. Small enough that an envelope of a long offline day, packed, crosses a 64 kbit/s
/// link in a few seconds: an envelope is the smallest unit a sync page can hold, so a bigger one
/// would be lost whole by a cut.
const MAX_BYTES_PER_ENVELOPE: usize = 32 << 10;

/// A space as this device holds it.
#[derive(Clone)]
pub(crate) struct Space {
    pub id: SpaceId,
    pub group_id: String,
    pub naming: NamingKey,
    pub epoch: u32,
    pub keys: BTreeMap<u32, EpochKey>,
    pub removed: bool,
    pub intro: Option<Vec<u8>>,
    /// Devices vouched for by the invitation this device joined with.
    pub anchors: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Space {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Space")
            .field("id", &self.id)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Space {
    pub fn current_key(&self) -> Result<&EpochKey> {
        self.keys
            .get(&self.epoch)
            .ok_or_else(|| Error::DatabaseDamaged("a group's current key is missing".into()))
    }

    pub fn token(&self) -> Result<mutua_protocol::Token> {
        Ok(self.current_key()?.token(&self.id))
    }

    pub fn doc_tag(&self, doc: &DocId) -> DocTag {
        self.naming.doc_tag(&doc.to_string())
    }

    pub fn meta_doc(&self) -> DocId {
        DocId::GroupMeta {
            group: self.group_id.clone(),
        }
    }

    /// What this space is for, read from `group_id` (see [`Scope`]).
    pub fn scope(&self) -> Scope<'_> {
        if self.group_id == PERSONAL_SCOPE {
            Scope::Personal
        } else if let Some(pair) = self.group_id.strip_prefix(PAIR_SCOPE_PREFIX) {
            Scope::Pair(pair)
        } else {
            Scope::Group(&self.group_id)
        }
    }

    /// Whether `doc` travels in this space: a group's shared documents, one pair's
    /// conversation, or the member's profile and contacts — never a private document.
    pub fn carries(&self, doc: &DocId) -> bool {
        if doc.is_private() {
            return false;
        }
        match self.scope() {
            Scope::Group(group) => doc.group() == Some(group),
            Scope::Pair(pair) => matches!(doc, DocId::Direct { pair: p, .. } if p == pair),
            Scope::Personal => matches!(doc, DocId::Profile | DocId::Contacts),
        }
    }
}

/// What a space carries. Stored in `space.group_id`: a group's id, `dm:<pair id>` for the
/// conversation of two members, or `me` for the member's own documents shared between their
/// devices (group ids are hex, so the three never collide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    Group(&'a str),
    Pair(&'a str),
    Personal,
}

pub(crate) const PERSONAL_SCOPE: &str = "me";
pub(crate) const PAIR_SCOPE_PREFIX: &str = "dm:";

pub(crate) fn pair_scope(pair: &str) -> String {
    format!("{PAIR_SCOPE_PREFIX}{pair}")
}

/// What a device puts inside an envelope.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub doc: String,
    pub changes: Vec<Vec<u8>>,
    /// A device that joined in person introduces itself in its roster envelopes.
    pub intro: Option<Intro>,
}

/// "I am this device of this member, and whoever showed me invitation `invite` vouches for me."
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Intro {
    pub invite: String,
    pub member_id: String,
    pub signing: [u8; 32],
    pub agreement: [u8; 32],
    /// The invitation key's signature over [`Intro::proof_bytes`].
    pub proof: Vec<u8>,
}

impl Intro {
    pub fn proof_bytes(
        space: &SpaceId,
        member_id: &str,
        signing: &[u8; 32],
        agreement: &[u8; 32],
    ) -> Vec<u8> {
        let mut out = b"mutua/intro/1".to_vec();
        out.extend_from_slice(space.as_bytes());
        out.extend_from_slice(member_id.as_bytes());
        out.push(0);
        out.extend_from_slice(signing);
        out.extend_from_slice(agreement);
        out
    }
}

/// A device the roster knows.
#[derive(Debug, Clone)]
pub(crate) struct RosterDevice {
    pub signing: [u8; 32],
    pub agreement: [u8; 32],
    /// Envelopes sealed at this epoch or later are no longer accepted from it.
    pub removed_epoch: Option<u32>,
}

/// The devices listed in a group's roster document, by their tag in `space`.
pub(crate) fn roster(
    doc: &automerge::Automerge,
    naming: &NamingKey,
) -> HashMap<DeviceTag, RosterDevice> {
    let mut out = HashMap::new();
    for key in amjson::record_keys(doc, DEVICES) {
        let Some(record) = amjson::read_record(doc, DEVICES, &key) else {
            continue;
        };
        let Some(signing) = hex32(&key) else { continue };
        let Some(agreement) = record["agreement"].as_str().and_then(hex32) else {
            continue;
        };
        if record["member_id"].as_str().is_none() {
            continue;
        }
        let removed_epoch = record["removed_epoch"]
            .as_u64()
            .and_then(|e| u32::try_from(e).ok());
        out.insert(
            naming.device_tag(&signing),
            RosterDevice {
                signing,
                agreement,
                removed_epoch,
            },
        );
    }
    out
}

/// The roster's devices plus the devices the invitation vouched for (which the roster lists
/// too once their records arrive; the roster's entry wins, e.g. for a removal).
pub(crate) fn roster_with_anchors(
    doc: &automerge::Automerge,
    space: &Space,
) -> HashMap<DeviceTag, RosterDevice> {
    let mut out = roster(doc, &space.naming);
    for anchor in &space.anchors {
        out.entry(space.naming.device_tag(anchor))
            .or_insert(RosterDevice {
                signing: *anchor,
                agreement: [0; 32],
                removed_epoch: None,
            });
    }
    out
}

pub(crate) fn hex32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

pub(crate) fn device_record(member_id: &str, agreement: &[u8; 32], via: &str) -> serde_json::Value {
    json!({
        "member_id": member_id,
        "agreement": hex::encode(agreement),
        "via": via,
        "added_at": crate::time::now_text(),
    })
}

/// Whether envelopes of `space` wait here for a sender or key not yet known.
pub(crate) fn holds_back(conn: &Connection, space: &SpaceId) -> Result<bool> {
    let held: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM envelope WHERE space_id = ?1 AND state = 'held')",
        )?
        .query_row(params![space_id_bytes(space)], |row| row.get(0))?;
    Ok(held)
}

fn space_id_bytes(id: &SpaceId) -> Vec<u8> {
    id.as_bytes().to_vec()
}

pub(crate) fn load_space(conn: &Connection, id: &SpaceId) -> Result<Option<Space>> {
    let row = conn
        .query_row(
            "SELECT group_id, naming_key, epoch, removed, intro, anchors FROM space WHERE id = ?1",
            [space_id_bytes(id)],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, u32>(2)?,
                    row.get::<_, bool>(3)?,
                    row.get::<_, Option<Vec<u8>>>(4)?,
                    row.get::<_, Option<Vec<u8>>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((group_id, naming, epoch, removed, intro, anchors)) = row else {
        return Ok(None);
    };
    let naming: [u8; 32] = naming
        .try_into()
        .map_err(|_| Error::DatabaseDamaged("a group's naming key is malformed".into()))?;
    let mut keys = BTreeMap::new();
    let mut stmt = conn.prepare_cached("SELECT epoch, key FROM space_key WHERE space_id = ?1")?;
    let rows = stmt.query_map([space_id_bytes(id)], |row| {
        Ok((row.get::<_, u32>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    for row in rows {
        let (epoch, key) = row?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| Error::DatabaseDamaged("a group key is malformed".into()))?;
        keys.insert(epoch, EpochKey::from_bytes(key));
    }
    Ok(Some(Space {
        id: *id,
        group_id,
        naming: NamingKey::from_bytes(naming),
        epoch,
        keys,
        removed,
        intro,
        anchors: anchors
            .and_then(|b| mutua_protocol::decode(&b).ok())
            .unwrap_or_default(),
    }))
}

pub(crate) fn space_for_group(conn: &Connection, group: &str) -> Result<Option<Space>> {
    let id: Option<Vec<u8>> = conn
        .query_row("SELECT id FROM space WHERE group_id = ?1", [group], |row| {
            row.get(0)
        })
        .optional()?;
    match id {
        Some(id) => load_space(
            conn,
            &SpaceId::from_slice(&id).map_err(|e| Error::DatabaseDamaged(e.to_string()))?,
        ),
        None => Ok(None),
    }
}

pub(crate) fn active_spaces(conn: &Connection) -> Result<Vec<SpaceId>> {
    let mut stmt = conn.prepare("SELECT id FROM space WHERE removed = 0 ORDER BY created_at")?;
    let ids = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for id in ids {
        out.push(SpaceId::from_slice(&id?).map_err(|e| Error::DatabaseDamaged(e.to_string()))?);
    }
    Ok(out)
}

/// Stores a space and its keys (a new group, or one just joined).
pub(crate) fn save_space(conn: &Connection, space: &Space) -> Result<()> {
    conn.execute(
        "INSERT INTO space (id, group_id, naming_key, epoch, removed, intro, anchors, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET epoch = max(epoch, excluded.epoch),
             removed = excluded.removed, intro = coalesce(excluded.intro, intro),
             anchors = excluded.anchors",
        params![
            space_id_bytes(&space.id),
            space.group_id,
            space.naming.as_bytes().to_vec(),
            space.epoch,
            space.removed,
            space.intro,
            mutua_protocol::encode(&space.anchors),
            crate::time::now_text()
        ],
    )?;
    for (epoch, key) in &space.keys {
        conn.execute(
            "INSERT OR IGNORE INTO space_key (space_id, epoch, key) VALUES (?1, ?2, ?3)",
            params![space_id_bytes(&space.id), epoch, key.as_bytes().to_vec()],
        )?;
    }
    Ok(())
}

/// Per (doc, device): the highest seq held with no gap (what "I have" says to a relay). Runs a
/// loaded checkpoint covers count as held, so the relay sends only what comes after them.
pub(crate) fn have(conn: &Connection, space: &SpaceId) -> Result<Vec<HaveEntry>> {
    crate::sync::checkpoint::have(conn, space, None, false)
}

/// Stores envelopes that arrived (as `held` until opened). Returns how many were new.
pub(crate) fn store_incoming(
    conn: &Connection,
    space: &SpaceId,
    envelopes: &[Envelope],
) -> Result<usize> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO envelope
             (space_id, doc_tag, device_tag, seq, epoch, bytes, state, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'held', ?7)",
    )?;
    let now = crate::time::now_text();
    let mut new = 0;
    for env in envelopes {
        let h = env.header();
        if h.space != *space {
            continue;
        }
        new += insert.execute(params![
            space_id_bytes(space),
            h.doc.as_bytes().to_vec(),
            h.device.as_bytes().to_vec(),
            h.seq,
            h.epoch,
            env.to_bytes(),
            now
        ])?;
    }
    Ok(new)
}

/// Held envelopes opened and applied per transaction (see [`Mutua::open_held`]).
pub(crate) const OPEN_PER_COMMIT: usize = 200;

/// What one pass over the held envelopes did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    pub applied: usize,
    pub changes: usize,
    pub rejected: usize,
    pub still_held: usize,
}

/// doc tag, device tag, seq, envelope bytes.
type HeldRow = (Vec<u8>, Vec<u8>, u64, Vec<u8>);
/// doc tag, device tag, seq, new state, document id.
type Decision = (Vec<u8>, Vec<u8>, u64, &'static str, Option<String>);

enum Verdict {
    Apply { doc: DocId, changes: Vec<Change> },
    Hold,
    Reject(&'static str),
}

impl Mutua {
    /// Seals this device's changes that are not in an envelope yet, for every document the space
    /// carries. Returns how many envelopes were made.
    pub(crate) fn seal_outgoing(&mut self, space: &Space) -> Result<usize> {
        if space.removed {
            return Ok(0);
        }
        let key = space.current_key()?.clone();
        let signer = self.identity.signing_key();
        let device = space.naming.device_tag(&self.identity.signing_public());
        let actor = self.docs.actor_bytes();
        let docs: Vec<DocId> = crate::docs::doc_ids(&self.conn)?
            .into_iter()
            .filter(|d| space.carries(d))
            .collect();
        let tx = self.conn.transaction()?;
        let mut made = 0;
        for doc in docs {
            let name = doc.to_string();
            let (next_seq, through): (u64, u64) = tx
                .query_row(
                    "SELECT next_seq, through FROM sealed WHERE space_id = ?1 AND doc_id = ?2",
                    params![space_id_bytes(&space.id), name],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
                .unwrap_or((1, 0));
            let own: Vec<(u64, Vec<u8>)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT seq, bytes FROM change WHERE doc_id = ?1 AND actor = ?2 AND seq > ?3 ORDER BY seq",
                )?;
                stmt.query_map(params![name, actor, through], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            if own.is_empty() {
                continue;
            }
            let intro = if doc == space.meta_doc() {
                match &space.intro {
                    Some(bytes) => Some(
                        mutua_protocol::decode::<Intro>(bytes)
                            .map_err(|e| Error::DatabaseDamaged(e.to_string()))?,
                    ),
                    None => None,
                }
            } else {
                None
            };
            let mut seq = next_seq;
            let mut last = through;
            let mut chunk: Vec<Change> = Vec::new();
            let mut bytes = 0;
            let mut flush = |chunk: &mut Vec<Change>, seq: &mut u64| -> Result<()> {
                if chunk.is_empty() {
                    return Ok(());
                }
                let plaintext = packing::pack(&name, chunk, intro.as_ref());
                chunk.clear();
                let env = Envelope::seal(
                    space.id,
                    space.doc_tag(&doc),
                    device,
                    *seq,
                    space.epoch,
                    &plaintext,
                    &key,
                    &signer,
                )
                .map_err(|e| Error::Random(e.to_string()))?;
                tx.execute(
                    "INSERT INTO envelope (space_id, doc_tag, device_tag, seq, epoch, bytes, state, doc_id, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'applied', ?7, ?8)",
                    params![
                        space_id_bytes(&space.id),
                        env.header().doc.as_bytes().to_vec(),
                        device.as_bytes().to_vec(),
                        *seq,
                        space.epoch,
                        env.to_bytes(),
                        name,
                        crate::time::now_text()
                    ],
                )?;
                *seq += 1;
                made += 1;
                Ok(())
            };
            for (change_seq, change) in own {
                if change_seq != last + 1 {
                    // A hole in our own log cannot happen; stop rather than skip a change.
                    break;
                }
                let change = Change::from_bytes(change)
                    .map_err(|e| Error::DatabaseDamaged(format!("a stored change: {e}")))?;
                let size = change.raw_bytes().len();
                if !chunk.is_empty()
                    && (chunk.len() >= MAX_CHANGES_PER_ENVELOPE
                        || bytes + size > MAX_BYTES_PER_ENVELOPE)
                {
                    flush(&mut chunk, &mut seq)?;
                    bytes = 0;
                }
                bytes += size;
                chunk.push(change);
                last = change_seq;
            }
            flush(&mut chunk, &mut seq)?;
            tx.execute(
                "INSERT INTO sealed (space_id, doc_id, next_seq, through) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (space_id, doc_id) DO UPDATE SET next_seq = excluded.next_seq, through = excluded.through",
                params![space_id_bytes(&space.id), name, seq, last],
            )?;
        }
        tx.commit()?;
        Ok(made)
    }

    /// Opens every held envelope of the space that can be opened now, applies the good ones and
    /// rejects forged or altered ones (with a warning the member sees). Roster envelopes go
    /// first and the pass repeats while it makes progress, so a new member's introduction
    /// unlocks their other envelopes in the same sync.
    pub(crate) fn open_held(&mut self, space: &Space) -> Result<Opened> {
        let mut total = Opened::default();
        let meta_tag = space.doc_tag(&space.meta_doc());
        loop {
            let held: Vec<HeldRow> = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT doc_tag, device_tag, seq, bytes FROM envelope
                     WHERE space_id = ?1 AND state = 'held' ORDER BY doc_tag != ?2, seq",
                )?;
                stmt.query_map(
                    params![space_id_bytes(&space.id), meta_tag.as_bytes().to_vec()],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )?
                .collect::<rusqlite::Result<_>>()?
            };
            if held.is_empty() {
                return Ok(total);
            }
            let (devices, invites) = self.space_roster(space)?;
            let mut progress = false;
            // Committed a slice at a time, so that a device interrupted again and again (a
            // phone that only gets seconds in the background, a process killed) still gets
            // further with a large backlog each time instead of starting over.
            for slice in held.chunks(OPEN_PER_COMMIT) {
                let mut batch: Vec<(DocId, Vec<Change>)> = Vec::new();
                let mut decided: Vec<Decision> = Vec::new();
                let mut warnings = Vec::new();
                for (doc_tag, device_tag, seq, bytes) in slice {
                    let verdict = match Envelope::from_bytes(bytes) {
                        Err(_) => Verdict::Reject("malformed"),
                        Ok(env) => judge(space, &env, &devices, &invites),
                    };
                    match verdict {
                        Verdict::Apply { doc, changes } => {
                            total.changes += changes.len();
                            decided.push((
                                doc_tag.clone(),
                                device_tag.clone(),
                                *seq,
                                "applied",
                                Some(doc.to_string()),
                            ));
                            batch.push((doc, changes));
                            progress = true;
                        }
                        Verdict::Reject(why) => {
                            warnings.push(why);
                            decided.push((
                                doc_tag.clone(),
                                device_tag.clone(),
                                *seq,
                                "rejected",
                                None,
                            ));
                            progress = true;
                        }
                        Verdict::Hold => {}
                    }
                }
                // Changes first, then the envelopes' state: if the process dies in between,
                // the envelopes are opened again next time and re-applying changes is harmless.
                if !batch.is_empty() {
                    self.apply_changes(batch)?;
                }
                let tx = self.conn.transaction()?;
                for (doc_tag, device_tag, seq, state, doc) in &decided {
                    let bytes_kept = *state == "applied";
                    tx.execute(
                        "UPDATE envelope SET state = ?5, doc_id = ?6, bytes = CASE WHEN ?7 THEN bytes ELSE NULL END
                         WHERE space_id = ?1 AND doc_tag = ?2 AND device_tag = ?3 AND seq = ?4",
                        params![space_id_bytes(&space.id), doc_tag, device_tag, seq, state, doc, bytes_kept],
                    )?;
                    match *state {
                        "applied" => total.applied += 1,
                        _ => total.rejected += 1,
                    }
                }
                for why in warnings {
                    tables::event(
                        &tx,
                        Some(&space.group_id),
                        "rejected_envelope",
                        &format!("an envelope was {why} and was not applied"),
                    )?;
                }
                tx.commit()?;
            }
            if !progress {
                total.still_held = held.len();
                return Ok(total);
            }
        }
    }
}

impl Mutua {
    /// Who may write to `space`, and the invitations that may introduce a new device. A
    /// group's roster is its meta document; a pair's or the member's own space trusts the
    /// devices the group rosters attribute to its members ([`Mutua::member_roster`]).
    pub(crate) fn space_roster(
        &mut self,
        space: &Space,
    ) -> Result<(HashMap<DeviceTag, RosterDevice>, RosterInvites)> {
        match space.scope() {
            Scope::Group(_) => {
                let meta = space.meta_doc();
                let devices = self.read_doc(&meta, |doc| roster_with_anchors(doc, space))?;
                let invites = self.read_doc(&meta, invite_keys)?;
                Ok((devices, invites))
            }
            Scope::Pair(_) | Scope::Personal => Ok((self.member_roster(space)?, HashMap::new())),
        }
    }
}

/// Invitation id → the key that signs the introductions it vouches for.
pub(crate) type RosterInvites = HashMap<String, [u8; 32]>;

/// The verification keys of the invitations a group's roster lists.
pub(crate) fn invite_keys(doc: &automerge::Automerge) -> HashMap<String, [u8; 32]> {
    amjson::record_keys(doc, INVITES)
        .into_iter()
        .filter_map(|id| {
            let record = amjson::read_record(doc, INVITES, &id)?;
            let key = record["verify_key"].as_str().and_then(hex32)?;
            Some((id, key))
        })
        .collect()
}

fn judge(
    space: &Space,
    env: &Envelope,
    devices: &HashMap<DeviceTag, RosterDevice>,
    invites: &HashMap<String, [u8; 32]>,
) -> Verdict {
    let h = env.header();
    let Some(key) = space.keys.get(&h.epoch) else {
        // Sealed under an epoch key this device does not hold (yet): a rekey may bring it.
        return Verdict::Hold;
    };
    let plaintext = match devices.get(&h.device) {
        Some(device) => {
            if device
                .removed_epoch
                .is_some_and(|removed| h.epoch >= removed)
            {
                return Verdict::Reject("sent by a removed member's device");
            }
            let Ok(sender) = VerifyingKey::from_bytes(&device.signing) else {
                return Verdict::Reject("signed by a malformed key");
            };
            match env.open(key, &sender) {
                Ok(p) => p,
                Err(OpenError::BadSignature) => {
                    return Verdict::Reject("forged or altered (bad signature)");
                }
                Err(OpenError::Undecryptable) => {
                    return Verdict::Reject("altered (cannot be decrypted)");
                }
            }
        }
        None => {
            // Unknown device: only an introduction vouched for by an invitation can let it in.
            let Ok(plaintext) = env.decrypt_unverified(key) else {
                return Verdict::Reject("altered (cannot be decrypted)");
            };
            let payload = match packing::unpack(&plaintext) {
                Ok(payload) => payload,
                Err(Unreadable::Newer) => return Verdict::Hold,
                Err(Unreadable::Malformed) => return Verdict::Reject("malformed inside"),
            };
            let Some(intro) = &payload.intro else {
                return Verdict::Hold;
            };
            if space.naming.device_tag(&intro.signing) != h.device {
                return Verdict::Reject("from a device that is not who it claims");
            }
            let Ok(sender) = VerifyingKey::from_bytes(&intro.signing) else {
                return Verdict::Reject("signed by a malformed key");
            };
            if !env.verify(&sender) {
                return Verdict::Reject("forged or altered (bad signature)");
            }
            let Some(invite_key) = invites.get(&intro.invite) else {
                // The invitation's record has not arrived yet.
                return Verdict::Hold;
            };
            let proof = Intro::proof_bytes(
                &space.id,
                &intro.member_id,
                &intro.signing,
                &intro.agreement,
            );
            let valid = VerifyingKey::from_bytes(invite_key)
                .ok()
                .and_then(|k| {
                    let sig = ed25519_dalek::Signature::from_slice(&intro.proof).ok()?;
                    use ed25519_dalek::Verifier;
                    k.verify(&proof, &sig).ok()
                })
                .is_some();
            if !valid {
                return Verdict::Reject("introduced with a forged invitation");
            }
            plaintext
        }
    };
    let payload = match packing::unpack(&plaintext) {
        Ok(payload) => payload,
        // Packed by a newer version: kept until an update can read it.
        Err(Unreadable::Newer) => return Verdict::Hold,
        Err(Unreadable::Malformed) => return Verdict::Reject("malformed inside"),
    };
    let Ok(doc) = payload.doc.parse::<DocId>() else {
        return Verdict::Reject("for an unknown kind of document");
    };
    if !space.carries(&doc) || space.doc_tag(&doc) != h.doc {
        return Verdict::Reject("for a document that does not belong here");
    }
    let mut changes = Vec::with_capacity(payload.changes.len());
    for bytes in payload.changes {
        match Change::from_bytes(bytes) {
            Ok(c) => changes.push(c),
            Err(_) => return Verdict::Reject("malformed inside"),
        }
    }
    Verdict::Apply { doc, changes }
}
