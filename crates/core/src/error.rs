//! The one error type of the core, phrased in the member's terms.
//!
//! Every variant says what went wrong and, where it helps, what the person can do. Causes from
//! SQLite or Automerge are kept (for logs and debugging) but never carry a member's content: an
//! error message may be shown on screen, written to a log or sent to a developer.

use crate::calendar::CalendarError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no Mutua data here yet: run `mutua init --name \"Sam R.\"` (or open the app) first")]
    NotInitialised,
    #[error("Mutua data already exists in {0}")]
    AlreadyInitialised(String),
    #[error("could not unlock: the passphrase is wrong")]
    WrongPassphrase,
    #[error(
        "a passphrase is needed to unlock this data: set MUTUA_PASSPHRASE or enter it when asked"
    )]
    PassphraseRequired,
    #[error("the passphrase must be at least 8 characters")]
    PassphraseTooShort,
    #[error(
        "the OS keychain is not available here ({0}); protect the data with a passphrase instead"
    )]
    KeychainUnavailable(String),
    #[error(
        "the database key is missing from the OS keychain; was this data copied from another computer?"
    )]
    KeychainKeyMissing,
    #[error("the database file is damaged or is not a Mutua database ({0})")]
    DatabaseDamaged(String),
    #[error(
        "this data was written by a newer version of Mutua (schema {found}, this version knows {known}); \
         update Mutua to open it"
    )]
    DatabaseTooNew { found: i64, known: i64 },
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("could not read or write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("document {doc} could not be loaded or changed: {reason}")]
    Document { doc: String, reason: String },
    #[error("no {kind} matches \"{query}\"")]
    NotFound { kind: &'static str, query: String },
    #[error("\"{query}\" matches more than one {kind}: {candidates}; use more of the id")]
    Ambiguous {
        kind: &'static str,
        query: String,
        candidates: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error("this is not a Mutua change file ({0})")]
    NotAChangeFile(String),
    #[error("the change file is damaged: {0}; nothing was imported")]
    ChangeFileDamaged(String),
    #[error("this is not a Mutua sync file; nothing was changed")]
    NotASyncFile,
    #[error("this sync file is damaged ({0}); nothing was changed — copy it again")]
    SyncFileDamaged(String),
    #[error(
        "this sync file was made by a newer version of Mutua (format {found}; this version reads up to {known}); \
         nothing was changed — update Mutua to open it"
    )]
    SyncFileTooNew { found: u16, known: u16 },
    #[error("this sync file is for groups this device is not in; nothing was changed")]
    SyncFileNotForThisDevice,
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error("Mutua is locked: unlock it first")]
    Locked,
    #[error("relay unreachable: {0}")]
    RelayUnreachable(String),
    #[error("the relay's answer was damaged or not from a Mutua relay: {0}")]
    RelayGarbled(String),
    #[error("the relay refused: {0}")]
    RelayRefused(String),
    #[error("this invitation has expired: ask for a new one")]
    InvitationExpired,
    #[error("{0}")]
    InvitationInvalid(String),
    #[error("you were removed from \"{0}\": nothing new from this group reaches this device")]
    RemovedFromGroup(String),
    #[error("{0}")]
    NotAllowed(String),
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn document(doc: impl std::fmt::Display, reason: impl std::fmt::Display) -> Self {
        Error::Document {
            doc: doc.to_string(),
            reason: reason.to_string(),
        }
    }
}
