//! The one error the shell sends to the UI.
//!
//! Core errors are rich and keep their causes; by the time one reaches the UI it has been mapped
//! (in one place, in the shell) to a coarse [`ErrorKind`] the UI can branch on, plus a message
//! written for the member reading it. Causes stay in the shell's logs, never in the window.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of failure happened, in terms the UI can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The group, meeting, peer or entry asked for does not exist (any more).
    NotFound,
    /// The request itself was wrong: an empty name, a date in the wrong shape.
    InvalidInput,
    /// The store is locked and needs the passphrase (or keychain) before anything else.
    Locked,
    /// The passphrase given to unlock the store was not the right one.
    WrongPassphrase,
    /// Reading or writing the local store failed (disk full, permissions, corruption).
    Storage,
    /// The relay could not be reached, answered nonsense, or refused (sync, invitations).
    Network,
    /// A bug or an unexpected state in the app; the message says what to report.
    Internal,
}

impl ErrorKind {
    /// A short, member-facing description of the kind, for when no better message exists.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::InvalidInput => "Invalid input",
            Self::Locked => "Locked",
            Self::WrongPassphrase => "Wrong passphrase",
            Self::Storage => "Storage problem",
            Self::Network => "Connection problem",
            Self::Internal => "Internal error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// An error as the UI sees it: a kind to branch on and a message to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_kind_and_message() {
        let err = ApiError::new(ErrorKind::NotFound, "That group is gone.");
        assert_eq!(err.to_string(), "Not found: That group is gone.");
    }

    #[test]
    fn kind_serialises_as_snake_case() {
        let json = serde_json::to_string(&ErrorKind::WrongPassphrase).expect("serialise");
        assert_eq!(json, "\"wrong_passphrase\"");
    }

    #[test]
    fn round_trips_through_json() {
        let err = ApiError::new(ErrorKind::Locked, "Unlock Mutua first.");
        let json = serde_json::to_string(&err).expect("serialise");
        let back: ApiError = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, err);
    }
}
