//! The key changes (rekeys) of each space that this device made or accepted, kept so that any
//! route can pass them on.
//!
//! Over a relay, a rekey lives on the relay: the device that rotates posts it once and every other
//! device fetches it with its old token. A sync file has no relay behind it, so the devices
//! themselves must carry the chain of key changes: a group that only ever meets by file must still
//! lock out a removed member, and a device that learned a new key by file must be able to hand the
//! rekey to a relay that has not seen it yet ([`super::driver`]).
//!
//! Each rekey is stored exactly as the relay would hold it (`mutua_protocol::Rekey`: the epoch,
//! the new token's hash and the signed, wrapped keys), in `sync_setting` under
//! `rekeys:<space id>`, ordered by epoch. A space rotates a few times a year at most, so one small
//! value per space is enough, and no schema change is needed for it.

use mutua_protocol::{Rekey, SpaceId};
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::sync::tables;

fn key(space: &SpaceId) -> String {
    format!("rekeys:{space}")
}

/// Every rekey logged for `space`, oldest epoch first.
pub(crate) fn logged_rekeys(conn: &Connection, space: &SpaceId) -> Result<Vec<Rekey>> {
    match tables::setting(conn, &key(space))? {
        None => Ok(Vec::new()),
        Some(text) => {
            let bytes = hex::decode(text)
                .map_err(|_| Error::DatabaseDamaged("a group's key history is malformed".into()))?;
            mutua_protocol::decode(&bytes).map_err(|e| Error::DatabaseDamaged(e.to_string()))
        }
    }
}

fn store(conn: &Connection, space: &SpaceId, rekeys: &[Rekey]) -> Result<()> {
    if rekeys.is_empty() {
        return tables::set_setting(conn, &key(space), None);
    }
    tables::set_setting(
        conn,
        &key(space),
        Some(&hex::encode(mutua_protocol::encode(&rekeys))),
    )
}

/// Records `rekey` as the key change into its epoch (replacing another one for the same epoch:
/// the one this device holds the key of is the one that counts).
pub(crate) fn log_rekey(conn: &Connection, space: &SpaceId, rekey: &Rekey) -> Result<()> {
    let mut all = logged_rekeys(conn, space)?;
    if all.iter().any(|r| r == rekey) {
        return Ok(());
    }
    all.retain(|r| r.epoch != rekey.epoch);
    all.push(rekey.clone());
    all.sort_by_key(|r| r.epoch);
    store(conn, space, &all)
}

/// Forgets the key change into `epoch` (this device's own rotation lost to another member's).
pub(crate) fn unlog_rekey(conn: &Connection, space: &SpaceId, epoch: u32) -> Result<()> {
    let mut all = logged_rekeys(conn, space)?;
    let before = all.len();
    all.retain(|r| r.epoch != epoch);
    if all.len() == before {
        return Ok(());
    }
    store(conn, space, &all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Mutua;
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
        assert!(logged_rekeys(&m.conn, &space).expect("empty").is_empty());
        log_rekey(&m.conn, &space, &rekey(2, 2)).expect("log");
        log_rekey(&m.conn, &space, &rekey(1, 1)).expect("log");
        log_rekey(&m.conn, &space, &rekey(1, 1)).expect("again");
        log_rekey(&m.conn, &space, &rekey(2, 9)).expect("replace");
        let all = logged_rekeys(&m.conn, &space).expect("read");
        assert_eq!(all, vec![rekey(1, 1), rekey(2, 9)]);
        unlog_rekey(&m.conn, &space, 2).expect("unlog");
        assert_eq!(
            logged_rekeys(&m.conn, &space).expect("read"),
            vec![rekey(1, 1)]
        );
        assert!(
            logged_rekeys(&m.conn, &SpaceId([5; 16]))
                .expect("other")
                .is_empty()
        );
    }
}
