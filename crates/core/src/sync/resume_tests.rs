//! Sync over a link that drops: what arrived before a cut is kept, a lost answer to a push does
//! not make the push go again, fetching goes before pushing, and progress says what is left.
//! The in-memory relay of [`super::tests`] stands behind a link that fails one chosen request;
//! the real relay behind an emulated poor link is `tests/tests/poor_link.rs`.

use std::cell::{Cell, RefCell};
use std::sync::Mutex;
use std::time::Duration;

use mutua_protocol::{
    Rekey, Rekeys, SpaceId, SpaceInfo, SyncRequest, SyncResponse, Token, WaitRequest, WaitResponse,
};

use super::tests::{FakeRelay, pair_in_person, sync, with};
use crate::error::Error;
use crate::groups::GroupKind;
use crate::messages::NewMessage;
use crate::store::Mutua;
use crate::sync::client::{RelayError, Transport};
use crate::sync::driver::{Progress, sync_once};

const RELAY: &str = "http://relay.test";

/// Which half of a request the link loses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lose {
    /// The request never reaches the relay.
    Request,
    /// The relay acts on it; its answer never comes back.
    Reply,
}

/// One sync request as the link saw it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    space: SpaceId,
    pushed: usize,
    want_vector: bool,
    since: Option<u64>,
    more: bool,
    received: usize,
}

/// The fake relay behind a link that fails request number `n` (from 1) of `space`.
struct CutLink<'a> {
    relay: &'a FakeRelay,
    cut: Option<(SpaceId, usize, Lose)>,
    calls: Cell<usize>,
    seen: RefCell<Vec<Seen>>,
}

impl<'a> CutLink<'a> {
    fn new(relay: &'a FakeRelay, cut: Option<(SpaceId, usize, Lose)>) -> CutLink<'a> {
        CutLink {
            relay,
            cut,
            calls: Cell::new(0),
            seen: RefCell::new(Vec::new()),
        }
    }

    /// Requests of `space`, in order.
    fn seen(&self, space: &SpaceId) -> Vec<Seen> {
        self.seen
            .borrow()
            .iter()
            .filter(|s| s.space == *space)
            .copied()
            .collect()
    }
}

fn dropped() -> RelayError {
    RelayError::Unreachable("the link dropped".into())
}

impl Transport for CutLink<'_> {
    fn base(&self) -> &str {
        self.relay.base()
    }

    fn open_space(&self, s: &SpaceId, t: &Token, e: u32) -> Result<SpaceInfo, RelayError> {
        self.relay.open_space(s, t, e)
    }

    fn sync(
        &self,
        space: &SpaceId,
        token: &Token,
        request: &SyncRequest,
    ) -> Result<SyncResponse, RelayError> {
        let lose = match self.cut {
            Some((s, n, lose)) if s == *space => {
                let call = self.calls.get() + 1;
                self.calls.set(call);
                (call == n).then_some(lose)
            }
            _ => None,
        };
        if lose == Some(Lose::Request) {
            return Err(dropped());
        }
        let response = self.relay.sync(space, token, request)?;
        self.seen.borrow_mut().push(Seen {
            space: *space,
            pushed: request.push.len(),
            want_vector: request.want_vector,
            since: request.since,
            more: response.more,
            received: response.envelopes.len(),
        });
        match lose {
            Some(_) => Err(dropped()),
            None => Ok(response),
        }
    }

    fn rekey(&self, s: &SpaceId, t: &Token, r: &Rekey) -> Result<SpaceInfo, RelayError> {
        self.relay.rekey(s, t, r)
    }

    fn rekeys(&self, s: &SpaceId, t: &Token, after: u32) -> Result<Rekeys, RelayError> {
        self.relay.rekeys(s, t, after)
    }

    fn wait(&self, request: &WaitRequest) -> Result<WaitResponse, RelayError> {
        self.relay.wait(request)
    }
}

fn space_of(who: &Mutex<Mutua>, group: &str) -> SpaceId {
    with(who, |m| {
        crate::sync::space::space_for_group(&m.conn, group)
            .expect("read")
            .expect("a space")
            .id
    })
}

fn envelopes(who: &Mutex<Mutua>, group: &str) -> usize {
    with(who, |m| {
        m.envelopes_of_group(group).expect("envelopes").len()
    })
}

fn at_relay(relay: &FakeRelay, space: &SpaceId) -> usize {
    relay.spaces.lock().expect("lock")[space].envelopes.len()
}

fn say(who: &Mutex<Mutua>, group: &str, i: usize) {
    with(who, |m| {
        m.send_to_group(
            group,
            NewMessage::text(format!(
                "Message {i}: thanks for checking in yesterday, it meant a lot to me."
            )),
        )
        .expect("send")
    });
}

/// `who` writes `n` messages while online: one envelope each.
fn online_day(relay: &FakeRelay, who: &Mutex<Mutua>, group: &str, n: usize) {
    for i in 0..n {
        say(who, group, i);
        sync(relay, who);
    }
}

/// `who` writes `n` messages offline, sealed `per` to an envelope (as rounds that never
/// reached a relay would have sealed them).
fn offline_day(who: &Mutex<Mutua>, group: &str, space: &SpaceId, n: usize, per: usize) {
    for i in 0..n {
        say(who, group, i);
        if i % per == per - 1 {
            with(who, |m| m.plan_space(RELAY, space).expect("seal"));
        }
    }
}

#[test]
fn a_cut_mid_download_keeps_the_pages_that_arrived() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    online_day(&relay, &a, &g, 120);
    let space = space_of(&b, &g);
    let before = envelopes(&b, &g);
    let lacking = envelopes(&a, &g) - before;
    assert!(lacking >= 120);

    // The third page's answer is lost on the way back.
    let link = CutLink::new(&relay, Some((space, 3, Lose::Reply)));
    let err = sync_once(&b, &link, &|_| {}).expect_err("the link was cut");
    assert!(matches!(err, Error::RelayUnreachable(_)), "{err:?}");
    let kept = envelopes(&b, &g) - before;
    let pages = link.seen(&space);
    assert_eq!(pages.len(), 3);
    assert!(pages[..2].iter().all(|p| p.more), "{pages:?}");
    assert!(kept > 0 && kept < lacking, "{kept} of {lacking} kept");

    // The next round asks from where the last stored page ended and gets only the rest.
    let link = CutLink::new(&relay, None);
    let report = sync_once(&b, &link, &|_| {}).expect("sync");
    let pages = link.seen(&space);
    assert!(pages[0].since.is_some_and(|s| s > 0), "{pages:?}");
    assert_eq!(report.received, lacking - kept, "no page came twice");
    assert_eq!(envelopes(&b, &g), envelopes(&a, &g));
    let messages =
        |who: &Mutex<Mutua>| with(who, |m| m.projection_dump().expect("dump"))["message"].clone();
    assert_eq!(messages(&a), messages(&b));

    // What came from the relay is never pushed back to it: one new message, one envelope up.
    say(&b, &g, 1000);
    let link = CutLink::new(&relay, None);
    let report = sync_once(&b, &link, &|_| {}).expect("sync");
    assert_eq!(report.sent, 1, "{:?}", link.seen(&space));
}

#[test]
fn a_push_whose_answer_was_lost_is_not_sent_again() {
    let relay = FakeRelay::default();
    let (_a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    let space = space_of(&b, &g);
    offline_day(&b, &g, &space, 300, 10);
    let held_before = at_relay(&relay, &space);
    let own = envelopes(&b, &g) - held_before;
    assert!(own >= 30, "{own} envelopes to push");

    // The second push reaches the relay; its answer does not come back.
    let link = CutLink::new(&relay, Some((space, 2, Lose::Reply)));
    sync_once(&b, &link, &|_| {}).expect_err("the link was cut");
    let first = link.seen(&space);
    assert_eq!(first.len(), 2);
    let (p1, p2) = (first[0].pushed, first[1].pushed);
    assert!(p1 > 0 && p2 > 0, "{first:?}");
    assert_eq!(at_relay(&relay, &space), held_before + p1 + p2);

    // The next round first compares holdings with the relay, then pushes only what it lacks.
    let link = CutLink::new(&relay, None);
    sync_once(&b, &link, &|_| {}).expect("sync");
    let second = link.seen(&space);
    assert!(
        second[0].want_vector && second[0].pushed == 0 && second[0].since.is_none(),
        "{second:?}"
    );
    assert_eq!(
        second[0].received, 0,
        "what arrived unacknowledged is not fetched back"
    );
    let pushed: usize = second.iter().map(|s| s.pushed).sum();
    assert_eq!(pushed, own - p1 - p2, "nothing the relay had went again");
    assert_eq!(at_relay(&relay, &space), held_before + own);

    // A request lost on the way out is simply sent again: nothing arrived, nothing to ask.
    offline_day(&b, &g, &space, 20, 10);
    let link = CutLink::new(&relay, Some((space, 1, Lose::Request)));
    sync_once(&b, &link, &|_| {}).expect_err("the link was cut");
    let link = CutLink::new(&relay, None);
    sync_once(&b, &link, &|_| {}).expect("sync");
    assert_eq!(at_relay(&relay, &space), envelopes(&b, &g));
}

#[test]
fn fetching_goes_first_and_progress_says_what_is_left() {
    let relay = FakeRelay::default();
    let (a, b, g) = pair_in_person(&relay, GroupKind::MutualAid);
    let space = space_of(&b, &g);
    online_day(&relay, &a, &g, 120);
    offline_day(&b, &g, &space, 200, 10);
    let lacking = envelopes(&a, &g) - (envelopes(&b, &g) - 20);

    let seen = RefCell::new(Vec::new());
    let link = CutLink::new(&relay, None);
    let report = sync_once(&b, &link, &|p| seen.borrow_mut().push(p)).expect("sync");

    // While the relay said "more", nothing was pushed: own pages would only come back down.
    let requests = link.seen(&space);
    assert!(requests.len() > 3, "{requests:?}");
    for pair in requests.windows(2) {
        if pair[0].more {
            assert_eq!(pair[1].pushed, 0, "{requests:?}");
        }
    }
    // Only the first request's push can come back: far less than all twenty envelopes.
    assert!(report.received < lacking + requests[0].pushed + 1);
    assert_eq!(report.sent, 20);

    let steps: Vec<_> = seen
        .borrow()
        .iter()
        .filter_map(|p| match p {
            Progress::Syncing {
                received,
                sent,
                bytes_received,
                bytes_sent,
                receive_total,
                send_total,
                send_bytes_left,
                ..
            } => Some((
                *received,
                *sent,
                *bytes_received,
                *bytes_sent,
                *receive_total,
                *send_total,
                *send_bytes_left,
            )),
            _ => None,
        })
        .collect();
    // Known totals while fetching: at some point, more was known to be coming.
    assert!(
        steps
            .iter()
            .any(|s| s.4.is_some_and(|total| total > s.0 + 20)),
        "{steps:?}"
    );
    // While pushing: how many envelopes and bytes are left.
    assert!(
        steps.iter().any(|s| s.5 == 20 && s.1 < 20 && s.6 > 0),
        "{steps:?}"
    );
    // Bytes only grow, and the last step has nothing left either way.
    for pair in steps.windows(2) {
        assert!(
            pair[1].2 >= pair[0].2 && pair[1].3 >= pair[0].3,
            "{steps:?}"
        );
    }
    let last = steps
        .iter()
        .rev()
        .find(|s| s.5 > 0)
        .expect("a step of the group");
    assert_eq!((last.1, last.5, last.6), (20, 20, 0), "{steps:?}");
    assert_eq!(report.bytes_received, last.2.max(report.bytes_received));
    assert!(report.bytes_sent > 0 && report.bytes_received > 0);
}

#[test]
fn retries_spread_between_half_and_all_of_the_backoff() {
    let waits: Vec<Duration> = (0..200).map(|_| super::driver::jittered(8)).collect();
    assert!(
        waits
            .iter()
            .all(|w| *w >= Duration::from_secs(4) && *w <= Duration::from_secs(8)),
        "{waits:?}"
    );
    // Not all the same: devices cut off together come back at different times.
    let first = waits[0];
    assert!(waits.iter().any(|w| *w != first));
}
