//! The shared backend: PostgreSQL, for several relay processes behind a load balancer.
//!
//! A small pool of connections serves requests. Inserts into one space are serialised by
//! `SELECT … FOR UPDATE` on the space's row, held until commit, so positions grow in commit
//! order across every process. Each commit that stores something also queues
//! `NOTIFY mutua_relay, '<space hex>:<position>'` (delivered only if it commits); a dedicated
//! connection per process `LISTEN`s and feeds the in-process [`Notifier`], so a device
//! long-polling one process hears about a push to another. While that connection is down the
//! notifier is marked degraded and long-polls fall back to reading the database every second.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use mutua_protocol::{DeviceTag, DocTag, Rekey, SpaceId, TokenHash};
use tokio::task::JoinHandle;
use tokio_postgres::{Client, IsolationLevel, Transaction};

use super::{
    Access, Candidate, NewEnvelope, Opened, Page, PageLimits, Pushed, Result, SCHEMA_VERSION,
    Selection, SpaceState, Storage, StorageError, StorageKind, StoredEnvelope, Stream, contiguous,
    fetch_count, pick, position_to_sql, seq_to_sql, tag_from,
};
use crate::notify::Notifier;

mod listen;
mod pool;

use listen::listen;
use pool::{Pool, lock};

/// The channel of `LISTEN`/`NOTIFY` between relay processes.
pub const CHANNEL: &str = "mutua_relay";

/// Arbitrary key of the advisory lock that serialises schema creation between processes.
const SCHEMA_LOCK: i64 = 0x6d75_7475_6131;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS relay_schema_version (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS spaces (
    id BYTEA PRIMARY KEY,
    epoch BIGINT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    used_bytes BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    space BYTEA NOT NULL REFERENCES spaces(id),
    epoch BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (space, hash)
);
CREATE TABLE IF NOT EXISTS envelopes (
    space BYTEA NOT NULL REFERENCES spaces(id),
    doc BYTEA NOT NULL,
    device BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    position BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (space, doc, device, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_by_position ON envelopes (space, position);
CREATE TABLE IF NOT EXISTS checkpoints (
    space BYTEA NOT NULL REFERENCES spaces(id),
    doc BYTEA NOT NULL,
    epoch BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (space, doc)
);
CREATE TABLE IF NOT EXISTS rekeys (
    space BYTEA NOT NULL REFERENCES spaces(id),
    epoch BIGINT NOT NULL,
    token_hash BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (space, epoch)
);
";

pub struct Postgres {
    pool: Pool,
    listener: Mutex<Option<JoinHandle<()>>>,
}

impl Postgres {
    /// Connects, creates or upgrades the schema, and starts listening for other processes.
    pub async fn connect(url: &str, notifier: Notifier) -> Result<Postgres> {
        let pool = Pool::new(url);
        {
            let mut conn = pool.get().await?;
            migrate(&mut conn).await?;
        }
        notifier.set_degraded(true);
        let listener = tokio::spawn(listen(url.to_owned(), notifier));
        Ok(Postgres {
            pool,
            listener: Mutex::new(Some(listener)),
        })
    }
}

async fn migrate(client: &mut Client) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await?;
    tx.batch_execute(SCHEMA).await?;
    let found: Option<i64> = tx
        .query_one("SELECT MAX(version) FROM relay_schema_version", &[])
        .await?
        .get(0);
    match found {
        None => {
            tx.execute(
                "INSERT INTO relay_schema_version (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .await?;
        }
        Some(v) if v > SCHEMA_VERSION => return Err(StorageError::SchemaTooNew { found: v }),
        Some(v) => upgrade_from(&tx, v).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// Brings a database of schema `version` to [`SCHEMA_VERSION`]; nothing to do after version 1.
async fn upgrade_from(_tx: &Transaction<'_>, version: i64) -> Result<()> {
    debug_assert!(version <= SCHEMA_VERSION);
    Ok(())
}

fn state_from(row: &tokio_postgres::Row) -> SpaceState {
    SpaceState {
        epoch: row.get::<_, i64>(0) as u32,
        position: row.get::<_, i64>(1) as u64,
        used_bytes: row.get::<_, i64>(2) as u64,
    }
}

async fn space_state(
    tx: &Transaction<'_>,
    space: &SpaceId,
    for_update: bool,
) -> Result<Option<SpaceState>> {
    let sql = if for_update {
        "SELECT epoch, position, used_bytes FROM spaces WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT epoch, position, used_bytes FROM spaces WHERE id = $1"
    };
    Ok(tx
        .query_opt(sql, &[&space.as_slice()])
        .await?
        .map(|r| state_from(&r)))
}

async fn access(
    tx: &Transaction<'_>,
    space: &SpaceId,
    token: &TokenHash,
    for_update: bool,
) -> Result<Access> {
    let Some(state) = space_state(tx, space, for_update).await? else {
        return Ok(Access::NoSpace);
    };
    let epoch: Option<i64> = tx
        .query_opt(
            "SELECT epoch FROM tokens WHERE space = $1 AND hash = $2",
            &[&space.as_slice(), &token.0.as_slice()],
        )
        .await?
        .map(|r| r.get(0));
    Ok(match epoch {
        Some(e) if e == i64::from(state.epoch) => Access::Current(state),
        Some(_) => Access::Revoked { epoch: state.epoch },
        None => Access::Unknown,
    })
}

trait AsSlice {
    fn as_slice(&self) -> &[u8];
}

impl AsSlice for SpaceId {
    fn as_slice(&self) -> &[u8] {
        self.as_bytes()
    }
}

fn to_candidate(row: &tokio_postgres::Row) -> Result<Candidate> {
    Ok(Candidate {
        position: row.get::<_, i64>(0) as u64,
        doc: tag_from(row.get(1), DocTag::from_slice)?,
        device: tag_from(row.get(2), DeviceTag::from_slice)?,
        seq: row.get::<_, i64>(3) as u64,
        len: row.get::<_, i32>(4) as u64,
    })
}

#[async_trait]
impl Storage for Postgres {
    fn kind(&self) -> StorageKind {
        StorageKind::Postgres
    }

    async fn ping(&self) -> Result<()> {
        let conn = self.pool.get().await?;
        conn.simple_query("SELECT 1").await?;
        Ok(())
    }

    async fn open_space(&self, space: SpaceId, epoch: u32, token: TokenHash) -> Result<Opened> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        // Two processes creating one space at once: the loser's insert waits, then does nothing.
        let inserted = tx
            .execute(
                "INSERT INTO spaces (id, epoch) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&space.as_slice(), &i64::from(epoch)],
            )
            .await?;
        if inserted == 1 {
            tx.execute(
                "INSERT INTO tokens (space, epoch, hash) VALUES ($1, $2, $3)",
                &[&space.as_slice(), &i64::from(epoch), &token.0.as_slice()],
            )
            .await?;
            tx.commit().await?;
            return Ok(Opened::Created(SpaceState {
                epoch,
                position: 0,
                used_bytes: 0,
            }));
        }
        match access(&tx, &space, &token, false).await? {
            Access::Current(state) => Ok(Opened::Existing(state)),
            Access::Revoked { epoch } => Err(StorageError::Revoked { epoch }),
            Access::Unknown | Access::NoSpace => Err(StorageError::Conflict),
        }
    }

    async fn access(&self, space: SpaceId, token: TokenHash) -> Result<Access> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        access(&tx, &space, &token, false).await
    }

    async fn push(&self, space: SpaceId, batch: Vec<NewEnvelope>, quota: u64) -> Result<Pushed> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let state = space_state(&tx, &space, true)
            .await?
            .ok_or(StorageError::NoSpace)?;
        if let Some(e) = batch.iter().find(|e| e.epoch > state.epoch) {
            return Err(StorageError::EpochAhead {
                envelope: e.epoch,
                current: state.epoch,
            });
        }
        // The space row is locked: nobody else inserts into this space until we commit, so what
        // is held now stays true while we insert.
        let mut docs = Vec::with_capacity(batch.len());
        let mut devices = Vec::with_capacity(batch.len());
        let mut seqs = Vec::with_capacity(batch.len());
        for e in &batch {
            docs.push(e.doc.as_bytes().as_slice());
            devices.push(e.device.as_bytes().as_slice());
            seqs.push(seq_to_sql(e.seq)?);
        }
        let held: HashSet<(Vec<u8>, Vec<u8>, i64)> = tx
            .query(
                "SELECT e.doc, e.device, e.seq FROM envelopes e
                 JOIN unnest($2::bytea[], $3::bytea[], $4::int8[]) AS k(doc, device, seq)
                   ON e.doc = k.doc AND e.device = k.device AND e.seq = k.seq
                 WHERE e.space = $1",
                &[&space.as_slice(), &docs, &devices, &seqs],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let mut seen = HashSet::new();
        let mut new = Vec::new();
        for (i, e) in batch.iter().enumerate() {
            let key = (docs[i].to_vec(), devices[i].to_vec(), seqs[i]);
            if held.contains(&key) || !seen.insert(key) {
                continue;
            }
            new.push(e);
        }
        let bytes: u64 = new.iter().map(|e| e.bytes.len() as u64).sum();
        if state.used_bytes + bytes > quota {
            return Err(StorageError::QuotaExceeded {
                used: state.used_bytes,
                adding: bytes,
                quota,
            });
        }
        let stored = new.len() as u32;
        let position = state.position + u64::from(stored);
        if stored > 0 {
            let docs: Vec<&[u8]> = new.iter().map(|e| e.doc.as_bytes().as_slice()).collect();
            let devices: Vec<&[u8]> = new.iter().map(|e| e.device.as_bytes().as_slice()).collect();
            let seqs: Vec<i64> = new.iter().map(|e| e.seq as i64).collect();
            let epochs: Vec<i64> = new.iter().map(|e| i64::from(e.epoch)).collect();
            let positions: Vec<i64> = (1..=i64::from(stored))
                .map(|i| state.position as i64 + i)
                .collect();
            let blobs: Vec<&[u8]> = new.iter().map(|e| e.bytes.as_slice()).collect();
            tx.execute(
                "INSERT INTO envelopes (space, doc, device, seq, epoch, position, bytes)
                 SELECT $1, * FROM unnest($2::bytea[], $3::bytea[], $4::int8[], $5::int8[],
                                          $6::int8[], $7::bytea[])",
                &[
                    &space.as_slice(),
                    &docs,
                    &devices,
                    &seqs,
                    &epochs,
                    &positions,
                    &blobs,
                ],
            )
            .await?;
            tx.execute(
                "UPDATE spaces SET position = $2, used_bytes = used_bytes + $3 WHERE id = $1",
                &[&space.as_slice(), &(position as i64), &(bytes as i64)],
            )
            .await?;
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &format!("{}:{position}", space.to_hex())],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Pushed {
            stored,
            bytes,
            position,
        })
    }

    async fn streams(&self, space: SpaceId) -> Result<(Vec<Stream>, u64)> {
        let mut conn = self.pool.get().await?;
        let tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head = space_state(&tx, &space, false)
            .await?
            .ok_or(StorageError::NoSpace)?
            .position;
        let rows = tx
            .query(
                "SELECT doc, device, COUNT(*), MAX(seq) FROM envelopes WHERE space = $1
                 GROUP BY doc, device",
                &[&space.as_slice()],
            )
            .await?;
        let mut streams = Vec::with_capacity(rows.len());
        for r in rows {
            let count: i64 = r.get(2);
            let max: i64 = r.get(3);
            let mut s = Stream {
                doc: tag_from(r.get(0), DocTag::from_slice)?,
                device: tag_from(r.get(1), DeviceTag::from_slice)?,
                max_seq: max as u64,
                contiguous: max as u64,
            };
            if count != max {
                let seqs = tx
                    .query(
                        "SELECT seq FROM envelopes WHERE space = $1 AND doc = $2 AND device = $3
                         ORDER BY seq",
                        &[
                            &space.as_slice(),
                            &s.doc.as_bytes().as_slice(),
                            &s.device.as_bytes().as_slice(),
                        ],
                    )
                    .await?;
                s.contiguous = contiguous(seqs.iter().map(|r| r.get::<_, i64>(0) as u64));
            }
            streams.push(s);
        }
        tx.commit().await?;
        Ok((streams, head))
    }

    async fn read(&self, space: SpaceId, selection: Selection, limits: PageLimits) -> Result<Page> {
        let mut conn = self.pool.get().await?;
        let tx = conn
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let head = space_state(&tx, &space, false)
            .await?
            .ok_or(StorageError::NoSpace)?
            .position;
        let fetch = fetch_count(&limits) as i64;
        let rows = match &selection {
            Selection::After(after) => {
                tx.query(
                    "SELECT position, doc, device, seq, octet_length(bytes) FROM envelopes
                     WHERE space = $1 AND position > $2 ORDER BY position LIMIT $3",
                    &[&space.as_slice(), &position_to_sql(*after), &fetch],
                )
                .await?
            }
            Selection::Streams { streams, up_to } => {
                let docs: Vec<&[u8]> = streams.iter().map(|s| s.0.as_bytes().as_slice()).collect();
                let devices: Vec<&[u8]> =
                    streams.iter().map(|s| s.1.as_bytes().as_slice()).collect();
                let seqs = streams
                    .iter()
                    .map(|s| seq_to_sql(s.2))
                    .collect::<Result<Vec<i64>>>()?;
                tx.query(
                    "SELECT e.position, e.doc, e.device, e.seq, octet_length(e.bytes)
                     FROM envelopes e
                     JOIN unnest($2::bytea[], $3::bytea[], $4::int8[]) AS h(doc, device, seq)
                       ON e.doc = h.doc AND e.device = h.device AND e.seq > h.seq
                     WHERE e.space = $1 AND e.position <= $5
                     ORDER BY e.position LIMIT $6",
                    &[
                        &space.as_slice(),
                        &docs,
                        &devices,
                        &seqs,
                        &position_to_sql(*up_to),
                        &fetch,
                    ],
                )
                .await?
            }
        };
        let candidates = rows.iter().map(to_candidate).collect::<Result<Vec<_>>>()?;
        let (positions, more) = pick(&candidates, &limits);
        let wanted: Vec<i64> = positions.iter().map(|p| *p as i64).collect();
        let mut bytes: HashMap<i64, Vec<u8>> = tx
            .query(
                "SELECT position, bytes FROM envelopes WHERE space = $1 AND position = ANY($2)",
                &[&space.as_slice(), &wanted],
            )
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit().await?;
        let envelopes = wanted
            .iter()
            .map(|p| {
                bytes
                    .remove(p)
                    .map(|bytes| StoredEnvelope {
                        position: *p as u64,
                        bytes,
                    })
                    .ok_or_else(|| StorageError::Database("an envelope vanished mid-read".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        let head = match selection {
            Selection::Streams { up_to, .. } => up_to,
            Selection::After(_) => head,
        };
        Ok(Page {
            envelopes,
            more,
            head,
        })
    }

    async fn put_checkpoint(
        &self,
        space: SpaceId,
        doc: DocTag,
        epoch: u32,
        bytes: Vec<u8>,
        quota: u64,
    ) -> Result<SpaceState> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let mut state = space_state(&tx, &space, true)
            .await?
            .ok_or(StorageError::NoSpace)?;
        if epoch > state.epoch {
            return Err(StorageError::EpochAhead {
                envelope: epoch,
                current: state.epoch,
            });
        }
        let old = tx
            .query_opt(
                "SELECT octet_length(bytes) FROM checkpoints WHERE space = $1 AND doc = $2",
                &[&space.as_slice(), &doc.as_bytes().as_slice()],
            )
            .await?
            .map(|r| r.get::<_, i32>(0) as u64)
            .unwrap_or(0);
        let len = bytes.len() as u64;
        let used = state.used_bytes - old.min(state.used_bytes) + len;
        if used > quota && len > old {
            return Err(StorageError::QuotaExceeded {
                used: state.used_bytes,
                adding: len - old,
                quota,
            });
        }
        tx.execute(
            "INSERT INTO checkpoints (space, doc, epoch, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (space, doc) DO UPDATE SET epoch = excluded.epoch, bytes = excluded.bytes",
            &[
                &space.as_slice(),
                &doc.as_bytes().as_slice(),
                &i64::from(epoch),
                &bytes,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE spaces SET used_bytes = $2 WHERE id = $1",
            &[&space.as_slice(), &(used as i64)],
        )
        .await?;
        tx.commit().await?;
        state.used_bytes = used;
        Ok(state)
    }

    async fn checkpoints(&self, space: SpaceId) -> Result<Vec<Vec<u8>>> {
        let conn = self.pool.get().await?;
        Ok(conn
            .query(
                "SELECT bytes FROM checkpoints WHERE space = $1 ORDER BY doc",
                &[&space.as_slice()],
            )
            .await?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn rekey(&self, space: SpaceId, current: TokenHash, rekey: Rekey) -> Result<SpaceState> {
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await?;
        let mut state = match access(&tx, &space, &current, true).await? {
            Access::Current(state) => state,
            Access::Revoked { epoch } => return Err(StorageError::Revoked { epoch }),
            Access::Unknown => return Err(StorageError::NotCurrent),
            Access::NoSpace => return Err(StorageError::NoSpace),
        };
        let expected = state.epoch.saturating_add(1);
        if rekey.epoch != expected {
            return Err(StorageError::EpochNotNext {
                requested: rekey.epoch,
                expected,
            });
        }
        let inserted = tx
            .execute(
                "INSERT INTO tokens (space, epoch, hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&space.as_slice(), &i64::from(rekey.epoch), &rekey.token_hash.0.as_slice()],
            )
            .await?;
        if inserted == 0 {
            return Err(StorageError::Conflict);
        }
        tx.execute(
            "INSERT INTO rekeys (space, epoch, token_hash, sealed) VALUES ($1, $2, $3, $4)",
            &[
                &space.as_slice(),
                &i64::from(rekey.epoch),
                &rekey.token_hash.0.as_slice(),
                &rekey.sealed,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE spaces SET epoch = $2 WHERE id = $1",
            &[&space.as_slice(), &i64::from(rekey.epoch)],
        )
        .await?;
        tx.commit().await?;
        state.epoch = rekey.epoch;
        Ok(state)
    }

    async fn rekeys(&self, space: SpaceId, after: u32) -> Result<Vec<Rekey>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .query(
                "SELECT epoch, token_hash, sealed FROM rekeys WHERE space = $1 AND epoch > $2
                 ORDER BY epoch",
                &[&space.as_slice(), &i64::from(after)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let hash: Vec<u8> = r.get(1);
                Ok(Rekey {
                    epoch: r.get::<_, i64>(0) as u32,
                    token_hash: TokenHash(
                        hash.try_into()
                            .map_err(|_| StorageError::Database("corrupt token hash".into()))?,
                    ),
                    sealed: r.get(2),
                })
            })
            .collect()
    }

    async fn heads(&self, spaces: &[SpaceId]) -> Result<Vec<(SpaceId, u64)>> {
        let conn = self.pool.get().await?;
        let ids: Vec<&[u8]> = spaces.iter().map(|s| s.as_slice()).collect();
        let rows = conn
            .query(
                "SELECT id, position FROM spaces WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    tag_from(r.get(0), SpaceId::from_slice)?,
                    r.get::<_, i64>(1) as u64,
                ))
            })
            .collect()
    }

    async fn close(&self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.abort();
        }
        self.pool.close();
    }
}
