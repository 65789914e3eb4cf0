//! Where the relay keeps what it holds: spaces, token hashes, envelopes, checkpoints and rekeys.
//!
//! [`Storage`] is the one door to the database; the HTTP layer never writes SQL. Two backends
//! implement it and run the same tests: embedded SQLite ([`Sqlite`], one writer connection and a
//! few readers) and PostgreSQL ([`Postgres`], a small pool, shared by several relay processes).
//!
//! Envelopes are stored as their wire bytes with the header fields beside them for indexing.
//! Every stored envelope gets a *position*: per space, strictly increasing in commit order, so a
//! device that asks "everything after position P" never misses one. Both backends serialise the
//! inserts of one space (SQLite by its single writer, PostgreSQL by locking the space's row until
//! commit) to make that true.

mod postgres;
mod sqlite;

use std::collections::HashSet;

use async_trait::async_trait;
use mutua_protocol::{DeviceTag, DocTag, Envelope, Rekey, SpaceId, TokenHash};

pub use postgres::Postgres;
pub use sqlite::Sqlite;

use crate::notify::Notifier;

/// Version of the relay's schema (both backends); see `upgrade_from` in each backend.
pub const SCHEMA_VERSION: i64 = 1;

/// The state of a space as the relay keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceState {
    pub epoch: u32,
    pub position: u64,
    pub used_bytes: u64,
}

/// What a bearer token is worth in one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The token of the space's current epoch.
    Current(SpaceState),
    /// A token the space had in an older epoch; `epoch` is the current one.
    Revoked { epoch: u32 },
    /// A token this space never had.
    Unknown,
    /// No such space.
    NoSpace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Created(SpaceState),
    Existing(SpaceState),
}

/// An envelope on its way into storage: its header fields and its wire bytes.
#[derive(Debug, Clone)]
pub struct NewEnvelope {
    pub doc: DocTag,
    pub device: DeviceTag,
    pub seq: u64,
    pub epoch: u32,
    pub bytes: Vec<u8>,
}

impl From<&Envelope> for NewEnvelope {
    fn from(envelope: &Envelope) -> NewEnvelope {
        let h = envelope.header();
        NewEnvelope {
            doc: h.doc,
            device: h.device,
            seq: h.seq,
            epoch: h.epoch,
            bytes: envelope.to_bytes(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pushed {
    /// Envelopes that were new (the rest were already held and were skipped).
    pub stored: u32,
    /// Their bytes.
    pub bytes: u64,
    /// The space's position after the push.
    pub position: u64,
}

/// One (doc, device) log as the relay holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    pub doc: DocTag,
    pub device: DeviceTag,
    /// Highest sequence number held.
    pub max_seq: u64,
    /// Highest `n` such that all of `1..=n` are held (what the relay may claim to have).
    pub contiguous: u64,
}

/// Which envelopes a read wants, oldest position first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those with a position greater than this.
    After(u64),
    /// Those of these streams with a seq greater than the given one, at positions up to `up_to`.
    Streams {
        streams: Vec<(DocTag, DeviceTag, u64)>,
        up_to: u64,
    },
}

/// Bounds of one page of envelopes.
#[derive(Debug, Clone, Default)]
pub struct PageLimits {
    pub max_envelopes: usize,
    pub max_bytes: usize,
    /// (doc, device, seq) not to return (the request's own push).
    pub exclude: HashSet<(DocTag, DeviceTag, u64)>,
}

/// A stored envelope as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEnvelope {
    pub position: u64,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub envelopes: Vec<StoredEnvelope>,
    /// More envelopes match than this page holds.
    pub more: bool,
    /// The space's position in the same snapshot as the page.
    pub head: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no such space")]
    NoSpace,
    #[error("this space exists with another credential")]
    Conflict,
    #[error("this token belongs to an older epoch; the space is at epoch {epoch}")]
    Revoked { epoch: u32 },
    #[error("the token is not this space's current token")]
    NotCurrent,
    #[error(
        "an envelope is sealed for epoch {envelope}, newer than the space's current epoch {current}"
    )]
    EpochAhead { envelope: u32, current: u32 },
    #[error(
        "this space's quota is full: it holds {used} bytes of {quota}, and this request adds {adding}"
    )]
    QuotaExceeded { used: u64, adding: u64, quota: u64 },
    #[error("a rekey starts epoch {expected} (the current epoch plus one), not {requested}")]
    EpochNotNext { requested: u32, expected: u32 },
    #[error("a sequence number above {} cannot be stored", i64::MAX)]
    SeqTooLarge,
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
    #[error("the database failed: {0}")]
    Database(String),
    #[error(
        "the database was written by a newer relay (schema {found}; this relay knows {SCHEMA_VERSION})"
    )]
    SchemaTooNew { found: i64 },
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> StorageError {
        StorageError::Database(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> StorageError {
        match e.as_db_error() {
            // Only the code and the message: a server error's DETAIL can quote key values.
            Some(db) => StorageError::Database(format!("{} ({})", db.message(), db.code().code())),
            None => StorageError::Unavailable(e.to_string()),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    Sqlite,
    Postgres,
}

impl StorageKind {
    pub fn name(self) -> &'static str {
        match self {
            StorageKind::Sqlite => "sqlite",
            StorageKind::Postgres => "postgres",
        }
    }
}

/// The relay's database. Every method is one transaction.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    fn kind(&self) -> StorageKind;

    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;

    /// Creates the space with this credential, or finds it if the token is its current one.
    async fn open_space(&self, space: SpaceId, epoch: u32, token: TokenHash) -> Result<Opened>;

    async fn access(&self, space: SpaceId, token: TokenHash) -> Result<Access>;

    /// Stores new envelopes (skipping those held) and gives them positions, all or nothing.
    async fn push(&self, space: SpaceId, batch: Vec<NewEnvelope>, quota: u64) -> Result<Pushed>;

    /// The streams the relay holds and the head position, from one snapshot.
    async fn streams(&self, space: SpaceId) -> Result<(Vec<Stream>, u64)>;

    /// One page of envelopes, oldest position first.
    async fn read(&self, space: SpaceId, selection: Selection, limits: PageLimits) -> Result<Page>;

    /// Replaces the checkpoint of `doc`.
    async fn put_checkpoint(
        &self,
        space: SpaceId,
        doc: DocTag,
        epoch: u32,
        bytes: Vec<u8>,
        quota: u64,
    ) -> Result<SpaceState>;

    async fn checkpoints(&self, space: SpaceId) -> Result<Vec<Vec<u8>>>;

    /// Starts `rekey.epoch` if `current` is the current token and the epoch is the next one.
    async fn rekey(&self, space: SpaceId, current: TokenHash, rekey: Rekey) -> Result<SpaceState>;

    async fn rekeys(&self, space: SpaceId, after: u32) -> Result<Vec<Rekey>>;

    /// Current positions of the spaces that exist among these.
    async fn heads(&self, spaces: &[SpaceId]) -> Result<Vec<(SpaceId, u64)>>;

    /// Flushes and closes; called once at shutdown.
    async fn close(&self);
}

/// Opens the database named by `location`: a `postgres://` or `postgresql://` URL, else a
/// SQLite file path. `notifier` hears about commits made by other relay processes (PostgreSQL).
pub async fn open(location: &str, notifier: Notifier) -> Result<Box<dyn Storage>> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(Postgres::connect(location, notifier).await?))
    } else {
        Ok(Box::new(Sqlite::open(location.as_ref()).await?))
    }
}

/// Header facts of one candidate row, for [`pick`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub position: u64,
    pub doc: DocTag,
    pub device: DeviceTag,
    pub seq: u64,
    pub len: u64,
}

/// Chooses a page from candidates in position order: skips excluded ones, stops at the count or
/// byte bound (a single envelope larger than the byte bound still goes out alone), and says
/// whether an eligible candidate was left over. Callers fetch `limit + exclude + 1` candidates,
/// so "left over" is known without another query.
pub(crate) fn pick(candidates: &[Candidate], limits: &PageLimits) -> (Vec<u64>, bool) {
    let mut picked = Vec::new();
    let mut bytes = 0u64;
    for c in candidates {
        if limits.exclude.contains(&(c.doc, c.device, c.seq)) {
            continue;
        }
        let full = picked.len() >= limits.max_envelopes
            || (!picked.is_empty() && bytes + c.len > limits.max_bytes as u64);
        if full {
            return (picked, true);
        }
        bytes += c.len;
        picked.push(c.position);
    }
    (picked, false)
}

/// How many candidates to fetch for a page.
pub(crate) fn fetch_count(limits: &PageLimits) -> usize {
    limits.max_envelopes + limits.exclude.len() + 1
}

/// Contiguous prefix of a sorted list of sequence numbers.
pub(crate) fn contiguous(sorted_seqs: impl IntoIterator<Item = u64>) -> u64 {
    let mut n = 0;
    for seq in sorted_seqs {
        if seq == n + 1 {
            n = seq;
        } else if seq > n + 1 {
            break;
        }
    }
    n
}

/// Sequence numbers and epochs are stored as SQL `BIGINT`s.
pub(crate) fn seq_to_sql(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| StorageError::SeqTooLarge)
}

/// Positions a device names may exceed what SQL holds (`since: u64::MAX` means "nothing
/// older"); no stored position is that large, so clamping keeps the meaning.
pub(crate) fn position_to_sql(position: u64) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

pub(crate) fn tag_from<T>(
    bytes: &[u8],
    make: fn(&[u8]) -> Result<T, mutua_protocol::TagError>,
) -> Result<T> {
    make(bytes).map_err(|e| StorageError::Database(format!("corrupt row: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(position: u64, seq: u64, len: u64) -> Candidate {
        Candidate {
            position,
            doc: DocTag([1; 16]),
            device: DeviceTag([2; 16]),
            seq,
            len,
        }
    }

    #[test]
    fn pages_respect_count_bytes_and_exclusions() {
        let cands: Vec<_> = (1..=5).map(|i| c(i, i, 10)).collect();
        let mut limits = PageLimits {
            max_envelopes: 2,
            max_bytes: 1000,
            exclude: HashSet::new(),
        };
        assert_eq!(pick(&cands, &limits), (vec![1, 2], true));
        limits
            .exclude
            .insert((DocTag([1; 16]), DeviceTag([2; 16]), 1));
        assert_eq!(pick(&cands, &limits), (vec![2, 3], true));
        limits.max_envelopes = 10;
        limits.max_bytes = 25;
        assert_eq!(pick(&cands, &limits), (vec![2, 3], true));
        limits.max_bytes = 5;
        assert_eq!(
            pick(&cands, &limits),
            (vec![2], true),
            "one oversized envelope goes alone"
        );
        limits.max_bytes = 1000;
        assert_eq!(pick(&cands, &limits), (vec![2, 3, 4, 5], false));
    }

    #[test]
    fn contiguous_prefix_stops_at_the_first_gap() {
        assert_eq!(contiguous([]), 0);
        assert_eq!(contiguous([2, 3]), 0);
        assert_eq!(contiguous([1, 2, 3]), 3);
        assert_eq!(contiguous([1, 2, 4, 5]), 2);
    }
}
