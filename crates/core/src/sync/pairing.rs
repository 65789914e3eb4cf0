//! Pairing another device of the same member (a new phone, a laptop) with a code or QR code.
//!
//! The existing device shows `mutua-pair:…`: the member id, a one-time secret, the relay, the
//! showing device's signing key and an expiry — no group key. The new install adopts the member
//! id with keys of its own ([`Mutua::init_paired`]) and, through a small exchange space derived
//! from the secret (as a remote invitation does, see [`super::remote`]), posts its public keys
//! signed by itself. The showing device answers the first such request only, and only before the
//! code expires: it lists the new device in every group's roster (so the other members accept
//! what it writes, vouched for by a device they already trust) and seals to it the member's
//! agreement key (one-to-one spaces derive from it, see [`super::direct`]), the member's own
//! space and every group's keys. Whoever reads the code later, or a second device using it,
//! gets a refusal and nothing else; the code itself never opens anything.
//!
//! The member's own space carries `me/profile` and `me/contacts` between their devices. The
//! journal never travels: no space carries a private document.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use mutua_protocol::{Envelope, EpochKey, NamingKey, SpaceId};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::ids::{DocId, random_bytes};
use crate::store::Mutua;
use crate::sync::crypto;
use crate::sync::invite::invite_keys;
use crate::sync::remote::InviteExchange;
use crate::sync::space::{self, DEVICES, PERSONAL_SCOPE, Scope, Space};

const PREFIX: &str = "mutua-pair:";

/// How long a pairing code can be used.
pub const PAIRING_MINUTES: i64 = 15;

/// A pairing code as the device that shows it sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pairing {
    /// What to show as text and as a QR code.
    pub code: String,
    pub expires_at: String,
}

/// One device of this member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberDevice {
    /// The device's public signing key, hex: how rosters name it.
    pub signing_key: String,
    pub this_device: bool,
    /// How it came in: `creator`, `invite:<id>`, `paired`, …
    pub via: String,
    pub added_at: String,
}

/// Where pairing this (new) device stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PairingStatus {
    /// The request goes out with the next sync; the other device answers when it syncs.
    Waiting {
        relay: String,
        expires_at: String,
    },
    Paired,
    /// Refused (the code was used already, or expired); this store holds nothing of the member.
    Refused {
        reason: String,
    },
}

/// What a pairing code carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PairCode {
    member_id: String,
    secret: [u8; 32],
    expires: i64,
    relay: String,
    /// The showing device's signing key: the answer must come from it.
    device: [u8; 32],
}

impl PairCode {
    fn to_text(&self) -> String {
        format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mutua_protocol::encode(self))
        )
    }

    fn parse(text: &str) -> Result<PairCode> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || {
            Error::InvitationInvalid(
                "the pairing code is incomplete or mistyped; copy it again".into(),
            )
        };
        let Some(start) = compact.find(PREFIX) else {
            return Err(Error::InvitationInvalid(
                "this is not a Mutua pairing code (it starts with \"mutua-pair:\")".into(),
            ));
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(&compact[start + PREFIX.len()..])
            .map_err(|_| bad())?;
        let code: PairCode = mutua_protocol::decode(&bytes).map_err(|_| bad())?;
        if !crate::ids::is_valid_id(&code.member_id) {
            return Err(bad());
        }
        Ok(code)
    }
}

#[derive(Debug, Serialize, Deserialize)]
enum PairMessage {
    /// From the new device: its keys, signed by its own signing key (the envelope's signature).
    Request {
        signing: [u8; 32],
        /// A key only for opening the answer: the answer brings the member's agreement key.
        agreement: [u8; 32],
    },
    /// From the showing device, for the device with signing key `to`.
    Answer { to: [u8; 32], sealed: Vec<u8> },
}

#[derive(Debug, Serialize, Deserialize)]
enum PairAnswer {
    Welcome {
        agreement_secret: [u8; 32],
        /// The member's own space, then every group space, as the showing device holds them.
        spaces: Vec<SpaceKeys>,
    },
    Refused {
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct SpaceKeys {
    scope: String,
    space: SpaceId,
    naming: [u8; 32],
    epoch: u32,
    keys: Vec<(u32, [u8; 32])>,
    anchors: Vec<[u8; 32]>,
}

impl SpaceKeys {
    fn of(space: &Space, anchors: Vec<[u8; 32]>) -> SpaceKeys {
        SpaceKeys {
            scope: space.group_id.clone(),
            space: space.id,
            naming: *space.naming.as_bytes(),
            epoch: space.epoch,
            keys: space
                .keys
                .iter()
                .map(|(e, k)| (*e, *k.as_bytes()))
                .collect(),
            anchors,
        }
    }

    fn into_space(self) -> Space {
        Space {
            id: self.space,
            group_id: self.scope,
            naming: NamingKey::from_bytes(self.naming),
            epoch: self.epoch,
            keys: self
                .keys
                .into_iter()
                .map(|(e, k)| (e, EpochKey::from_bytes(k)))
                .collect(),
            removed: false,
            intro: None,
            anchors: self.anchors,
        }
    }
}

fn expiry_text(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The pairing id: the exchange space's id, hex (both sides compute it from the secret).
fn pairing_id(secret: &[u8; 32]) -> String {
    hex::encode(invite_keys(secret).space.as_bytes())
}

/// Checks a code before anything is created for it: well formed and not expired.
pub fn check_code(text: &str) -> Result<()> {
    let code = PairCode::parse(text)?;
    if code.expires < crate::time::now().timestamp() {
        return Err(Error::InvitationInvalid(
            "this pairing code has expired: show a new one on your other device".into(),
        ));
    }
    Ok(())
}

/// The member id a (checked) code pairs with.
pub(crate) fn code_member(text: &str) -> Result<String> {
    Ok(PairCode::parse(text)?.member_id)
}

impl Mutua {
    /// Makes a pairing code for another device of this member. It needs a relay (the two
    /// devices meet there), works once, and expires after [`PAIRING_MINUTES`].
    pub fn create_pairing(&mut self) -> Result<Pairing> {
        self.create_pairing_valid_for(PAIRING_MINUTES)
    }

    /// [`Mutua::create_pairing`] with another validity, in minutes (tests use an expired one).
    #[doc(hidden)]
    pub fn create_pairing_valid_for(&mut self, minutes: i64) -> Result<Pairing> {
        let Some(relay) = self.relay_url()? else {
            return Err(Error::NotAllowed(
                "pairing a device needs a relay: set one in Settings → Sync (or `mutua sync --relay URL`)".into(),
            ));
        };
        self.ensure_personal_space()?;
        let secret = random_bytes::<32>()?;
        let expires = (crate::time::now() + chrono::Duration::minutes(minutes)).timestamp();
        let code = PairCode {
            member_id: self.member_id.clone(),
            secret,
            expires,
            relay,
            device: self.identity.signing_public(),
        };
        let text = code.to_text();
        self.conn.execute(
            "INSERT INTO pairing (id, role, secret, code, state, expires, created_at)
             VALUES (?1, 'shown', ?2, '', 'open', ?3, ?4)",
            params![
                pairing_id(&secret),
                secret.to_vec(),
                expires,
                crate::time::now_text()
            ],
        )?;
        Ok(Pairing {
            code: text,
            expires_at: expiry_text(expires),
        })
    }

    /// This member's devices: those the group rosters list for them, those paired, and this one.
    pub fn member_devices(&mut self) -> Result<Vec<MemberDevice>> {
        let own = self.identity.signing_public();
        let mut out: Vec<MemberDevice> = Vec::new();
        let mut push = |signing: [u8; 32], via: &str, added_at: &str| {
            let hex = hex::encode(signing);
            if !out.iter().any(|d| d.signing_key == hex) {
                out.push(MemberDevice {
                    signing_key: hex,
                    this_device: signing == own,
                    via: via.to_owned(),
                    added_at: added_at.to_owned(),
                });
            }
        };
        for d in self.roster_devices()? {
            if d.member_id == self.member_id {
                push(d.signing, &d.via, &d.added_at);
            }
        }
        if let Some(personal) = space::space_for_group(&self.conn, PERSONAL_SCOPE)? {
            for anchor in &personal.anchors {
                push(*anchor, "paired", "");
            }
        }
        push(own, "this device", "");
        out.sort_by(|a, b| {
            b.this_device
                .cmp(&a.this_device)
                .then_with(|| a.added_at.cmp(&b.added_at))
                .then_with(|| a.signing_key.cmp(&b.signing_key))
        });
        Ok(out)
    }

    /// Where pairing this device stands, if it was set up with a pairing code.
    pub fn pairing_status(&self) -> Result<Option<PairingStatus>> {
        let row: Option<(String, String, String, i64)> = self
            .conn
            .query_row(
                "SELECT state, detail, code, expires FROM pairing WHERE role = 'joining'
                 ORDER BY created_at DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        Ok(
            row.map(|(state, detail, code, expires)| match state.as_str() {
                "paired" => PairingStatus::Paired,
                "refused" => PairingStatus::Refused { reason: detail },
                _ => PairingStatus::Waiting {
                    relay: PairCode::parse(&code).map(|c| c.relay).unwrap_or_default(),
                    expires_at: expiry_text(expires),
                },
            }),
        )
    }

    /// The member's own space, shared by their devices (made when the first pairing code is).
    fn ensure_personal_space(&mut self) -> Result<Space> {
        if let Some(space) = space::space_for_group(&self.conn, PERSONAL_SCOPE)? {
            return Ok(space);
        }
        let key = EpochKey::generate().map_err(|e| Error::Random(e.to_string()))?;
        let space = Space {
            id: SpaceId(random_bytes::<16>()?),
            group_id: PERSONAL_SCOPE.to_owned(),
            naming: NamingKey::generate().map_err(|e| Error::Random(e.to_string()))?,
            epoch: 0,
            keys: [(0, key)].into_iter().collect(),
            removed: false,
            intro: None,
            anchors: vec![self.identity.signing_public()],
        };
        space::save_space(&self.conn, &space)?;
        Ok(space)
    }

    /// Records, in a fresh store made for the code's member, that this device asks to be paired.
    pub(crate) fn begin_pairing(&mut self, text: &str) -> Result<()> {
        let code = PairCode::parse(text)?;
        self.set_relay_url(Some(&code.relay))?;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        self.conn.execute(
            "INSERT INTO pairing (id, role, secret, code, state, expires, created_at)
             VALUES (?1, 'joining', ?2, ?3, 'requested', ?4, ?5)",
            params![
                pairing_id(&code.secret),
                code.secret.to_vec(),
                compact,
                code.expires,
                crate::time::now_text()
            ],
        )?;
        Ok(())
    }

    /// The pairing exchange spaces to visit on `relay`: codes this device showed (for a day, so
    /// a late request still gets its refusal) and this device's own pending request.
    pub(crate) fn pairing_exchanges(&mut self, relay: &str) -> Result<Vec<InviteExchange>> {
        let now = crate::time::now().timestamp();
        let rows: Vec<(String, Vec<u8>)> = {
            let mut stmt = self.conn.prepare(
                "SELECT role, secret FROM pairing
                 WHERE (role = 'shown' AND expires > ?1) OR (role = 'joining' AND state = 'requested')",
            )?;
            stmt.query_map([now - 24 * 3600], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for (role, secret) in rows {
            let Ok(secret) = <[u8; 32]>::try_from(secret.as_slice()) else {
                continue;
            };
            let keys = invite_keys(&secret);
            if role == "joining" {
                let message = PairMessage::Request {
                    signing: self.identity.signing_public(),
                    agreement: self.identity.agreement_public(),
                };
                self.store_pair_envelope(&secret, "request", &message)?;
            }
            let token = keys.key.token(&keys.space);
            out.push(InviteExchange {
                relay: relay.to_owned(),
                space: keys.space,
                token_hash: token.hash(),
                token,
                since: self.relay_position(relay, &keys.space)?,
                push: self.unpushed(relay, &keys.space)?,
            });
        }
        Ok(out)
    }

    /// Seals `message` into the exchange space of `secret` (once per document name).
    fn store_pair_envelope(
        &mut self,
        secret: &[u8; 32],
        doc: &str,
        message: &PairMessage,
    ) -> Result<()> {
        let keys = invite_keys(secret);
        let device = keys.naming.device_tag(&self.identity.signing_public());
        let env = Envelope::seal(
            keys.space,
            keys.naming.doc_tag(doc),
            device,
            1,
            0,
            &mutua_protocol::encode(message),
            &keys.key,
            &self.identity.signing_key(),
        )
        .map_err(|e| Error::Random(e.to_string()))?;
        self.conn.execute(
            "INSERT OR IGNORE INTO envelope (space_id, doc_tag, device_tag, seq, epoch, bytes, state, doc_id, received_at)
             VALUES (?1, ?2, ?3, 1, 0, ?4, 'applied', ?5, ?6)",
            params![
                keys.space.as_bytes().to_vec(),
                env.header().doc.as_bytes().to_vec(),
                device.as_bytes().to_vec(),
                env.to_bytes(),
                format!("pairing/{doc}"),
                crate::time::now_text()
            ],
        )?;
        Ok(())
    }

    /// Takes in what a pairing exchange space returned, if `space` is one. `None`: not a
    /// pairing space; otherwise the notices for the member.
    pub(crate) fn absorb_pairing(
        &mut self,
        space: &SpaceId,
        envelopes: &[Envelope],
    ) -> Result<Option<Vec<String>>> {
        let row: Option<(String, Vec<u8>, String, String)> = self
            .conn
            .query_row(
                "SELECT role, secret, code, state FROM pairing WHERE id = ?1",
                [hex::encode(space.as_bytes())],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        let Some((role, secret, code, state)) = row else {
            return Ok(None);
        };
        let secret = <[u8; 32]>::try_from(secret.as_slice())
            .map_err(|_| Error::DatabaseDamaged("a pairing secret is malformed".into()))?;
        let keys = invite_keys(&secret);
        let mut news = Vec::new();
        for env in envelopes {
            let Ok(plaintext) = env.decrypt_unverified(&keys.key) else {
                continue;
            };
            let Ok(message) = mutua_protocol::decode::<PairMessage>(&plaintext) else {
                continue;
            };
            match (message, role.as_str()) {
                (PairMessage::Request { signing, agreement }, "shown") => {
                    let Ok(key) = VerifyingKey::from_bytes(&signing) else {
                        continue;
                    };
                    if !env.verify(&key) || keys.naming.device_tag(&signing) != env.header().device
                    {
                        continue;
                    }
                    if let Some(notice) = self.answer_pairing(&secret, signing, agreement)? {
                        news.push(notice);
                    }
                }
                (PairMessage::Answer { to, sealed }, "joining") if state == "requested" => {
                    let Ok(code) = PairCode::parse(&code) else {
                        continue;
                    };
                    let Ok(key) = VerifyingKey::from_bytes(&code.device) else {
                        continue;
                    };
                    if to != self.identity.signing_public() || !env.verify(&key) {
                        continue;
                    }
                    let Some(opened) = crypto::open_from(
                        &self.identity.agreement_secret(),
                        space.as_bytes(),
                        &sealed,
                    ) else {
                        continue;
                    };
                    let Ok(answer) = mutua_protocol::decode::<PairAnswer>(&opened) else {
                        continue;
                    };
                    news.push(self.take_pairing_answer(space, answer)?);
                    break;
                }
                _ => {}
            }
        }
        Ok(Some(news))
    }

    /// The showing device answers a request: the first one before expiry is welcomed, any other
    /// refused. Returns a notice when something new happened.
    fn answer_pairing(
        &mut self,
        secret: &[u8; 32],
        signing: [u8; 32],
        agreement: [u8; 32],
    ) -> Result<Option<String>> {
        let id = pairing_id(secret);
        let (state, used_by, expires): (String, Option<Vec<u8>>, i64) = self.conn.query_row(
            "SELECT state, device, expires FROM pairing WHERE id = ?1",
            [&id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        if used_by.as_deref() == Some(signing.as_slice()) {
            return Ok(None); // answered already
        }
        let doc = format!("answer/{}", hex::encode(signing));
        let answered: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM envelope WHERE space_id = ?1 AND doc_id = ?2)",
            params![
                invite_keys(secret).space.as_bytes().to_vec(),
                format!("pairing/{doc}")
            ],
            |row| row.get(0),
        )?;
        if answered {
            return Ok(None);
        }
        let (answer, notice) = if state != "open" {
            (
                PairAnswer::Refused {
                    reason: "this pairing code was already used by another device; show a new one"
                        .into(),
                },
                "a second device tried a pairing code that was already used; it was refused",
            )
        } else if expires < crate::time::now().timestamp() {
            (
                PairAnswer::Refused {
                    reason: "this pairing code had expired; show a new one on your other device"
                        .into(),
                },
                "a device tried an expired pairing code; it was refused",
            )
        } else {
            self.conn.execute(
                "UPDATE pairing SET state = 'used', device = ?2 WHERE id = ?1",
                params![id, signing.to_vec()],
            )?;
            (
                self.welcome_device(signing)?,
                "a new device of yours was paired",
            )
        };
        let sealed = crypto::seal_to(
            &agreement,
            invite_keys(secret).space.as_bytes(),
            &mutua_protocol::encode(&answer),
        )?;
        self.store_pair_envelope(
            secret,
            &doc,
            &PairMessage::Answer {
                to: signing,
                sealed,
            },
        )?;
        Ok(Some(notice.to_owned()))
    }

    /// Lists a new device of this member in every group roster and its own space, and gathers
    /// everything it needs.
    fn welcome_device(&mut self, signing: [u8; 32]) -> Result<PairAnswer> {
        let mut personal = self.ensure_personal_space()?;
        if !personal.anchors.contains(&signing) {
            personal.anchors.push(signing);
        }
        space::save_space(&self.conn, &personal)?;
        let record =
            space::device_record(&self.member_id, &self.identity.agreement_public(), "paired");
        let mut spaces = vec![SpaceKeys::of(&personal, personal.anchors.clone())];
        for id in space::active_spaces(&self.conn)? {
            let Some(group) = space::load_space(&self.conn, &id)? else {
                continue;
            };
            let Scope::Group(group_id) = group.scope() else {
                continue;
            };
            let meta = DocId::GroupMeta {
                group: group_id.to_owned(),
            };
            let key = hex::encode(signing);
            self.change_doc(&meta, |tx| {
                crate::amjson::write_record(tx, DEVICES, &key, &record)
            })?;
            let mut anchors = self.anchors_for(&group)?;
            anchors.push(signing);
            spaces.push(SpaceKeys::of(&group, anchors));
        }
        Ok(PairAnswer::Welcome {
            agreement_secret: self.identity.agreement_secret(),
            spaces,
        })
    }

    /// The new device takes in its answer: the member's keys, or a refusal.
    fn take_pairing_answer(&mut self, exchange: &SpaceId, answer: PairAnswer) -> Result<String> {
        let id = hex::encode(exchange.as_bytes());
        match answer {
            PairAnswer::Refused { reason } => {
                self.conn.execute(
                    "UPDATE pairing SET state = 'refused', detail = ?2 WHERE id = ?1",
                    params![id, reason],
                )?;
                self.note_event(None, "pairing_refused", &reason)?;
                Ok(format!("pairing refused: {reason}"))
            }
            PairAnswer::Welcome {
                agreement_secret,
                spaces,
            } => {
                let identity = DeviceIdentity::from_secrets(
                    &self.identity.signing_secret(),
                    &agreement_secret,
                )?;
                let tx = self.conn.transaction()?;
                tx.execute(
                    "UPDATE device SET agreement_secret = ?1 WHERE id = 1",
                    [agreement_secret.to_vec()],
                )?;
                for keys in spaces {
                    let mut space = keys.into_space();
                    space.current_key()?;
                    if space.scope() == Scope::Personal
                        && !space.anchors.contains(&identity.signing_public())
                    {
                        space.anchors.push(identity.signing_public());
                    }
                    space::save_space(&tx, &space)?;
                }
                tx.execute("UPDATE pairing SET state = 'paired' WHERE id = ?1", [&id])?;
                tx.commit()?;
                self.identity = identity;
                Ok("this device is paired: your groups and profile arrive as it syncs".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::contacts::ContactFields;
    use crate::groups::GroupKind;
    use crate::messages::NewMessage;
    use crate::sync::tests::{FakeRelay, pair_in_person, sync, with};

    fn journal_entry(m: &mut Mutua, text: &str) {
        m.add_entry(crate::journal::EntryFields {
            text: text.into(),
            mood: Some(3),
            emotions: vec![],
            tags: vec![],
            written_at: crate::time::now(),
            time_zone: "UTC".into(),
        })
        .expect("entry");
    }

    fn contact(name: &str) -> ContactFields {
        ContactFields {
            pseudonym: name.into(),
            phone: None,
            link: None,
            note: Some("QX met at the Tuesday circle".into()),
            group_id: None,
            time_zone: "UTC".into(),
            availability: vec![],
        }
    }

    fn count(dump: &serde_json::Value, table: &str) -> usize {
        dump[table].as_array().map(Vec::len).unwrap_or(0)
    }

    /// Ana (in a group with Bea, with a journal and a contact) pairs a second device.
    fn ana_pairs(relay: &FakeRelay) -> (Mutex<Mutua>, Mutex<Mutua>, Mutex<Mutua>, String, String) {
        let (a, b, g) = pair_in_person(relay, GroupKind::MutualAid);
        let code = with(&a, |m| {
            m.set_relay_url(Some(relay_base())).expect("relay");
            journal_entry(m, "QX only mine");
            m.add_contact(contact("Rosa P.")).expect("contact");
            m.create_pairing().expect("pairing").code
        });
        assert!(code.starts_with(PREFIX));
        assert!(
            code.len() < 400,
            "short enough for a QR code: {}",
            code.len()
        );
        let a2 = Mutex::new(Mutua::ephemeral_paired(&code).expect("paired store"));
        assert!(matches!(
            with(&a2, |m| m.pairing_status().expect("status")),
            Some(PairingStatus::Waiting { .. })
        ));
        sync(relay, &a2); // the request goes out
        let report = sync(relay, &a); // answered; the new device enters the rosters
        assert!(
            report.notices.iter().any(|n| n.contains("paired")),
            "{report:?}"
        );
        let report = sync(relay, &a2); // the answer, then the member's spaces
        assert!(report.errors.is_empty(), "{report:?}");
        sync(relay, &a2);
        (a, a2, b, g, code)
    }

    fn relay_base() -> &'static str {
        "http://relay.test"
    }

    #[test]
    fn a_paired_device_gets_groups_profile_contacts_and_never_the_journal() {
        let relay = FakeRelay::default();
        let (a, a2, b, g, _code) = ana_pairs(&relay);
        let ana_id = with(&a, |m| m.member_id().to_owned());
        assert_eq!(with(&a2, |m| m.member_id().to_owned()), ana_id);
        assert_eq!(
            with(&a2, |m| m.pairing_status().expect("status")),
            Some(PairingStatus::Paired)
        );
        assert_ne!(
            with(&a2, |m| m.device().signing_public()),
            with(&a, |m| m.device().signing_public())
        );
        // One member, one agreement key: one-to-one spaces are the same on both devices.
        assert_eq!(
            with(&a2, |m| m.device().agreement_public()),
            with(&a, |m| m.device().agreement_public())
        );
        assert_eq!(
            with(&a2, |m| m.profile().expect("profile").pseudonym),
            "Ana G."
        );
        let groups = with(&a2, |m| m.groups(false).expect("groups"));
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].id, g);
        let dump = with(&a2, |m| m.projection_dump().expect("dump"));
        assert_eq!(count(&dump, "journal_entry"), 0);
        assert_eq!(with(&a2, |m| m.contacts().expect("contacts")).len(), 1);
        assert!(
            with(&a2, |m| crate::docs::doc_ids(&m.conn).expect("docs"))
                .iter()
                .all(|d| !d.is_private())
        );
        // Both devices list both devices.
        for who in [&a, &a2] {
            let devices = with(who, |m| m.member_devices().expect("devices"));
            assert_eq!(devices.len(), 2, "{devices:?}");
            assert_eq!(devices.iter().filter(|d| d.this_device).count(), 1);
        }
        // Bea accepts what the new device writes, as Ana's.
        with(&a2, |m| {
            m.send_to_group(&g, NewMessage::text("QX from my laptop"))
                .expect("send")
        });
        sync(&relay, &a2);
        let report = sync(&relay, &b);
        assert_eq!(report.rejected, 0, "{report:?}");
        let thread = with(&b, |m| m.group_conversation(&g).expect("thread"));
        let page = with(&b, |m| m.messages(&thread, None, 50).expect("page"));
        let sent = page
            .messages
            .iter()
            .find(|msg| msg.text == "QX from my laptop")
            .expect("Bea has the laptop's message");
        assert_eq!(sent.author_id, ana_id);
        // And one-to-one messages reach both of Ana's devices.
        let bea_id = with(&b, |m| m.member_id().to_owned());
        with(&a2, |m| {
            m.send_direct(&bea_id, NewMessage::text("QX hello from the laptop"))
                .expect("dm")
        });
        sync(&relay, &a2);
        sync(&relay, &a2);
        sync(&relay, &b);
        with(&b, |m| {
            m.send_direct(&ana_id, NewMessage::text("QX hello back"))
                .expect("dm")
        });
        sync(&relay, &b);
        sync(&relay, &a);
        sync(&relay, &a);
        let conv = with(&a, |m| {
            m.direct_conversation(&bea_id).expect("conversation")
        });
        let texts: Vec<String> = with(&a, |m| m.messages(&conv, None, 50).expect("page"))
            .messages
            .into_iter()
            .map(|msg| msg.text)
            .collect();
        assert!(
            texts.contains(&"QX hello from the laptop".to_owned()),
            "{texts:?}"
        );
        assert!(texts.contains(&"QX hello back".to_owned()), "{texts:?}");
        // The journal is nowhere on the relay.
        let all = relay.all_bytes();
        assert!(!all.windows(12).any(|w| w == b"QX only mine"));
    }

    #[test]
    fn a_used_or_expired_code_is_refused_and_changes_nothing() {
        let relay = FakeRelay::default();
        let (a, _a2, _b, _g, code) = ana_pairs(&relay);
        let before = with(&a, |m| m.member_devices().expect("devices"));
        // A third device with the same code.
        let a3 = Mutex::new(Mutua::ephemeral_paired(&code).expect("store"));
        sync(&relay, &a3);
        sync(&relay, &a);
        let report = sync(&relay, &a3);
        assert!(
            report.notices.iter().any(|n| n.contains("already used")),
            "{report:?}"
        );
        let Some(PairingStatus::Refused { reason }) = with(&a3, |m| m.pairing_status().expect("s"))
        else {
            panic!("the reused code must be refused");
        };
        assert!(reason.contains("already used"), "{reason}");
        assert!(with(&a3, |m| m.groups(true).expect("groups")).is_empty());
        assert!(with(&a3, |m| m.contacts().expect("contacts")).is_empty());
        assert_eq!(
            with(&a3, |m| crate::sync::space::active_spaces(&m.conn)
                .expect("s"))
            .len(),
            0
        );
        assert_eq!(with(&a, |m| m.member_devices().expect("devices")), before);

        // An expired code is refused before anything is created.
        let expired = PairCode {
            member_id: with(&a, |m| m.member_id().to_owned()),
            secret: [9; 32],
            expires: crate::time::now().timestamp() - 60,
            relay: relay_base().into(),
            device: with(&a, |m| m.device().signing_public()),
        }
        .to_text();
        let dir = tempfile::tempdir().expect("tmp");
        let err = Mutua::init_paired(
            dir.path(),
            &expired,
            crate::store::NewProtection::Passphrase("long enough"),
        )
        .expect_err("expired");
        assert!(err.to_string().contains("expired"), "{err}");
        assert!(!Mutua::exists(dir.path()));
        assert!(matches!(
            Mutua::ephemeral_paired("mutua-invite:abc"),
            Err(Error::InvitationInvalid(_))
        ));
        // A code that expires while waiting: the showing device refuses it.
        let late = with(&a, |m| m.create_pairing().expect("pairing")).code;
        let a4 = Mutex::new(Mutua::ephemeral_paired(&late).expect("store"));
        with(&a, |m| {
            m.conn
                .execute(
                    "UPDATE pairing SET expires = expires - 3600 WHERE state = 'open'",
                    [],
                )
                .expect("age")
        });
        sync(&relay, &a4);
        sync(&relay, &a);
        sync(&relay, &a4);
        assert!(matches!(
            with(&a4, |m| m.pairing_status().expect("status")),
            Some(PairingStatus::Refused { reason }) if reason.contains("expired")
        ));
        assert_eq!(with(&a, |m| m.member_devices().expect("devices")), before);
    }
}
