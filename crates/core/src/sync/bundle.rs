//! Sync files: a group syncing with no internet, by a file carried on a USB stick, an SD card or
//! any messenger (DESIGN.md 3.2, the *file* route).
//!
//! A sync file carries the same envelopes as the relay route, byte for byte as they sit in the
//! `envelope` table, so whatever arrives by file can later go on to a relay and the other way
//! round. [`Mutua::export_bundle`] first seals this device's unsynced changes exactly as a relay
//! round does (`seal_outgoing`), so a file made offline carries today's messages;
//! [`Mutua::import_bundle`] stores what came and opens it through the relay route's own path
//! (`store_incoming` then `open_held`): signatures checked against the roster, forged or altered
//! envelopes rejected with a `sync_event` warning and never applied, envelopes whose sender or key
//! has not arrived yet held until it does. Import is idempotent and order-independent for the
//! same reasons relay sync is: envelopes are keyed by `(space, doc, device, seq)` and Automerge
//! queues changes until their dependencies arrive.
//!
//! **The format** is in [`super::bundle_file`]: a checksum that refuses damage before anything is
//! parsed, then one section per space with a manifest sealed under that space's key and signed
//! inside the seal by the exporting device. The file shows what a relay sees (space ids, tags,
//! sizes) and nothing more: no group name, pseudonym, device key or document name.
//!
//! **What travels besides envelopes.** Everything the relay route carries was weighed:
//! * *Key changes* — yes. A group that meets only by file must still lock out a removed member,
//!   so every rekey a device made or accepted is logged ([`super::key_log`]) and each file carries
//!   the chain, each rekey sealed under the epoch key before it. Import applies them with
//!   [`Mutua::absorb_rekeys`] (signer checked against the roster, new key unwrapped), so a removed
//!   member importing the same file learns they were removed and opens nothing newer.
//! * *Checkpoints* — only when the exporting device holds part of a document's history only as a
//!   checkpoint it loaded from a relay; then it seals a fresh checkpoint of its own, since the
//!   envelopes it covers are not on this device to pass on.
//! * *Relay positions, tokens, long-poll state* — no: they describe one relay, not the group.
//! * *Invitation and pairing exchanges* — no: a remote invitation or a pairing code names a relay
//!   by design; the in-person code (keys inside the QR) is the offline way in, and a device that
//!   joined that way introduces itself in its first roster envelope, which files carry like any
//!   other.
//!
//! **"For this person".** [`BundleScope::Member`] carries only what that member is not known to
//! have. Known means one of two things, both real: (1) every file carries, sealed per space, the
//! exporter's vector `(doc, device) → seq`; importing one records it, after checking that the
//! manifest's signer is a device of the member it names in the roster, as what that member
//! holds (`relay_has` under the route `peer:<member id>`, max-merged, the way a relay's vector
//! is kept); (2) what that member's own devices wrote, which they hold by construction (this
//! device's own envelopes never count, so a file for the member's other device still carries
//! them). Knowledge is per member, the union over their devices: a file for Sam may leave out
//! something only Sam's phone holds, and Sam's own devices then pass it between themselves.
//!
//! **Private data never travels**: only envelopes of spaces go into a file, and no space carries
//! a journal document ([`super::space::Space::carries`]). The member's own space (profile and
//! contacts) exists only on their own devices, so a file for another member leaves it out, and
//! in an "everything" file nobody else holds its key.

use std::collections::{BTreeSet, HashSet};

use mutua_protocol::{DeviceTag, DocTag, Envelope, EpochKey, Rekey, SpaceId};
use rusqlite::params;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::pair_id;
use crate::store::Mutua;
use crate::sync::bundle_file::{self, Body, Manifest, ManifestError, ParsedSection, Section};
use crate::sync::key_log;
use crate::sync::space::{self, PERSONAL_SCOPE, Scope, Space};

/// What a sync file should carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleScope {
    /// Every space this device syncs: its groups, its one-to-one conversations, and the member's
    /// own space (for their other devices).
    Everything,
    /// One group (id, id prefix or name).
    Group(String),
    /// What one member (id, id prefix or pseudonym; this member's own id for their other
    /// devices) is not known to have, in the spaces they share with this device.
    Member(String),
}

/// A sync file, made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBundle {
    pub bytes: Vec<u8>,
    /// Spaces in the file (groups, conversations, the member's own space).
    pub spaces: usize,
    /// Of those, groups.
    pub groups: usize,
    pub envelopes: usize,
    pub key_changes: usize,
    pub checkpoints: usize,
}

/// What opening a sync file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BundleImport {
    /// Envelopes this device did not hold before.
    pub new: usize,
    pub already_held: usize,
    /// Envelopes opened and applied (including ones held from earlier that can be opened now).
    pub applied: usize,
    /// Forged or altered envelopes, never applied (each with a warning in the sync events).
    pub rejected: usize,
    /// Envelopes this device holds but cannot open yet (a sender or key not arrived yet).
    pub held: usize,
    /// Spaces of the file this device takes part in.
    pub spaces: usize,
    /// The groups among them, by id.
    pub groups: Vec<String>,
    /// Groups that gained something; the others were up to date.
    pub groups_updated: usize,
    pub groups_up_to_date: usize,
    /// Spaces of the file this device is not in (other people's conversations, say).
    pub not_for_this_device: usize,
    pub key_changes: usize,
    pub checkpoints: usize,
    /// Groups (by name) the file says this member was removed from.
    pub removed_from: Vec<String>,
    /// Things the member should hear about (a removal, envelopes waiting for a key), in words.
    pub notices: Vec<String>,
}

/// One section checked and ready to apply.
struct Checked {
    space: Space,
    manifest: Option<Manifest>,
    rekeys: Vec<Rekey>,
    envelopes: Vec<Envelope>,
    checkpoints: Vec<Envelope>,
}

/// The route name under which what a member holds is recorded (`relay_has`).
fn peer_route(member: &str) -> String {
    format!("peer:{member}")
}

fn damaged_section() -> Error {
    Error::SyncFileDamaged(
        "a part of it was altered after it was made, or not made by Mutua".into(),
    )
}

impl Mutua {
    /// Makes a sync file for `scope`: seals this device's unsynced changes first (as a relay
    /// round does), then gathers the envelopes, key changes and manifests.
    pub fn export_bundle(&mut self, scope: &BundleScope) -> Result<ExportedBundle> {
        let all = self.sync_spaces()?;
        let (spaces, peer) = self.bundle_spaces(scope, &all)?;
        let mut body = Body::default();
        let mut out = ExportedBundle {
            bytes: Vec::new(),
            spaces: 0,
            groups: 0,
            envelopes: 0,
            key_changes: 0,
            checkpoints: 0,
        };
        for id in spaces {
            if space::load_space(&self.conn, &id)?.is_some_and(|s| s.is_group()) {
                // A member left: lock them out before anything new is sealed (as a round does).
                self.rotate_after_leave(&id)?;
            }
            let Some(space) = space::load_space(&self.conn, &id)? else {
                continue;
            };
            if space.removed {
                continue;
            }
            self.seal_outgoing(&space)?;
            let section = self.bundle_section(&space, peer.as_deref())?;
            out.spaces += 1;
            out.groups += usize::from(space.is_group());
            out.envelopes += section.envelopes.len();
            out.key_changes += section.rekeys.len();
            out.checkpoints += section.checkpoints.len();
            body.sections.push(section);
        }
        if body.sections.is_empty() {
            return Err(Error::invalid(
                "there is nothing to put in a sync file: this device is in no group yet",
            ));
        }
        out.bytes = bundle_file::write(&body);
        Ok(out)
    }

    /// The spaces `scope` covers, and the member it is for (if it is for one).
    fn bundle_spaces(
        &mut self,
        scope: &BundleScope,
        all: &[SpaceId],
    ) -> Result<(Vec<SpaceId>, Option<String>)> {
        match scope {
            BundleScope::Everything => Ok((all.to_vec(), None)),
            BundleScope::Group(query) => {
                let group = self.find_group(query)?;
                if self.group_left_or_removed(&group.id)? {
                    return Err(Error::NotAllowed(format!(
                        "you are no longer in \"{}\"",
                        group.fields.name
                    )));
                }
                let space = self.ensure_space(&group.id)?;
                Ok((vec![space.id], None))
            }
            BundleScope::Member(query) => {
                let me = self.member_id.clone();
                let member = if query.trim() == me {
                    me.clone()
                } else {
                    self.find_peer(query)?.member_id
                };
                if member == me {
                    return Ok((all.to_vec(), Some(member)));
                }
                let mut spaces = Vec::new();
                for id in all {
                    let Some(space) = space::load_space(&self.conn, id)? else {
                        continue;
                    };
                    let shared = match space.scope() {
                        Scope::Group(group) => self.conn.query_row(
                            "SELECT EXISTS (SELECT 1 FROM group_member WHERE group_id = ?1 AND member_id = ?2)",
                            params![group, member],
                            |row| row.get::<_, bool>(0),
                        )?,
                        Scope::Pair(pair) => pair == pair_id(&me, &member),
                        Scope::Personal => false,
                    };
                    if shared {
                        spaces.push(*id);
                    }
                }
                if spaces.is_empty() {
                    return Err(Error::invalid(
                        "you share no group with this person yet, so there is nothing to carry to them",
                    ));
                }
                Ok((spaces, Some(member)))
            }
        }
    }

    /// One space's part of a file: what `peer` is not known to hold (everything if `None`).
    fn bundle_section(&mut self, space: &Space, peer: Option<&str>) -> Result<Section> {
        let route = peer.map(peer_route);
        let theirs = match peer {
            Some(member) => self.member_device_tags(space, member)?,
            None => HashSet::new(),
        };
        let rows: Vec<(Vec<u8>, Vec<u8>)> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT e.device_tag, e.bytes FROM envelope e
                 LEFT JOIN relay_has r ON r.relay = ?1 AND r.space_id = e.space_id
                      AND r.doc_tag = e.doc_tag AND r.device_tag = e.device_tag
                 WHERE e.space_id = ?2 AND e.bytes IS NOT NULL AND e.state != 'rejected'
                   AND e.seq > coalesce(r.seq, 0)
                 ORDER BY e.doc_tag, e.device_tag, e.seq",
            )?;
            stmt.query_map(params![route, space.id.as_bytes().to_vec()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let envelopes: Vec<Vec<u8>> = rows
            .into_iter()
            .filter(|(device, _)| {
                DeviceTag::from_slice(device).map_or(true, |tag| !theirs.contains(&tag))
            })
            .map(|(_, bytes)| bytes)
            .collect();
        let mut rekeys = Vec::new();
        for rekey in key_log::logged_rekeys(&self.conn, &space.id)? {
            if let Some(previous) = rekey.epoch.checked_sub(1).and_then(|e| space.keys.get(&e)) {
                rekeys.push(bundle_file::seal_rekey(&rekey, previous, &space.id)?);
            }
        }
        let checkpoints = self.bundle_checkpoints(space, route.as_deref())?;
        let mut section = Section {
            space: space.id,
            manifest_epoch: space.epoch,
            manifest: Vec::new(),
            rekeys,
            checkpoints,
            envelopes,
        };
        let manifest = Manifest {
            space: space.id,
            made_by: self.identity.signing_public(),
            member: self.member_id.clone(),
            made_at: crate::time::now().timestamp(),
            epoch: space.epoch,
            vector: space::have(&self.conn, &space.id)?,
            envelopes: u32::try_from(section.envelopes.len())
                .map_err(|_| Error::invalid("too many updates for one sync file"))?,
            contents: section.contents_digest(),
        };
        section.manifest = bundle_file::seal_manifest(
            &manifest,
            &self.identity.signing_key(),
            space.current_key()?,
        )?;
        Ok(section)
    }

    /// Fresh checkpoints of the documents whose early history this device holds only as a
    /// checkpoint (and that `route`'s member is not known to hold).
    fn bundle_checkpoints(&mut self, space: &Space, route: Option<&str>) -> Result<Vec<Vec<u8>>> {
        let covered: BTreeSet<Vec<u8>> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT DISTINCT c.doc_tag FROM checkpoint_cover c
                 LEFT JOIN relay_has r ON r.relay = ?1 AND r.space_id = c.space_id
                      AND r.doc_tag = c.doc_tag AND r.device_tag = c.device_tag
                 WHERE c.space_id = ?2 AND c.seq > coalesce(r.seq, 0)",
            )?;
            stmt.query_map(params![route, space.id.as_bytes().to_vec()], |row| {
                row.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        if covered.is_empty() {
            return Ok(Vec::new());
        }
        let docs: Vec<crate::ids::DocId> = crate::docs::doc_ids(&self.conn)?
            .into_iter()
            .filter(|d| {
                space.carries(d) && covered.contains(space.doc_tag(d).as_bytes().as_slice())
            })
            .collect();
        let mut out = Vec::new();
        for doc in docs {
            if let Some(env) = self.make_checkpoint(space, &doc)? {
                out.push(env.to_bytes());
            }
        }
        Ok(out)
    }

    /// The tags, in `space`, of the devices the rosters list for `member`, except this one.
    fn member_device_tags(&mut self, space: &Space, member: &str) -> Result<HashSet<DeviceTag>> {
        let own = self.identity.signing_public();
        let mut keys: Vec<[u8; 32]> = self
            .roster_devices()?
            .into_iter()
            .filter(|d| d.member_id == member)
            .map(|d| d.signing)
            .collect();
        if space.scope() == Scope::Personal && member == self.member_id {
            keys.extend(space.anchors.iter().copied());
        }
        Ok(keys
            .into_iter()
            .filter(|k| *k != own)
            .map(|k| space.naming.device_tag(&k))
            .collect())
    }

    /// Reads a sync file and applies what is for this device. A damaged, foreign or too new
    /// file, or one for no space this device is in, changes nothing.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<BundleImport> {
        let sections = bundle_file::read(bytes)?;
        let mut report = BundleImport::default();
        // Check every section this device can check before anything is written.
        let mut ready = Vec::new();
        let mut later = Vec::new();
        for parsed in sections {
            match space::load_space(&self.conn, &parsed.section.space)? {
                Some(space) => ready.push(self.check_section(space, parsed)?),
                None => later.push(parsed),
            }
        }
        if ready.is_empty() {
            return Err(Error::SyncFileNotForThisDevice);
        }
        let mut removed_from = Vec::new();
        for checked in ready {
            self.apply_section(checked, &mut report, &mut removed_from)?;
        }
        // A roster that just arrived may make a one-to-one conversation in this same file known.
        self.ensure_pair_spaces()?;
        for parsed in later {
            let Some(space) = space::load_space(&self.conn, &parsed.section.space)? else {
                report.not_for_this_device += 1;
                continue;
            };
            // The file was checked whole before anything was written; a part that can only be
            // checked now and fails is skipped rather than undoing what was applied.
            match self.check_section(space, parsed) {
                Ok(checked) => self.apply_section(checked, &mut report, &mut removed_from)?,
                Err(_) => report.not_for_this_device += 1,
            }
        }
        for name in &removed_from {
            report
                .notices
                .push(format!("you were removed from \"{name}\""));
        }
        report.removed_from = removed_from;
        report.held = self.held_envelopes()?;
        if report.held > 0 {
            report.notices.push(format!(
                "{} updates are waiting for a member's introduction or a key this device has not received yet; they open when it arrives",
                report.held
            ));
        }
        Ok(report)
    }

    /// Checks one section of a space this device holds, without writing anything.
    fn check_section(&mut self, space: Space, parsed: ParsedSection) -> Result<Checked> {
        let ParsedSection {
            section,
            envelopes,
            checkpoints,
        } = parsed;
        let section = &section;
        // Key changes, oldest first, as far as this device can follow them.
        let mut keys = space.keys.clone();
        let mut rekeys = Vec::new();
        let mut removed_at = None;
        let mut sealed = section.rekeys.clone();
        sealed.sort_by_key(|r| r.epoch);
        for s in &sealed {
            let Some(previous) = s.epoch.checked_sub(1).and_then(|e| keys.get(&e)).cloned() else {
                continue;
            };
            // One that does not open under the key this device holds for the epoch before it
            // follows another chain of keys (two rotations that never met); it is left out.
            let Some(rekey) = bundle_file::open_rekey(s, &previous, &space.id) else {
                continue;
            };
            if s.epoch <= space.epoch || removed_at.is_some() {
                continue;
            }
            match self.peek_rekey(&space.id, &rekey, &previous) {
                Some(key) => {
                    keys.entry(s.epoch).or_insert(key);
                }
                // Not wrapped for this device: its member is being removed.
                None => removed_at = Some(s.epoch),
            }
            rekeys.push(rekey);
        }
        let manifest = match keys.get(&section.manifest_epoch) {
            Some(key) => Some(open_checked(section, key)?),
            // Sealed under a key this device does not hold (yet): the envelopes still carry
            // their own signatures, and wait until the key comes.
            None => None,
        };
        let envelopes = match removed_at {
            // Nothing sealed after a removal is any use to the member removed.
            Some(epoch) => envelopes
                .into_iter()
                .filter(|e| e.header().epoch < epoch)
                .collect(),
            None => envelopes,
        };
        Ok(Checked {
            space,
            manifest,
            rekeys,
            envelopes,
            checkpoints,
        })
    }

    fn apply_section(
        &mut self,
        checked: Checked,
        report: &mut BundleImport,
        removed_from: &mut Vec<String>,
    ) -> Result<()> {
        let Checked {
            space,
            manifest,
            rekeys,
            envelopes,
            checkpoints,
        } = checked;
        if space.removed {
            report.not_for_this_device += 1;
            return Ok(());
        }
        report.spaces += 1;
        let new = {
            let tx = self.conn.transaction()?;
            let new = space::store_incoming(&tx, &space.id, &envelopes)?;
            tx.commit()?;
            new
        };
        report.new += new;
        report.already_held += envelopes.len() - new;
        if !checkpoints.is_empty() {
            let loaded = self.absorb_checkpoints_from(None, &space.id, &checkpoints)?;
            report.checkpoints += loaded.loaded;
        }
        let opened = self.open_held(&space)?;
        report.applied += opened.applied;
        report.rejected += opened.rejected;
        let epoch_before = space.epoch;
        let mut still_in = true;
        if !rekeys.is_empty() {
            still_in = self.absorb_rekeys(&space.id, &rekeys)?;
        }
        let Some(space) = space::load_space(&self.conn, &space.id)? else {
            return Ok(());
        };
        report.key_changes += (space.epoch - epoch_before) as usize;
        if !still_in {
            removed_from.push(self.group_name(&space.group_id));
            return Ok(());
        }
        if space.epoch != epoch_before {
            let opened = self.open_held(&space)?;
            report.applied += opened.applied;
            report.rejected += opened.rejected;
        }
        if let Scope::Group(group) = space.scope() {
            let group = group.to_owned();
            // A departure that came in this file: lock the member out of what is sent next.
            self.rotate_after_leave(&space.id)?;
            if new > 0 || space.epoch != epoch_before {
                report.groups_updated += 1;
            } else {
                report.groups_up_to_date += 1;
            }
            report.groups.push(group);
        }
        if let Some(manifest) = manifest {
            self.remember_peer(&space, &manifest)?;
        }
        Ok(())
    }

    /// Records what the member who made a file holds in `space`, if the manifest's signer is a
    /// device the rosters attribute to that member (and not this device).
    fn remember_peer(&mut self, space: &Space, manifest: &Manifest) -> Result<()> {
        if manifest.made_by == self.identity.signing_public() {
            return Ok(());
        }
        let mut owner = self
            .roster_devices()?
            .into_iter()
            .find(|d| d.signing == manifest.made_by)
            .map(|d| d.member_id);
        if owner.is_none()
            && space.group_id == PERSONAL_SCOPE
            && space.anchors.contains(&manifest.made_by)
        {
            owner = Some(self.member_id.clone());
        }
        if owner.as_deref() != Some(manifest.member.as_str()) {
            return Ok(());
        }
        let belongs = match space.scope() {
            Scope::Group(group) => self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM group_member WHERE group_id = ?1 AND member_id = ?2)",
                params![group, manifest.member],
                |row| row.get::<_, bool>(0),
            )?,
            Scope::Pair(pair) => pair == pair_id(&self.member_id, &manifest.member),
            Scope::Personal => manifest.member == self.member_id,
        };
        if belongs {
            self.raise_relay_has(&peer_route(&manifest.member), &space.id, &manifest.vector)?;
        }
        Ok(())
    }

    /// What this device knows `member` holds in `space_id` (from the files they made), for
    /// tests and diagnostics.
    pub fn known_held_by(
        &self,
        member: &str,
        space_id: &SpaceId,
    ) -> Result<Vec<(DocTag, DeviceTag, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT doc_tag, device_tag, seq FROM relay_has WHERE relay = ?1 AND space_id = ?2
             ORDER BY doc_tag, device_tag",
        )?;
        let rows = stmt.query_map(
            params![peer_route(member), space_id.as_bytes().to_vec()],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, u64>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (d, v, seq) = row?;
            if let (Ok(d), Ok(v)) = (DocTag::from_slice(&d), DeviceTag::from_slice(&v)) {
                out.push((d, v, seq));
            }
        }
        Ok(out)
    }
}

fn open_checked(section: &Section, key: &EpochKey) -> Result<Manifest> {
    bundle_file::open_manifest(section, key).map_err(|e| match e {
        ManifestError::Undecryptable | ManifestError::BadSignature | ManifestError::Malformed => {
            damaged_section()
        }
    })
}

impl Space {
    pub(crate) fn is_group(&self) -> bool {
        matches!(self.scope(), Scope::Group(_))
    }
}
