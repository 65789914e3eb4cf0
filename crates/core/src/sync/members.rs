//! Membership changes that move keys: approving a device into the roster, and removing a member
//! or a member leaving, which start a new epoch.
//!
//! Removal: the facilitator's device marks the member's devices removed in the roster, makes a
//! fresh random epoch key, wraps it for every remaining device (X25519, [`super::crypto`]),
//! seals the previous key under the new one (so history stays readable for newcomers), signs
//! the lot, and posts it to the relay as a rekey with the new token's hash. From then on the
//! relay refuses the old token for sync; members who were offline fetch the rekey with their old
//! token, unwrap the new key and carry on. The removed member's devices find no key for them:
//! they learn "you were removed from this group" and can read nothing sent afterwards.
//!
//! Leaving: the member who leaves only drops their own roster entry (they cannot hand a key to
//! the others once gone). The first remaining device that sees a device in the roster whose
//! member has no entry any more marks it removed from the next epoch and rotates exactly as for a
//! removal ([`Mutua::rotate_after_leave`]). Two devices may do so at once: the relay takes the
//! first rekey for an epoch and refuses the second, whose device drops its own new key, takes
//! the winner's, and rotates once more only if the winner's key reached the member who left.

use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use mutua_protocol::{DeviceTag, EpochKey, Rekey, SpaceId};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::amjson;
use crate::error::{Error, Result};
use crate::groups::{Member, Role};
use crate::ids::DocId;
use crate::lookup;
use crate::store::Mutua;
use crate::sync::crypto;
use crate::sync::key_log;
use crate::sync::space::{self, DEVICES, RosterDevice};
use crate::sync::tables;

const MEMBERS: &str = "members";

/// Inside a rekey's `sealed` bytes (opaque to the relay).
#[derive(Debug, Serialize, Deserialize)]
struct RekeyBody {
    epoch: u32,
    /// The signing key of the device that rotated.
    by: [u8; 32],
    /// The new key, for each remaining device (by its tag in the space).
    wrapped: Vec<(DeviceTag, Vec<u8>)>,
    /// The previous epoch's key sealed under the new one.
    previous: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SignedRekey {
    body: Vec<u8>,
    signature: Vec<u8>,
}

/// Devices (by their roster key) whose member has left the group and that may still hold the
/// key of `epoch`: not marked removed yet, or (`again`) marked removed from `epoch` by a
/// rotation that lost to another member's.
fn leaving_devices(
    doc: &automerge::Automerge,
    members: &[String],
    epoch: u32,
    again: bool,
) -> Vec<String> {
    amjson::record_keys(doc, DEVICES)
        .into_iter()
        .filter(|key| {
            let Some(record) = amjson::read_record(doc, DEVICES, key) else {
                return false;
            };
            let Some(member) = record["member_id"].as_str() else {
                return false;
            };
            let removed = record["removed_epoch"].as_u64();
            !members.iter().any(|m| m == member)
                && match removed {
                    None => true,
                    Some(e) => again && e >= u64::from(epoch),
                }
        })
        .collect()
}

fn context(space: &SpaceId, epoch: u32) -> Vec<u8> {
    let mut out = space.as_bytes().to_vec();
    out.extend_from_slice(&epoch.to_be_bytes());
    out
}

pub(crate) fn pending_rekey(conn: &Connection, space: &SpaceId) -> Result<Option<Rekey>> {
    let key = format!("rekey:{space}");
    match tables::setting(conn, &key)? {
        Some(hex_text) => {
            let bytes = hex::decode(hex_text)
                .map_err(|_| Error::DatabaseDamaged("a pending rekey is malformed".into()))?;
            Ok(Some(
                mutua_protocol::decode(&bytes)
                    .map_err(|e| Error::DatabaseDamaged(e.to_string()))?,
            ))
        }
        None => Ok(None),
    }
}

impl Mutua {
    /// Adds an approved member's device to a group's roster.
    pub(crate) fn add_member_device(
        &mut self,
        group_id: &str,
        member_id: &str,
        pseudonym: &str,
        signing: &[u8; 32],
        agreement: &[u8; 32],
    ) -> Result<()> {
        let member = Member {
            member_id: member_id.to_owned(),
            pseudonym: pseudonym.to_owned(),
            roles: vec![Role::Member],
            signing_key: Some(hex::encode(signing)),
            joined_at: crate::time::now_text(),
        };
        let record = crate::groups::to_record(&member)?;
        let device = space::device_record(
            member_id,
            agreement,
            &format!("approved:{}", self.member_id),
        );
        let signing_hex = hex::encode(signing);
        self.change_doc(
            &DocId::GroupMeta {
                group: group_id.to_owned(),
            },
            |tx| {
                amjson::write_record(tx, MEMBERS, member_id, &record)?;
                amjson::write_record(tx, DEVICES, &signing_hex, &device)
            },
        )
    }

    /// Removes a member from a group (facilitators and co-hosts only) and starts a new epoch, so
    /// nothing sent from now on can be read with the keys the member had.
    pub fn remove_member(&mut self, group: &str, member: &str) -> Result<Member> {
        let group = self.find_group(group)?;
        if !self.can_facilitate(&group.id)? {
            return Err(Error::NotAllowed(
                "only a facilitator or co-host can remove a member".into(),
            ));
        }
        let members = self.members(&group.id)?;
        let candidates: Vec<(String, String)> = members
            .iter()
            .map(|m| (m.member_id.clone(), m.pseudonym.clone()))
            .collect();
        let member_id = lookup::resolve("member", member, &candidates)?;
        if member_id == self.member_id {
            return Err(Error::invalid(
                "to leave a group yourself, use leave instead of remove",
            ));
        }
        let removed = members
            .into_iter()
            .find(|m| m.member_id == member_id)
            .ok_or(Error::NotFound {
                kind: "member",
                query: member.into(),
            })?;
        let space = self.ensure_space(&group.id)?;
        if self.rekey_blocks_rotation(&space.id)? {
            return Err(Error::NotAllowed(
                "the previous removal has not reached the relay yet: sync first, then remove"
                    .into(),
            ));
        }
        let new_epoch = space.epoch + 1;
        // 1. The roster: the member goes, their devices are marked removed from the new epoch.
        let meta = space.meta_doc();
        self.change_doc(&meta, |tx| {
            amjson::delete_record(tx, MEMBERS, &member_id)?;
            for key in amjson::record_keys(tx, DEVICES) {
                if let Some(mut record) = amjson::read_record(tx, DEVICES, &key)
                    && record["member_id"].as_str() == Some(member_id.as_str())
                {
                    record["removed_epoch"] = serde_json::json!(new_epoch);
                    amjson::write_record(tx, DEVICES, &key, &record)?;
                }
            }
            Ok(())
        })?;
        // 2. A new key for everybody else.
        let devices = self.read_doc(&meta, |doc| space::roster(doc, &space.naming))?;
        self.rotate(&space, new_epoch, &devices)?;
        Ok(removed)
    }

    /// Rotates the key of `space_id` if a member left the group and still holds the current key:
    /// their devices are marked removed from the next epoch and everybody else gets a new key.
    /// Any remaining member's device may do this; returns whether it did.
    pub fn rotate_after_leave(&mut self, space_id: &SpaceId) -> Result<bool> {
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(false);
        };
        let is_group =
            !space.group_id.is_empty() && space.group_id.bytes().all(|b| b.is_ascii_hexdigit());
        if space.removed || !is_group || self.rekey_blocks_rotation(space_id)? {
            return Ok(false);
        }
        if self.group_left_or_removed(&space.group_id)? {
            return Ok(false);
        }
        let again_key = format!("rotate:{space_id}");
        let again = tables::setting(&self.conn, &again_key)?.is_some();
        let meta = space.meta_doc();
        let epoch = space.epoch;
        let me = self.member_id.clone();
        let leavers: Vec<String> = self.read_doc(&meta, |doc| {
            let members = amjson::record_keys(doc, MEMBERS);
            if !members.contains(&me) {
                // This device's own entry has not arrived yet (a fresh join): not its call.
                return Vec::new();
            }
            leaving_devices(doc, &members, epoch, again)
        })?;
        if leavers.is_empty() {
            if again {
                tables::set_setting(&self.conn, &again_key, None)?;
            }
            return Ok(false);
        }
        let new_epoch = epoch + 1;
        self.change_doc(&meta, |tx| {
            for key in &leavers {
                if let Some(mut record) = amjson::read_record(tx, DEVICES, key) {
                    record["removed_epoch"] = serde_json::json!(new_epoch);
                    amjson::write_record(tx, DEVICES, key, &record)?;
                }
            }
            Ok(())
        })?;
        let devices = self.read_doc(&meta, |doc| space::roster(doc, &space.naming))?;
        self.rotate(&space, new_epoch, &devices)?;
        tables::set_setting(&self.conn, &again_key, None)?;
        Ok(true)
    }

    /// Another member's rekey for `epoch` reached the relay before ours: forget our key for that
    /// epoch (nothing was sealed under it) so the winner's is taken, and rotate once more later
    /// if the winner's key went to a member who left.
    pub fn abandon_rekey(
        &mut self,
        space_id: &SpaceId,
        epoch: u32,
        winner: Option<&Rekey>,
    ) -> Result<()> {
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(());
        };
        if pending_rekey(&self.conn, space_id)?.map(|r| r.epoch) != Some(epoch) {
            return Ok(());
        }
        let wrapped: Vec<DeviceTag> = winner
            .and_then(|r| mutua_protocol::decode::<SignedRekey>(&r.sealed).ok())
            .and_then(|s| mutua_protocol::decode::<RekeyBody>(&s.body).ok())
            .map(|b| b.wrapped.into_iter().map(|(tag, _)| tag).collect())
            .unwrap_or_default();
        let me = self.member_id.clone();
        let naming = space.naming.clone();
        let leaver_got_key = self.read_doc(&space.meta_doc(), |doc| {
            let members = amjson::record_keys(doc, MEMBERS);
            amjson::record_keys(doc, DEVICES).into_iter().any(|key| {
                let left = amjson::read_record(doc, DEVICES, &key)
                    .and_then(|r| r["member_id"].as_str().map(str::to_owned))
                    .is_some_and(|m| m != me && !members.contains(&m));
                left && space::hex32(&key).is_some_and(|k| wrapped.contains(&naming.device_tag(&k)))
            })
        })?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM space_key WHERE space_id = ?1 AND epoch = ?2",
            params![space_id.as_bytes().to_vec(), epoch],
        )?;
        tx.execute(
            "UPDATE space SET epoch = ?2 WHERE id = ?1 AND epoch = ?3",
            params![space_id.as_bytes().to_vec(), epoch - 1, epoch],
        )?;
        tables::set_setting(&tx, &format!("rekey:{space_id}"), None)?;
        key_log::unlog_rekey(&tx, space_id, epoch)?;
        if leaver_got_key {
            tables::set_setting(&tx, &format!("rotate:{space_id}"), Some("1"))?;
        }
        tx.commit()?;
        Ok(())
    }

    fn rotate(
        &mut self,
        space: &space::Space,
        new_epoch: u32,
        devices: &std::collections::HashMap<DeviceTag, RosterDevice>,
    ) -> Result<()> {
        let new_key = EpochKey::generate().map_err(|e| Error::Random(e.to_string()))?;
        let ctx = context(&space.id, new_epoch);
        let mut wrapped = Vec::new();
        for (tag, device) in devices {
            if device.removed_epoch.is_some_and(|e| e <= new_epoch) {
                continue;
            }
            wrapped.push((
                *tag,
                crypto::seal_to(&device.agreement, &ctx, new_key.as_bytes())?,
            ));
        }
        wrapped.sort_by_key(|(tag, _)| *tag);
        let previous =
            crypto::seal_with(new_key.as_bytes(), &ctx, space.current_key()?.as_bytes())?;
        let body = mutua_protocol::encode(&RekeyBody {
            epoch: new_epoch,
            by: self.identity.signing_public(),
            wrapped,
            previous,
        });
        let signature = self.identity.signing_key().sign(&body).to_bytes().to_vec();
        let rekey = Rekey {
            epoch: new_epoch,
            token_hash: new_key.token(&space.id).hash(),
            sealed: mutua_protocol::encode(&SignedRekey { body, signature }),
        };
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO space_key (space_id, epoch, key) VALUES (?1, ?2, ?3)",
            params![
                space.id.as_bytes().to_vec(),
                new_epoch,
                new_key.as_bytes().to_vec()
            ],
        )?;
        tx.execute(
            "UPDATE space SET epoch = ?2 WHERE id = ?1",
            params![space.id.as_bytes().to_vec(), new_epoch],
        )?;
        tables::set_setting(
            &tx,
            &format!("rekey:{}", space.id),
            Some(&hex::encode(mutua_protocol::encode(&rekey))),
        )?;
        key_log::log_rekey(&tx, &space.id, &rekey)?;
        tx.commit()?;
        Ok(())
    }

    /// Whether a rotation of this device must wait: its previous one has not reached the relay.
    /// A device with no relay carries its key changes in sync files ([`super::key_log`]), so
    /// nothing waits for a relay that will never come; should one be set later, the driver
    /// posts every logged rekey the relay lacks, in order.
    fn rekey_blocks_rotation(&self, space: &SpaceId) -> Result<bool> {
        Ok(pending_rekey(&self.conn, space)?.is_some() && self.relay_url()?.is_some())
    }

    /// The relay took the pending rekey of `space`.
    pub fn rekey_posted(&self, space: &SpaceId) -> Result<()> {
        tables::set_setting(&self.conn, &format!("rekey:{space}"), None)
    }

    /// Takes in rekeys fetched from the relay (oldest first). Returns `false` if this device
    /// found no key for itself: the member was removed.
    pub fn absorb_rekeys(&mut self, space_id: &SpaceId, rekeys: &[Rekey]) -> Result<bool> {
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(true);
        };
        let my_tag = space.naming.device_tag(&self.identity.signing_public());
        let mut epoch = space.epoch;
        let mut current = space.current_key()?.clone();
        for rekey in rekeys {
            if rekey.epoch <= epoch {
                continue;
            }
            if rekey.epoch != epoch + 1 {
                return Err(Error::invalid(
                    "the relay skipped a key change; try again later",
                ));
            }
            let Ok(signed) = mutua_protocol::decode::<SignedRekey>(&rekey.sealed) else {
                self.note_event(
                    Some(&space.group_id),
                    "rejected_rekey",
                    "a key change was malformed and was ignored",
                )?;
                return Ok(true);
            };
            let Ok(body) = mutua_protocol::decode::<RekeyBody>(&signed.body) else {
                self.note_event(
                    Some(&space.group_id),
                    "rejected_rekey",
                    "a key change was malformed and was ignored",
                )?;
                return Ok(true);
            };
            // Only a facilitator's or co-host's device, known to the roster, may rotate.
            let meta = space.meta_doc();
            let devices = self.read_doc(&meta, |doc| space::roster(doc, &space.naming))?;
            let by_tag = space.naming.device_tag(&body.by);
            let signer_ok = devices.get(&by_tag).is_some_and(|d| d.signing == body.by)
                && VerifyingKey::from_bytes(&body.by)
                    .ok()
                    .zip(Signature::from_slice(&signed.signature).ok())
                    .is_some_and(|(k, s)| k.verify(&signed.body, &s).is_ok());
            if !signer_ok || body.epoch != rekey.epoch {
                self.note_event(
                    Some(&space.group_id),
                    "rejected_rekey",
                    "a key change was not signed by a member of the group and was ignored",
                )?;
                return Ok(true);
            }
            let ctx = context(space_id, rekey.epoch);
            let Some((_, sealed)) = body.wrapped.iter().find(|(t, _)| *t == my_tag) else {
                let tx = self.conn.transaction()?;
                tx.execute(
                    "UPDATE space SET removed = 1 WHERE id = ?1",
                    [space_id.as_bytes().to_vec()],
                )?;
                tables::event(
                    &tx,
                    Some(&space.group_id),
                    "removed",
                    "you were removed from this group",
                )?;
                tx.commit()?;
                return Ok(false);
            };
            let Some(key) = crypto::open_from(&self.identity.agreement_secret(), &ctx, sealed)
                .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
            else {
                self.note_event(
                    Some(&space.group_id),
                    "rejected_rekey",
                    "a key change could not be opened",
                )?;
                return Ok(true);
            };
            let new_key = EpochKey::from_bytes(key);
            // The previous key must be the one we hold: a consistency check on the chain.
            let previous = crypto::open_with(new_key.as_bytes(), &ctx, &body.previous);
            if previous.as_deref() != Some(current.as_bytes().as_slice()) {
                self.note_event(
                    Some(&space.group_id),
                    "rejected_rekey",
                    "a key change did not follow the key this device holds",
                )?;
                return Ok(true);
            }
            self.conn.execute(
                "INSERT OR IGNORE INTO space_key (space_id, epoch, key) VALUES (?1, ?2, ?3)",
                params![space_id.as_bytes().to_vec(), rekey.epoch, key.to_vec()],
            )?;
            self.conn.execute(
                "UPDATE space SET epoch = max(epoch, ?2) WHERE id = ?1",
                params![space_id.as_bytes().to_vec(), rekey.epoch],
            )?;
            key_log::log_rekey(&self.conn, space_id, rekey)?;
            epoch = rekey.epoch;
            current = new_key;
        }
        Ok(true)
    }

    /// The key a rekey hands this device, read without changing anything and without the
    /// roster check [`Mutua::absorb_rekeys`] makes (a sync file uses it to open what was sealed
    /// under that key before deciding what to store). `None`: not wrapped for this device, or
    /// it does not follow `previous`.
    pub(crate) fn peek_rekey(
        &self,
        space: &SpaceId,
        rekey: &Rekey,
        previous: &EpochKey,
    ) -> Option<EpochKey> {
        let signed = mutua_protocol::decode::<SignedRekey>(&rekey.sealed).ok()?;
        let body = mutua_protocol::decode::<RekeyBody>(&signed.body).ok()?;
        if body.epoch != rekey.epoch {
            return None;
        }
        let naming = space::load_space(&self.conn, space).ok()??.naming;
        let my_tag = naming.device_tag(&self.identity.signing_public());
        let ctx = context(space, rekey.epoch);
        let (_, sealed) = body.wrapped.iter().find(|(t, _)| *t == my_tag)?;
        let key = crypto::open_from(&self.identity.agreement_secret(), &ctx, sealed)?;
        let key = EpochKey::from_bytes(<[u8; 32]>::try_from(key.as_slice()).ok()?);
        let before = crypto::open_with(key.as_bytes(), &ctx, &body.previous)?;
        (before.as_slice() == previous.as_bytes().as_slice()).then_some(key)
    }

    /// For tests and diagnostics: whether any key this device holds for `group_id` decrypts
    /// `envelope` (after a removal or a departure, nothing sent later should).
    pub fn can_decrypt(&self, group_id: &str, envelope: &mutua_protocol::Envelope) -> Result<bool> {
        Ok(
            space::space_for_group(&self.conn, group_id)?.is_some_and(|s| {
                s.keys
                    .values()
                    .any(|k| envelope.decrypt_unverified(k).is_ok())
            }),
        )
    }

    /// The token of an older epoch (to read rekeys after a removal).
    pub fn token_for_epoch(
        &self,
        space: &SpaceId,
        epoch: u32,
    ) -> Result<Option<mutua_protocol::Token>> {
        Ok(space::load_space(&self.conn, space)?
            .and_then(|s| s.keys.get(&epoch).map(|k| k.token(space))))
    }
}
