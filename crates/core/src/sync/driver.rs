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
}

/// One round with `client`'s relay for every group and pending invitation.
pub fn sync_once<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    progress: &dyn Fn(Progress),
) -> Result<SyncReport> {
    let relay = client.base().to_owned();
    let mut report = SyncReport::default();
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
    // Each pass sends one request; a space with much to send or fetch takes several.
    for _ in 0..10_000 {
        let plan: SpacePlan = replica.with(|m| m.plan_space(client.base(), space))?;
        if let Some(rekey) = &plan.rekey {
            let old = plan.previous_token.as_ref().ok_or_else(|| {
                Error::DatabaseDamaged("the key before a removal is missing".into())
            })?;
            if plan.open {
                open(client, &plan, old, rekey.epoch - 1)?;
            }
            match client.rekey(space, old, rekey) {
                Ok(_) => {}
                // Posted before, and the answer was lost: the relay is at this epoch already.
                Err(RelayError::Refused {
                    code: ErrorCode::Conflict | ErrorCode::TokenRevoked,
                    epoch: Some(e),
                    ..
                }) if e == rekey.epoch => {}
                Err(e) => return Err(e.into()),
            }
            replica.with(|m| m.rekey_posted(space))?;
            continue;
        }
        if plan.open {
            open(client, &plan, &plan.token, plan.epoch)?;
        }
        let response = match client.sync(space, &plan.token, &plan.request) {
            Ok(r) => r,
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

fn open<C: Transport>(
    client: &C,
    plan: &SpacePlan,
    token: &mutua_protocol::Token,
    epoch: u32,
) -> Result<()> {
    match client.open_space(&plan.space, token, epoch) {
        Ok(_) => Ok(()),
        Err(RelayError::Refused {
            code: ErrorCode::TokenRevoked,
            ..
        }) => Ok(()),
        Err(e) => Err(e.into()),
    }
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
    while !stop.load(Ordering::Relaxed) {
        nudge.store(false, Ordering::Relaxed);
        match sync_once(replica, client, progress) {
            Ok(_) => backoff = 1,
            Err(e) => {
                progress(Progress::Failed {
                    message: e.to_string(),
                    retry_in_secs: backoff,
                });
                sleep_unless(stop, nudge, Duration::from_secs(backoff));
                backoff = (backoff * 2).min(60);
                continue;
            }
        }
        if nudge.load(Ordering::Relaxed) {
            continue;
        }
        progress(Progress::Waiting);
        let request = replica.with(|m| m.wait_request(client.base()));
        match request {
            Ok(req) if !req.spaces.is_empty() => {
                // The long-poll itself cannot be interrupted; keep it short enough that a local
                // change waits at most a few seconds when the caller nudges.
                let _ = client.wait(&req);
            }
            _ => sleep_unless(stop, nudge, Duration::from_secs(5)),
        }
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
