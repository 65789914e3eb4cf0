//! Measures 1 and 2: bytes on the wire, round trips and time for the sync scenarios,
//! through Mutua's real sync path (`sync_once` + `RelayClient` against a real relay process on
//! loopback), with Automerge's own sync protocol on the same documents as the baseline.
//!
//! The device under test ("D") talks to the relay through a [`CountingProxy`] when its bytes
//! are counted, and directly when only time is measured; a [`Counted`] transport keeps D's
//! relay address the same either way (a device keys what it knows about a relay by address)
//! and counts requests: each is one HTTP round trip.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Result;
use automerge::Automerge;
use mutua_core::Mutua;
use mutua_core::changes::Scope;
use mutua_core::sync::InviteMode;
use mutua_core::sync::client::{RelayClient, RelayError, Transport};
use mutua_protocol::{
    Checkpoints, Envelope, Rekey, Rekeys, SpaceId, SpaceInfo, SyncRequest, SyncResponse, Token,
    WaitRequest, WaitResponse,
};
use serde::Serialize;

use crate::amsync::{self, AmRun};
use crate::group::{GroupScale, GroupYear, lock, pseudonym, sync_ok};
use crate::progress;
use crate::proxy::{CountingProxy, Traffic};
use crate::relay::{Relay, RelayStorage};
use crate::stats;

/// A transport that reports `base` as its relay address but sends through `inner` (the
/// counting proxy), counting requests.
#[derive(Debug)]
pub struct Counted {
    base: String,
    inner: RelayClient,
    pub requests: AtomicU64,
}

impl Counted {
    pub fn new(base: &str, via: &str) -> Result<Counted> {
        Ok(Counted {
            base: base.trim_end_matches('/').to_owned(),
            inner: RelayClient::new(via)?,
            requests: AtomicU64::new(0),
        })
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }
}

impl Transport for Counted {
    fn base(&self) -> &str {
        &self.base
    }
    fn open_space(&self, s: &SpaceId, t: &Token, e: u32) -> Result<SpaceInfo, RelayError> {
        self.count();
        self.inner.open_space(s, t, e)
    }
    fn sync(&self, s: &SpaceId, t: &Token, r: &SyncRequest) -> Result<SyncResponse, RelayError> {
        self.count();
        self.inner.sync(s, t, r)
    }
    fn rekey(&self, s: &SpaceId, t: &Token, r: &Rekey) -> Result<SpaceInfo, RelayError> {
        self.count();
        self.inner.rekey(s, t, r)
    }
    fn rekeys(&self, s: &SpaceId, t: &Token, after: u32) -> Result<Rekeys, RelayError> {
        self.count();
        self.inner.rekeys(s, t, after)
    }
    fn wait(&self, r: &WaitRequest) -> Result<WaitResponse, RelayError> {
        self.count();
        self.inner.wait(r)
    }
    fn put_checkpoint(
        &self,
        s: &SpaceId,
        t: &Token,
        c: &Envelope,
    ) -> Result<SpaceInfo, RelayError> {
        self.count();
        self.inner.put_checkpoint(s, t, c)
    }
    fn checkpoints(&self, s: &SpaceId, t: &Token) -> Result<Checkpoints, RelayError> {
        self.count();
        self.inner.checkpoints(s, t)
    }
}

/// One scenario's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    /// HTTP bytes, device → relay and back, headers included.
    pub up: u64,
    pub down: u64,
    /// HTTP requests (each one round trip).
    pub requests: u64,
    /// Median time of the round(s) measured, in ms.
    pub millis: f64,
    pub timed_runs: usize,
    pub envelopes_received: usize,
    pub checkpoints_loaded: usize,
    pub fresh: AmRun,
    /// `None` where there was no earlier contact to save state from (a new device).
    pub saved: Option<AmRun>,
}

/// Everything measured against one relay backend.
#[derive(Debug, Clone, Serialize)]
pub struct WireResults {
    pub backend: String,
    pub scale: GroupScale,
    pub generate_secs: f64,
    pub group_raw_bytes: u64,
    pub relay_peak_rss_kib: Option<u64>,
    pub scenarios: Vec<Scenario>,
}

/// How the scenarios are run.
#[derive(Debug, Clone, Copy)]
pub struct WirePlan {
    pub scale: GroupScale,
    /// Timed repetitions of the repeatable scenarios.
    pub reps: usize,
    /// The two catch-up sizes.
    pub catch_up: [usize; 2],
    /// Messages per author sync while D is away in the larger catch-up (1 = fully live).
    pub big_batch: usize,
}

fn shared_docs(m: &Mutex<Mutua>) -> Result<BTreeMap<String, Automerge>> {
    let set = lock(m)?.changes_since(&Default::default(), Scope::Shared)?;
    amsync::documents(&set)
}

pub fn run(storage: RelayStorage, backend: &str, plan: WirePlan, seed: u64) -> Result<WireResults> {
    let relay = Relay::start(&storage)?;
    let direct = RelayClient::new(relay.url())?;
    let proxy = CountingProxy::start(relay.addr())?;
    let counted = Counted::new(relay.url(), &proxy.url())?;
    let started = Instant::now();
    progress(&format!(
        "[{backend}] generating the year-old group ({} members, {} messages, {} direct)",
        plan.scale.members, plan.scale.messages, plan.scale.direct
    ));
    let mut group = GroupYear::generate(plan.scale, &direct, seed)?;
    let generate_secs = started.elapsed().as_secs_f64();
    let d = 1usize;
    sync_ok(&group.members[d], &direct)?;
    let mut scenarios = Vec::new();

    // Already in sync.
    let before = shared_docs(&group.members[d])?;
    let mut s = measure(&group.members[d], &counted, &proxy, "already in sync")?;
    s.millis = stats::median(&timed(plan.reps, || {
        sync_ok(&group.members[d], &direct).map(|_| ())
    })?);
    s.timed_runs = plan.reps;
    s.fresh = amsync::run(&before, &before, None)?;
    s.saved = Some(amsync::run(&before, &before, Some(&before))?);
    progress(&format!(
        "[{backend}] already in sync: {} B, {} requests",
        s.up + s.down,
        s.requests
    ));
    scenarios.push(s);

    // One new message to a reconnecting device: the first is counted, the rest timed.
    group.say_live(0, &direct)?;
    let before_one = before;
    let mut s = measure(&group.members[d], &counted, &proxy, "one new message")?;
    let after = shared_docs(&group.members[d])?;
    s.fresh = amsync::run(&before_one, &after, None)?;
    s.saved = Some(amsync::run(&before_one, &after, Some(&before_one))?);
    let mut times = Vec::new();
    for i in 0..plan.reps {
        group.say_live(2 + i % (plan.scale.members - 2), &direct)?;
        times.extend(timed(1, || {
            sync_ok(&group.members[d], &direct).map(|_| ())
        })?);
    }
    s.millis = stats::median(&times);
    s.timed_runs = plan.reps;
    progress(&format!(
        "[{backend}] one new message: {} B, {} requests",
        s.up + s.down,
        s.requests
    ));
    scenarios.push(s);

    // Catch-up after n missed messages, written live by the others while D is away.
    for (i, n) in plan.catch_up.into_iter().enumerate() {
        let batch = if i == 1 { plan.big_batch } else { 1 };
        let before = shared_docs(&group.members[d])?;
        group.missed(n, batch, &direct)?;
        let mut s = measure(
            &group.members[d],
            &counted,
            &proxy,
            &format!("catch-up after {n} missed"),
        )?;
        let after = shared_docs(&group.members[d])?;
        s.fresh = amsync::run(&before, &after, None)?;
        s.saved = Some(amsync::run(&before, &after, Some(&before))?);
        progress(&format!(
            "[{backend}] catch-up {n}: {} B, {} requests, {:.0} ms",
            s.up + s.down,
            s.requests,
            s.millis
        ));
        scenarios.push(s);
    }

    // A new device joins the year-old group (in person: the code carries the keys).
    let code = lock(&group.members[0])?
        .create_invite(&group.group_id, InviteMode::InPerson)?
        .code;
    let mut newcomer = Mutua::ephemeral(&pseudonym(plan.scale.members))?;
    newcomer.accept_invite(&code)?;
    let newcomer = Mutex::new(newcomer);
    let joined_counter = Counted::new(relay.url(), &proxy.url())?;
    let mut s = measure(
        &newcomer,
        &joined_counter,
        &proxy,
        "new device joins the year-old group",
    )?;
    let after = shared_docs(&newcomer)?;
    s.fresh = amsync::run(&BTreeMap::new(), &after, None)?;
    s.saved = None;
    progress(&format!(
        "[{backend}] join: {} B, {} requests, {:.0} ms",
        s.up + s.down,
        s.requests,
        s.millis
    ));
    scenarios.push(s);

    Ok(WireResults {
        backend: backend.to_owned(),
        scale: plan.scale,
        generate_secs,
        group_raw_bytes: group.raw_bytes,
        relay_peak_rss_kib: crate::relay::peak_rss_kib(relay.pid()),
        scenarios,
    })
}

/// One counted round of `who` through the proxy.
fn measure(
    who: &Mutex<Mutua>,
    counted: &Counted,
    proxy: &CountingProxy,
    name: &str,
) -> Result<Scenario> {
    let before: Traffic = proxy.traffic();
    let requests = counted.requests.load(Ordering::SeqCst);
    let started = Instant::now();
    let report = sync_ok(who, counted)?;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let traffic = proxy.traffic().since(before);
    Ok(Scenario {
        name: name.to_owned(),
        up: traffic.up,
        down: traffic.down,
        requests: counted.requests.load(Ordering::SeqCst) - requests,
        millis,
        timed_runs: 1,
        envelopes_received: report.received,
        checkpoints_loaded: report.checkpoints_loaded,
        fresh: AmRun::default(),
        saved: None,
    })
}

fn timed(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(reps);
    for _ in 0..reps {
        let started = Instant::now();
        f()?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// Group scale for the smoke test.
pub fn tiny_plan() -> WirePlan {
    WirePlan {
        scale: GroupScale::TINY,
        reps: 2,
        catch_up: [3, 6],
        big_batch: 2,
    }
}
