//! The member's store: one SQLCipher database in a data directory, and the documents in it.
//!
//! [`Mutua`] is the handle every front end (the `mutua` command, the desktop shell, tests)
//! holds. It owns the single writer connection. Every write goes through [`Mutua::change_doc`]
//! or [`Mutua::apply_changes`], which change the Automerge document, then record the new
//! changes and update the projections in *one* SQLite transaction: either all of it is on disk,
//! or none of it is and the in-memory copy is dropped.

use std::path::{Path, PathBuf};

use automerge::transaction::{CommitOptions, Transaction as DocTransaction};
use automerge::{ActorId, Automerge, Change};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, params};

use crate::docs::{self, Docs};
use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::ids::{DocId, new_id, random_bytes};
use crate::projection;
use crate::schema;
use crate::unlock::{DatabaseKey, KdfParams, KeyInfo, Protection, Unlock};

pub const DB_FILE: &str = "mutua.db";
/// Where [`Mutua::init`] builds a new database before it becomes [`DB_FILE`].
const NEW_DB_FILE: &str = "mutua.db.new";

/// How a new data directory is protected.
pub enum NewProtection<'a> {
    Passphrase(&'a str),
    Keychain,
}

pub struct Mutua {
    dir: Option<PathBuf>,
    pub(crate) conn: Connection,
    pub(crate) docs: Docs,
    pub(crate) member_id: String,
    pub(crate) identity: DeviceIdentity,
}

impl std::fmt::Debug for Mutua {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutua")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Mutua {
    /// Whether `dir` holds Mutua data.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).exists()
    }

    /// How the data in `dir` is protected, without unlocking it.
    pub fn protection(dir: &Path) -> Result<Protection> {
        if !Mutua::exists(dir) {
            return Err(Error::NotInitialised);
        }
        Ok(KeyInfo::read(dir)?.ok_or(Error::NotInitialised)?.protection)
    }

    /// Creates a new member's data in `dir`.
    pub fn init(dir: &Path, pseudonym: &str, protection: NewProtection<'_>) -> Result<Mutua> {
        Mutua::init_with_kdf(dir, pseudonym, protection, KdfParams::default())
    }

    /// Like [`Mutua::init`] with explicit Argon2id costs (tests use cheap ones).
    pub fn init_with_kdf(
        dir: &Path,
        pseudonym: &str,
        protection: NewProtection<'_>,
        kdf: KdfParams,
    ) -> Result<Mutua> {
        let pseudonym = crate::profile::check_pseudonym(pseudonym)?;
        Mutua::init_dir(dir, protection, kdf, |conn, dir| {
            let mut mutua = Mutua::create(conn, dir, None)?;
            mutua.set_pseudonym(&pseudonym)?;
            Ok(mutua)
        })
    }

    /// Sets up `dir` as another device of the member who showed pairing `code` on one of their
    /// devices: the same member id, keys of this device's own. Nothing is written for a code
    /// that is malformed or expired. The member's groups, profile and contacts arrive with the
    /// next syncs, once the other device has answered ([`Mutua::pairing_status`]).
    pub fn init_paired(dir: &Path, code: &str, protection: NewProtection<'_>) -> Result<Mutua> {
        Mutua::init_paired_with_kdf(dir, code, protection, KdfParams::default())
    }

    /// Like [`Mutua::init_paired`] with explicit Argon2id costs (tests use cheap ones).
    pub fn init_paired_with_kdf(
        dir: &Path,
        code: &str,
        protection: NewProtection<'_>,
        kdf: KdfParams,
    ) -> Result<Mutua> {
        crate::sync::pairing::check_code(code)?;
        let member_id = crate::sync::pairing::code_member(code)?;
        Mutua::init_dir(dir, protection, kdf, |conn, dir| {
            let mut mutua = Mutua::create(conn, dir, Some(&member_id))?;
            mutua.begin_pairing(code)?;
            Ok(mutua)
        })
    }

    /// A device paired by `code` that lives only in memory (tests).
    pub fn ephemeral_paired(code: &str) -> Result<Mutua> {
        crate::sync::pairing::check_code(code)?;
        let member_id = crate::sync::pairing::code_member(code)?;
        let key = crate::unlock::random_key()?;
        let conn = open_connection(None, &key, true)?;
        let mut mutua = Mutua::create(conn, None, Some(&member_id))?;
        mutua.begin_pairing(code)?;
        Ok(mutua)
    }

    /// Creates the encrypted database in a new `dir` and lets `make` fill it; on failure no
    /// database is left behind.
    ///
    /// The database is built as `mutua.db.new` and renamed to `mutua.db` only once it is
    /// complete (device keys, pseudonym): a process killed half-way leaves no `mutua.db`, so
    /// the directory still counts as new and `init` simply runs again. (Built in place, a crash
    /// between the schema and the device row left a file that `init` refused as existing and
    /// `open` refused as damaged.)
    fn init_dir(
        dir: &Path,
        protection: NewProtection<'_>,
        kdf: KdfParams,
        make: impl FnOnce(Connection, Option<PathBuf>) -> Result<Mutua>,
    ) -> Result<Mutua> {
        if Mutua::exists(dir) {
            return Err(Error::AlreadyInitialised(dir.display().to_string()));
        }
        create_private_dir(dir)?;
        let (info, key) = match protection {
            NewProtection::Passphrase(p) => KeyInfo::new_passphrase(p, kdf)?,
            NewProtection::Keychain => KeyInfo::new_keychain()?,
        };
        // The key info goes first: a crash before the database exists leaves a directory that
        // `init` may simply run again on.
        info.write(dir)?;
        let staging = dir.join(NEW_DB_FILE);
        // Whatever an earlier, interrupted set-up left.
        remove_database_files(&staging)?;
        let made = (|| {
            let conn = open_connection(Some(&staging), &key, true)?;
            make(conn, Some(dir.to_path_buf()))?.close_whole()?;
            let path = dir.join(DB_FILE);
            crate::fsutil::sync_file(&staging)?;
            std::fs::rename(&staging, &path).map_err(|e| Error::io(&path, e))?;
            crate::fsutil::sync_dir(dir)?;
            let conn = open_connection(Some(&path), &key, false)?;
            Mutua::load(conn, Some(dir.to_path_buf()))
        })();
        if made.is_err() {
            let _ = remove_database_files(&staging);
        }
        made
    }

    /// Closes the connection leaving one self-contained file (no write-ahead log beside it),
    /// so the file can be renamed.
    fn close_whole(self) -> Result<()> {
        let Mutua { conn, .. } = self;
        conn.execute_batch("PRAGMA journal_mode = DELETE;")?;
        conn.close().map_err(|(_, e)| Error::Storage(e))
    }

    /// Opens existing data in `dir`.
    pub fn open(dir: &Path, unlock: Unlock<'_>) -> Result<Mutua> {
        if !Mutua::exists(dir) {
            return Err(Error::NotInitialised);
        }
        let info = KeyInfo::read(dir)?
            .ok_or_else(|| Error::DatabaseDamaged("keyinfo.json is missing".into()))?;
        let key = info.unlock(unlock)?;
        let conn = open_connection(Some(&dir.join(DB_FILE)), &key, false)?;
        let mutua = Mutua::load(conn, Some(dir.to_path_buf()))?;
        // Only a convenience for the next unlock screen: never a reason not to open.
        let _ = mutua.refresh_remembered_language();
        Ok(mutua)
    }

    /// A replica that lives only in memory: for tests and previews. Still encrypted, still
    /// the same schema and code paths.
    pub fn ephemeral(pseudonym: &str) -> Result<Mutua> {
        let key = crate::unlock::random_key()?;
        let conn = open_connection(None, &key, true)?;
        let mut mutua = Mutua::create(conn, None, None)?;
        mutua.set_pseudonym(pseudonym)?;
        Ok(mutua)
    }

    /// Deletes every trace of the data in `dir`: database, its journal files, the key info, and
    /// the keychain entry. The caller confirms with the member first.
    pub fn destroy(dir: &Path) -> Result<()> {
        if let Some(info) = KeyInfo::read(dir)? {
            info.forget()?;
        }
        remove_database_files(&dir.join(NEW_DB_FILE))?;
        for file in [
            DB_FILE,
            "mutua.db-wal",
            "mutua.db-shm",
            crate::unlock::KEYINFO_FILE,
            crate::profile::LANGUAGE_FILE,
        ] {
            match std::fs::remove_file(dir.join(file)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&dir.join(file), e)),
            }
        }
        Ok(())
    }

    pub fn data_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// This member's id: random, stable across the member's devices, never a phone number.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn device(&self) -> &DeviceIdentity {
        &self.identity
    }

    /// A new device: its own keys and Automerge actor, for a new member or for `member_id`
    /// (another device of an existing member, see [`Mutua::init_paired`]).
    fn create(conn: Connection, dir: Option<PathBuf>, member_id: Option<&str>) -> Result<Mutua> {
        let identity = DeviceIdentity::generate()?;
        let member_id = match member_id {
            Some(id) => id.to_owned(),
            None => new_id()?,
        };
        let actor = random_bytes::<16>()?;
        conn.execute(
            "INSERT INTO device (id, member_id, actor, signing_secret, agreement_secret, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                member_id,
                actor.as_slice(),
                identity.signing_secret().as_slice(),
                identity.agreement_secret().as_slice(),
                crate::time::now_text()
            ],
        )?;
        Mutua::load(conn, dir)
    }

    fn load(conn: Connection, dir: Option<PathBuf>) -> Result<Mutua> {
        let row = conn
            .query_row(
                "SELECT member_id, actor, signing_secret, agreement_secret FROM device WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Vec<u8>>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()?;
        let (member_id, actor, signing, agreement) =
            row.ok_or_else(|| Error::DatabaseDamaged("no device identity".into()))?;
        let identity = DeviceIdentity::from_secrets(&signing, &agreement)?;
        Ok(Mutua {
            dir,
            conn,
            docs: Docs::new(ActorId::from(actor)),
            member_id,
            identity,
        })
    }

    /// Runs `edit` on document `id` as one Automerge change, then stores the change and updates
    /// the projections atomically. An edit that changes nothing stores nothing.
    pub(crate) fn change_doc<T>(
        &mut self,
        id: &DocId,
        edit: impl FnOnce(&mut DocTransaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let Mutua { conn, docs, .. } = self;
        let doc = docs.get(conn, id)?;
        let before = doc.get_heads();
        let time = crate::time::now().timestamp();
        let result = doc
            .transact_with(|_| CommitOptions::default().with_time(time), edit)
            .map_err(|failure| failure.error)?
            .result;
        let mut changes = doc.get_changes(&before);
        if changes.is_empty() {
            return Ok(result);
        }
        let stored = (|| {
            let tx = conn.transaction()?;
            record(&tx, id, doc, &before, &mut changes)?;
            tx.commit()?;
            Ok(())
        })();
        match stored {
            Ok(()) => Ok(result),
            Err(e) => {
                docs.forget(id);
                Err(e)
            }
        }
    }

    /// Applies changes that came from another replica, in any order and any number of times,
    /// all in one transaction. Returns how many were new here.
    pub fn apply_changes(&mut self, batch: Vec<(DocId, Vec<Change>)>) -> Result<usize> {
        // One Automerge apply and one projection pass per document, however many entries of
        // the batch name it: a backlog of a thousand envelopes of one month's thread is one
        // diff and one snapshot check, not a thousand.
        let mut merged: Vec<(DocId, Vec<Change>)> = Vec::new();
        let mut index: std::collections::HashMap<DocId, usize> = std::collections::HashMap::new();
        for (id, changes) in batch {
            match index.get(&id) {
                Some(&i) => merged[i].1.extend(changes),
                None => {
                    index.insert(id.clone(), merged.len());
                    merged.push((id, changes));
                }
            }
        }
        let batch = merged;
        let Mutua { conn, docs, .. } = self;
        let touched: Vec<DocId> = batch.iter().map(|(id, _)| id.clone()).collect();
        let applied = (|| {
            let tx = conn.transaction()?;
            let mut new = 0;
            for (id, changes) in batch {
                let doc = docs.get(&tx, &id)?;
                let before = doc.get_heads();
                let mut changes = changes;
                doc.apply_changes(changes.clone())
                    .map_err(|e| Error::document(&id, e))?;
                new += record(&tx, &id, doc, &before, &mut changes)?;
            }
            tx.commit()?;
            Ok(new)
        })();
        if applied.is_err() {
            for id in &touched {
                docs.forget(id);
            }
        }
        applied
    }

    /// Reads document `id` (loading it if needed).
    pub(crate) fn read_doc<T>(
        &mut self,
        id: &DocId,
        read: impl FnOnce(&Automerge) -> T,
    ) -> Result<T> {
        let Mutua { conn, docs, .. } = self;
        Ok(read(docs.get(conn, id)?))
    }

    /// Drops every projection table and rebuilds them from the documents.
    pub fn rebuild_projections(&mut self) -> Result<()> {
        let Mutua { conn, docs, .. } = self;
        let tx = conn.transaction()?;
        projection::clear_all(&tx)?;
        for id in docs::doc_ids(&tx)? {
            let doc = docs.get(&tx, &id)?;
            projection::project(&tx, &id, doc, &projection::Touched::All)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every projection row, table by table, for comparing replicas and checking rebuilds.
    pub fn projection_dump(&self) -> Result<serde_json::Value> {
        projection::dump(&self.conn)
    }

    /// Writes what is in the write-ahead log into the database file (used before copying it).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// Stores `changes` of `doc` (made or received after `before`) and projects what they touched.
fn record(
    tx: &Transaction<'_>,
    id: &DocId,
    doc: &Automerge,
    before: &[automerge::ChangeHash],
    changes: &mut [Change],
) -> Result<usize> {
    let new = docs::store_changes(tx, id, changes)?;
    let after = doc.get_heads();
    if after != before {
        let touched = projection::touched(&doc.diff(before, &after));
        projection::project(tx, id, doc, &touched)?;
    }
    docs::maybe_snapshot(tx, id, doc)?;
    Ok(new)
}

/// Removes a database file and the journal files SQLite may keep beside it.
fn remove_database_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&file, e)),
        }
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Opens (or creates) the encrypted database and brings its schema up to date.
///
/// Pragmas, in one place: WAL so readers never block the writer; `synchronous = FULL` because a
/// member's journal entry that the app said was saved must survive a power cut, and writes here
/// are few; foreign keys on; temporary tables in memory (Android has no writable /tmp).
fn open_connection(path: Option<&Path>, key: &DatabaseKey, create: bool) -> Result<Connection> {
    let conn = match path {
        Some(path) => {
            let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            if create {
                flags |= OpenFlags::SQLITE_OPEN_CREATE;
            }
            Connection::open_with_flags(path, flags)?
        }
        None => Connection::open_in_memory()?,
    };
    // SQLCipher would otherwise print decryption failures to stderr; ours are reported as errors.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // A raw key (x'…') skips SQLCipher's own PBKDF2: ours already ran Argon2id or came from the
    // keychain. The value is hex from our own bytes, so formatting it into SQL is safe.
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.pragma_value()))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Error::DatabaseDamaged(
                "it cannot be decrypted with this key, or is not a database".into(),
            ),
            _ => Error::Storage(e),
        })?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA busy_timeout = 5000;",
    )?;
    migrate(conn, version)
}

fn migrate(mut conn: Connection, version: i64) -> Result<Connection> {
    if version > schema::VERSION {
        return Err(Error::DatabaseTooNew {
            found: version,
            known: schema::VERSION,
        });
    }
    if version == schema::VERSION {
        return Ok(conn);
    }
    let tx = conn.transaction()?;
    if version == 0 {
        schema::create(&tx)?;
    } else {
        schema::upgrade_from(&tx, version)?;
    }
    tx.pragma_update(None, "user_version", schema::VERSION)?;
    tx.commit()?;
    Ok(conn)
}

#[cfg(test)]
pub(crate) fn open_for_test(path: &Path, key: &DatabaseKey) -> Result<Connection> {
    open_connection(Some(path), key, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{Admission, GroupFields, GroupKind};
    use crate::journal::EntryFields;

    fn cheap() -> KdfParams {
        KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }

    fn circle(name: &str) -> GroupFields {
        GroupFields {
            name: name.into(),
            purpose: Some("Carers who meet on Tuesdays".into()),
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Open,
            language: None,
            place: Some("Community hall".into()),
            online_url: None,
            guidelines: None,
        }
    }

    fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[test]
    fn reopening_needs_the_right_passphrase_and_keeps_everything() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let mut m = Mutua::init_with_kdf(
                dir.path(),
                "Ana G.",
                NewProtection::Passphrase("long enough"),
                cheap(),
            )
            .expect("init");
            m.create_group(circle("Tuesday circle")).expect("group");
        }
        assert!(matches!(
            Mutua::open(dir.path(), Unlock::Passphrase("wrong guess")),
            Err(Error::WrongPassphrase)
        ));
        let m = Mutua::open(dir.path(), Unlock::Passphrase("long enough")).expect("open");
        assert_eq!(
            m.groups(false).expect("groups")[0].fields.name,
            "Tuesday circle"
        );
        assert_eq!(m.profile().expect("profile").pseudonym, "Ana G.");
        assert!(matches!(
            Mutua::init(
                dir.path(),
                "Ana G.",
                NewProtection::Passphrase("long enough")
            ),
            Err(Error::AlreadyInitialised(_))
        ));
    }

    #[test]
    fn a_set_up_killed_half_way_can_simply_run_again() {
        let dir = tempfile::tempdir().expect("tmp");
        // A panic inside `make` stands in for the process dying there: nothing after it runs,
        // no clean-up either. By then the schema is on disk; the device row is not.
        let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Mutua::init_dir(
                dir.path(),
                NewProtection::Passphrase("long enough"),
                cheap(),
                |conn, _| {
                    conn.execute_batch("SELECT 1").expect("the schema is there");
                    panic!("killed during set-up")
                },
            );
        }));
        assert!(died.is_err());
        assert!(
            !Mutua::exists(dir.path()),
            "a half-made database must not count as the member's data"
        );
        assert!(matches!(
            Mutua::open(dir.path(), Unlock::Passphrase("long enough")),
            Err(Error::NotInitialised)
        ));
        let mut m = Mutua::init_with_kdf(
            dir.path(),
            "Ana G.",
            NewProtection::Passphrase("long enough"),
            cheap(),
        )
        .expect("set-up runs again");
        m.create_group(circle("Tuesday circle")).expect("group");
        drop(m);
        let m = Mutua::open(dir.path(), Unlock::Passphrase("long enough")).expect("open");
        assert_eq!(m.profile().expect("profile").pseudonym, "Ana G.");
        assert_eq!(m.groups(false).expect("groups").len(), 1);
        for leftover in ["mutua.db.new", "mutua.db.new-wal", "mutua.db.new-journal"] {
            assert!(!dir.path().join(leftover).exists(), "{leftover} was left");
        }
    }

    #[test]
    fn the_database_file_holds_no_plaintext() {
        let dir = tempfile::tempdir().expect("tmp");
        let secrets = [
            "Sunflower circle QX",
            "I told nobody about the relapse QX",
            "Rosa QX",
            "bereavement QX",
        ];
        {
            let mut m = Mutua::init_with_kdf(
                dir.path(),
                "Rosa QX",
                NewProtection::Passphrase("long enough"),
                cheap(),
            )
            .expect("init");
            let mut fields = circle(secrets[0]);
            fields.purpose = Some(secrets[3].into());
            m.create_group(fields).expect("group");
            m.add_entry(EntryFields {
                text: secrets[1].into(),
                mood: Some(2),
                emotions: vec!["ashamed".into()],
                tags: vec![],
                written_at: crate::time::now(),
                time_zone: "UTC".into(),
            })
            .expect("entry");
            // Look at both the WAL (before checkpoint) and the main file (after).
            let wal = std::fs::read(dir.path().join("mutua.db-wal")).unwrap_or_default();
            assert!(!wal.is_empty(), "the test must see the write-ahead log");
            for secret in secrets {
                assert!(!contains(&wal, secret.as_bytes()), "WAL leaks {secret}");
            }
            m.checkpoint().expect("checkpoint");
        }
        let db = std::fs::read(dir.path().join(DB_FILE)).expect("db");
        assert!(db.len() > 4096);
        assert!(
            !db.starts_with(b"SQLite format 3"),
            "the header is encrypted too"
        );
        let keyinfo = std::fs::read(dir.path().join(crate::unlock::KEYINFO_FILE)).expect("keyinfo");
        for secret in secrets {
            assert!(!contains(&db, secret.as_bytes()), "database leaks {secret}");
            assert!(
                !contains(&keyinfo, secret.as_bytes()),
                "keyinfo leaks {secret}"
            );
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn an_upgraded_old_database_equals_a_fresh_one() {
        let fixtures = [
            (1, include_str!("../tests/fixtures/schema-v1.sql")),
            (2, include_str!("../tests/fixtures/schema-v2.sql")),
            (3, include_str!("../tests/fixtures/schema-v3.sql")),
        ];
        let dir = tempfile::tempdir().expect("tmp");
        let key = crate::unlock::random_key().expect("key");
        let fresh = open_for_test(&dir.path().join("fresh.db"), &key).expect("fresh");
        for (from, fixture) in fixtures {
            let old = dir.path().join(format!("v{from}.db"));
            {
                let conn = Connection::open(&old).expect("open");
                conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.pragma_value()))
                    .expect("key");
                conn.execute_batch(fixture).expect("fixture");
                let version: i64 = conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .expect("v");
                assert_eq!(version, from, "fixture of version {from}");
            }
            let upgraded = open_for_test(&old, &key).expect("upgrade");
            assert_eq!(
                schema_of(&upgraded),
                schema_of(&fresh),
                "from version {from}"
            );
            let version: i64 = upgraded
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .expect("v");
            assert_eq!(version, schema::VERSION);
            // The point of version 2: accent-insensitive search over the old rows.
            let hits: i64 = upgraded
                .query_row(
                    "SELECT count(*) FROM journal_fts WHERE journal_fts MATCH 'animo reunion'",
                    [],
                    |r| r.get(0),
                )
                .expect("search");
            assert_eq!(hits, 1, "from version {from}");
            // Version 3 adds messages; nothing old is lost on the way.
            let messages: i64 = upgraded
                .query_row("SELECT count(*) FROM message", [], |r| r.get(0))
                .expect("messages");
            assert_eq!(messages, i64::from(from >= 3), "from version {from}");
            let entries: i64 = upgraded
                .query_row("SELECT count(*) FROM journal_entry", [], |r| r.get(0))
                .expect("entries");
            assert_eq!(entries, 1, "from version {from}");
        }
        assert_eq!(
            fixtures.len() as i64,
            schema::VERSION - 1,
            "every old version needs a frozen fixture in tests/fixtures"
        );
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_untouched() {
        let dir = tempfile::tempdir().expect("tmp");
        let key = crate::unlock::random_key().expect("key");
        let path = dir.path().join("newer.db");
        {
            let conn = open_for_test(&path, &key).expect("create");
            conn.execute_batch("PRAGMA user_version = 99;")
                .expect("bump");
        }
        let err = open_for_test(&path, &key).expect_err("must refuse");
        assert!(
            matches!(err, Error::DatabaseTooNew { found: 99, .. }),
            "{err}"
        );
        let other = crate::unlock::random_key().expect("key");
        assert!(matches!(
            open_for_test(&path, &other),
            Err(Error::DatabaseDamaged(_))
        ));
    }

    #[test]
    fn a_failed_write_leaves_memory_and_disk_as_they_were() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let group = m.create_group(circle("Tuesday circle")).expect("group");
        let before = m.projection_dump().expect("dump");
        // Stand-in for a full disk: the change log refuses the insert.
        m.conn
            .execute_batch("CREATE TEMP TRIGGER full BEFORE INSERT ON change BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;")
            .expect("trigger");
        let mut renamed = group.fields.clone();
        renamed.name = "Renamed".into();
        assert!(m.update_group(&group.id, renamed.clone()).is_err());
        assert_eq!(m.projection_dump().expect("dump"), before);
        m.conn.execute_batch("DROP TRIGGER full;").expect("drop");
        // The failed edit is not lurking in the cached document either.
        m.rebuild_projections().expect("rebuild");
        assert_eq!(m.projection_dump().expect("dump"), before);
        m.update_group(&group.id, renamed).expect("now it works");
        assert_eq!(
            m.find_group(&group.id).expect("find").fields.name,
            "Renamed"
        );
    }

    #[test]
    fn rebuilt_projections_equal_incremental_ones() {
        let mut m = Mutua::ephemeral("Ana G.").expect("store");
        let g = m.create_group(circle("Tuesday circle")).expect("group");
        m.set_member_roles(
            &g.id,
            m.member_id().to_owned().as_str(),
            vec!["service:secretary".parse().expect("role")],
        )
        .expect("roles");
        for i in 0..80 {
            let e = m
                .add_entry(EntryFields {
                    text: format!("entry {i}"),
                    mood: Some(1 + (i % 5) as u8),
                    emotions: vec!["calm".into()],
                    tags: vec![],
                    written_at: crate::time::now(),
                    time_zone: "UTC".into(),
                })
                .expect("entry");
            if i % 7 == 0 {
                m.delete_entry(&e.id).expect("delete");
            }
        }
        m.set_read_receipts(true).expect("receipts");
        let mut last = None;
        for i in 0..70 {
            let sent = m
                .send_to_group(
                    &g.id,
                    crate::messages::NewMessage {
                        text: format!("message {i}"),
                        reply_to: last.clone(),
                        kind: crate::messages::MessageKind::Text,
                    },
                )
                .expect("message");
            if i % 3 == 0 {
                m.react(&sent.id, "🙏").expect("react");
            }
            if i % 10 == 0 {
                m.retract_message(&sent.id).expect("retract");
            }
            last = Some(sent.id);
        }
        m.mark_read(&m.group_conversation(&g.id).expect("thread"))
            .expect("read");
        let incremental = m.projection_dump().expect("dump");
        m.rebuild_projections().expect("rebuild");
        assert_eq!(m.projection_dump().expect("dump"), incremental);
        assert_eq!(
            incremental["journal_entry"].as_array().map(Vec::len),
            Some(80 - 12)
        );
        assert_eq!(incremental["message"].as_array().map(Vec::len), Some(70));
        assert_eq!(
            incremental["message_reaction"].as_array().map(Vec::len),
            Some(24)
        );
        assert_eq!(
            incremental["message_receipt"].as_array().map(Vec::len),
            Some(1)
        );
    }
}
