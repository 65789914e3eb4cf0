//! Joining a group.
//!
//! **In person** (works with no network at all): the inviting member's screen shows a code (and
//! a QR code of it) that carries the group's space, naming key and epoch keys plus a one-time
//! invitation secret. The joiner's device is in at once: it writes itself into the roster with
//! an *introduction* signed by a key derived from that secret, and the invitation's public key
//! is in the roster (written by the inviter), so every member's device can check that somebody
//! who was shown the code — not a stranger, not the relay — added this device.
//!
//! **Remotely**: the code carries no group key, only the invitation secret and the relay. From
//! the secret both sides derive a small *invitation space* on the relay. The joiner posts a
//! signed request there (pseudonym and public keys); the inviting device shows it, a facilitator
//! approves (open groups may approve automatically), and the approval writes the joiner into
//! the roster and posts the group's keys sealed to the joiner's X25519 key. A declined or
//! expired request gets a clear answer; the joiner never holds any key before approval.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use mutua_protocol::{EpochKey, NamingKey, SpaceId};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::amjson;
use crate::error::{Error, Result};
use crate::groups::{Admission, Member, Role};
use crate::ids::{DocId, new_id, random_bytes};
use crate::store::Mutua;
use crate::sync::space::{self, DEVICES, INVITES, Intro, Space};

const PREFIX: &str = "mutua-invite:";
const MEMBERS: &str = "members";

/// How long an invitation stays valid.
pub const IN_PERSON_HOURS: i64 = 24;
pub const REMOTE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteMode {
    InPerson,
    Remote,
}

/// An invitation as its creator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: String,
    pub group_id: String,
    pub group_name: String,
    pub mode: InviteMode,
    /// What to show as text and as a QR code.
    pub code: String,
    pub expires_at: String,
}

/// A request to join, waiting for a facilitator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JoinRequest {
    pub invite_id: String,
    pub group_id: String,
    pub group_name: String,
    pub member_id: String,
    pub pseudonym: String,
    pub state: String,
    pub received_at: String,
}

/// What accepting a code did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Joined {
    /// In-person code: this device is in the group now.
    Joined {
        group_id: String,
        group_name: String,
    },
    /// Remote code: the request goes out with the next sync and waits for a facilitator.
    Requested { group_name: String, relay: String },
}

/// What a code carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Code {
    InPerson {
        group_id: String,
        group_name: String,
        space: SpaceId,
        naming: [u8; 32],
        epoch: u32,
        keys: Vec<(u32, [u8; 32])>,
        /// Signing keys of the group's devices as the inviter knows them.
        anchors: Vec<[u8; 32]>,
        invite: String,
        secret: [u8; 32],
        expires: i64,
        relay: Option<String>,
    },
    Remote {
        group_name: String,
        invite: String,
        secret: [u8; 32],
        expires: i64,
        relay: String,
        /// The inviting device's signing key: the approval must come from it.
        inviter: [u8; 32],
    },
}

impl Code {
    pub fn to_text(&self) -> String {
        format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mutua_protocol::encode(self))
        )
    }

    pub fn parse(text: &str) -> Result<Code> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let Some(start) = compact.find(PREFIX) else {
            return Err(Error::InvitationInvalid(
                "this is not a Mutua invitation code (it starts with \"mutua-invite:\")".into(),
            ));
        };
        let body = &compact[start + PREFIX.len()..];
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| {
            Error::InvitationInvalid("the code is incomplete or mistyped; copy it again".into())
        })?;
        mutua_protocol::decode(&bytes).map_err(|_| {
            Error::InvitationInvalid("the code is incomplete or mistyped; copy it again".into())
        })
    }

    fn expires(&self) -> i64 {
        match self {
            Code::InPerson { expires, .. } | Code::Remote { expires, .. } => *expires,
        }
    }
}

/// Keys and names derived from an invitation secret.
pub(crate) struct InviteKeys {
    pub signing: SigningKey,
    pub space: SpaceId,
    pub naming: NamingKey,
    pub key: EpochKey,
}

pub(crate) fn invite_keys(secret: &[u8; 32]) -> InviteKeys {
    let hk = Hkdf::<Sha256>::new(Some(b"mutua/v1/invite"), secret);
    let mut seed = [0u8; 32];
    let mut space = [0u8; 16];
    let mut naming = [0u8; 32];
    let mut key = [0u8; 32];
    let _ = hk.expand(b"signing", &mut seed);
    let _ = hk.expand(b"space", &mut space);
    let _ = hk.expand(b"naming", &mut naming);
    let _ = hk.expand(b"key", &mut key);
    InviteKeys {
        signing: SigningKey::from_bytes(&seed),
        space: SpaceId(space),
        naming: NamingKey::from_bytes(naming),
        key: EpochKey::from_bytes(key),
    }
}

fn expiry_text(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

impl Mutua {
    /// The group's sync space, made on first use by the member who has the group.
    pub(crate) fn ensure_space(&mut self, group_id: &str) -> Result<Space> {
        if let Some(space) = space::space_for_group(&self.conn, group_id)? {
            return Ok(space);
        }
        let group = self.find_group(group_id)?;
        let key = EpochKey::generate().map_err(|e| Error::Random(e.to_string()))?;
        let space = Space {
            id: SpaceId(random_bytes::<16>()?),
            group_id: group.id.clone(),
            naming: NamingKey::generate().map_err(|e| Error::Random(e.to_string()))?,
            epoch: 0,
            keys: [(0, key)].into_iter().collect(),
            removed: false,
            intro: None,
            anchors: Vec::new(),
        };
        self.add_own_device_to_roster(&group.id)?;
        space::save_space(&self.conn, &space)?;
        Ok(space)
    }

    /// Lists this device in the group's roster (done once, when the group first syncs).
    fn add_own_device_to_roster(&mut self, group_id: &str) -> Result<()> {
        let signing = hex::encode(self.identity.signing_public());
        let record = space::device_record(
            &self.member_id,
            &self.identity.agreement_public(),
            "creator",
        );
        self.change_doc(
            &DocId::GroupMeta {
                group: group_id.to_owned(),
            },
            |tx| {
                if amjson::read_record(tx, DEVICES, &signing).is_none() {
                    amjson::write_record(tx, DEVICES, &signing, &record)?;
                }
                Ok(())
            },
        )
    }

    /// Creates an invitation to `group`. In-person codes carry the group's keys and are meant to
    /// be shown on screen at a meeting; remote ones need a relay and a facilitator's approval.
    pub fn create_invite(&mut self, group: &str, mode: InviteMode) -> Result<Invitation> {
        let group = self.find_group(group)?;
        if self.group_left_or_removed(&group.id)? {
            return Err(Error::NotAllowed("you are no longer in this group".into()));
        }
        let relay = self.relay_url()?;
        if mode == InviteMode::Remote && relay.is_none() {
            return Err(Error::NotAllowed(
                "a remote invitation needs a relay: set one in Settings → Sync (or `mutua sync --relay URL`), or invite in person".into(),
            ));
        }
        let closed = group.fields.admission == Admission::Closed;
        if mode == InviteMode::Remote && closed && !self.can_facilitate(&group.id)? {
            return Err(Error::NotAllowed(
                "this group is closed: only a facilitator or co-host can invite remotely".into(),
            ));
        }
        let space = self.ensure_space(&group.id)?;
        let id = new_id()?;
        let secret = random_bytes::<32>()?;
        let keys = invite_keys(&secret);
        let now = crate::time::now();
        let expires = match mode {
            InviteMode::InPerson => now + chrono::Duration::hours(IN_PERSON_HOURS),
            InviteMode::Remote => now + chrono::Duration::days(REMOTE_DAYS),
        };
        let code = match mode {
            InviteMode::InPerson => Code::InPerson {
                group_id: group.id.clone(),
                group_name: group.fields.name.clone(),
                space: space.id,
                naming: *space.naming.as_bytes(),
                epoch: space.epoch,
                keys: space
                    .keys
                    .iter()
                    .map(|(e, k)| (*e, *k.as_bytes()))
                    .collect(),
                anchors: self.anchors_for(&space)?,
                invite: id.clone(),
                secret,
                expires: expires.timestamp(),
                relay,
            },
            InviteMode::Remote => Code::Remote {
                group_name: group.fields.name.clone(),
                invite: id.clone(),
                secret,
                expires: expires.timestamp(),
                relay: relay.unwrap_or_default(),
                inviter: self.identity.signing_public(),
            },
        };
        let record = json!({
            "verify_key": hex::encode(keys.signing.verifying_key().to_bytes()),
            "created_by": self.member_id,
            "mode": match mode { InviteMode::InPerson => "in_person", InviteMode::Remote => "remote" },
            "expires_at": expiry_text(expires.timestamp()),
        });
        self.change_doc(&space.meta_doc(), |tx| {
            amjson::write_record(tx, INVITES, &id, &record)
        })?;
        self.conn.execute(
            "INSERT INTO invitation (id, group_id, mode, secret, expires_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                group.id,
                if mode == InviteMode::InPerson {
                    "in_person"
                } else {
                    "remote"
                },
                secret.to_vec(),
                expiry_text(expires.timestamp()),
                crate::time::now_text()
            ],
        )?;
        Ok(Invitation {
            id,
            group_id: group.id,
            group_name: group.fields.name,
            mode,
            code: code.to_text(),
            expires_at: expiry_text(expires.timestamp()),
        })
    }

    /// Accepts a code someone showed or sent.
    pub fn accept_invite(&mut self, text: &str) -> Result<Joined> {
        let code = Code::parse(text)?;
        if code.expires() < crate::time::now().timestamp() {
            return Err(Error::InvitationExpired);
        }
        match code {
            Code::InPerson {
                group_id,
                group_name,
                space: space_id,
                naming,
                epoch,
                keys,
                anchors,
                invite,
                secret,
                relay,
                ..
            } => {
                if let Some(existing) = space::space_for_group(&self.conn, &group_id)?
                    && !existing.removed
                {
                    return Err(Error::invalid(format!(
                        "you are already in \"{group_name}\""
                    )));
                }
                let signing = self.identity.signing_public();
                let agreement = self.identity.agreement_public();
                let proof_key = invite_keys(&secret).signing;
                let proof = proof_key
                    .sign(&Intro::proof_bytes(
                        &space_id,
                        &self.member_id,
                        &signing,
                        &agreement,
                    ))
                    .to_bytes()
                    .to_vec();
                let intro = Intro {
                    invite: invite.clone(),
                    member_id: self.member_id.clone(),
                    signing,
                    agreement,
                    proof,
                };
                let space = Space {
                    id: space_id,
                    group_id: group_id.clone(),
                    naming: NamingKey::from_bytes(naming),
                    epoch,
                    keys: keys
                        .into_iter()
                        .map(|(e, k)| (e, EpochKey::from_bytes(k)))
                        .collect(),
                    removed: false,
                    intro: Some(mutua_protocol::encode(&intro)),
                    anchors,
                };
                space.current_key()?;
                if relay.is_some() && self.relay_url()?.is_none() {
                    self.set_relay_url(relay.as_deref())?;
                }
                self.write_own_roster_entry(&group_id, &format!("invite:{invite}"))?;
                space::save_space(&self.conn, &space)?;
                self.conn
                    .execute("DELETE FROM left_group WHERE group_id = ?1", [&group_id])?;
                self.record_joining(&invite, &group_name, "joined", "")?;
                Ok(Joined::Joined {
                    group_id,
                    group_name,
                })
            }
            Code::Remote {
                group_name,
                invite,
                relay,
                ..
            } => {
                if self.relay_url()?.is_none() {
                    self.set_relay_url(Some(&relay))?;
                }
                let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                self.record_joining(&invite, &group_name, "requested", &compact)?;
                Ok(Joined::Requested { group_name, relay })
            }
        }
    }

    /// The devices a newcomer should trust from the start: the roster's, not removed.
    pub(crate) fn anchors_for(&mut self, space: &Space) -> Result<Vec<[u8; 32]>> {
        let devices = self.read_doc(&space.meta_doc(), |doc| space::roster(doc, &space.naming))?;
        let mut out: Vec<[u8; 32]> = devices
            .values()
            .filter(|d| d.removed_epoch.is_none())
            .map(|d| d.signing)
            .collect();
        out.push(self.identity.signing_public());
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn record_joining(
        &self,
        invite: &str,
        group_name: &str,
        state: &str,
        code: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO joining (invite_id, code, group_name, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (invite_id) DO UPDATE SET state = excluded.state",
            params![invite, code, group_name, state, crate::time::now_text()],
        )?;
        Ok(())
    }

    /// Writes this member and this device into a group's roster.
    pub(crate) fn write_own_roster_entry(&mut self, group_id: &str, via: &str) -> Result<()> {
        let me = Member {
            member_id: self.member_id.clone(),
            pseudonym: self.profile()?.pseudonym,
            roles: vec![Role::Member],
            signing_key: Some(self.identity.signing_public_hex()),
            joined_at: crate::time::now_text(),
        };
        let member = crate::groups::to_record(&me)?;
        let signing = hex::encode(self.identity.signing_public());
        let device = space::device_record(&self.member_id, &self.identity.agreement_public(), via);
        self.change_doc(
            &DocId::GroupMeta {
                group: group_id.to_owned(),
            },
            |tx| {
                amjson::write_record(tx, MEMBERS, &me.member_id, &member)?;
                amjson::write_record(tx, DEVICES, &signing, &device)
            },
        )
    }

    /// Requests waiting for a facilitator of one of this member's groups.
    pub fn join_requests(&self) -> Result<Vec<JoinRequest>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.invite_id, i.group_id, coalesce(g.name, ''), r.member_id, r.pseudonym, r.state, r.received_at
             FROM join_request r JOIN invitation i ON i.id = r.invite_id
             LEFT JOIN groups g ON g.id = i.group_id
             ORDER BY r.received_at",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(JoinRequest {
                invite_id: row.get(0)?,
                group_id: row.get(1)?,
                group_name: row.get(2)?,
                member_id: row.get(3)?,
                pseudonym: row.get(4)?,
                state: row.get(5)?,
                received_at: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn can_facilitate(&self, group_id: &str) -> Result<bool> {
        let roles: Option<String> = self
            .conn
            .query_row(
                "SELECT roles FROM group_member WHERE group_id = ?1 AND member_id = ?2",
                params![group_id, self.member_id],
                |row| row.get(0),
            )
            .optional()?;
        let roles: Vec<Role> = roles
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default();
        Ok(roles
            .iter()
            .any(|r| matches!(r, Role::Facilitator | Role::CoHost)))
    }

    pub(crate) fn group_left_or_removed(&self, group_id: &str) -> Result<bool> {
        let left: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM left_group WHERE group_id = ?1)
                 OR EXISTS (SELECT 1 FROM space WHERE group_id = ?1 AND removed = 1)",
            [group_id],
            |row| row.get(0),
        )?;
        Ok(left)
    }
}
