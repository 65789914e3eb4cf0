//! Sync rounds: plan under the lock, talk to the relay without it, absorb under the lock.
//!
//! [`sync_once`] brings every group this device is in up to date with one relay and returns a
//! report; [`watch`] repeats it forever, waiting on the relay's long-poll in between, and backs
//! off (1 s doubling to 60 s) while the relay is unreachable. Both report progress through a
//! callback, which the app turns into its status line and the CLI into a progress line.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mutua_protocol::{ErrorCode, SpaceId, WaitRequest, WaitSpace};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Mutua;
use crate::sync::SpacePlan;
use crate::sync::client::{RelayError, Transport, WAIT_MS};

/// Something that lends out the store for a moment: a `Mutex<Mutua>` (CLI), a
/// `Mutex<Option<Mutua>>` (the app, `None` while locked).
pub trait Replica {
    fn with<T>(&self, f: impl FnOnce(&mut Mutua) -> Result<T>) -> Result<T>;
}

impl Replica for Mutex<Mutua> {
    fn with<T>(&self, f: impl FnOnce(&mut Mutua) -> Result<T>) -> Result<T> {
        let mut guard = self.lock().map_err(|_| Error::Locked)?;
        f(&mut guard)
    }
}

impl Replica for Mutex<Option<Mutua>> {
    fn with<T>(&self, f: impl FnOnce(&mut Mutua) -> Result<T>) -> Result<T> {
        let mut guard = self.lock().map_err(|_| Error::Locked)?;
        match guard.as_mut() {
            Some(m) => f(m),
            None => Err(Error::Locked),
        }
    }
}

/// Where a round is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Progress {
    Syncing {
        groups_done: usize,
        groups: usize,
        received: usize,
        sent: usize,
    },
    Waiting,
    Done(SyncReport),
    Failed {
        message: String,
        retry_in_secs: u64,
    },
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub groups: usize,
    pub sent: usize,
    pub received: usize,
    pub applied: usize,
    pub rejected: usize,
    /// Envelopes that cannot be opened yet (a sender not yet introduced, a key not yet received).
    pub held: usize,
    /// Things the member should hear about: requests to join, joins, removals.
    pub notices: Vec<String>,
    /// Groups whose round failed, with the reason in words; the others still synced.
    pub errors: Vec<String>,
    /// Checkpoints a freshly joined device started from instead of the whole history.
    pub checkpoints_loaded: usize,
    /// Checkpoints this device uploaded for devices that join later.
    pub checkpoints_sent: usize,
    /// Groups whose key this device rotated because a member left.
    pub rotated: usize,
    /// Why this round ran.
    pub cause: Cause,
}

/// Why a round ran: asked for (the first round, a button, a timer), or in [`watch`] because the
/// relay's long-poll said a group moved, the long-poll ran out, a local change nudged, or after
/// a failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    #[default]
    Asked,
    RelayWoke,
    WaitTimedOut,
    Nudged,
    Retry,
}

/// One round with `client`'s relay for every group and pending invitation.
pub fn sync_once<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    progress: &dyn Fn(Progress),
) -> Result<SyncReport> {
    round(replica, client, progress, Cause::Asked)
}

fn round<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    progress: &dyn Fn(Progress),
    cause: Cause,
) -> Result<SyncReport> {
    let relay = client.base().to_owned();
    let mut report = SyncReport {
        cause,
        ..SyncReport::default()
    };
    // Invitations first: an approval received now lets the new group sync in this same round.
    let exchanges = replica.with(|m| m.invite_exchanges(&relay))?;
    for ex in exchanges {
        match exchange_invite(replica, client, &ex) {
            Ok(news) => report.notices.extend(news),
            Err(e) if is_unreachable(&e) => return Err(e),
            Err(e) => report.errors.push(format!("invitation: {e}")),
        }
    }
    // Answers made just now (approvals, pairings) go out in this round; if this fails, the next.
    for ex in replica.with(|m| m.invite_answers_to_send(&relay))? {
        let news = exchange_invite(replica, client, &ex).unwrap_or_default();
        report.notices.extend(news);
    }
    let spaces = replica.with(|m| m.sync_spaces())?;
    report.groups = spaces.len();
    for (i, space) in spaces.iter().enumerate() {
        progress(Progress::Syncing {
            groups_done: i,
            groups: spaces.len(),
            received: report.received,
            sent: report.sent,
        });
        match sync_space(replica, client, space, &mut report) {
            Ok(()) => {}
            Err(e) if is_unreachable(&e) => return Err(e),
            Err(Error::RemovedFromGroup(name)) => {
                report
                    .notices
                    .push(format!("you were removed from \"{name}\""));
            }
            Err(e) => {
                let name = replica.with(|m| {
                    Ok(crate::sync::space::load_space(&m.conn, space)?
                        .map(|s| m.group_name(&s.group_id))
                        .unwrap_or_default())
                })?;
                report.errors.push(format!("{name}: {e}"));
            }
        }
    }
    report.held = replica.with(|m| m.held_envelopes())?;
    if report.errors.is_empty() {
        replica.with(|m| m.set_last_synced())?;
    }
    progress(Progress::Done(report.clone()));
    Ok(report)
}

fn is_unreachable(e: &Error) -> bool {
    matches!(e, Error::RelayUnreachable(_))
}

fn exchange_invite<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    ex: &crate::sync::remote::InviteExchange,
) -> Result<Vec<String>> {
    if ex.since.is_none() {
        client.open_space(&ex.space, &ex.token, 0)?;
    }
    let request = mutua_protocol::SyncRequest {
        have: Vec::new(),
        since: Some(ex.since.unwrap_or(0)),
        push: ex.push.clone(),
        want_vector: false,
        limit: 0,
    };
    let response = client.sync(&ex.space, &ex.token, &request)?;
    replica.with(|m| m.absorb_invite(ex, &response.envelopes, response.position))
}

fn sync_space<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    report: &mut SyncReport,
) -> Result<()> {
    let moved_before = report.sent + report.received;
    if replica.with(|m| m.wants_checkpoints(client.base(), space))? {
        load_checkpoints(replica, client, space, report)?;
    }
    if replica.with(|m| m.rotate_after_leave(space))? {
        report.rotated += 1;
    }
    settle(replica, client, space, report)?;
    if report.sent + report.received > moved_before {
        upload_checkpoints(replica, client, space, report)?;
    }
    Ok(())
}

fn settle<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    report: &mut SyncReport,
) -> Result<()> {
    // The relay may lack key changes this device learned by another route (a sync file): it
    // then knows none of this device's recent tokens. Hand it the logged ones, once per call.
    let mut relay_caught_up = false;
    let mut behind = |e: &RelayError| {
        let unknown_token = matches!(
            e,
            RelayError::Refused {
                code: ErrorCode::Unauthorized | ErrorCode::Conflict,
                epoch: None,
                ..
            }
        );
        unknown_token && !std::mem::replace(&mut relay_caught_up, true)
    };
    // Each pass sends one request; a space with much to send or fetch takes several.
    for _ in 0..10_000 {
        let plan: SpacePlan = replica.with(|m| m.plan_space(client.base(), space))?;
        if let Some(rekey) = &plan.rekey {
            let old = plan.previous_token.as_ref().ok_or_else(|| {
                Error::DatabaseDamaged("the key before a removal is missing".into())
            })?;
            if plan.open {
                match open(client, &plan, old, rekey.epoch - 1) {
                    Err(e) if behind(&e) => {
                        post_logged_rekeys(replica, client, space)?;
                        continue;
                    }
                    other => other?,
                }
            }
            match client.rekey(space, old, rekey) {
                Ok(_) => {}
                Err(e) if behind(&e) => {
                    post_logged_rekeys(replica, client, space)?;
                    continue;
                }
                // The relay is at this epoch already: either this rekey was posted before and
                // the answer was lost, or another member rotated first (two members saw the
                // same departure). In the second case ours is dropped and theirs is taken.
                Err(RelayError::Refused {
                    code: ErrorCode::Conflict | ErrorCode::TokenRevoked,
                    epoch: Some(e),
                    ..
                }) if e >= rekey.epoch => {
                    let theirs = client.rekeys(space, old, rekey.epoch - 1)?;
                    let ours = theirs
                        .rekeys
                        .iter()
                        .any(|r| r.epoch == rekey.epoch && r.token_hash == rekey.token_hash);
                    if !ours {
                        let winner = theirs.rekeys.iter().find(|r| r.epoch == rekey.epoch);
                        replica.with(|m| m.abandon_rekey(space, rekey.epoch, winner))?;
                        continue;
                    }
                }
                Err(e) => return Err(e.into()),
            }
            replica.with(|m| m.rekey_posted(space))?;
            continue;
        }
        if plan.open {
            match open(client, &plan, &plan.token, plan.epoch) {
                Err(e) if behind(&e) => {
                    post_logged_rekeys(replica, client, space)?;
                    continue;
                }
                other => other?,
            }
        }
        let response = match client.sync(space, &plan.token, &plan.request) {
            Ok(r) => r,
            Err(e) if behind(&e) => {
                post_logged_rekeys(replica, client, space)?;
                continue;
            }
            Err(RelayError::Refused {
                code: ErrorCode::TokenRevoked,
                ..
            }) => {
                catch_up_keys(replica, client, space, plan.epoch)?;
                continue;
            }
            Err(RelayError::Refused {
                code: ErrorCode::NotFound,
                ..
            }) => {
                // The relay lost the space (a reset or a new relay): start over there.
                replica.with(|m| m.forget_relay_state(client.base(), space))?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let opened = replica.with(|m| m.absorb_space(&plan, &response))?;
        report.sent += plan.request.push.len();
        report.received += response.envelopes.len();
        report.applied += opened.applied;
        report.rejected += opened.rejected;
        // A member left (their roster entry arrived just now): rotate before sending more.
        if replica.with(|m| m.rotate_after_leave(space))? {
            report.rotated += 1;
            continue;
        }
        let more_to_push = plan.request.push.len() >= super::PUSH_PER_REQUEST;
        if !response.more && !more_to_push && plan.request.push.is_empty() {
            return Ok(());
        }
        if !response.more && !more_to_push {
            // Pushed something: one more pass confirms nothing is left (cheap: `since`).
            let again = replica.with(|m| m.plan_space(client.base(), space))?;
            if again.request.push.is_empty() && again.rekey.is_none() {
                return Ok(());
            }
        }
    }
    Err(Error::invalid(
        "sync did not settle after many rounds; it will try again later",
    ))
}

/// A fresh device's start: the relay's checkpoints, checked and applied before the first
/// handshake, which then asks only for what they do not cover.
fn load_checkpoints<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    report: &mut SyncReport,
) -> Result<()> {
    let plan: SpacePlan = replica.with(|m| m.plan_space(client.base(), space))?;
    if plan.rekey.is_some() || !plan.open {
        return Ok(());
    }
    open(client, &plan, &plan.token, plan.epoch)?;
    let found = match client.checkpoints(space, &plan.token) {
        Ok(found) => found.checkpoints,
        Err(RelayError::Unreachable(why)) => return Err(Error::RelayUnreachable(why)),
        // No checkpoints here (an older relay, another route, a key to catch up on first):
        // the handshake brings everything as envelopes.
        Err(_) => return Ok(()),
    };
    if found.is_empty() {
        return Ok(());
    }
    let loaded = replica.with(|m| m.absorb_checkpoints(client.base(), space, &found))?;
    report.checkpoints_loaded += loaded.loaded;
    Ok(())
}

/// Uploads the checkpoints that are due. A refusal (quota, an older relay) is not an error of
/// the round: envelopes remain the source of truth.
fn upload_checkpoints<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    report: &mut SyncReport,
) -> Result<()> {
    let due = replica.with(|m| {
        if crate::sync::members::pending_rekey(&m.conn, space)?.is_some() {
            return Ok(None);
        }
        let token = match crate::sync::space::load_space(&m.conn, space)? {
            Some(s) => s.token()?,
            None => return Ok(None),
        };
        Ok(Some((token, m.due_checkpoints(client.base(), space)?)))
    })?;
    let Some((token, due)) = due else {
        return Ok(());
    };
    for checkpoint in due {
        match client.put_checkpoint(space, &token, &checkpoint.envelope) {
            Ok(_) => {
                replica.with(|m| m.checkpoint_uploaded(client.base(), space, &checkpoint))?;
                report.checkpoints_sent += 1;
            }
            Err(RelayError::Unreachable(why)) => return Err(Error::RelayUnreachable(why)),
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

fn open<C: Transport>(
    client: &C,
    plan: &SpacePlan,
    token: &mutua_protocol::Token,
    epoch: u32,
) -> std::result::Result<(), RelayError> {
    match client.open_space(&plan.space, token, epoch) {
        Ok(_) => Ok(()),
        Err(RelayError::Refused {
            code: ErrorCode::TokenRevoked,
            ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Posts to `client`'s relay, oldest first, every key change of `space` this device logged
/// ([`super::key_log`]), each with the token of the epoch before it. The relay takes those that
/// follow its current epoch and refuses the rest (ones it has, or whose previous token it never
/// knew), which is harmless; afterwards it knows this device's current token.
fn post_logged_rekeys<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
) -> Result<()> {
    let log = replica.with(|m| {
        let mut out = Vec::new();
        for rekey in crate::sync::key_log::logged_rekeys(&m.conn, space)? {
            if let Some(token) = m.token_for_epoch(space, rekey.epoch.saturating_sub(1))? {
                out.push((rekey, token));
            }
        }
        Ok(out)
    })?;
    for (rekey, token) in log {
        match client.rekey(space, &token, &rekey) {
            Ok(_) => {
                let pending =
                    replica.with(|m| crate::sync::members::pending_rekey(&m.conn, space))?;
                if pending.as_ref() == Some(&rekey) {
                    replica.with(|m| m.rekey_posted(space))?;
                }
            }
            Err(RelayError::Unreachable(why)) => return Err(Error::RelayUnreachable(why)),
            Err(_) => {}
        }
    }
    Ok(())
}

fn catch_up_keys<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    epoch: u32,
) -> Result<()> {
    let token = replica
        .with(|m| m.token_for_epoch(space, epoch))?
        .ok_or_else(|| Error::DatabaseDamaged("this group's key is missing".into()))?;
    let rekeys = client.rekeys(space, &token, epoch)?;
    if rekeys.rekeys.is_empty() {
        return Err(Error::RelayRefused(
            "the relay refused this group's key but has no key change for it".into(),
        ));
    }
    let still_in = replica.with(|m| m.absorb_rekeys(space, &rekeys.rekeys))?;
    if !still_in {
        let name = replica.with(|m| {
            Ok(crate::sync::space::load_space(&m.conn, space)?
                .map(|s| m.group_name(&s.group_id))
                .unwrap_or_default())
        })?;
        return Err(Error::RemovedFromGroup(name));
    }
    let now =
        replica.with(|m| Ok(crate::sync::space::load_space(&m.conn, space)?.map(|s| s.epoch)))?;
    if now == Some(epoch) {
        return Err(Error::RelayRefused(
            "a key change for this group could not be verified".into(),
        ));
    }
    Ok(())
}

/// Syncs until `stop` is set: a round, then a long-poll until something changes on the relay
/// (or `nudge` is set by a local change), then another round. Unreachable relays are retried
/// with backoff; every outcome is reported through `progress`.
pub fn watch<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    stop: &AtomicBool,
    nudge: &AtomicBool,
    progress: &dyn Fn(Progress),
) {
    let mut backoff = 1u64;
    let mut cause = Cause::Asked;
    while !stop.load(Ordering::Relaxed) {
        nudge.store(false, Ordering::Relaxed);
        match round(replica, client, progress, cause) {
            Ok(_) => backoff = 1,
            Err(e) => {
                progress(Progress::Failed {
                    message: e.to_string(),
                    retry_in_secs: backoff,
                });
                sleep_unless(stop, nudge, Duration::from_secs(backoff));
                backoff = (backoff * 2).min(60);
                cause = Cause::Retry;
                continue;
            }
        }
        if nudge.load(Ordering::Relaxed) {
            cause = Cause::Nudged;
            continue;
        }
        progress(Progress::Waiting);
        let request = replica.with(|m| m.wait_request(client.base()));
        cause = match request {
            Ok(req) if !req.spaces.is_empty() => {
                // The long-poll itself cannot be interrupted; keep it short enough that a local
                // change waits at most a few seconds when the caller nudges.
                match client.wait(&req) {
                    Ok(woke) if !woke.changed.is_empty() => Cause::RelayWoke,
                    Ok(_) => Cause::WaitTimedOut,
                    Err(_) => Cause::Retry,
                }
            }
            _ => {
                sleep_unless(stop, nudge, Duration::from_secs(5));
                if nudge.load(Ordering::Relaxed) {
                    Cause::Nudged
                } else {
                    Cause::WaitTimedOut
                }
            }
        };
    }
}

fn sleep_unless(stop: &AtomicBool, nudge: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::Relaxed) && !nudge.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        waited += step;
    }
}

impl Mutua {
    /// The long-poll request for every synced group at its last known position.
    pub fn wait_request(&mut self, relay: &str) -> Result<WaitRequest> {
        let mut spaces = Vec::new();
        for id in crate::sync::space::active_spaces(&self.conn)? {
            let Some(space) = crate::sync::space::load_space(&self.conn, &id)? else {
                continue;
            };
            if let Some(since) = self.relay_position(relay, &id)? {
                spaces.push(WaitSpace {
                    space: id,
                    token: space.token()?,
                    since,
                });
            }
        }
        Ok(WaitRequest {
            spaces,
            timeout_ms: WAIT_MS,
        })
    }
}
