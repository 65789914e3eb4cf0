//! The embedded backend: one SQLite file, one writer connection and a few readers.
//!
//! Pragmas, chosen here and nowhere else:
//! * `journal_mode=WAL`: readers never block the writer or each other.
//! * `synchronous=FULL`: a commit is on disk before the relay answers. Envelopes are members'
//!   data, and a relay killed right after acknowledging a push must still hold it.
//! * `foreign_keys=ON`, `busy_timeout=5000`: a second process on the same file waits instead of
//!   failing (one relay per file is the supported set-up; use PostgreSQL for several).
//!
//! The bundled library is SQLCipher, but no key is set: the relay holds only ciphertext and
//! hashes, so the file is plain SQLite.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use mutua_protocol::{DeviceTag, DocTag, Rekey, SpaceId, TokenHash};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Access, Candidate, NewEnvelope, Opened, Page, PageLimits, Pushed, Result, SCHEMA_VERSION,
    Selection, SpaceState, Storage, StorageError, StorageKind, StoredEnvelope, Stream, contiguous,
    fetch_count, pick, position_to_sql, seq_to_sql, tag_from,
};

const READERS: usize = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS relay_schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS spaces (
    id BLOB PRIMARY KEY,
    epoch INTEGER NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    used_bytes INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    space BLOB NOT NULL REFERENCES spaces(id),
    epoch INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (space, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS envelopes (
    space BLOB NOT NULL REFERENCES spaces(id),
    doc BLOB NOT NULL,
    device BLOB NOT NULL,
    seq INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    position INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (space, doc, device, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS envelopes_by_position ON envelopes (space, position);
CREATE TABLE IF NOT EXISTS checkpoints (
    space BLOB NOT NULL REFERENCES spaces(id),
    doc BLOB NOT NULL,
    epoch INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (space, doc)
);
CREATE TABLE IF NOT EXISTS rekeys (
    space BLOB NOT NULL REFERENCES spaces(id),
    epoch INTEGER NOT NULL,
    token_hash BLOB NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (space, epoch)
);
";

pub struct Sqlite {
    path: PathBuf,
    writer: Arc<Mutex<Option<Connection>>>,
    readers: Arc<Vec<Mutex<Option<Connection>>>>,
    next_reader: AtomicUsize,
}

fn connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;
         PRAGMA busy_timeout=5000;",
    )?;
    Ok(conn)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock rolled its transaction back when the guard's connection
    // dropped the transaction, so the connection itself is still sound.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sqlite {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Sqlite> {
        let path = path.to_path_buf();
        let p = path.clone();
        let (writer, readers) = tokio::task::spawn_blocking(move || -> Result<_> {
            let mut writer = connection(&p)?;
            migrate(&mut writer)?;
            let readers = (0..READERS)
                .map(|_| connection(&p).map(|c| Mutex::new(Some(c))))
                .collect::<Result<Vec<_>>>()?;
            Ok((writer, readers))
        })
        .await
        .map_err(|e| StorageError::Database(e.to_string()))??;
        Ok(Sqlite {
            path,
            writer: Arc::new(Mutex::new(Some(writer))),
            readers: Arc::new(readers),
            next_reader: AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with_writer<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&writer);
            let conn = guard
                .as_mut()
                .ok_or_else(|| StorageError::Unavailable("the database is closed".into()))?;
            f(conn)
        })
        .await
        .map_err(|e| StorageError::Database(e.to_string()))?
    }

    async fn with_reader<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&readers[i]);
            let conn = guard
                .as_mut()
                .ok_or_else(|| StorageError::Unavailable("the database is closed".into()))?;
            f(conn)
        })
        .await
        .map_err(|e| StorageError::Database(e.to_string()))?
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    let found: Option<i64> = tx
        .query_row("SELECT MAX(version) FROM relay_schema_version", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    match found {
        None => {
            tx.execute(
                "INSERT INTO relay_schema_version (version) VALUES (?1)",
                [SCHEMA_VERSION],
            )?;
        }
        Some(v) if v > SCHEMA_VERSION => return Err(StorageError::SchemaTooNew { found: v }),
        Some(v) => upgrade_from(&tx, v)?,
    }
    tx.commit()?;
    Ok(())
}

/// Brings a database of schema `version` to [`SCHEMA_VERSION`]. Version 1 is the first, so
/// there is nothing to do yet; a shipped step is never edited, only followed by a new one.
fn upgrade_from(_tx: &rusqlite::Transaction<'_>, version: i64) -> Result<()> {
    debug_assert!(version <= SCHEMA_VERSION);
    Ok(())
}

fn space_state(conn: &Connection, space: &SpaceId) -> Result<Option<SpaceState>> {
    Ok(conn
        .query_row(
            "SELECT epoch, position, used_bytes FROM spaces WHERE id = ?1",
            [space.as_bytes()],
            |r| {
                Ok(SpaceState {
                    epoch: r.get(0)?,
                    position: r.get::<_, i64>(1)? as u64,
                    used_bytes: r.get::<_, i64>(2)? as u64,
                })
            },
        )
        .optional()?)
}

/// The epoch a token was issued for, if this space ever had it.
fn token_epoch(conn: &Connection, space: &SpaceId, token: &TokenHash) -> Result<Option<u32>> {
    Ok(conn
        .query_row(
            "SELECT epoch FROM tokens WHERE space = ?1 AND hash = ?2",
            params![space.as_bytes(), token.0],
            |r| r.get(0),
        )
        .optional()?)
}

fn access(conn: &Connection, space: &SpaceId, token: &TokenHash) -> Result<Access> {
    let Some(state) = space_state(conn, space)? else {
        return Ok(Access::NoSpace);
    };
    Ok(match token_epoch(conn, space, token)? {
        Some(epoch) if epoch == state.epoch => Access::Current(state),
        Some(_) => Access::Revoked { epoch: state.epoch },
        None => Access::Unknown,
    })
}

/// position, doc, device, seq, length
type CandidateRow = (u64, Vec<u8>, Vec<u8>, i64, i64);

fn candidate(r: &rusqlite::Row<'_>) -> rusqlite::Result<CandidateRow> {
    Ok((
        r.get::<_, i64>(0)? as u64,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
    ))
}

fn to_candidate(row: CandidateRow) -> Result<Candidate> {
    Ok(Candidate {
        position: row.0,
        doc: tag_from(&row.1, DocTag::from_slice)?,
        device: tag_from(&row.2, DeviceTag::from_slice)?,
        seq: row.3 as u64,
        len: row.4 as u64,
    })
}

#[async_trait]
impl Storage for Sqlite {
    fn kind(&self) -> StorageKind {
        StorageKind::Sqlite
    }

    async fn ping(&self) -> Result<()> {
        self.with_reader(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn open_space(&self, space: SpaceId, epoch: u32, token: TokenHash) -> Result<Opened> {
        self.with_writer(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            match access(&tx, &space, &token)? {
                Access::Current(state) => Ok(Opened::Existing(state)),
                Access::Revoked { epoch } => Err(StorageError::Revoked { epoch }),
                Access::Unknown => Err(StorageError::Conflict),
                Access::NoSpace => {
                    tx.execute(
                        "INSERT INTO spaces (id, epoch) VALUES (?1, ?2)",
                        params![space.as_bytes(), epoch],
                    )?;
                    tx.execute(
                        "INSERT INTO tokens (space, epoch, hash) VALUES (?1, ?2, ?3)",
                        params![space.as_bytes(), epoch, token.0],
                    )?;
                    tx.commit()?;
                    Ok(Opened::Created(SpaceState {
                        epoch,
                        position: 0,
                        used_bytes: 0,
                    }))
                }
            }
        })
        .await
    }

    async fn access(&self, space: SpaceId, token: TokenHash) -> Result<Access> {
        self.with_reader(move |conn| access(conn, &space, &token))
            .await
    }

    async fn push(&self, space: SpaceId, batch: Vec<NewEnvelope>, quota: u64) -> Result<Pushed> {
        self.with_writer(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let state = space_state(&tx, &space)?.ok_or(StorageError::NoSpace)?;
            if let Some(e) = batch.iter().find(|e| e.epoch > state.epoch) {
                return Err(StorageError::EpochAhead {
                    envelope: e.epoch,
                    current: state.epoch,
                });
            }
            let mut position = state.position;
            let (mut stored, mut bytes) = (0u32, 0u64);
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO envelopes (space, doc, device, seq, epoch, position, bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                )?;
                for e in &batch {
                    let n = insert.execute(params![
                        space.as_bytes(),
                        e.doc.as_bytes(),
                        e.device.as_bytes(),
                        seq_to_sql(e.seq)?,
                        e.epoch,
                        (position + 1) as i64,
                        e.bytes,
                    ])?;
                    if n == 1 {
                        position += 1;
                        stored += 1;
                        bytes += e.bytes.len() as u64;
                    }
                }
            }
            if state.used_bytes + bytes > quota {
                // Dropping `tx` rolls every insert back.
                return Err(StorageError::QuotaExceeded {
                    used: state.used_bytes,
                    adding: bytes,
                    quota,
                });
            }
            if stored > 0 {
                tx.execute(
                    "UPDATE spaces SET position = ?2, used_bytes = used_bytes + ?3 WHERE id = ?1",
                    params![space.as_bytes(), position as i64, bytes as i64],
                )?;
            }
            tx.commit()?;
            Ok(Pushed {
                stored,
                bytes,
                position,
            })
        })
        .await
    }

    async fn streams(&self, space: SpaceId) -> Result<(Vec<Stream>, u64)> {
        self.with_reader(move |conn| {
            let tx = conn.transaction()?;
            let head = space_state(&tx, &space)?
                .ok_or(StorageError::NoSpace)?
                .position;
            let mut streams = Vec::new();
            let mut gappy = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT doc, device, COUNT(*), MAX(seq) FROM envelopes WHERE space = ?1
                     GROUP BY doc, device",
                )?;
                let rows = stmt.query_map([space.as_bytes()], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?;
                for row in rows {
                    let (doc, device, count, max) = row?;
                    let stream = Stream {
                        doc: tag_from(&doc, DocTag::from_slice)?,
                        device: tag_from(&device, DeviceTag::from_slice)?,
                        max_seq: max as u64,
                        contiguous: max as u64,
                    };
                    if count != max {
                        gappy.push(streams.len());
                    }
                    streams.push(stream);
                }
            }
            let mut seqs = tx.prepare_cached(
                "SELECT seq FROM envelopes WHERE space = ?1 AND doc = ?2 AND device = ?3
                 ORDER BY seq",
            )?;
            for i in gappy {
                let s = &mut streams[i];
                let list = seqs
                    .query_map(
                        params![space.as_bytes(), s.doc.as_bytes(), s.device.as_bytes()],
                        |r| r.get::<_, i64>(0),
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                s.contiguous = contiguous(list.into_iter().map(|q| q as u64));
            }
            Ok((streams, head))
        })
        .await
    }

    async fn read(&self, space: SpaceId, selection: Selection, limits: PageLimits) -> Result<Page> {
        self.with_reader(move |conn| {
            let tx = conn.transaction()?;
            let head = space_state(&tx, &space)?
                .ok_or(StorageError::NoSpace)?
                .position;
            let fetch = fetch_count(&limits) as i64;
            let mut candidates = Vec::new();
            match &selection {
                Selection::After(after) => {
                    let mut stmt = tx.prepare_cached(
                        "SELECT position, doc, device, seq, length(bytes) FROM envelopes
                         WHERE space = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
                    )?;
                    for row in stmt.query_map(
                        params![space.as_bytes(), position_to_sql(*after), fetch],
                        candidate,
                    )? {
                        candidates.push(to_candidate(row?)?);
                    }
                }
                Selection::Streams { streams, up_to } => {
                    let mut stmt = tx.prepare_cached(
                        "SELECT position, doc, device, seq, length(bytes) FROM envelopes
                         WHERE space = ?1 AND doc = ?2 AND device = ?3 AND seq > ?4
                           AND position <= ?5
                         ORDER BY position LIMIT ?6",
                    )?;
                    for (doc, device, after_seq) in streams {
                        for row in stmt.query_map(
                            params![
                                space.as_bytes(),
                                doc.as_bytes(),
                                device.as_bytes(),
                                seq_to_sql(*after_seq)?,
                                position_to_sql(*up_to),
                                fetch
                            ],
                            candidate,
                        )? {
                            candidates.push(to_candidate(row?)?);
                        }
                    }
                    candidates.sort_by_key(|c| c.position);
                }
            }
            let (positions, more) = pick(&candidates, &limits);
            let mut envelopes = Vec::with_capacity(positions.len());
            let mut get = tx
                .prepare_cached("SELECT bytes FROM envelopes WHERE space = ?1 AND position = ?2")?;
            for position in positions {
                let bytes: Vec<u8> =
                    get.query_row(params![space.as_bytes(), position as i64], |r| r.get(0))?;
                envelopes.push(StoredEnvelope { position, bytes });
            }
            let head = match selection {
                Selection::Streams { up_to, .. } => up_to,
                Selection::After(_) => head,
            };
            Ok(Page {
                envelopes,
                more,
                head,
            })
        })
        .await
    }

    async fn put_checkpoint(
        &self,
        space: SpaceId,
        doc: DocTag,
        epoch: u32,
        bytes: Vec<u8>,
        quota: u64,
    ) -> Result<SpaceState> {
        self.with_writer(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut state = space_state(&tx, &space)?.ok_or(StorageError::NoSpace)?;
            if epoch > state.epoch {
                return Err(StorageError::EpochAhead {
                    envelope: epoch,
                    current: state.epoch,
                });
            }
            let old: u64 = tx
                .query_row(
                    "SELECT length(bytes) FROM checkpoints WHERE space = ?1 AND doc = ?2",
                    params![space.as_bytes(), doc.as_bytes()],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
                .unwrap_or(0) as u64;
            let used = state.used_bytes - old.min(state.used_bytes) + bytes.len() as u64;
            if used > quota && bytes.len() as u64 > old {
                return Err(StorageError::QuotaExceeded {
                    used: state.used_bytes,
                    adding: bytes.len() as u64 - old,
                    quota,
                });
            }
            tx.execute(
                "INSERT INTO checkpoints (space, doc, epoch, bytes) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (space, doc) DO UPDATE SET epoch = excluded.epoch,
                   bytes = excluded.bytes",
                params![space.as_bytes(), doc.as_bytes(), epoch, bytes],
            )?;
            tx.execute(
                "UPDATE spaces SET used_bytes = ?2 WHERE id = ?1",
                params![space.as_bytes(), used as i64],
            )?;
            tx.commit()?;
            state.used_bytes = used;
            Ok(state)
        })
        .await
    }

    async fn checkpoints(&self, space: SpaceId) -> Result<Vec<Vec<u8>>> {
        self.with_reader(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT bytes FROM checkpoints WHERE space = ?1 ORDER BY doc")?;
            let rows = stmt
                .query_map([space.as_bytes()], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn rekey(&self, space: SpaceId, current: TokenHash, rekey: Rekey) -> Result<SpaceState> {
        self.with_writer(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut state = match access(&tx, &space, &current)? {
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
            if token_epoch(&tx, &space, &rekey.token_hash)?.is_some() {
                return Err(StorageError::Conflict);
            }
            tx.execute(
                "INSERT INTO tokens (space, epoch, hash) VALUES (?1, ?2, ?3)",
                params![space.as_bytes(), rekey.epoch, rekey.token_hash.0],
            )?;
            tx.execute(
                "INSERT INTO rekeys (space, epoch, token_hash, sealed) VALUES (?1, ?2, ?3, ?4)",
                params![
                    space.as_bytes(),
                    rekey.epoch,
                    rekey.token_hash.0,
                    rekey.sealed
                ],
            )?;
            tx.execute(
                "UPDATE spaces SET epoch = ?2 WHERE id = ?1",
                params![space.as_bytes(), rekey.epoch],
            )?;
            tx.commit()?;
            state.epoch = rekey.epoch;
            Ok(state)
        })
        .await
    }

    async fn rekeys(&self, space: SpaceId, after: u32) -> Result<Vec<Rekey>> {
        self.with_reader(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT epoch, token_hash, sealed FROM rekeys WHERE space = ?1 AND epoch > ?2
                 ORDER BY epoch",
            )?;
            let rows = stmt.query_map(params![space.as_bytes(), after], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (epoch, hash, sealed) = row?;
                let token_hash = TokenHash(
                    hash.try_into()
                        .map_err(|_| StorageError::Database("corrupt token hash".into()))?,
                );
                out.push(Rekey {
                    epoch,
                    token_hash,
                    sealed,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn heads(&self, spaces: &[SpaceId]) -> Result<Vec<(SpaceId, u64)>> {
        let spaces = spaces.to_vec();
        self.with_reader(move |conn| {
            let mut stmt = conn.prepare_cached("SELECT position FROM spaces WHERE id = ?1")?;
            let mut out = Vec::new();
            for space in spaces {
                if let Some(p) = stmt
                    .query_row([space.as_bytes()], |r| r.get::<_, i64>(0))
                    .optional()?
                {
                    out.push((space, p as u64));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn close(&self) {
        let writer = self.writer.clone();
        let readers = self.readers.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for r in readers.iter() {
                lock(r).take();
            }
            if let Some(conn) = lock(&writer).take() {
                // Fold the WAL back into the main file so a stopped relay leaves one file.
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
                let _ = conn.close();
            }
        })
        .await;
    }
}
