//! The baseline for bytes on the wire: Automerge's own sync protocol (`automerge::sync`)
//! between two replicas holding the same documents Mutua synced, one protocol run per
//! document, all documents in parallel over one connection (as automerge-repo multiplexes
//! them). Every message is encoded to bytes and decoded on the other side; bytes are the sum
//! of encoded sync messages (no framing: a websocket frame and automerge-repo's CBOR wrapper
//! would add roughly 60–100 bytes per message, which we leave out in the baseline's favour).
//!
//! A *round trip* is one flight from A to B and one back; the run ends when neither side has
//! anything to send. "Saved state" runs first sync the two sides at the earlier point, encode
//! and decode both `sync::State`s (as a device would persist them), then sync the new data.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{Automerge, Change};
use mutua_core::changes::ChangeSet;
use serde::Serialize;

/// What one baseline run cost.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AmRun {
    pub bytes: u64,
    pub messages: u64,
    pub round_trips: u64,
    pub documents: u64,
    /// Time spent generating, encoding, decoding and applying messages (no network).
    pub millis: f64,
}

/// Documents by name, from a Mutua change set, keeping only what travels to a relay (group
/// and one-to-one documents).
pub fn documents(set: &ChangeSet) -> Result<BTreeMap<String, Automerge>> {
    let mut out = BTreeMap::new();
    for (id, changes) in &set.docs {
        let name = id.to_string();
        if !(name.starts_with("group/") || name.starts_with("dm/")) {
            continue;
        }
        let mut doc = Automerge::new();
        let parsed = changes
            .iter()
            .map(|c| Change::from_bytes(c.clone()).context("a stored change"))
            .collect::<Result<Vec<_>>>()?;
        doc.apply_changes(parsed).context("applying changes")?;
        out.insert(name, doc);
    }
    Ok(out)
}

/// Syncs `a` towards `b` (both end equal). `saved`: the two sides synced before at state
/// `earlier` (a subset of `b`) and kept their sync states.
pub fn run(
    a: &BTreeMap<String, Automerge>,
    b: &BTreeMap<String, Automerge>,
    earlier: Option<&BTreeMap<String, Automerge>>,
) -> Result<AmRun> {
    let names: Vec<String> = a
        .keys()
        .chain(b.keys())
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut pairs = Vec::new();
    for name in &names {
        let doc_a = a.get(name).cloned().unwrap_or_default();
        let doc_b = b.get(name).cloned().unwrap_or_default();
        let (state_a, state_b) = match earlier.and_then(|e| e.get(name)) {
            Some(before) => {
                let mut x = before.clone();
                let mut y = before.clone();
                let (mut sx, mut sy) = (State::new(), State::new());
                lockstep(&mut [(&mut x, &mut sx, &mut y, &mut sy)])?;
                (
                    State::decode(&sx.encode()).context("decoding a saved state")?,
                    State::decode(&sy.encode()).context("decoding a saved state")?,
                )
            }
            None => (State::new(), State::new()),
        };
        pairs.push((doc_a, state_a, doc_b, state_b));
    }
    let started = Instant::now();
    let mut refs: Vec<_> = pairs
        .iter_mut()
        .map(|(x, sx, y, sy)| (x, sx, y, sy))
        .collect();
    let mut run = lockstep(&mut refs)?;
    run.millis = started.elapsed().as_secs_f64() * 1000.0;
    run.documents = names.len() as u64;
    for (x, _, y, _) in &pairs {
        let (mut hx, mut hy) = (x.get_heads(), y.get_heads());
        hx.sort();
        hy.sort();
        if hx != hy {
            bail!("the baseline's sync did not converge");
        }
    }
    Ok(run)
}

type Side<'a> = (
    &'a mut Automerge,
    &'a mut State,
    &'a mut Automerge,
    &'a mut State,
);

fn lockstep(pairs: &mut [Side<'_>]) -> Result<AmRun> {
    let mut run = AmRun::default();
    for _ in 0..10_000 {
        let mut any = false;
        for (a, sa, b, sb) in pairs.iter_mut() {
            if let Some(m) = a.generate_sync_message(sa) {
                any = true;
                deliver(m, b, sb, &mut run)?;
            }
        }
        for (a, sa, b, sb) in pairs.iter_mut() {
            if let Some(m) = b.generate_sync_message(sb) {
                any = true;
                deliver(m, a, sa, &mut run)?;
            }
        }
        if !any {
            return Ok(run);
        }
        run.round_trips += 1;
    }
    bail!("the baseline's sync did not finish")
}

fn deliver(m: Message, to: &mut Automerge, state: &mut State, run: &mut AmRun) -> Result<()> {
    let bytes = m.encode();
    run.bytes += bytes.len() as u64;
    run.messages += 1;
    let m = Message::decode(&bytes).context("decoding a sync message")?;
    to.receive_sync_message(state, m)
        .context("receiving a sync message")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn doc_with(n: usize, base: Option<&Automerge>) -> Automerge {
        let mut doc = base.cloned().unwrap_or_default();
        for i in 0..n {
            let mut tx = doc.transaction();
            tx.put(
                automerge::ROOT,
                format!("k{i}-{}", base.is_some()),
                i as i64,
            )
            .expect("put");
            tx.commit();
        }
        doc
    }

    #[test]
    fn saved_state_sends_less_than_a_fresh_start_and_both_converge() {
        let before = doc_with(200, None);
        let after = doc_with(1, Some(&before));
        let a = BTreeMap::from([("group/x".to_owned(), before.clone())]);
        let b = BTreeMap::from([("group/x".to_owned(), after)]);
        let fresh = run(&a, &b, None).expect("fresh");
        let saved = run(&a, &b, Some(&a)).expect("saved");
        assert!(fresh.bytes > 0 && saved.bytes > 0);
        assert!(saved.bytes <= fresh.bytes, "{saved:?} vs {fresh:?}");
        let same = run(&a, &a, Some(&a)).expect("in sync");
        assert!(same.bytes < fresh.bytes);
    }
}
