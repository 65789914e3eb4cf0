//! Encrypted sync between members' devices (DESIGN.md 3.2–3.3).
//!
//! Each group is a *space*. Its shared documents travel as [`mutua_protocol::Envelope`]s:
//! Automerge changes sealed under the group's current epoch key and signed by the device that
//! made them. This module has no network code in its planning and absorbing parts: a round is
//! "plan under the lock → move bytes without it ([`client`]) → absorb under the lock", so the
//! app stays responsive while a slow link crawls ([`driver`]).
//!
//! * [`space`]: keys, the roster's devices, sealing own changes, opening what arrived (signature
//!   against the roster, or an introduction vouched for by an invitation; otherwise held or
//!   rejected with a warning).
//! * [`invite`] / [`remote`]: joining in person (code or QR) and remotely (request + approval).
//! * [`direct`]: one-to-one conversations in a pair space only the two members can open.
//! * [`pairing`]: another device of the same member, by code or QR; the member's own space.
//! * [`members`]: removing a member, or a member leaving: a new epoch key for everybody else,
//!   a new relay token.
//! * [`checkpoint`]: snapshots of documents, so a new device fetches snapshot + tail.
//! * [`bundle`]: sync files, the same envelopes carried on a USB stick or through a messenger;
//!   [`key_log`] keeps the key changes a file must carry.
//! * [`client`]: the relay over HTTP (reqwest). [`driver`]: rounds, live waiting, backoff.

pub mod bundle;
mod bundle_file;
#[cfg(test)]
mod bundle_tests;
pub mod checkpoint;
pub mod client;
mod crypto;
mod direct;
pub mod driver;
pub mod invite;
mod key_log;
pub mod members;
pub mod pairing;
pub mod remote;
mod space;
pub mod sync_file;
pub(crate) mod tables;
#[cfg(test)]
mod tests;

use mutua_protocol::{Envelope, HaveEntry, Header, SpaceId, SyncResponse};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Mutua;

pub use bundle::{BundleImport, BundleScope, ExportedBundle};
pub use bundle_file::FORMAT as BUNDLE_FORMAT;
pub use driver::{Progress, Replica, SyncReport};
pub use invite::{Invitation, InviteMode, JoinRequest, Joined};
pub use pairing::{MemberDevice, Pairing, PairingStatus};
pub use space::Opened;

/// Most envelopes pushed in one request (the relay's default limit is 1000).
const PUSH_PER_REQUEST: usize = 400;
/// About this many bytes pushed per request (the relay's default body limit is 8 MiB).
const PUSH_BYTES_PER_REQUEST: usize = 2 << 20;

/// Records that `relay` holds the envelopes it just sent, so the next round does not push them
/// back to it (before, every envelope fetched from a relay went back up once: twice the bytes
/// on the links that can least afford them). Only a run that continues what was already known
/// counts, so a gap in what the relay holds is never papered over and still gets filled by
/// whoever has the missing envelopes.
fn note_received(
    conn: &rusqlite::Connection,
    relay: &str,
    space: &SpaceId,
    received: &[Envelope],
) -> Result<()> {
    let mut streams: std::collections::BTreeMap<(Vec<u8>, Vec<u8>), Vec<u64>> =
        std::collections::BTreeMap::new();
    for env in received {
        let h = env.header();
        if h.space == *space {
            streams
                .entry((h.doc.as_bytes().to_vec(), h.device.as_bytes().to_vec()))
                .or_default()
                .push(h.seq);
        }
    }
    let mut held = conn.prepare_cached(
        "SELECT seq FROM relay_has
         WHERE relay = ?1 AND space_id = ?2 AND doc_tag = ?3 AND device_tag = ?4",
    )?;
    let mut raise = conn.prepare_cached(
        "INSERT INTO relay_has (relay, space_id, doc_tag, device_tag, seq) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (relay, space_id, doc_tag, device_tag) DO UPDATE SET seq = max(seq, excluded.seq)",
    )?;
    let space = space.as_bytes().to_vec();
    for ((doc, device), mut seqs) in streams {
        seqs.sort_unstable();
        let known: u64 = held
            .query_row(params![relay, space, doc, device], |row| row.get(0))
            .optional()?
            .unwrap_or(0);
        let mut through = known;
        for seq in seqs {
            if seq == through + 1 {
                through = seq;
            } else if seq > through + 1 {
                break;
            }
        }
        if through > known {
            raise.execute(params![relay, space, doc, device, through])?;
        }
    }
    Ok(())
}

/// What one group space needs from the relay in the next request.
#[derive(Debug, Clone)]
pub struct SpacePlan {
    pub relay: String,
    pub space: SpaceId,
    pub group_id: String,
    pub epoch: u32,
    pub token: mutua_protocol::Token,
    /// The space has not been opened on this relay yet (or the relay forgot it).
    pub open: bool,
    pub request: mutua_protocol::SyncRequest,
    /// A rekey to post before anything sealed under the new epoch.
    pub rekey: Option<mutua_protocol::Rekey>,
    /// The token the relay still knows, for posting `rekey` and reading rekeys.
    pub previous_token: Option<mutua_protocol::Token>,
}

/// A warning or notice about sync the member should see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncEvent {
    pub at: String,
    pub group_id: Option<String>,
    pub kind: String,
    pub detail: String,
}

impl Mutua {
    /// The relay this member syncs through, if any. The app works without one.
    pub fn relay_url(&self) -> Result<Option<String>> {
        tables::setting(&self.conn, "relay_url")
    }

    /// Sets (or clears) the relay. Only http(s) URLs without credentials are accepted.
    pub fn set_relay_url(&self, url: Option<&str>) -> Result<()> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        if let Some(url) = url {
            client::check_relay_url(url)?;
        }
        tables::set_setting(
            &self.conn,
            "relay_url",
            url.map(|u| u.trim_end_matches('/')),
        )
    }

    /// Spaces this device syncs: its groups, a pair space with each member it shares a group
    /// with (one-to-one messages), and its own space if it has another device.
    pub fn sync_spaces(&mut self) -> Result<Vec<SpaceId>> {
        // Groups created on this device before it ever synced get their space now.
        let groups: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT g.id FROM groups g
                 WHERE g.id NOT IN (SELECT group_id FROM left_group)
                   AND g.id NOT IN (SELECT group_id FROM space)
                   AND EXISTS (SELECT 1 FROM group_member m WHERE m.group_id = g.id AND m.member_id = ?1)",
            )?;
            stmt.query_map([&self.member_id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for group in groups {
            self.ensure_space(&group)?;
        }
        self.ensure_pair_spaces()?;
        space::active_spaces(&self.conn)
    }

    /// Seals new local changes and says what to send to `relay` for `space`.
    pub fn plan_space(&mut self, relay: &str, space_id: &SpaceId) -> Result<SpacePlan> {
        let space = space::load_space(&self.conn, space_id)?
            .ok_or_else(|| Error::invalid("this group is not synced on this device"))?;
        if space.removed {
            return Err(Error::RemovedFromGroup(self.group_name(&space.group_id)));
        }
        let rekey = members::pending_rekey(&self.conn, space_id)?;
        if rekey.is_none() {
            // Never seal under a new epoch before the relay knows it.
            self.seal_outgoing(&space)?;
        }
        let since = self.relay_position(relay, space_id)?;
        let push = if rekey.is_none() {
            self.unpushed(relay, space_id)?
        } else {
            Vec::new()
        };
        let (have, want_vector) = match since {
            Some(_) => (Vec::new(), false),
            None => (space::have(&self.conn, space_id)?, true),
        };
        let previous_token = match &rekey {
            Some(r) => space.keys.get(&(r.epoch - 1)).map(|k| k.token(space_id)),
            None => None,
        };
        Ok(SpacePlan {
            relay: relay.to_owned(),
            space: *space_id,
            group_id: space.group_id.clone(),
            epoch: space.epoch,
            token: space.token()?,
            open: since.is_none(),
            request: mutua_protocol::SyncRequest {
                have,
                since,
                push,
                want_vector,
                limit: 0,
            },
            rekey,
            previous_token,
        })
    }

    /// Takes in a relay's answer for `plan`: stores what came, opens and applies what it can.
    pub fn absorb_space(
        &mut self,
        plan: &SpacePlan,
        response: &SyncResponse,
    ) -> Result<space::Opened> {
        let pushed: Vec<Header> = plan.request.push.iter().map(|e| *e.header()).collect();
        {
            let tx = self.conn.transaction()?;
            space::store_incoming(&tx, &plan.space, &response.envelopes)?;
            note_received(&tx, &plan.relay, &plan.space, &response.envelopes)?;
            tx.commit()?;
        }
        self.mark_pushed(&plan.relay, &plan.space, &pushed)?;
        if let Some(vector) = &response.vector {
            self.set_relay_vector(&plan.relay, &plan.space, vector)?;
        }
        self.set_relay_position(&plan.relay, &plan.space, response.position)?;
        let space = space::load_space(&self.conn, &plan.space)?
            .ok_or_else(|| Error::invalid("this group is not synced on this device"))?;
        self.open_held(&space)
    }

    /// Envelopes this device holds that `relay` does not, as far as this device knows.
    pub(crate) fn unpushed(&self, relay: &str, space: &SpaceId) -> Result<Vec<Envelope>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.bytes FROM envelope e
             LEFT JOIN relay_has r ON r.relay = ?1 AND r.space_id = e.space_id
                  AND r.doc_tag = e.doc_tag AND r.device_tag = e.device_tag
             WHERE e.space_id = ?2 AND e.bytes IS NOT NULL AND e.state != 'rejected'
               AND e.seq > coalesce(r.seq, 0)
             ORDER BY e.doc_tag, e.device_tag, e.seq",
        )?;
        let rows = stmt.query_map(params![relay, space.as_bytes().to_vec()], |row| {
            row.get::<_, Vec<u8>>(0)
        })?;
        let mut out = Vec::new();
        let mut bytes = 0;
        for row in rows {
            let raw = row?;
            if out.len() >= PUSH_PER_REQUEST
                || (bytes > 0 && bytes + raw.len() > PUSH_BYTES_PER_REQUEST)
            {
                break;
            }
            bytes += raw.len();
            if let Ok(env) = Envelope::from_bytes(&raw) {
                out.push(env);
            }
        }
        Ok(out)
    }

    pub(crate) fn mark_pushed(
        &self,
        relay: &str,
        space: &SpaceId,
        pushed: &[Header],
    ) -> Result<()> {
        let entries: Vec<HaveEntry> = pushed
            .iter()
            .map(|h| HaveEntry {
                doc: h.doc,
                device: h.device,
                seq: h.seq,
            })
            .collect();
        self.raise_relay_has(relay, space, &entries)
    }

    fn raise_relay_has(&self, relay: &str, space: &SpaceId, entries: &[HaveEntry]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO relay_has (relay, space_id, doc_tag, device_tag, seq) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (relay, space_id, doc_tag, device_tag) DO UPDATE SET seq = max(seq, excluded.seq)",
        )?;
        for e in entries {
            stmt.execute(params![
                relay,
                space.as_bytes().to_vec(),
                e.doc.as_bytes().to_vec(),
                e.device.as_bytes().to_vec(),
                e.seq
            ])?;
        }
        Ok(())
    }

    /// Replaces what this device believes `relay` holds with what it said it holds.
    fn set_relay_vector(&self, relay: &str, space: &SpaceId, vector: &[HaveEntry]) -> Result<()> {
        self.conn.execute(
            "DELETE FROM relay_has WHERE relay = ?1 AND space_id = ?2",
            params![relay, space.as_bytes().to_vec()],
        )?;
        self.raise_relay_has(relay, space, vector)
    }

    pub(crate) fn relay_position(&self, relay: &str, space: &SpaceId) -> Result<Option<u64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT position FROM relay_state WHERE relay = ?1 AND space_id = ?2",
                params![relay, space.as_bytes().to_vec()],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub(crate) fn set_relay_position(
        &self,
        relay: &str,
        space: &SpaceId,
        position: u64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO relay_state (relay, space_id, position) VALUES (?1, ?2, ?3)
             ON CONFLICT (relay, space_id) DO UPDATE SET position = max(position, excluded.position)",
            params![relay, space.as_bytes().to_vec(), position],
        )?;
        Ok(())
    }

    /// Forgets what this device knew about `relay` for `space` (the relay lost it, or was
    /// replaced): the next round starts with a full handshake and pushes everything again.
    pub fn forget_relay_state(&self, relay: &str, space: &SpaceId) -> Result<()> {
        for table in ["relay_state", "relay_has"] {
            self.conn.execute(
                &format!("DELETE FROM {table} WHERE relay = ?1 AND space_id = ?2"),
                params![relay, space.as_bytes().to_vec()],
            )?;
        }
        Ok(())
    }

    /// Warnings and notices, newest first.
    pub fn sync_events(&self, limit: usize) -> Result<Vec<SyncEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, group_id, kind, detail FROM sync_event ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |row| {
            Ok(SyncEvent {
                at: row.get(0)?,
                group_id: row.get(1)?,
                kind: row.get(2)?,
                detail: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn note_event(&self, group: Option<&str>, kind: &str, detail: &str) -> Result<()> {
        tables::event(&self.conn, group, kind, detail)
    }

    pub(crate) fn group_name(&self, group_id: &str) -> String {
        self.find_group(group_id)
            .map(|g| g.fields.name)
            .unwrap_or_else(|_| "this group".into())
    }

    /// When this device last finished a sync round without error.
    pub fn last_synced(&self) -> Result<Option<String>> {
        tables::setting(&self.conn, "last_synced")
    }

    pub(crate) fn set_last_synced(&self) -> Result<()> {
        tables::set_setting(&self.conn, "last_synced", Some(&crate::time::now_text()))
    }

    /// Envelopes this device holds but cannot open yet (unknown sender or key), per group.
    pub fn held_envelopes(&self) -> Result<usize> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM envelope WHERE state = 'held'",
            [],
            |row| row.get::<_, i64>(0),
        )? as usize)
    }

    /// For tests and diagnostics: the raw envelopes of a group, as stored.
    pub fn envelopes_of_group(&self, group_id: &str) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self.conn.prepare(
            "SELECT e.bytes FROM envelope e JOIN space s ON s.id = e.space_id
             WHERE s.group_id = ?1 AND e.bytes IS NOT NULL ORDER BY e.doc_tag, e.device_tag, e.seq",
        )?;
        let rows = stmt.query_map([group_id], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
