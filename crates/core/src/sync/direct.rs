//! One-to-one conversations travel in a *pair space* of their own, which only the two members'
//! devices can open.
//!
//! Its keys come from an X25519 agreement between the two members' agreement keys, as the
//! roster of a group they share publishes them: each side computes the same secret alone,
//! offline, with no message to send first and no third party (not the relay, not another
//! member, not a facilitator) ever holding it. We chose this over a random key sent sealed
//! through a group's space because that needs one side to be online first, two members who
//! start writing at once would make two keys to reconcile, and the group's log would show who
//! writes to whom. The cost: the key never rotates, and it rests on the roster's agreement keys
//! (as a group's key changes already do). All devices of one member share its agreement key (a
//! new device receives it when it is paired, see [`super::pairing`]), so every device of either
//! member derives the same space.
//!
//! A device syncs the pair space of every member it shares a group with, so a message can
//! arrive before its recipient ever wrote back. Who may write into a pair space: the devices
//! the group rosters attribute to either member.

use std::collections::{BTreeMap, HashMap};

use automerge::Automerge;
use hkdf::Hkdf;
use mutua_protocol::{DeviceTag, EpochKey, NamingKey, SpaceId};
use rusqlite::params;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::amjson;
use crate::error::Result;
use crate::ids::{DocId, pair_id};
use crate::store::Mutua;
use crate::sync::space::{
    self, DEVICES, PAIR_SCOPE_PREFIX, PERSONAL_SCOPE, RosterDevice, Scope, Space, hex32, pair_scope,
};

/// A device a group roster lists, with the member it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct MemberDevice {
    pub member_id: String,
    pub signing: [u8; 32],
    pub agreement: [u8; 32],
    pub via: String,
    pub added_at: String,
}

/// Every device record of a group's roster.
pub(crate) fn roster_members(doc: &Automerge) -> Vec<MemberDevice> {
    amjson::record_keys(doc, DEVICES)
        .into_iter()
        .filter_map(|key| {
            let record = amjson::read_record(doc, DEVICES, &key)?;
            Some(MemberDevice {
                member_id: record["member_id"].as_str()?.to_owned(),
                signing: hex32(&key)?,
                agreement: record["agreement"].as_str().and_then(hex32)?,
                via: record["via"].as_str().unwrap_or_default().to_owned(),
                added_at: record["added_at"].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// The pair space of two members, from one's agreement secret and the other's public key.
/// `None` if the public key is degenerate (a low-order point gives no shared secret).
pub(crate) fn pair_space(
    own_secret: &[u8; 32],
    peer_public: &[u8; 32],
    pair: &str,
) -> Option<Space> {
    let shared = StaticSecret::from(*own_secret).diffie_hellman(&PublicKey::from(*peer_public));
    if !shared.was_contributory() {
        return None;
    }
    let hk = Hkdf::<Sha256>::new(Some(b"mutua/v1/direct"), shared.as_bytes());
    let mut id = [0u8; 16];
    let mut naming = [0u8; 32];
    let mut key = [0u8; 32];
    hk.expand_multi_info(&[b"space/", pair.as_bytes()], &mut id)
        .ok()?;
    hk.expand_multi_info(&[b"naming/", pair.as_bytes()], &mut naming)
        .ok()?;
    hk.expand_multi_info(&[b"key/", pair.as_bytes()], &mut key)
        .ok()?;
    Some(Space {
        id: SpaceId(id),
        group_id: pair_scope(pair),
        naming: NamingKey::from_bytes(naming),
        epoch: 0,
        keys: [(0, EpochKey::from_bytes(key))].into_iter().collect(),
        removed: false,
        intro: None,
        anchors: Vec::new(),
    })
}

impl Mutua {
    /// The space a conversation travels in, once this device syncs it (diagnostics and tests):
    /// the group's space, or the pair space of a one-to-one conversation.
    pub fn space_of_conversation(
        &self,
        conversation: &crate::messages::Conversation,
    ) -> Result<Option<SpaceId>> {
        let scope = match conversation {
            crate::messages::Conversation::Group(group) => group.clone(),
            crate::messages::Conversation::Direct(pair) => pair_scope(pair),
        };
        Ok(space::space_for_group(&self.conn, &scope)?.map(|s| s.id))
    }

    /// The devices listed in the rosters of the groups this device syncs.
    pub(crate) fn roster_devices(&mut self) -> Result<Vec<MemberDevice>> {
        let groups: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT group_id FROM space
                 WHERE removed = 0 AND group_id != ?1 AND substr(group_id, 1, 3) != ?2
                 ORDER BY created_at",
            )?;
            stmt.query_map(params![PERSONAL_SCOPE, PAIR_SCOPE_PREFIX], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for group in groups {
            out.extend(self.read_doc(&DocId::GroupMeta { group }, roster_members)?);
        }
        Ok(out)
    }

    /// Makes the pair space with every member this member shares a group with, if it is not
    /// there yet (called at the start of each sync round).
    pub(crate) fn ensure_pair_spaces(&mut self) -> Result<()> {
        let devices = self.roster_devices()?;
        let peers = self.peer_agreement_keys(&devices)?;
        let secret = self.identity.agreement_secret();
        for (peer, public) in peers {
            let pair = pair_id(&self.member_id, &peer);
            let exists: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM space WHERE group_id = ?1)",
                [pair_scope(&pair)],
                |row| row.get(0),
            )?;
            if exists {
                continue;
            }
            if let Some(space) = pair_space(&secret, &public, &pair) {
                space::save_space(&self.conn, &space)?;
            }
        }
        Ok(())
    }

    /// Each other member's agreement key: the one of the device their member record names
    /// (the device they joined with), else the smallest their devices list — one member's
    /// devices share one agreement key, so this only matters for a damaged roster.
    fn peer_agreement_keys(&self, devices: &[MemberDevice]) -> Result<BTreeMap<String, [u8; 32]>> {
        let mut out: BTreeMap<String, [u8; 32]> = BTreeMap::new();
        for d in devices.iter().filter(|d| d.member_id != self.member_id) {
            out.entry(d.member_id.clone())
                .and_modify(|k| *k = (*k).min(d.agreement))
                .or_insert(d.agreement);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT member_id, signing_key FROM group_member
             WHERE member_id != ?1 AND signing_key IS NOT NULL",
        )?;
        let named: Vec<(String, String)> = stmt
            .query_map([&self.member_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (member, signing) in named {
            if let Some(d) = devices
                .iter()
                .find(|d| d.member_id == member && hex32(&signing) == Some(d.signing))
            {
                out.insert(member, d.agreement);
            }
        }
        Ok(out)
    }

    /// Who may write to a pair space (the devices of its two members) or to the member's own
    /// space (their own devices, and those the pairing named), as the group rosters say.
    pub(crate) fn member_roster(
        &mut self,
        space: &Space,
    ) -> Result<HashMap<DeviceTag, RosterDevice>> {
        let me = self.member_id.clone();
        let belongs = |member: &str| match space.scope() {
            Scope::Pair(pair) => member == me || pair_id(&me, member) == pair,
            Scope::Personal => member == me,
            Scope::Group(_) => false,
        };
        let mut out = HashMap::new();
        for d in self.roster_devices()? {
            if belongs(&d.member_id) {
                out.insert(
                    space.naming.device_tag(&d.signing),
                    RosterDevice {
                        signing: d.signing,
                        agreement: d.agreement,
                        removed_epoch: None,
                    },
                );
            }
        }
        if space.scope() == Scope::Personal {
            for anchor in &space.anchors {
                out.entry(space.naming.device_tag(anchor))
                    .or_insert(RosterDevice {
                        signing: *anchor,
                        agreement: [0; 32],
                        removed_epoch: None,
                    });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::messages::{Conversation, NewMessage};
    use crate::sync::tests::{FakeRelay, member, pair_in_person, sync, with};
    use crate::sync::{InviteMode, Joined};

    /// Ana and Bea share a group (through the fake relay); Cai joins it too.
    fn three(relay: &FakeRelay) -> (Mutex<Mutua>, Mutex<Mutua>, Mutex<Mutua>, String) {
        let (a, b, g) = pair_in_person(relay, crate::groups::GroupKind::MutualAid);
        let c = member("Cai L.");
        let code = with(&a, |m| {
            m.create_invite(&g, InviteMode::InPerson).expect("invite")
        })
        .code;
        let joined = with(&c, |m| m.accept_invite(&code).expect("accept"));
        assert!(matches!(joined, Joined::Joined { .. }));
        for who in [&c, &a, &b, &c] {
            sync(relay, who);
        }
        (a, b, c, g)
    }

    fn space_ids(who: &Mutex<Mutua>) -> Vec<(SpaceId, String)> {
        with(who, |m| {
            let mut stmt = m.conn.prepare("SELECT id, group_id FROM space").expect("q");
            stmt.query_map([], |r| {
                Ok((
                    SpaceId::from_slice(&r.get::<_, Vec<u8>>(0)?).expect("id"),
                    r.get(1)?,
                ))
            })
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("collect")
        })
    }

    #[test]
    fn both_members_derive_the_same_pair_space_and_nobody_else_can() {
        let a = crate::identity::DeviceIdentity::generate().expect("a");
        let b = crate::identity::DeviceIdentity::generate().expect("b");
        let c = crate::identity::DeviceIdentity::generate().expect("c");
        let pair = pair_id("aaaa", "bbbb");
        let ab = pair_space(&a.agreement_secret(), &b.agreement_public(), &pair).expect("ab");
        let ba = pair_space(&b.agreement_secret(), &a.agreement_public(), &pair).expect("ba");
        assert_eq!(ab.id, ba.id);
        assert_eq!(ab.naming.as_bytes(), ba.naming.as_bytes());
        assert_eq!(
            ab.current_key().expect("k").as_bytes(),
            ba.current_key().expect("k").as_bytes()
        );
        // Cai knows both public keys but holds neither secret.
        let ca = pair_space(&c.agreement_secret(), &a.agreement_public(), &pair).expect("ca");
        assert_ne!(ca.id, ab.id);
        assert_ne!(
            ca.current_key().expect("k").as_bytes(),
            ab.current_key().expect("k").as_bytes()
        );
        // A degenerate public key gives nothing rather than a guessable key.
        assert!(pair_space(&a.agreement_secret(), &[0u8; 32], &pair).is_none());
    }

    #[test]
    fn a_direct_message_reaches_only_its_two_members() {
        let relay = FakeRelay::default();
        let (a, b, c, _g) = three(&relay);
        let bea = with(&b, |m| m.member_id().to_owned());
        let sent = with(&a, |m| {
            m.send_direct(&bea, NewMessage::text("QX just between us"))
                .expect("send")
        });
        let Conversation::Direct(pair) = sent.conversation.clone() else {
            panic!("not a direct conversation: {:?}", sent.conversation);
        };
        let report = sync(&relay, &a);
        assert!(report.errors.is_empty(), "{report:?}");
        sync(&relay, &b);
        sync(&relay, &c);

        // Bea has it, unread, in the conversation with Ana.
        let inbox = with(&b, |m| m.conversations().expect("inbox"));
        let dm = inbox
            .iter()
            .find(|s| s.conversation == sent.conversation)
            .expect("Bea sees the conversation");
        assert_eq!(dm.unread, 1);
        assert_eq!(dm.title, "Ana G.");
        let page = with(&b, |m| {
            m.messages(&sent.conversation, None, 20).expect("page")
        });
        assert_eq!(page.messages.len(), 1);
        assert_eq!(page.messages[0].text, "QX just between us");

        // Bea answers; Ana reads it after the next round.
        let ana = with(&a, |m| m.member_id().to_owned());
        with(&b, |m| {
            m.send_direct(&ana, NewMessage::text("QX thank you"))
                .expect("reply")
        });
        sync(&relay, &b);
        sync(&relay, &a);
        let page = with(&a, |m| {
            m.messages(&sent.conversation, None, 20).expect("page")
        });
        assert_eq!(page.messages.len(), 2);

        // The pair's documents went into the pair space, never into the group space.
        let pair_space_id = space_ids(&a)
            .into_iter()
            .find(|(_, scope)| *scope == pair_scope(&pair))
            .expect("pair space")
            .0;
        let docs_by_space: Vec<(SpaceId, String)> = with(&a, |m| {
            let mut stmt = m
                .conn
                .prepare("SELECT DISTINCT space_id, doc_id FROM envelope WHERE doc_id LIKE 'dm/%'")
                .expect("q");
            stmt.query_map([], |r| {
                Ok((
                    SpaceId::from_slice(&r.get::<_, Vec<u8>>(0)?).expect("id"),
                    r.get(1)?,
                ))
            })
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("collect")
        });
        assert!(!docs_by_space.is_empty());
        assert!(
            docs_by_space.iter().all(|(s, _)| *s == pair_space_id),
            "{docs_by_space:?}"
        );

        // Cai shares the group but not the pair: no such space, no such conversation, and none
        // of the keys Cai holds opens anything of the pair space on the relay.
        assert!(space_ids(&c).iter().all(|(id, _)| *id != pair_space_id));
        let cai_inbox = with(&c, |m| m.conversations().expect("inbox"));
        assert!(
            cai_inbox
                .iter()
                .all(|s| s.conversation != sent.conversation)
        );
        let cai_keys: Vec<EpochKey> = with(&c, |m| {
            space::active_spaces(&m.conn)
                .expect("spaces")
                .iter()
                .filter_map(|id| space::load_space(&m.conn, id).expect("load"))
                .flat_map(|s| s.keys.into_values())
                .collect()
        });
        assert!(!cai_keys.is_empty());
        let stored = relay.spaces.lock().expect("lock");
        let pair_envelopes = &stored.get(&pair_space_id).expect("on the relay").envelopes;
        assert!(pair_envelopes.len() >= 2);
        for env in pair_envelopes {
            for key in &cai_keys {
                assert!(env.decrypt_unverified(key).is_err());
            }
        }
        drop(stored);
        // And nothing on the relay is plaintext.
        let all = relay.all_bytes();
        for secret in ["QX just between us", "QX thank you"] {
            assert!(!all.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    #[test]
    fn an_envelope_from_a_third_member_is_never_applied_in_a_pair_space() {
        let relay = FakeRelay::default();
        let (a, b, c, _g) = three(&relay);
        let bea = with(&b, |m| m.member_id().to_owned());
        let ana = with(&a, |m| m.member_id().to_owned());
        // Cai somehow holds the pair's key (say, a leaked backup) and writes as himself.
        let pair = pair_id(&ana, &bea);
        let space = with(&a, |m| {
            m.ensure_pair_spaces().expect("spaces");
            space::space_for_group(&m.conn, &pair_scope(&pair))
                .expect("load")
                .expect("pair space")
        });
        with(&c, |m| {
            space::save_space(&m.conn, &space).expect("save");
            // A stand-in for a forged conversation document in the pair.
            let doc = DocId::Direct {
                pair: pair.clone(),
                month: crate::ids::Month::of(crate::time::now()).expect("month"),
            };
            m.change_doc(&doc, |tx| {
                amjson::write_record(
                    tx,
                    "message",
                    "x",
                    &serde_json::json!({"text": "QX forged"}),
                )
            })
            .expect("write");
        });
        sync(&relay, &c);
        let report = sync(&relay, &b);
        // Bea cannot tell whose it is, so it is held (counted, never applied).
        assert!(report.held >= 1, "{report:?}");
        let docs = with(&b, |m| crate::docs::doc_ids(&m.conn).expect("docs"));
        assert!(
            docs.iter().all(|d| !matches!(d, DocId::Direct { .. })),
            "{docs:?}"
        );
    }
}
