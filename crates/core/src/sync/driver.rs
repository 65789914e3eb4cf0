//! Sync rounds: plan under the lock, talk to the relay without it, absorb under the lock.
//!
//! [`sync_once`] brings every group this device is in up to date with one relay and returns a
//! report; [`watch`] repeats it forever, waiting on the relay's long-poll in between, and backs
//! off (1 s doubling to 60 s, each wait drawn between half and all of that, so devices cut off
//! together do not return together) while the relay is unreachable. Both report progress
//! through a callback, which the app turns into its status line and the CLI into a progress
//! line: after every page, with counts and bytes each way and what is left when known.
//!
//! **Poor links.** Each request is sized by [`Pace`] from the link's measured throughput to
//! take a few seconds, and what a page brought (the relay's position, what it holds of this
//! device's envelopes) is stored as soon as it arrives. A cut therefore loses at most the page
//! in flight; the next round, or the next `mutua sync`, continues from there. While a space
//! has more to fetch, pushing waits (a page pushed early would only come back down in the
//! relay's later pages). A push whose answer was lost is followed by a comparison rather than
//! a resend: the relay's vector says what of it arrived ([`Mutua::plan_space_within`]).
//!
//! **Quiet spaces.** A member is in many spaces (each group, each direct conversation, their
//! own devices'), and most are quiet in any one round. Before the handshakes, one wait that
//! does not wait names every space where this device has nothing to send, with the position it
//! knows; the relay answers with those that moved. The rest are skipped: nothing moved, one
//! round trip instead of one per space. Any doubt (an error, a key change, envelopes held for
//! a key) leaves a space to its full handshake.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mutua_protocol::{ErrorCode, SpaceId, WaitRequest, WaitSpace};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Mutua;
use crate::sync::client::{RelayError, Transport, WAIT_MS};
use crate::sync::pace::{Direction, Pace};
use crate::sync::{PageBudget, SpacePlan};

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
    /// Reported when a group starts and after every page. Counts are envelopes this round;
    /// bytes are request and response bodies (HTTP headers not counted).
    Syncing {
        groups_done: usize,
        groups: usize,
        received: usize,
        sent: usize,
        bytes_received: u64,
        bytes_sent: u64,
        /// `received` plus what the relay still holds for this device in the group now
        /// syncing, once known (it is asked when a group has more than one page to fetch).
        receive_total: Option<usize>,
        /// `sent` plus what this device still has to push in the group now syncing.
        send_total: usize,
        /// Bytes of envelopes still to push in the group now syncing.
        send_bytes_left: u64,
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
    /// Body bytes sent and received by the round's sync requests.
    pub bytes_sent: u64,
    pub bytes_received: u64,
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
    let mut pace = Pace::new();
    let mut round = Round::new(progress, &mut pace, Cause::Asked);
    run(replica, client, &mut round)
}

/// One round as [`sync_once`], on a link already measured by earlier rounds (`pace`), so its
/// pages start at the right size. A caller that repeats rounds keeps one [`Pace`] for all.
pub fn sync_paced<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    pace: &mut Pace,
    progress: &dyn Fn(Progress),
) -> Result<SyncReport> {
    let mut round = Round::new(progress, pace, Cause::Asked);
    run(replica, client, &mut round)
}

/// What is left in the group now syncing, for the progress line.
#[derive(Debug, Clone, Copy, Default)]
struct Left {
    receive: Option<usize>,
    send: usize,
    send_bytes: u64,
}

/// A round under way: its report so far, the link's pace, and where to tell progress.
struct Round<'a> {
    progress: &'a dyn Fn(Progress),
    pace: &'a mut Pace,
    report: SyncReport,
    groups: usize,
    group: usize,
}

impl<'a> Round<'a> {
    fn new(progress: &'a dyn Fn(Progress), pace: &'a mut Pace, cause: Cause) -> Round<'a> {
        Round {
            progress,
            pace,
            report: SyncReport {
                cause,
                ..SyncReport::default()
            },
            groups: 0,
            group: 0,
        }
    }

    fn tell(&self, left: Left) {
        let r = &self.report;
        (self.progress)(Progress::Syncing {
            groups_done: self.group,
            groups: self.groups,
            received: r.received,
            sent: r.sent,
            bytes_received: r.bytes_received,
            bytes_sent: r.bytes_sent,
            receive_total: left.receive.map(|n| r.received + n),
            send_total: r.sent + left.send,
            send_bytes_left: left.send_bytes,
        });
    }

    /// Whether anything moved in this round (a failed round that moved something was cut, not
    /// refused: worth retrying soon).
    fn moved(&self) -> bool {
        self.report.bytes_received + self.report.bytes_sent > 0
    }
}

fn run<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    round: &mut Round<'_>,
) -> Result<SyncReport> {
    let relay = client.base().to_owned();
    // Invitations first: an approval received now lets the new group sync in this same round.
    let exchanges = replica.with(|m| m.invite_exchanges(&relay))?;
    for ex in exchanges {
        match exchange_invite(replica, client, &ex) {
            Ok(news) => round.report.notices.extend(news),
            Err(e) if is_unreachable(&e) => return Err(e),
            Err(e) => round.report.errors.push(format!("invitation: {e}")),
        }
    }
    // Answers made just now (approvals, pairings) go out in this round; if this fails, the next.
    for ex in replica.with(|m| m.invite_answers_to_send(&relay))? {
        let news = exchange_invite(replica, client, &ex).unwrap_or_default();
        round.report.notices.extend(news);
    }
    let spaces = replica.with(|m| m.sync_spaces())?;
    round.report.groups = spaces.len();
    round.groups = spaces.len();
    let quiet = quiet_spaces(replica, client, &spaces, round)?;
    for (i, space) in spaces.iter().enumerate() {
        round.group = i;
        round.tell(Left::default());
        if quiet.contains(space) {
            continue;
        }
        match sync_space(replica, client, space, round) {
            Ok(()) => {}
            Err(e) if is_unreachable(&e) => return Err(e),
            Err(Error::RemovedFromGroup(name)) => {
                round
                    .report
                    .notices
                    .push(format!("you were removed from \"{name}\""));
            }
            Err(e) => {
                let name = replica.with(|m| {
                    Ok(crate::sync::space::load_space(&m.conn, space)?
                        .map(|s| m.group_name(&s.group_id))
                        .unwrap_or_default())
                })?;
                round.report.errors.push(format!("{name}: {e}"));
            }
        }
    }
    round.report.held = replica.with(|m| m.held_envelopes())?;
    if round.report.errors.is_empty() {
        replica.with(|m| m.set_last_synced())?;
    }
    (round.progress)(Progress::Done(round.report.clone()));
    Ok(round.report.clone())
}

/// Most spaces one quiet check names (a relay takes 256 in one wait by default).
const QUIET_CHECK_SPACES: usize = 200;

/// The spaces this round can leave alone: this device has nothing to send there, and the relay
/// says nothing arrived since the position this device knows (one wait that does not wait, for
/// all of them). An error other than an unreachable relay leaves every space to its handshake.
fn quiet_spaces<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    spaces: &[SpaceId],
    round: &mut Round<'_>,
) -> Result<HashSet<SpaceId>> {
    let mut candidates = Vec::new();
    for space in spaces {
        // A departure that arrived by another route: the key changes first, not quiet.
        match replica.with(|m| m.rotate_after_leave(space)) {
            Ok(true) => round.report.rotated += 1,
            Ok(false) => {
                if let Ok(Some(known)) = replica.with(|m| m.quiet_candidate(client.base(), space)) {
                    candidates.push(known);
                }
            }
            // The handshake meets the same error and reports it for this group.
            Err(_) => {}
        }
    }
    let mut quiet = HashSet::new();
    // For one space, its own handshake costs the same one round trip.
    if candidates.len() < 2 {
        return Ok(quiet);
    }
    for chunk in candidates.chunks(QUIET_CHECK_SPACES) {
        let request = WaitRequest {
            spaces: chunk.to_vec(),
            // Not 0: that is the relay's default wait.
            timeout_ms: 1,
        };
        round.report.bytes_sent += mutua_protocol::encode(&request).len() as u64;
        match client.wait(&request) {
            Ok(answer) => {
                round.report.bytes_received += mutua_protocol::encode(&answer).len() as u64;
                let moved: HashSet<SpaceId> = answer.changed.iter().map(|(s, _)| *s).collect();
                quiet.extend(chunk.iter().map(|w| w.space).filter(|s| !moved.contains(s)));
            }
            Err(RelayError::Unreachable(why)) => return Err(Error::RelayUnreachable(why)),
            Err(_) => {}
        }
    }
    Ok(quiet)
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
    round: &mut Round<'_>,
) -> Result<()> {
    let moved_before = round.report.sent + round.report.received;
    if replica.with(|m| m.wants_checkpoints(client.base(), space))? {
        load_checkpoints(replica, client, space, round)?;
    }
    if replica.with(|m| m.rotate_after_leave(space))? {
        round.report.rotated += 1;
    }
    settle(replica, client, space, round)?;
    if round.report.sent + round.report.received > moved_before {
        upload_checkpoints(replica, client, space, round)?;
    }
    Ok(())
}

fn settle<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    round: &mut Round<'_>,
) -> Result<()> {
    // Key changes this device learned by another route (a meeting hub, a sync file) may be
    // missing here: the relay then knows none of this device's recent tokens. The logged ones
    // are forwarded, once per call (`super::forward`).
    let mut forwarded = false;
    let mut behind = |e: &RelayError| {
        let unknown_token = matches!(
            e,
            RelayError::Refused {
                code: ErrorCode::Unauthorized | ErrorCode::Conflict,
                epoch: None,
                ..
            }
        );
        unknown_token && !std::mem::replace(&mut forwarded, true)
    };
    // The last answer said there is more to fetch: fetch it before pushing more.
    let mut fetching = false;
    // The relay's position when asked (once per group and round, only if there is much).
    let mut head: Option<u64> = None;
    // Each pass sends one request; a space with much to send or fetch takes several.
    for _ in 0..10_000 {
        let budget = PageBudget {
            push_envelopes: crate::sync::pace::MAX_UP_ENVELOPES,
            push_bytes: round.pace.push_budget(),
            fetch: round.pace.fetch_limit(),
        };
        let budget = if fetching {
            budget.fetch_only()
        } else {
            budget
        };
        let plan: SpacePlan =
            replica.with(|m| m.plan_space_within(client.base(), space, budget))?;
        if let Some(rekey) = &plan.rekey {
            let old = plan.previous_token.as_ref().ok_or_else(|| {
                Error::DatabaseDamaged("the key before a removal is missing".into())
            })?;
            if plan.open {
                match open(client, &plan, old, rekey.epoch - 1) {
                    Err(e) if behind(&e) => {
                        if super::forward::bring_relay_up_to_date(replica, client, space)? {
                            continue;
                        }
                        return Err(e.into());
                    }
                    other => other?,
                }
            }
            match client.rekey(space, old, rekey) {
                Ok(_) => {}
                Err(e) if behind(&e) => {
                    if super::forward::bring_relay_up_to_date(replica, client, space)? {
                        continue;
                    }
                    return Err(e.into());
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
            super::forward::open_space(replica, client, &plan)?;
        }
        let pushing = !plan.request.push.is_empty();
        if pushing {
            // If the answer is lost, the next plan asks what arrived instead of resending.
            replica.with(|m| m.set_push_unconfirmed(client.base(), space, true))?;
        }
        let sent_bytes = mutua_protocol::encode(&plan.request).len();
        let started = Instant::now();
        let response = match client.sync(space, &plan.token, &plan.request) {
            Ok(r) => r,
            Err(RelayError::Unreachable(why)) => {
                round.pace.failed(if pushing {
                    Direction::Up
                } else {
                    Direction::Down
                });
                return Err(Error::RelayUnreachable(why));
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
            // The relay is behind on key changes this device carries (from another route).
            Err(e) if behind(&e) => {
                if super::forward::bring_relay_up_to_date(replica, client, space)? {
                    continue;
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let received_bytes = mutua_protocol::encode(&response).len();
        round.pace.record(
            sent_bytes,
            received_bytes,
            response.envelopes.len(),
            started.elapsed(),
        );
        let opened = replica.with(|m| m.absorb_space(&plan, &response))?;
        let report = &mut round.report;
        report.sent += plan.request.push.len();
        report.received += response.envelopes.len();
        report.bytes_sent += sent_bytes as u64;
        report.bytes_received += received_bytes as u64;
        report.applied += opened.applied;
        report.rejected += opened.rejected;
        let receive_left = if response.more {
            if head.is_none() {
                // Much to fetch: one small question tells how much, for the progress line.
                head = client
                    .open_space(space, &plan.token, plan.epoch)
                    .ok()
                    .map(|info| info.position);
            }
            head.map(|h| usize::try_from(h.saturating_sub(response.position)).unwrap_or(0))
        } else {
            Some(0)
        };
        round.tell(Left {
            receive: receive_left,
            send: plan.unsent,
            send_bytes: plan.unsent_bytes,
        });
        // A member left (their roster entry arrived just now): rotate before sending more.
        if replica.with(|m| m.rotate_after_leave(space))? {
            round.report.rotated += 1;
            continue;
        }
        fetching = response.more;
        if response.more || plan.unsent > 0 {
            continue;
        }
        if !pushing {
            return Ok(());
        }
        // Pushed something: one more pass confirms nothing is left (cheap: `since`).
        let again = replica.with(|m| m.plan_space(client.base(), space))?;
        if again.request.push.is_empty() && again.rekey.is_none() {
            return Ok(());
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
    round: &mut Round<'_>,
) -> Result<()> {
    let plan: SpacePlan = replica.with(|m| m.plan_space(client.base(), space))?;
    if plan.rekey.is_some() || !plan.open {
        return Ok(());
    }
    super::forward::open_space(replica, client, &plan)?;
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
    round.report.bytes_received += found.iter().map(|e| e.to_bytes().len() as u64).sum::<u64>();
    let loaded = replica.with(|m| m.absorb_checkpoints(client.base(), space, &found))?;
    round.report.checkpoints_loaded += loaded.loaded;
    Ok(())
}

/// Uploads the checkpoints that are due. A refusal (quota, an older relay) is not an error of
/// the round: envelopes remain the source of truth. On a link too slow for a checkpoint to go
/// up in a few seconds it waits: a better-connected member's device, or a better day, uploads
/// it (checkpoints only save later joiners time; nothing depends on them).
fn upload_checkpoints<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
    round: &mut Round<'_>,
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
        let size = checkpoint.envelope.to_bytes().len();
        if !round.pace.affords_upload(size) {
            continue;
        }
        match client.put_checkpoint(space, &token, &checkpoint.envelope) {
            Ok(_) => {
                replica.with(|m| m.checkpoint_uploaded(client.base(), space, &checkpoint))?;
                round.report.checkpoints_sent += 1;
                round.report.bytes_sent += size as u64;
            }
            Err(RelayError::Unreachable(why)) => return Err(Error::RelayUnreachable(why)),
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

pub(crate) fn open<C: Transport>(
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
/// with backoff; every outcome is reported through `progress`. The link is measured across
/// rounds, so pages keep the size that fits it.
pub fn watch<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    stop: &AtomicBool,
    nudge: &AtomicBool,
    progress: &dyn Fn(Progress),
) {
    let mut pace = Pace::new();
    let mut backoff = 1u64;
    let mut cause = Cause::Asked;
    while !stop.load(Ordering::Relaxed) {
        nudge.store(false, Ordering::Relaxed);
        let mut round = Round::new(progress, &mut pace, cause);
        match run(replica, client, &mut round) {
            Ok(_) => backoff = 1,
            Err(e) => {
                // A round cut off after it moved something found the relay there: the link
                // dropped. Try again soon rather than after a long pause.
                if round.moved() {
                    backoff = 1;
                }
                let wait = jittered(backoff);
                progress(Progress::Failed {
                    message: e.to_string(),
                    retry_in_secs: wait.as_secs_f64().ceil() as u64,
                });
                sleep_unless(stop, nudge, wait);
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

/// Between half and all of `secs` seconds, at random: devices that lost the relay together
/// (a relay restart, a cell tower going down) do not all come back in the same second.
pub(crate) fn jittered(secs: u64) -> Duration {
    let full = Duration::from_secs(secs.max(1));
    let share = mutua_protocol::random::<2>()
        .map(u16::from_le_bytes)
        .unwrap_or(u16::MAX);
    full / 2 + full.mul_f64(f64::from(share) / f64::from(u16::MAX) / 2.0)
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
    /// `space_id` as a quiet check names it, when a round may skip it if the relay has nothing
    /// new: this device has been there before and has nothing to send there, no key change to
    /// post, no answer to a push outstanding and no envelope held back waiting for a key.
    pub fn quiet_candidate(
        &mut self,
        relay: &str,
        space_id: &SpaceId,
    ) -> Result<Option<WaitSpace>> {
        // Counts what is left to send without reading it: the handshake reads it if need be.
        let plan = self.plan_space_within(relay, space_id, PageBudget::default().fetch_only())?;
        let Some(since) = plan.request.since else {
            return Ok(None);
        };
        let quiet = !plan.open
            && plan.rekey.is_none()
            && plan.unsent == 0
            && !crate::sync::space::holds_back(&self.conn, space_id)?;
        Ok(quiet.then(|| WaitSpace {
            space: *space_id,
            token: plan.token,
            since,
        }))
    }

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
