//! Sync logic against an in-memory relay with the protocol's rules. The real relay, as a real
//! process over HTTP on SQLite and PostgreSQL, is exercised by the cross-crate tests in tests/.

use std::collections::HashMap;
use std::sync::Mutex;

use mutua_protocol::{
    Envelope, ErrorCode, Rekey, Rekeys, SpaceId, SpaceInfo, SyncRequest, SyncResponse, Token,
    TokenHash, WaitRequest, WaitResponse,
};

use crate::error::Error;
use crate::groups::{Admission, GroupFields, GroupKind};
use crate::store::Mutua;
use crate::sync::client::{RelayError, Transport};
use crate::sync::driver::sync_once;
use crate::sync::{InviteMode, Joined};

#[derive(Default)]
pub(super) struct FakeSpace {
    epoch: u32,
    tokens: Vec<(u32, TokenHash)>,
    pub(super) envelopes: Vec<Envelope>,
    rekeys: Vec<Rekey>,
}

#[derive(Default)]
pub(super) struct FakeRelay {
    pub(super) spaces: Mutex<HashMap<SpaceId, FakeSpace>>,
}

fn refuse(code: ErrorCode, epoch: Option<u32>) -> RelayError {
    RelayError::Refused {
        status: code.status(),
        code,
        message: format!("{code:?}"),
        retry_after: None,
        epoch,
    }
}

impl FakeSpace {
    fn auth(&self, token: &Token) -> Result<(), RelayError> {
        let hash = token.hash();
        match self.tokens.iter().find(|(_, h)| *h == hash) {
            Some((e, _)) if *e == self.epoch => Ok(()),
            Some(_) => Err(refuse(ErrorCode::TokenRevoked, Some(self.epoch))),
            None => Err(refuse(ErrorCode::Unauthorized, None)),
        }
    }
}

impl FakeRelay {
    /// Flips one ciphertext byte of every stored envelope `pick` selects.
    fn tamper(&self, pick: impl Fn(usize) -> bool) {
        let mut spaces = self.spaces.lock().expect("lock");
        for space in spaces.values_mut() {
            for (i, env) in space.envelopes.iter_mut().enumerate() {
                if pick(i) {
                    let mut bytes = env.to_bytes();
                    let at = bytes.len() - 70;
                    bytes[at] ^= 0x20;
                    *env = Envelope::from_bytes(&bytes).expect("still decodes");
                }
            }
        }
    }

    pub(super) fn all_bytes(&self) -> Vec<u8> {
        let spaces = self.spaces.lock().expect("lock");
        let mut out = Vec::new();
        for s in spaces.values() {
            for e in &s.envelopes {
                out.extend(e.to_bytes());
            }
            for r in &s.rekeys {
                out.extend(&r.sealed);
            }
        }
        out
    }
}

impl Transport for FakeRelay {
    fn base(&self) -> &str {
        "http://relay.test"
    }

    fn open_space(
        &self,
        space: &SpaceId,
        token: &Token,
        epoch: u32,
    ) -> Result<SpaceInfo, RelayError> {
        let mut spaces = self.spaces.lock().expect("lock");
        let s = spaces.entry(*space).or_insert_with(|| FakeSpace {
            epoch,
            tokens: vec![(epoch, token.hash())],
            ..Default::default()
        });
        s.auth(token)?;
        Ok(SpaceInfo {
            epoch: s.epoch,
            position: s.envelopes.len() as u64,
            used_bytes: 0,
            quota_bytes: u64::MAX,
        })
    }

    fn sync(
        &self,
        space: &SpaceId,
        token: &Token,
        req: &SyncRequest,
    ) -> Result<SyncResponse, RelayError> {
        let mut spaces = self.spaces.lock().expect("lock");
        let s = spaces
            .get_mut(space)
            .ok_or(refuse(ErrorCode::NotFound, None))?;
        s.auth(token)?;
        let key = |e: &Envelope| (e.header().doc, e.header().device, e.header().seq);
        let mut stored = 0;
        for env in &req.push {
            if env.header().epoch > s.epoch || env.header().space != *space {
                return Err(refuse(ErrorCode::BadRequest, None));
            }
            if !s.envelopes.iter().any(|e| key(e) == key(env)) {
                s.envelopes.push(env.clone());
                stored += 1;
            }
        }
        let pushed: Vec<_> = req.push.iter().map(key).collect();
        // Pages of 50 at most, fewer if the device asks (as the real relay does).
        let page = match req.limit {
            0 => 50,
            n => (n as usize).min(50),
        };
        let mut out = Vec::new();
        let mut position = s.envelopes.len() as u64;
        let mut more = false;
        for (i, env) in s.envelopes.iter().enumerate() {
            let pos = i as u64 + 1;
            let wanted = match req.since {
                Some(since) => pos > since,
                None => !req.have.iter().any(|h| {
                    h.doc == env.header().doc
                        && h.device == env.header().device
                        && h.seq >= env.header().seq
                }),
            };
            if wanted && !pushed.contains(&key(env)) {
                if out.len() == page {
                    more = true;
                    position = pos - 1;
                    break;
                }
                out.push(env.clone());
            }
        }
        let vector = req.want_vector.then(|| {
            let mut v: Vec<mutua_protocol::HaveEntry> = Vec::new();
            for e in &s.envelopes {
                let h = e.header();
                match v
                    .iter_mut()
                    .find(|x| x.doc == h.doc && x.device == h.device)
                {
                    Some(x) => x.seq = x.seq.max(h.seq),
                    None => v.push(mutua_protocol::HaveEntry {
                        doc: h.doc,
                        device: h.device,
                        seq: h.seq,
                    }),
                }
            }
            v
        });
        Ok(SyncResponse {
            stored,
            envelopes: out,
            more,
            position,
            vector,
        })
    }

    fn rekey(
        &self,
        space: &SpaceId,
        token: &Token,
        rekey: &Rekey,
    ) -> Result<SpaceInfo, RelayError> {
        let mut spaces = self.spaces.lock().expect("lock");
        let s = spaces
            .get_mut(space)
            .ok_or(refuse(ErrorCode::NotFound, None))?;
        s.auth(token)?;
        if rekey.epoch != s.epoch + 1 {
            return Err(refuse(ErrorCode::Conflict, Some(s.epoch)));
        }
        s.epoch = rekey.epoch;
        s.tokens.push((rekey.epoch, rekey.token_hash));
        s.rekeys.push(rekey.clone());
        Ok(SpaceInfo {
            epoch: s.epoch,
            position: s.envelopes.len() as u64,
            used_bytes: 0,
            quota_bytes: u64::MAX,
        })
    }

    fn rekeys(&self, space: &SpaceId, token: &Token, after: u32) -> Result<Rekeys, RelayError> {
        let spaces = self.spaces.lock().expect("lock");
        let s = spaces.get(space).ok_or(refuse(ErrorCode::NotFound, None))?;
        if !s.tokens.iter().any(|(_, h)| *h == token.hash()) {
            return Err(refuse(ErrorCode::Unauthorized, None));
        }
        Ok(Rekeys {
            rekeys: s
                .rekeys
                .iter()
                .filter(|r| r.epoch > after)
                .cloned()
                .collect(),
        })
    }

    /// Answers at once (nothing else writes while a test waits): the spaces that moved past
    /// the position named, as the real relay does.
    fn wait(&self, request: &WaitRequest) -> Result<WaitResponse, RelayError> {
        let spaces = self.spaces.lock().expect("lock");
        let mut changed = Vec::new();
        for w in &request.spaces {
            let s = spaces
                .get(&w.space)
                .ok_or(refuse(ErrorCode::NotFound, None))?;
            s.auth(&w.token)?;
            let position = s.envelopes.len() as u64;
            if position > w.since {
                changed.push((w.space, position));
            }
        }
        Ok(WaitResponse { changed })
    }
}

pub(super) fn member(name: &str) -> Mutex<Mutua> {
    Mutex::new(Mutua::ephemeral(name).expect("store"))
}

pub(super) fn group(kind: GroupKind, admission: Admission) -> GroupFields {
    GroupFields {
        name: "Tuesday circle".into(),
        purpose: Some("Carers who meet on Tuesdays".into()),
        kind,
        planned_sessions: None,
        admission,
        language: None,
        place: None,
        online_url: None,
        guidelines: Some("What is said here stays here".into()),
    }
}

pub(super) fn sync(relay: &FakeRelay, who: &Mutex<Mutua>) -> crate::sync::SyncReport {
    sync_once(who, relay, &|_| {}).expect("sync")
}

pub(super) fn with<T>(who: &Mutex<Mutua>, f: impl FnOnce(&mut Mutua) -> T) -> T {
    f(&mut who.lock().expect("lock"))
}

/// The group's shared tables as one replica projects them.
fn shared_view(who: &Mutex<Mutua>) -> serde_json::Value {
    let dump = with(who, |m| m.projection_dump().expect("dump"));
    serde_json::json!({
        "groups": dump["groups"],
        "group_member": dump["group_member"],
        "meeting_series": dump["meeting_series"],
    })
}

fn add_series(who: &Mutex<Mutua>, group: &str, title: &str) {
    with(who, |m| {
        let fields = crate::meetings::SeriesFields {
            title: title.into(),
            start: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_opt(19, 0, 0))
                .expect("date"),
            tz: "America/Bogota".into(),
            duration_minutes: 90,
            rrule: Some("FREQ=WEEKLY;BYDAY=TU".into()),
            format: crate::calendar::MeetingFormat::Online,
            place: None,
            online_url: Some("https://meet.example.org/circle".into()),
            phone: None,
            agenda: None,
        };
        m.add_series(group, fields).expect("series");
    });
}

/// A creates a group and shows B an in-person code; both sync through the relay.
pub(super) fn pair_in_person(
    relay: &FakeRelay,
    kind: GroupKind,
) -> (Mutex<Mutua>, Mutex<Mutua>, String) {
    let a = member("Ana G.");
    let b = member("Bea R.");
    let g = with(&a, |m| {
        m.create_group(group(kind, Admission::Open)).expect("group")
    })
    .id;
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    let joined = with(&b, |m| m.accept_invite(&code).expect("accept"));
    assert!(matches!(joined, Joined::Joined { .. }), "{joined:?}");
    sync(relay, &a);
    sync(relay, &b);
    sync(relay, &a);
    (a, b, g)
}

#[test]
fn three_members_join_in_person_edit_offline_and_converge() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    let c = member("Caro M.");
    let code = with(&b, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&c, |m| m.accept_invite(&code).expect("accept"));
    // The group's details arrive with the first sync; until then C sees it as joining.
    sync(&relay, &c);
    // Everyone edits offline, then syncs in an arbitrary order, twice.
    add_series(&a, &g, "Weekly circle");
    add_series(&b, &g, "Newcomers' hour");
    add_series(&c, &g, "Walk and talk");
    for who in [&c, &a, &b, &c, &a, &b] {
        let report = sync(&relay, who);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.rejected, 0);
    }
    let view = shared_view(&a);
    assert_eq!(view, shared_view(&b));
    assert_eq!(view, shared_view(&c));
    assert_eq!(view["meeting_series"].as_array().map(Vec::len), Some(3));
    assert_eq!(view["group_member"].as_array().map(Vec::len), Some(3));
    assert_eq!(with(&c, |m| m.held_envelopes().expect("held")), 0);
    // The relay holds ciphertext only.
    let stored = relay.all_bytes();
    for secret in ["Tuesday circle", "Walk and talk", "Caro M.", "stays here"] {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "relay sees {secret}"
        );
    }
}

#[test]
fn journal_never_travels() {
    let relay = FakeRelay::default();
    let (a, _b, _g) = pair_in_person(&relay, GroupKind::MutualAid);
    with(&a, |m| {
        m.add_entry(crate::journal::EntryFields {
            text: "QX private thought".into(),
            mood: Some(3),
            emotions: vec![],
            tags: vec![],
            written_at: crate::time::now(),
            time_zone: "UTC".into(),
        })
        .expect("entry")
    });
    sync(&relay, &a);
    let stored = relay.all_bytes();
    assert!(!stored.is_empty());
    let envelopes = relay
        .spaces
        .lock()
        .expect("lock")
        .values()
        .map(|s| s.envelopes.len())
        .sum::<usize>();
    // Decrypting everything on the relay with the group's keys finds no journal document.
    let docs: Vec<String> = with(&a, |m| {
        let mut stmt = m
            .conn
            .prepare("SELECT DISTINCT doc_id FROM envelope WHERE doc_id IS NOT NULL")
            .expect("q");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("collect")
    });
    assert!(envelopes > 0);
    assert!(docs.iter().all(|d| !d.starts_with("me/")), "{docs:?}");
}

#[test]
fn a_tampered_envelope_is_rejected_with_a_warning_and_never_applied() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    add_series(&a, &g, "Weekly circle");
    sync(&relay, &a);
    let before = relay
        .spaces
        .lock()
        .expect("lock")
        .values()
        .map(|s| s.envelopes.len())
        .sum::<usize>();
    relay.tamper(|i| i + 1 == before);
    let report = sync(&relay, &b);
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(
        shared_view(&b)["meeting_series"].as_array().map(Vec::len),
        Some(0)
    );
    let events = with(&b, |m| m.sync_events(10).expect("events"));
    assert!(
        events.iter().any(|e| e.kind == "rejected_envelope"),
        "{events:?}"
    );
    // The warning says what happened without any content.
    assert!(events.iter().all(|e| !e.detail.contains("Weekly")));
}

#[test]
fn duplicates_and_a_forgotten_cursor_change_nothing() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    for i in 0..30 {
        add_series(&a, &g, &format!("Session {i}"));
    }
    sync(&relay, &a);
    sync(&relay, &b);
    let view = shared_view(&b);
    assert_eq!(view["meeting_series"].as_array().map(Vec::len), Some(30));
    // Start over with this relay: everything comes again (paged), nothing changes.
    with(&b, |m| {
        for space in m.sync_spaces().expect("spaces") {
            m.forget_relay_state("http://relay.test", &space)
                .expect("forget");
        }
    });
    let again = sync(&relay, &b);
    assert_eq!(again.applied, 0, "{again:?}");
    assert_eq!(shared_view(&b), view);
}

#[test]
fn a_removed_member_reads_nothing_sent_after_removal() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::Facilitated);
    let c = member("Caro M.");
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&c, |m| m.accept_invite(&code).expect("accept"));
    for who in [&c, &a, &b, &c] {
        sync(&relay, who);
    }
    let c_id = with(&c, |m| m.member_id().to_owned());
    // Only facilitators remove.
    assert!(matches!(
        with(&b, |m| m.remove_member(&g, &c_id)),
        Err(Error::NotAllowed(_))
    ));
    with(&a, |m| m.remove_member(&g, &c_id).expect("remove"));
    add_series(&a, &g, "After the removal QX");
    sync(&relay, &a);
    // B was offline during the removal: it catches up with the new key.
    let report = sync(&relay, &b);
    assert!(report.errors.is_empty(), "{report:?}");
    let titles = shared_view(&b)["meeting_series"].to_string();
    assert!(titles.contains("After the removal QX"), "{titles}");
    assert_eq!(
        shared_view(&b)["group_member"].as_array().map(Vec::len),
        Some(2)
    );
    // C learns it was removed and holds nothing new; it cannot open the new envelopes.
    let report = sync(&relay, &c);
    assert!(
        report.notices.iter().any(|n| n.contains("removed")),
        "{report:?}"
    );
    assert!(
        !shared_view(&c)["meeting_series"]
            .to_string()
            .contains("After the removal")
    );
    let (space_id, c_keys) = with(&c, |m| {
        let s = crate::sync::space::space_for_group(&m.conn, &g)
            .expect("q")
            .expect("space");
        (s.id, s.keys.clone())
    });
    let spaces = relay.spaces.lock().expect("lock");
    let newer: Vec<&Envelope> = spaces[&space_id]
        .envelopes
        .iter()
        .filter(|e| e.header().epoch > 0)
        .collect();
    assert!(!newer.is_empty());
    for env in newer {
        assert!(!c_keys.contains_key(&env.header().epoch));
        for key in c_keys.values() {
            assert!(env.decrypt_unverified(key).is_err());
        }
    }
    drop(spaces);
    // And C's device stops syncing that group with a clear error.
    assert!(matches!(
        with(&c, |m| m.plan_space("http://relay.test", &space_id)),
        Err(Error::RemovedFromGroup(_))
    ));
}

#[test]
fn remote_joining_waits_for_a_facilitator_in_a_closed_group() {
    let relay = FakeRelay::default();
    let a = member("Ana G.");
    let b = member("Bea R.");
    let g = with(&a, |m| {
        m.set_relay_url(Some("http://relay.test")).expect("relay");
        m.create_group(group(GroupKind::Facilitated, Admission::Closed))
            .expect("group")
            .id
    });
    sync(&relay, &a);
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::Remote).expect("invite")
    })
    .code;
    assert!(
        !code.contains("Tuesday"),
        "the code carries no readable name? it is encoded"
    );
    let joined = with(&b, |m| m.accept_invite(&code).expect("accept"));
    assert!(matches!(joined, Joined::Requested { .. }), "{joined:?}");
    sync(&relay, &b);
    assert!(with(&b, |m| m.groups(false).expect("groups")).is_empty());
    let report = sync(&relay, &a);
    assert!(
        report.notices.iter().any(|n| n.contains("asks to join")),
        "{report:?}"
    );
    let requests = with(&a, |m| m.join_requests().expect("requests"));
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].pseudonym, "Bea R.");
    with(&a, |m| {
        m.approve_join(&requests[0].invite_id, &requests[0].member_id)
            .expect("approve")
    });
    sync(&relay, &a);
    let report = sync(&relay, &b);
    assert!(
        report.notices.iter().any(|n| n.contains("joined")),
        "{report:?}"
    );
    sync(&relay, &b);
    let groups = with(&b, |m| m.groups(false).expect("groups"));
    assert_eq!(groups.len(), 1, "{report:?}");
    assert_eq!(groups[0].fields.name, "Tuesday circle");
    // B writes; A verifies B's envelopes against the roster A wrote on approval.
    add_series(&b, &g, "From Bea");
    sync(&relay, &b);
    let report = sync(&relay, &a);
    assert_eq!(report.rejected, 0);
    assert!(
        shared_view(&a)["meeting_series"]
            .to_string()
            .contains("From Bea")
    );
}

#[test]
fn bad_codes_and_expired_invitations_are_clear_errors() {
    let b = member("Bea R.");
    for bad in ["hello", "mutua-invite:!!!", "mutua-invite:AAAA"] {
        let err = with(&b, |m| m.accept_invite(bad)).expect_err("bad code");
        assert!(matches!(err, Error::InvitationInvalid(_)), "{err}");
    }
    let a = member("Ana G.");
    let g = with(&a, |m| {
        m.create_group(group(GroupKind::MutualAid, Admission::Open))
            .expect("g")
    })
    .id;
    let mut code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    // Copy-paste damage: whitespace is tolerated, a lost tail is not.
    code.insert(20, '\n');
    code.truncate(code.len() - 10);
    assert!(with(&b, |m| m.accept_invite(&code)).is_err());
    assert!(matches!(
        with(&b, |m| m.create_invite(&g, InviteMode::InPerson)),
        Err(Error::NotFound { .. })
    ));
}

/// [`FakeRelay`] plus the checkpoint routes (newest checkpoint per document, like the relay).
#[derive(Default)]
struct CheckpointRelay {
    relay: FakeRelay,
    checkpoints: Mutex<HashMap<(SpaceId, mutua_protocol::DocTag), Envelope>>,
}

impl CheckpointRelay {
    fn envelopes(&self) -> usize {
        let spaces = self.relay.spaces.lock().expect("lock");
        spaces.values().map(|s| s.envelopes.len()).sum()
    }

    /// Flips one ciphertext byte of every stored checkpoint.
    fn tamper_checkpoints(&self) {
        for env in self.checkpoints.lock().expect("lock").values_mut() {
            let mut bytes = env.to_bytes();
            let at = bytes.len() - 70;
            bytes[at] ^= 0x20;
            *env = Envelope::from_bytes(&bytes).expect("still decodes");
        }
    }
}

impl Transport for CheckpointRelay {
    fn base(&self) -> &str {
        self.relay.base()
    }
    fn open_space(&self, s: &SpaceId, t: &Token, e: u32) -> Result<SpaceInfo, RelayError> {
        self.relay.open_space(s, t, e)
    }
    fn sync(&self, s: &SpaceId, t: &Token, r: &SyncRequest) -> Result<SyncResponse, RelayError> {
        self.relay.sync(s, t, r)
    }
    fn rekey(&self, s: &SpaceId, t: &Token, r: &Rekey) -> Result<SpaceInfo, RelayError> {
        self.relay.rekey(s, t, r)
    }
    fn rekeys(&self, s: &SpaceId, t: &Token, after: u32) -> Result<Rekeys, RelayError> {
        self.relay.rekeys(s, t, after)
    }
    fn wait(&self, r: &WaitRequest) -> Result<WaitResponse, RelayError> {
        self.relay.wait(r)
    }
    fn put_checkpoint(
        &self,
        space: &SpaceId,
        token: &Token,
        checkpoint: &Envelope,
    ) -> Result<SpaceInfo, RelayError> {
        let info = {
            let spaces = self.relay.spaces.lock().expect("lock");
            let s = spaces.get(space).ok_or(refuse(ErrorCode::NotFound, None))?;
            s.auth(token)?;
            if checkpoint.header().epoch > s.epoch || checkpoint.header().space != *space {
                return Err(refuse(ErrorCode::BadRequest, None));
            }
            SpaceInfo {
                epoch: s.epoch,
                position: s.envelopes.len() as u64,
                used_bytes: 0,
                quota_bytes: u64::MAX,
            }
        };
        self.checkpoints
            .lock()
            .expect("lock")
            .insert((*space, checkpoint.header().doc), checkpoint.clone());
        Ok(info)
    }
    fn checkpoints(
        &self,
        space: &SpaceId,
        token: &Token,
    ) -> Result<mutua_protocol::Checkpoints, RelayError> {
        {
            let spaces = self.relay.spaces.lock().expect("lock");
            let s = spaces.get(space).ok_or(refuse(ErrorCode::NotFound, None))?;
            s.auth(token)?;
        }
        let checkpoints = self
            .checkpoints
            .lock()
            .expect("lock")
            .iter()
            .filter(|((s, _), _)| s == space)
            .map(|(_, e)| e.clone())
            .collect();
        Ok(mutua_protocol::Checkpoints { checkpoints })
    }
}

fn sync_via(relay: &CheckpointRelay, who: &Mutex<Mutua>) -> crate::sync::SyncReport {
    let report = sync_once(who, relay, &|_| {}).expect("sync");
    assert!(report.errors.is_empty(), "{report:?}");
    report
}

fn join_in_person(
    relay: &CheckpointRelay,
    inviter: &Mutex<Mutua>,
    g: &str,
    name: &str,
) -> Mutex<Mutua> {
    let who = member(name);
    let code = with(inviter, |m| {
        m.create_invite(g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&who, |m| m.accept_invite(&code).expect("accept"));
    sync_via(relay, inviter);
    who
}

#[test]
fn a_new_device_starts_from_a_checkpoint_and_a_tampered_one_is_ignored() {
    let relay = CheckpointRelay::default();
    let a = member("Ana G.");
    let g = with(&a, |m| {
        m.create_group(group(GroupKind::MutualAid, Admission::Open))
            .expect("group")
    })
    .id;
    sync_via(&relay, &a);
    // One envelope per round: a long history of small changes.
    let total = crate::sync::checkpoint::CHECKPOINT_EVERY as usize + 40;
    let mut sent = 0;
    for i in 0..total {
        add_series(&a, &g, &format!("Session {i}"));
        sent += sync_via(&relay, &a).checkpoints_sent;
    }
    assert_eq!(sent, 1, "one checkpoint for {total} envelopes");
    let on_relay = relay.envelopes();
    assert!(on_relay > total, "{on_relay}");

    // A new member's fresh device: the checkpoint, then only the tail.
    let c = join_in_person(&relay, &a, &g, "Caro M.");
    let report = sync_via(&relay, &c);
    assert_eq!(report.checkpoints_loaded, 1, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    assert!(report.received < 60, "{report:?}");
    sync_via(&relay, &a);
    assert_eq!(shared_view(&c), shared_view(&a));
    assert_eq!(
        shared_view(&c)["meeting_series"].as_array().map(Vec::len),
        Some(total)
    );
    // It writes, and the others open what it wrote.
    add_series(&c, &g, "From Caro");
    sync_via(&relay, &c);
    assert_eq!(sync_via(&relay, &a).rejected, 0);
    assert_eq!(shared_view(&c), shared_view(&a));

    // Altered checkpoints are ignored with a warning; the envelopes bring everything.
    relay.tamper_checkpoints();
    let d = join_in_person(&relay, &a, &g, "Dani P.");
    let report = sync_via(&relay, &d);
    assert_eq!(report.checkpoints_loaded, 0, "{report:?}");
    assert!(report.received > total, "{report:?}");
    sync_via(&relay, &a);
    assert_eq!(shared_view(&d), shared_view(&a));
    let events = with(&d, |m| m.sync_events(10).expect("events"));
    assert!(
        events.iter().any(|e| e.kind == "rejected_checkpoint"),
        "{events:?}"
    );
    assert!(events.iter().all(|e| !e.detail.contains("Session")));
}

#[test]
fn a_checkpoint_from_outside_the_roster_is_never_applied() {
    let relay = CheckpointRelay::default();
    let (a, b, g) = {
        let a = member("Ana G.");
        let g = with(&a, |m| {
            m.create_group(group(GroupKind::MutualAid, Admission::Open))
                .expect("group")
        })
        .id;
        sync_via(&relay, &a);
        let b = join_in_person(&relay, &a, &g, "Bea R.");
        sync_via(&relay, &b);
        (a, b, g)
    };
    add_series(&a, &g, "Weekly circle");
    sync_via(&relay, &a);
    // Somebody who knows the group key but is not in its roster forges a checkpoint.
    let (space_id, key, naming, doc) = with(&a, |m| {
        let s = crate::sync::space::space_for_group(&m.conn, &g)
            .expect("q")
            .expect("space");
        let doc = crate::ids::DocId::GroupCalendar { group: g.clone() };
        (
            s.id,
            s.current_key().expect("key").clone(),
            s.naming.clone(),
            doc,
        )
    });
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let mut forged_doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut forged_doc, automerge::ROOT, "x", "forged")
        .expect("put");
    #[derive(serde::Serialize)]
    struct Body {
        doc: String,
        snapshot: Vec<u8>,
        covers: Vec<mutua_protocol::HaveEntry>,
    }
    let mut plaintext = b"mutua/checkpoint/1\0".to_vec();
    plaintext.extend(mutua_protocol::encode(&Body {
        doc: doc.to_string(),
        snapshot: forged_doc.save(),
        covers: vec![],
    }));
    let forged = Envelope::seal(
        space_id,
        naming.doc_tag(&doc.to_string()),
        naming.device_tag(&stranger.verifying_key().to_bytes()),
        1,
        0,
        &plaintext,
        &key,
        &stranger,
    )
    .expect("seal");
    let c = join_in_person(&relay, &a, &g, "Caro M.");
    let loaded = with(&c, |m| {
        m.absorb_checkpoints("http://relay.test", &space_id, &[forged])
            .expect("absorb")
    });
    assert_eq!(loaded.loaded, 0);
    assert_eq!(loaded.rejected, 1);
    sync_via(&relay, &c);
    sync_via(&relay, &b);
    assert_eq!(shared_view(&c), shared_view(&b));
    let events = with(&c, |m| m.sync_events(10).expect("events"));
    assert!(
        events.iter().any(|e| e.kind == "rejected_checkpoint"),
        "{events:?}"
    );
}

#[test]
fn a_member_who_leaves_reads_nothing_sent_afterwards() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    let c = member("Caro M.");
    let code = with(&a, |m| {
        m.create_invite(&g, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&c, |m| m.accept_invite(&code).expect("accept"));
    for who in [&c, &a, &b, &c] {
        sync(&relay, who);
    }
    let space_id = with(&a, |m| {
        crate::sync::space::space_for_group(&m.conn, &g)
            .expect("q")
            .expect("space")
            .id
    });
    // B leaves and its device delivers the departure.
    with(&b, |m| m.leave_group(&g).expect("leave"));
    sync(&relay, &b);
    // C sees the departure by another route (say, the local network) and rotates on its own...
    let envelopes = relay.spaces.lock().expect("lock")[&space_id]
        .envelopes
        .clone();
    let rotated = with(&c, |m| {
        crate::sync::space::store_incoming(&m.conn, &space_id, &envelopes).expect("store");
        let space = crate::sync::space::load_space(&m.conn, &space_id)
            .expect("q")
            .expect("space");
        m.open_held(&space).expect("open");
        m.rotate_after_leave(&space_id).expect("rotate")
    });
    assert!(rotated);
    // ...while A rotates through the relay first.
    let report = sync(&relay, &a);
    assert_eq!(report.rotated, 1, "{report:?}");
    add_series(&a, &g, "After B left QX");
    sync(&relay, &a);
    // C's rekey loses: it drops its own key, takes A's, and reads on.
    let report = sync(&relay, &c);
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    assert!(
        shared_view(&c)["meeting_series"]
            .to_string()
            .contains("After B left QX")
    );
    let (epoch_a, epoch_c) = (
        with(&a, |m| {
            crate::sync::space::load_space(&m.conn, &space_id)
                .expect("q")
                .expect("s")
                .epoch
        }),
        with(&c, |m| {
            crate::sync::space::load_space(&m.conn, &space_id)
                .expect("q")
                .expect("s")
                .epoch
        }),
    );
    assert_eq!(epoch_a, 1);
    assert_eq!(epoch_c, 1);
    assert_eq!(
        relay.spaces.lock().expect("lock")[&space_id].rekeys.len(),
        1
    );
    // C writes under the new key; A opens it.
    add_series(&c, &g, "From Caro after");
    sync(&relay, &c);
    let report = sync(&relay, &a);
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(report.rotated, 0, "{report:?}");
    assert!(
        shared_view(&a)["meeting_series"]
            .to_string()
            .contains("From Caro after")
    );
    // B's device is told it is out and cannot open anything sent after the rotation.
    let report = sync(&relay, &b);
    assert!(
        report.notices.iter().any(|n| n.contains("removed")),
        "{report:?}"
    );
    assert!(
        !shared_view(&b)["meeting_series"]
            .to_string()
            .contains("After B left")
    );
    let b_keys = with(&b, |m| {
        crate::sync::space::load_space(&m.conn, &space_id)
            .expect("q")
            .expect("space")
            .keys
    });
    let spaces = relay.spaces.lock().expect("lock");
    let newer: Vec<&Envelope> = spaces[&space_id]
        .envelopes
        .iter()
        .filter(|e| e.header().epoch > 0)
        .collect();
    assert!(newer.len() >= 2, "{}", newer.len());
    for env in newer {
        for key in b_keys.values() {
            assert!(env.decrypt_unverified(key).is_err());
        }
    }
}

#[test]
fn a_large_backlog_interrupted_while_applying_keeps_what_it_applied() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    let conversation = crate::messages::Conversation::Group(g.clone());
    let space = with(&a, |m| m.space_of_conversation(&conversation))
        .expect("space")
        .expect("synced");
    // 450 messages, each sealed into its own envelope (as if sent over weeks).
    let backlog = 450;
    with(&a, |m| {
        for i in 0..backlog {
            m.send_to_group(&g, crate::messages::NewMessage::text(format!("m{i}")))
                .expect("send");
            m.plan_space(relay.base(), &space).expect("seal");
        }
    });
    let envelopes: Vec<Envelope> = with(&a, |m| m.envelopes_of_group(&g))
        .expect("envelopes")
        .iter()
        .map(|bytes| Envelope::from_bytes(bytes).expect("envelope"))
        .collect();
    let count = |who: &Mutex<Mutua>| {
        with(who, |m| {
            m.conn
                .query_row(
                    "SELECT count(*) FROM message WHERE conversation = ?1",
                    [conversation.to_string()],
                    |r| r.get::<_, i64>(0),
                )
                .expect("count") as usize
        })
    };
    // Bea receives them all in one answer; the disk fills up after a little more than one
    // slice has been applied (a stand-in for the process dying there).
    let plan = with(&b, |m| m.plan_space(relay.base(), &space)).expect("plan");
    let response = SyncResponse {
        stored: 0,
        envelopes,
        more: false,
        position: 1,
        vector: None,
    };
    with(&b, |m| {
        let stored: i64 = m
            .conn
            .query_row("SELECT count(*) FROM change", [], |r| r.get(0))
            .expect("count");
        m.conn
            .execute_batch(&format!(
                "CREATE TEMP TRIGGER full BEFORE INSERT ON change
                 WHEN (SELECT count(*) FROM change) >= {}
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
                stored + 250
            ))
            .expect("trigger");
    });
    assert!(with(&b, |m| m.absorb_space(&plan, &response)).is_err());
    assert_eq!(
        count(&b),
        super::space::OPEN_PER_COMMIT,
        "the slices applied before the failure are kept"
    );
    assert_eq!(
        with(&b, |m| m.held_envelopes()).expect("held"),
        backlog - super::space::OPEN_PER_COMMIT
    );
    // Room again: the next round opens the rest.
    with(&b, |m| m.conn.execute_batch("DROP TRIGGER full;")).expect("drop");
    sync(&relay, &b);
    assert_eq!(count(&b), backlog);
    assert_eq!(with(&b, |m| m.held_envelopes()).expect("held"), 0);
    assert!(with(&b, |m| m.verify_projections()).expect("verify"));
}

/// Counts what a device asks of the relay: waits, and the spaces it syncs.
struct Counting<'a> {
    relay: &'a FakeRelay,
    waits: std::cell::Cell<usize>,
    synced: std::cell::RefCell<Vec<SpaceId>>,
}

impl<'a> Counting<'a> {
    fn new(relay: &'a FakeRelay) -> Counting<'a> {
        Counting {
            relay,
            waits: Default::default(),
            synced: Default::default(),
        }
    }
}

impl Transport for Counting<'_> {
    fn base(&self) -> &str {
        self.relay.base()
    }
    fn open_space(&self, s: &SpaceId, t: &Token, e: u32) -> Result<SpaceInfo, RelayError> {
        self.relay.open_space(s, t, e)
    }
    fn sync(&self, s: &SpaceId, t: &Token, r: &SyncRequest) -> Result<SyncResponse, RelayError> {
        self.synced.borrow_mut().push(*s);
        self.relay.sync(s, t, r)
    }
    fn rekey(&self, s: &SpaceId, t: &Token, r: &Rekey) -> Result<SpaceInfo, RelayError> {
        self.relay.rekey(s, t, r)
    }
    fn rekeys(&self, s: &SpaceId, t: &Token, after: u32) -> Result<Rekeys, RelayError> {
        self.relay.rekeys(s, t, after)
    }
    fn wait(&self, r: &WaitRequest) -> Result<WaitResponse, RelayError> {
        self.waits.set(self.waits.get() + 1);
        self.relay.wait(r)
    }
}

#[test]
fn quiet_spaces_cost_one_question_and_a_moved_one_its_handshake() {
    let relay = FakeRelay::default();
    let (a, b, g1) = pair_in_person(&relay, GroupKind::MutualAid);
    let g2 = with(&a, |m| {
        m.create_group(group(GroupKind::MutualAid, Admission::Open))
            .expect("group")
    })
    .id;
    let code = with(&a, |m| {
        m.create_invite(&g2, InviteMode::InPerson).expect("invite")
    })
    .code;
    with(&b, |m| m.accept_invite(&code).expect("accept"));
    for who in [&a, &b, &a, &b] {
        sync(&relay, who);
    }
    let space = |g: &str| {
        with(&b, |m| {
            crate::sync::space::space_for_group(&m.conn, g)
                .expect("read")
                .expect("a space")
                .id
        })
    };
    let (s1, s2) = (space(&g1), space(&g2));

    // Nothing moved anywhere: one question for every space, no handshake.
    let link = Counting::new(&relay);
    let report = sync_once(&b, &link, &|_| {}).expect("sync");
    assert!(report.groups >= 2, "{report:?}");
    assert_eq!(link.waits.get(), 1);
    assert_eq!(*link.synced.borrow(), Vec::<SpaceId>::new());

    // A writes in the first group only: B's round syncs that space and no other.
    with(&a, |m| {
        m.send_to_group(&g1, crate::messages::NewMessage::text("QX only here"))
            .expect("send")
    });
    sync(&relay, &a);
    let link = Counting::new(&relay);
    let report = sync_once(&b, &link, &|_| {}).expect("sync");
    assert_eq!(report.received, 1, "{report:?}");
    assert_eq!(link.waits.get(), 1);
    let synced = link.synced.borrow().clone();
    assert!(synced.contains(&s1), "{synced:?}");
    assert!(!synced.contains(&s2), "{synced:?}");

    // B writes in the second group: a space with something to send is not asked about, it
    // is synced.
    with(&b, |m| {
        m.send_to_group(&g2, crate::messages::NewMessage::text("QX from Bea"))
            .expect("send")
    });
    let link = Counting::new(&relay);
    let report = sync_once(&b, &link, &|_| {}).expect("sync");
    assert_eq!(report.sent, 1, "{report:?}");
    let synced = link.synced.borrow().clone();
    assert!(synced.contains(&s2) && !synced.contains(&s1), "{synced:?}");
    let report = sync(&relay, &a);
    assert_eq!(report.received, 1, "{report:?}");
}
