//! Store-and-forward of key changes between routes (an internet relay, a meeting hub).
//!
//! Envelopes already travel on by any route: every one is kept verbatim, and a round pushes
//! whatever a relay lacks. Key changes did not: a rekey was posted once, to whichever relay the
//! facilitator's device talked to, and forgotten. Then a removal done at a meeting, on the
//! hub, never reached the internet relay: the hub's host came home at the new epoch, the relay
//! still knew only the old token and refused it, and members who were not at the meeting could
//! never catch up.
//!
//! So every rekey this device makes or accepts is logged (after its signature and key chain were
//! checked, in [`super::members`]), and a relay that turns out to be behind gets the missing
//! ones, in order, each posted with the token of the epoch before it — exactly what the
//! facilitator's device would have posted. Two cases:
//! * a space opened on a relay for the first time is opened at the oldest epoch whose chain this
//!   device can replay ([`open_space`]), so members who still hold an older key can fetch the
//!   rekeys from that relay too (a hub whose only visitors were at the new epoch would otherwise
//!   strand everybody who was not);
//! * a relay that refuses the current token as unknown ([`bring_relay_up_to_date`]) is asked
//!   which older token it knows, and given the rekeys after it.
//!
//! The log lives in `sync_setting` (`rekey-log:<space>:<epoch>`), so no schema change was
//! needed. If two routes took *different* rekeys for the same epoch (a removal at the meeting
//! while someone else removed a member online), the group's key has forked: this is reported
//! in words and nothing is overwritten.

use mutua_protocol::{ErrorCode, Rekey, SpaceId, Token};
use rusqlite::params;

use crate::error::{Error, Result};
use crate::store::Mutua;
use crate::sync::SpacePlan;
use crate::sync::client::{RelayError, Transport};
use crate::sync::driver::Replica;
use crate::sync::{space, tables};

fn log_key(space: &SpaceId, epoch: u32) -> String {
    // Zero-padded so the keys sort by epoch.
    format!("rekey-log:{space}:{epoch:010}")
}

/// Remembers `rekey` so it can be posted to relays that lack it.
pub(crate) fn log_rekey(conn: &rusqlite::Connection, space: &SpaceId, rekey: &Rekey) -> Result<()> {
    tables::set_setting(
        conn,
        &log_key(space, rekey.epoch),
        Some(&hex::encode(mutua_protocol::encode(rekey))),
    )
}

/// Forgets the logged rekey of `epoch` (this device's own, which lost to another member's).
pub(crate) fn unlog_rekey(conn: &rusqlite::Connection, space: &SpaceId, epoch: u32) -> Result<()> {
    tables::set_setting(conn, &log_key(space, epoch), None)
}

/// What this device can replay to a relay: from `base` (whose key it holds) up to its current
/// epoch, one logged rekey per step.
#[derive(Debug)]
pub(crate) struct Chain {
    pub base: u32,
    /// Tokens of epochs `base..current`, by epoch.
    tokens: std::collections::BTreeMap<u32, Token>,
    /// Rekeys to epochs `base + 1..=current`, in order.
    pub rekeys: Vec<Rekey>,
}

impl Chain {
    fn token(&self, epoch: u32) -> Option<&Token> {
        self.tokens.get(&epoch)
    }
}

impl Mutua {
    /// The rekeys this device logged for `space`, oldest first.
    pub fn logged_rekeys(&self, space: &SpaceId) -> Result<Vec<Rekey>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT value FROM sync_setting WHERE key >= ?1 AND key < ?2 ORDER BY key",
        )?;
        let prefix = format!("rekey-log:{space}:");
        let end = format!("rekey-log:{space};");
        let rows = stmt.query_map(params![prefix, end], |row| row.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let bytes = hex::decode(row?)
                .map_err(|_| Error::DatabaseDamaged("a logged key change is malformed".into()))?;
            out.push(
                mutua_protocol::decode(&bytes)
                    .map_err(|e| Error::DatabaseDamaged(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// The longest chain of logged rekeys that ends at the current epoch.
    pub(crate) fn rekey_chain(&self, space_id: &SpaceId) -> Result<Option<Chain>> {
        let Some(space) = space::load_space(&self.conn, space_id)? else {
            return Ok(None);
        };
        let logged: std::collections::BTreeMap<u32, Rekey> = self
            .logged_rekeys(space_id)?
            .into_iter()
            .map(|r| (r.epoch, r))
            .collect();
        let mut base = space.epoch;
        while base > 0 && logged.contains_key(&base) && space.keys.contains_key(&(base - 1)) {
            base -= 1;
        }
        let rekeys: Vec<Rekey> = (base + 1..=space.epoch)
            .filter_map(|e| logged.get(&e).cloned())
            .collect();
        let tokens = (base..space.epoch)
            .filter_map(|e| space.keys.get(&e).map(|k| (e, k.token(space_id))))
            .collect();
        Ok(Some(Chain {
            base,
            tokens,
            rekeys,
        }))
    }
}

/// Opens `plan`'s space on a relay that has not seen it from this device: at the oldest epoch
/// this device can replay, then the rekeys after it. Without a chain, this is a plain open at
/// the current epoch (a relay that already moved on answers `token_revoked`, which the round
/// handles by fetching its rekeys).
pub(crate) fn open_space<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    plan: &SpacePlan,
) -> Result<()> {
    let chain = replica.with(|m| m.rekey_chain(&plan.space))?;
    let Some(chain) = chain.filter(|c| !c.rekeys.is_empty()) else {
        return Ok(super::driver::open(client, plan, &plan.token, plan.epoch)?);
    };
    let Some(base_token) = chain.token(chain.base) else {
        return Ok(super::driver::open(client, plan, &plan.token, plan.epoch)?);
    };
    match client.open_space(&plan.space, base_token, chain.base) {
        Ok(info) => post_rekeys(client, &plan.space, &chain, info.epoch),
        Err(RelayError::Refused {
            code: ErrorCode::TokenRevoked,
            epoch: Some(at),
            ..
        }) => post_rekeys(client, &plan.space, &chain, at),
        // The relay has the space from another chain start: open as before.
        Err(RelayError::Refused {
            code: ErrorCode::Unauthorized,
            ..
        }) => Ok(super::driver::open(client, plan, &plan.token, plan.epoch)?),
        Err(e) => Err(e.into()),
    }
}

/// The relay refused this device's current token as unknown: if it knows an older one, post
/// the rekeys it lacks. Returns whether it did (then the round tries again).
pub(crate) fn bring_relay_up_to_date<R: Replica, C: Transport>(
    replica: &R,
    client: &C,
    space: &SpaceId,
) -> Result<bool> {
    let Some(chain) = replica
        .with(|m| m.rekey_chain(space))?
        .filter(|c| !c.rekeys.is_empty())
    else {
        return Ok(false);
    };
    let newest_first: Vec<u32> = chain.tokens.keys().rev().copied().collect();
    for epoch in newest_first {
        let Some(token) = chain.token(epoch) else {
            continue;
        };
        match client.rekeys(space, token, epoch) {
            Ok(theirs) => {
                let at = theirs.rekeys.iter().map(|r| r.epoch).fold(epoch, u32::max);
                check_same_chain(&chain, &theirs.rekeys)?;
                post_rekeys(client, space, &chain, at)?;
                return Ok(true);
            }
            Err(RelayError::Refused {
                code: ErrorCode::Unauthorized,
                ..
            }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(false)
}

fn check_same_chain(chain: &Chain, theirs: &[Rekey]) -> Result<()> {
    for r in theirs {
        if let Some(ours) = chain.rekeys.iter().find(|o| o.epoch == r.epoch)
            && ours.token_hash != r.token_hash
        {
            return Err(forked());
        }
    }
    Ok(())
}

fn forked() -> Error {
    Error::RelayRefused(
        "this group's key was changed in two places at once (for example at a meeting hub and \
         on the internet relay), so this relay holds a different key change than this device; \
         ask a facilitator to remove the member again from a device that syncs with this relay"
            .into(),
    )
}

/// Posts the chain's rekeys after epoch `at`, oldest first.
fn post_rekeys<C: Transport>(client: &C, space: &SpaceId, chain: &Chain, at: u32) -> Result<()> {
    for rekey in chain.rekeys.iter().filter(|r| r.epoch > at) {
        let Some(token) = chain.token(rekey.epoch - 1) else {
            return Ok(());
        };
        match client.rekey(space, token, rekey) {
            Ok(_) => {}
            // Someone else posted a rekey for this epoch in the meantime: fine if it is this one.
            Err(RelayError::Refused {
                code: ErrorCode::Conflict | ErrorCode::TokenRevoked,
                ..
            }) => {
                let theirs = client.rekeys(space, token, rekey.epoch - 1)?;
                match theirs.rekeys.iter().find(|r| r.epoch == rekey.epoch) {
                    Some(r) if r.token_hash == rekey.token_hash => {}
                    _ => return Err(forked()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mutua_protocol::TokenHash;

    fn rekey(epoch: u32, byte: u8) -> Rekey {
        Rekey {
            epoch,
            token_hash: TokenHash([byte; 32]),
            sealed: vec![byte; 10],
        }
    }

    #[test]
    fn the_log_keeps_one_rekey_per_epoch_in_order() {
        let m = Mutua::ephemeral("Ana G.").expect("store");
        let space = SpaceId([4; 16]);
        assert!(m.logged_rekeys(&space).expect("empty").is_empty());
        for (epoch, byte) in [(2, 2), (10, 10), (1, 1), (1, 1), (2, 9)] {
            log_rekey(&m.conn, &space, &rekey(epoch, byte)).expect("log");
        }
        // Epoch 10 sorts after 2 (the keys are zero-padded), and a later rekey of an epoch
        // replaces the earlier one.
        let all = m.logged_rekeys(&space).expect("read");
        assert_eq!(all, vec![rekey(1, 1), rekey(2, 9), rekey(10, 10)]);
        unlog_rekey(&m.conn, &space, 2).expect("unlog");
        assert_eq!(
            m.logged_rekeys(&space).expect("read"),
            vec![rekey(1, 1), rekey(10, 10)]
        );
        assert!(
            m.logged_rekeys(&SpaceId([5; 16]))
                .expect("other space")
                .is_empty()
        );
    }
}
