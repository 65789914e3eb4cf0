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
//! * [`bundle`]: sync files, the same envelopes carried on a USB stick or through a messenger.
//! * [`client`]: the relay over HTTP (reqwest). [`driver`]: rounds, live waiting, backoff.
//! * [`hub`]: a meeting-room hub on the local network (a relay keyed by its id, not its address).
//! * [`forward`]: the log of key changes this device made or accepted, carried on from one
//!   route to another like envelopes (to relays and hubs that lack them, and in sync files).

pub mod bundle;
mod bundle_file;
#[cfg(test)]
mod bundle_tests;
pub mod checkpoint;
pub mod client;
mod crypto;
mod direct;
pub mod driver;
mod forward;
pub mod hub;
pub mod invite;
pub mod members;
pub mod pace;
mod packing;
pub mod pairing;
pub mod remote;
#[cfg(test)]
mod resume_tests;
mod space;
pub mod sync_file;
pub(crate) mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use mutua_protocol::{DeviceTag, DocTag, Envelope, HaveEntry, Header, SpaceId, SyncResponse};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Mutua;

pub use bundle::{BundleImport, BundleScope, ExportedBundle};
pub use bundle_file::FORMAT as BUNDLE_FORMAT;
pub use driver::{Progress, Replica, SyncReport};
pub use invite::{Invitation, InviteMode, JoinRequest, Joined};
pub use pace::Pace;
pub use pairing::{MemberDevice, Pairing, PairingStatus};
pub use space::Opened;

/// How much one request may carry each way ([`pace`] sizes it to the link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBudget {
    /// Most envelopes to push.
    pub push_envelopes: usize,
    /// About this many bytes of envelopes to push (at least one envelope goes if any is due).
    pub push_bytes: usize,
    /// Most envelopes to ask for; 0: the relay's default.
    pub fetch: u32,
}

impl Default for PageBudget {
    /// The largest pages: the relay's default page down, [`pace::MAX_UP`] up.
    fn default() -> PageBudget {
        PageBudget {
            push_envelopes: pace::MAX_UP_ENVELOPES,
            push_bytes: pace::MAX_UP,
            fetch: 0,
        }
    }
}

impl PageBudget {
    /// Download only: nothing pushed in this request.
    pub fn fetch_only(self) -> PageBudget {
        PageBudget {
            push_envelopes: 0,
            push_bytes: 0,
            ..self
        }
    }
}

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
    /// Envelopes (and their bytes) still to push after this request.
    pub unsent: usize,
    pub unsent_bytes: u64,
    /// The token the relay still knows, for posting `rekey` and reading rekeys.
    pub previous_token: Option<mutua_protocol::Token>,
}

/// The `sync_setting` key that says a push to `relay` for `space` awaits its answer.
fn unconfirmed_key(relay: &str, space: &SpaceId) -> String {
    format!("push_unconfirmed {space} {relay}")
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

    /// Seals new local changes and says what to send to `relay` for `space`, in pages of the
    /// largest size.
    pub fn plan_space(&mut self, relay: &str, space_id: &SpaceId) -> Result<SpacePlan> {
        self.plan_space_within(relay, space_id, PageBudget::default())
    }

    /// Like [`Mutua::plan_space`], with the next request held to `budget`. After a push whose
    /// answer was lost, the request pushes nothing and compares holdings with the relay (as
    /// on first contact) instead, so the pages that did arrive are neither sent again nor
    /// fetched back.
    pub fn plan_space_within(
        &mut self,
        relay: &str,
        space_id: &SpaceId,
        budget: PageBudget,
    ) -> Result<SpacePlan> {
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
        let probe = since.is_some() && self.push_unconfirmed(relay, space_id)?;
        let budget = if probe { budget.fetch_only() } else { budget };
        let (push, unsent, unsent_bytes) = if rekey.is_none() {
            self.unpushed_within(relay, space_id, budget.push_envelopes, budget.push_bytes)?
        } else {
            (Vec::new(), 0, 0)
        };
        // First contact, or after a lost answer to a push: say what this device holds and ask
        // what the relay holds. Not `since`: the envelopes that arrived unacknowledged sit
        // after this device's position and would come straight back down.
        let (have, want_vector, asked_since) = match since {
            Some(_) if !probe => (Vec::new(), false, since),
            _ => (space::have(&self.conn, space_id)?, true, None),
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
                since: asked_since,
                push,
                want_vector,
                limit: budget.fetch,
            },
            rekey,
            unsent,
            unsent_bytes,
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
        // What came from the relay is held there: never push it back.
        self.mark_received(&plan.relay, &plan.space, &response.envelopes)?;
        if !pushed.is_empty() || response.vector.is_some() {
            self.set_push_unconfirmed(&plan.relay, &plan.space, false)?;
        }
        self.set_relay_position(&plan.relay, &plan.space, response.position)?;
        let space = space::load_space(&self.conn, &plan.space)?
            .ok_or_else(|| Error::invalid("this group is not synced on this device"))?;
        self.open_held(&space)
    }

    /// Envelopes this device holds that `relay` does not, as far as this device knows (one
    /// page of the largest size).
    pub(crate) fn unpushed(&self, relay: &str, space: &SpaceId) -> Result<Vec<Envelope>> {
        let budget = PageBudget::default();
        Ok(self
            .unpushed_within(relay, space, budget.push_envelopes, budget.push_bytes)?
            .0)
    }

    /// A page of what `relay` lacks — at most `max_envelopes`, about `max_bytes` (one envelope
    /// even if it is bigger) — and how many envelopes and bytes are left after it.
    fn unpushed_within(
        &self,
        relay: &str,
        space: &SpaceId,
        max_envelopes: usize,
        max_bytes: usize,
    ) -> Result<(Vec<Envelope>, usize, u64)> {
        // The same selection twice: counted whole (for the progress line), read one page.
        const LACKING: &str = "FROM envelope e
             LEFT JOIN relay_has r ON r.relay = ?1 AND r.space_id = e.space_id
                  AND r.doc_tag = e.doc_tag AND r.device_tag = e.device_tag
             WHERE e.space_id = ?2 AND e.bytes IS NOT NULL AND e.state != 'rejected'
               AND e.seq > coalesce(r.seq, 0)";
        let space_bytes = space.as_bytes().to_vec();
        let (total, total_bytes): (i64, i64) = self.conn.query_row(
            &format!("SELECT count(*), coalesce(sum(length(e.bytes)), 0) {LACKING}"),
            params![relay, space_bytes],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT e.bytes {LACKING} ORDER BY e.doc_tag, e.device_tag, e.seq"
        ))?;
        let rows = stmt.query_map(params![relay, space_bytes], |row| row.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        let mut bytes = 0;
        for row in rows {
            let raw = row?;
            if out.len() >= max_envelopes
                || max_bytes == 0
                || (bytes > 0 && bytes + raw.len() > max_bytes)
            {
                break;
            }
            bytes += raw.len();
            if let Ok(env) = Envelope::from_bytes(&raw) {
                out.push(env);
            }
        }
        let left = usize::try_from(total)
            .unwrap_or(0)
            .saturating_sub(out.len());
        let left_bytes = u64::try_from(total_bytes)
            .unwrap_or(0)
            .saturating_sub(bytes as u64);
        Ok((out, left, left_bytes))
    }

    /// Whether a push to `relay` went out and its answer never came: the relay may hold it.
    fn push_unconfirmed(&self, relay: &str, space: &SpaceId) -> Result<bool> {
        Ok(tables::setting(&self.conn, &unconfirmed_key(relay, space))?.is_some())
    }

    /// Records, before a push leaves, that its answer is awaited (and clears it once it came).
    pub(crate) fn set_push_unconfirmed(
        &self,
        relay: &str,
        space: &SpaceId,
        awaited: bool,
    ) -> Result<()> {
        tables::set_setting(
            &self.conn,
            &unconfirmed_key(relay, space),
            awaited.then_some("1"),
        )
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

    /// Raises what this device believes `relay` holds by the envelopes it just sent: per
    /// (doc, device), only as far as they continue without a gap what it was believed to hold
    /// (`relay_has` means "1..=seq"; a relay that pruned the start, or got a later envelope by
    /// another route, may send seqs that do not prove it holds the ones before).
    fn mark_received(&self, relay: &str, space: &SpaceId, received: &[Envelope]) -> Result<()> {
        let mut streams: BTreeMap<(DocTag, DeviceTag), Vec<u64>> = BTreeMap::new();
        for env in received {
            let h = env.header();
            streams.entry((h.doc, h.device)).or_default().push(h.seq);
        }
        let mut raised = Vec::new();
        for ((doc, device), mut seqs) in streams {
            seqs.sort_unstable();
            let held: u64 = self
                .conn
                .query_row(
                    "SELECT seq FROM relay_has
                     WHERE relay = ?1 AND space_id = ?2 AND doc_tag = ?3 AND device_tag = ?4",
                    params![
                        relay,
                        space.as_bytes().to_vec(),
                        doc.as_bytes().to_vec(),
                        device.as_bytes().to_vec()
                    ],
                    |row| row.get(0),
                )
                .optional()?
                .unwrap_or(0);
            let mut through = held;
            for seq in seqs {
                if seq == through + 1 {
                    through = seq;
                } else if seq > through + 1 {
                    break;
                }
            }
            if through > held {
                raised.push(HaveEntry {
                    doc,
                    device,
                    seq: through,
                });
            }
        }
        self.raise_relay_has(relay, space, &raised)
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
        self.set_push_unconfirmed(relay, space, false)
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
