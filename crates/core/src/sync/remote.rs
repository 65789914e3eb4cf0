//! The remote-invitation exchange through a small invitation space on the relay (see
//! [`super::invite`]): a joiner's signed request, a facilitator's sealed answer.

use ed25519_dalek::VerifyingKey;
use mutua_protocol::{Envelope, EpochKey, NamingKey, SpaceId};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::groups::Admission;
use crate::store::Mutua;
use crate::sync::crypto;
use crate::sync::invite::{Code, invite_keys};
use crate::sync::space::{self, Space};

#[derive(Debug, Serialize, Deserialize)]
enum InviteMessage {
    Request {
        member_id: String,
        pseudonym: String,
        signing: [u8; 32],
        agreement: [u8; 32],
    },
    Answer {
        member_id: String,
        sealed: Vec<u8>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Welcome {
        group_id: String,
        group_name: String,
        space: SpaceId,
        naming: [u8; 32],
        epoch: u32,
        keys: Vec<(u32, [u8; 32])>,
        anchors: Vec<[u8; 32]>,
    },
    Declined,
}

/// An invitation this device knows the secret of: its id, the secret, and the code if this
/// device is the one asking to join.
type InviteSecret = (String, [u8; 32], Option<Code>);

/// group, secret, expiry, pseudonym, signing key, agreement key, member id, state.
type RequestRow = (
    String,
    Vec<u8>,
    String,
    String,
    Vec<u8>,
    Vec<u8>,
    String,
    String,
);

/// One invitation space to exchange with the relay.
#[derive(Debug, Clone)]
pub struct InviteExchange {
    pub relay: String,
    pub space: SpaceId,
    pub token: mutua_protocol::Token,
    pub token_hash: mutua_protocol::TokenHash,
    pub since: Option<u64>,
    pub push: Vec<Envelope>,
}

impl Mutua {
    /// The invitation spaces this device must visit on `relay`: its own remote invitations that
    /// have not expired, its own pending requests to join, and pairing exchanges
    /// ([`super::pairing`]).
    pub fn invite_exchanges(&mut self, relay: &str) -> Result<Vec<InviteExchange>> {
        let now = crate::time::now_text();
        let mut secrets: Vec<[u8; 32]> = Vec::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT secret FROM invitation WHERE mode = 'remote' AND expires_at > ?1",
            )?;
            for s in stmt.query_map([&now], |row| row.get::<_, Vec<u8>>(0))? {
                if let Ok(s) = <[u8; 32]>::try_from(s?.as_slice()) {
                    secrets.push(s);
                }
            }
        }
        let requests: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT code FROM joining WHERE state = 'requested'")?;
            stmt.query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        for text in &requests {
            if let Ok(Code::Remote {
                secret,
                expires,
                invite,
                ..
            }) = Code::parse(text)
            {
                if expires < crate::time::now().timestamp() {
                    self.conn.execute(
                        "UPDATE joining SET state = 'expired' WHERE invite_id = ?1",
                        [&invite],
                    )?;
                    continue;
                }
                self.ensure_request_sealed(&secret)?;
                secrets.push(secret);
            }
        }
        let mut out = self.pairing_exchanges(relay)?;
        for secret in secrets {
            let keys = invite_keys(&secret);
            let push = self.unpushed(relay, &keys.space)?;
            let since = self.relay_position(relay, &keys.space)?;
            let token = keys.key.token(&keys.space);
            out.push(InviteExchange {
                relay: relay.to_owned(),
                space: keys.space,
                token_hash: token.hash(),
                token,
                since,
                push,
            });
        }
        Ok(out)
    }

    /// The exchanges that, after this round's first pass, hold something new to send: an
    /// approval or a pairing answer made while absorbing. Sending them in the same round saves
    /// the other side a whole round of waiting.
    pub fn invite_answers_to_send(&mut self, relay: &str) -> Result<Vec<InviteExchange>> {
        Ok(self
            .invite_exchanges(relay)?
            .into_iter()
            .filter(|ex| !ex.push.is_empty())
            .collect())
    }

    /// Seals this device's request into its invitation space (once).
    fn ensure_request_sealed(&mut self, secret: &[u8; 32]) -> Result<()> {
        let keys = invite_keys(secret);
        let device = keys.naming.device_tag(&self.identity.signing_public());
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM envelope WHERE space_id = ?1 AND device_tag = ?2)",
            params![keys.space.as_bytes().to_vec(), device.as_bytes().to_vec()],
            |row| row.get(0),
        )?;
        if exists {
            return Ok(());
        }
        let message = InviteMessage::Request {
            member_id: self.member_id.clone(),
            pseudonym: self.profile()?.pseudonym,
            signing: self.identity.signing_public(),
            agreement: self.identity.agreement_public(),
        };
        let doc = format!("request/{}", self.member_id);
        self.store_invite_envelope(&keys.space, &keys.naming, &keys.key, &doc, &message)
    }

    fn store_invite_envelope(
        &mut self,
        space: &SpaceId,
        naming: &NamingKey,
        key: &EpochKey,
        doc: &str,
        message: &InviteMessage,
    ) -> Result<()> {
        let env = Envelope::seal(
            *space,
            naming.doc_tag(doc),
            naming.device_tag(&self.identity.signing_public()),
            1,
            0,
            &mutua_protocol::encode(message),
            key,
            &self.identity.signing_key(),
        )
        .map_err(|e| Error::Random(e.to_string()))?;
        self.conn.execute(
            "INSERT OR IGNORE INTO envelope (space_id, doc_tag, device_tag, seq, epoch, bytes, state, doc_id, received_at)
             VALUES (?1, ?2, ?3, 1, 0, ?4, 'applied', ?5, ?6)",
            params![
                space.as_bytes().to_vec(),
                env.header().doc.as_bytes().to_vec(),
                env.header().device.as_bytes().to_vec(),
                env.to_bytes(),
                doc,
                crate::time::now_text()
            ],
        )?;
        Ok(())
    }

    /// Takes in what an invitation space returned: requests (for the inviter) or answers (for
    /// the joiner). Returns a message for the member when something they wait for happened.
    pub fn absorb_invite(
        &mut self,
        exchange: &InviteExchange,
        envelopes: &[Envelope],
        position: u64,
    ) -> Result<Vec<String>> {
        let pushed: Vec<_> = exchange.push.iter().map(|e| *e.header()).collect();
        self.mark_pushed(&exchange.relay, &exchange.space, &pushed)?;
        self.set_relay_position(&exchange.relay, &exchange.space, position)?;
        if let Some(news) = self.absorb_pairing(&exchange.space, envelopes)? {
            return Ok(news);
        }
        let mut news = Vec::new();
        // Which secret is this space's? Look through our invitations and requests.
        let mine = self.invite_secret_for(&exchange.space)?;
        let Some((invite_id, secret, code)) = mine else {
            return Ok(news);
        };
        let keys = invite_keys(&secret);
        for env in envelopes {
            let Ok(plaintext) = env.decrypt_unverified(&keys.key) else {
                continue;
            };
            let Ok(message) = mutua_protocol::decode::<InviteMessage>(&plaintext) else {
                continue;
            };
            match (message, &code) {
                (
                    InviteMessage::Request {
                        member_id,
                        pseudonym,
                        signing,
                        agreement,
                    },
                    None,
                ) => {
                    let Ok(key) = VerifyingKey::from_bytes(&signing) else {
                        continue;
                    };
                    if !env.verify(&key) || keys.naming.device_tag(&signing) != env.header().device
                    {
                        continue;
                    }
                    let Ok(pseudonym) = crate::profile::check_pseudonym(&pseudonym) else {
                        continue;
                    };
                    let new = self.conn.execute(
                        "INSERT OR IGNORE INTO join_request (invite_id, member_id, pseudonym, signing, agreement, state, received_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
                        params![invite_id, member_id, pseudonym, signing.to_vec(), agreement.to_vec(), crate::time::now_text()],
                    )?;
                    if new > 0 {
                        let group_id: String = self.conn.query_row(
                            "SELECT group_id FROM invitation WHERE id = ?1",
                            [&invite_id],
                            |row| row.get(0),
                        )?;
                        let open = self
                            .find_group(&group_id)
                            .map(|g| g.fields.admission == Admission::Open)
                            .unwrap_or(false);
                        if open && self.auto_approve()? {
                            self.approve_join(&invite_id, &member_id)?;
                            news.push(format!(
                                "{pseudonym} joined (open group, approved automatically)"
                            ));
                        } else {
                            news.push(format!("{pseudonym} asks to join"));
                        }
                    }
                }
                (
                    InviteMessage::Answer { member_id, sealed },
                    Some(Code::Remote {
                        inviter,
                        group_name,
                        ..
                    }),
                ) => {
                    if member_id != self.member_id {
                        continue;
                    }
                    let Ok(key) = VerifyingKey::from_bytes(inviter) else {
                        continue;
                    };
                    if !env.verify(&key) {
                        continue;
                    }
                    let Some(answer) = crypto::open_from(
                        &self.identity.agreement_secret(),
                        exchange.space.as_bytes(),
                        &sealed,
                    ) else {
                        continue;
                    };
                    match mutua_protocol::decode::<Answer>(&answer) {
                        Ok(Answer::Welcome {
                            group_id,
                            group_name,
                            space,
                            naming,
                            epoch,
                            keys,
                            anchors,
                        }) => {
                            let space = Space {
                                id: space,
                                group_id: group_id.clone(),
                                naming: NamingKey::from_bytes(naming),
                                epoch,
                                keys: keys
                                    .into_iter()
                                    .map(|(e, k)| (e, EpochKey::from_bytes(k)))
                                    .collect(),
                                removed: false,
                                intro: None,
                                anchors,
                            };
                            space.current_key()?;
                            space::save_space(&self.conn, &space)?;
                            self.conn.execute(
                                "UPDATE joining SET state = 'joined' WHERE invite_id = ?1",
                                [&invite_id],
                            )?;
                            news.push(format!("you joined \"{group_name}\""));
                        }
                        Ok(Answer::Declined) => {
                            self.conn.execute(
                                "UPDATE joining SET state = 'declined' WHERE invite_id = ?1",
                                [&invite_id],
                            )?;
                            news.push(format!(
                                "your request to join \"{group_name}\" was declined"
                            ));
                        }
                        Err(_) => {}
                    }
                }
                _ => {}
            }
        }
        Ok(news)
    }

    fn invite_secret_for(&self, space: &SpaceId) -> Result<Option<InviteSecret>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, secret FROM invitation WHERE mode = 'remote'")?;
        let rows: Vec<(String, Vec<u8>)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, secret) in rows {
            if let Ok(secret) = <[u8; 32]>::try_from(secret.as_slice())
                && invite_keys(&secret).space == *space
            {
                return Ok(Some((id, secret, None)));
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT invite_id, code FROM joining WHERE code != ''")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, text) in rows {
            if let Ok(code @ Code::Remote { secret, .. }) = Code::parse(&text)
                && invite_keys(&secret).space == *space
            {
                return Ok(Some((id, secret, Some(code))));
            }
        }
        Ok(None)
    }

    /// Approves a request to join: the member goes into the roster, and the group's keys go to
    /// their device, sealed so only it can open them.
    pub fn approve_join(&mut self, invite_id: &str, member: &str) -> Result<()> {
        self.answer_join(invite_id, member, true)
    }

    pub fn decline_join(&mut self, invite_id: &str, member: &str) -> Result<()> {
        self.answer_join(invite_id, member, false)
    }

    fn answer_join(&mut self, invite_id: &str, member: &str, approve: bool) -> Result<()> {
        let row: Option<RequestRow> = self
            .conn
            .query_row(
                "SELECT i.group_id, i.secret, i.expires_at, r.pseudonym, r.signing, r.agreement, r.member_id, r.state
                 FROM join_request r JOIN invitation i ON i.id = r.invite_id
                 WHERE r.invite_id LIKE ?1 || '%' AND (r.member_id LIKE ?2 || '%' OR r.pseudonym = ?2)",
                params![invite_id, member],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((group_id, secret, expires_at, pseudonym, signing, agreement, member_id, state)) =
            row
        else {
            return Err(Error::NotFound {
                kind: "join request",
                query: member.into(),
            });
        };
        if state != "pending" {
            return Err(Error::invalid(format!("this request was already {state}")));
        }
        if expires_at < crate::time::now_text() {
            return Err(Error::InvitationExpired);
        }
        let closed = self
            .find_group(&group_id)
            .map(|g| g.fields.admission == Admission::Closed)
            .unwrap_or(true);
        if closed && !self.can_facilitate(&group_id)? {
            return Err(Error::NotAllowed(
                "only a facilitator or co-host can approve requests to join this closed group"
                    .into(),
            ));
        }
        let (Ok(secret), Ok(signing), Ok(agreement)) = (
            <[u8; 32]>::try_from(secret.as_slice()),
            <[u8; 32]>::try_from(signing.as_slice()),
            <[u8; 32]>::try_from(agreement.as_slice()),
        ) else {
            return Err(Error::DatabaseDamaged("a join request is malformed".into()));
        };
        let keys = invite_keys(&secret);
        let answer = if approve {
            let space = self.ensure_space(&group_id)?;
            let group = self.find_group(&group_id)?;
            self.add_member_device(&group_id, &member_id, &pseudonym, &signing, &agreement)?;
            Answer::Welcome {
                group_id: group_id.clone(),
                group_name: group.fields.name,
                space: space.id,
                naming: *space.naming.as_bytes(),
                epoch: space.epoch,
                keys: space
                    .keys
                    .iter()
                    .map(|(e, k)| (*e, *k.as_bytes()))
                    .collect(),
                anchors: self.anchors_for(&space)?,
            }
        } else {
            Answer::Declined
        };
        let sealed = crypto::seal_to(
            &agreement,
            keys.space.as_bytes(),
            &mutua_protocol::encode(&answer),
        )?;
        let message = InviteMessage::Answer {
            member_id: member_id.clone(),
            sealed,
        };
        self.store_invite_envelope(
            &keys.space,
            &keys.naming,
            &keys.key,
            &format!("answer/{member_id}"),
            &message,
        )?;
        self.conn.execute(
            "UPDATE join_request SET state = ?3 WHERE invite_id = ?1 AND member_id = ?2",
            params![
                invite_id,
                member_id,
                if approve { "approved" } else { "declined" }
            ],
        )?;
        Ok(())
    }

    /// Whether open groups approve remote requests without asking (on by default).
    pub fn auto_approve(&self) -> Result<bool> {
        Ok(
            crate::sync::tables::setting(&self.conn, "auto_approve_open")?.as_deref()
                != Some("off"),
        )
    }

    pub fn set_auto_approve(&self, on: bool) -> Result<()> {
        crate::sync::tables::set_setting(
            &self.conn,
            "auto_approve_open",
            Some(if on { "on" } else { "off" }),
        )
    }
}
