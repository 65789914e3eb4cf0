//! The one place shell-side failures become the [`ApiError`] the UI shows.
//!
//! A command body fails with a [`Failure`]: a core error (the shell's own checks, such as a
//! weekday out of range, are phrased as `mutua_core::Error::Invalid` too), or the store not being
//! open. Each core error maps to a coarse [`ErrorKind`] the UI can branch on; its message is the
//! core error's own text, written for members and free of their content, with a capital letter
//! and a full stop. Two core messages speak to command-line users; the window gets its own words
//! for those. Causes of storage and internal failures go to stderr, never to the window.

use mutua_api::{ApiError, ErrorKind};
use mutua_core::Error;

/// What a command body can fail with.
#[derive(Debug)]
pub enum Failure {
    Core(Error),
    /// The store is not open: locked, or (when `initialised` is false) not set up yet.
    Locked {
        initialised: bool,
    },
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Core(error)
    }
}

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> ApiError {
        match failure {
            Failure::Core(error) => from_core(error),
            Failure::Locked { initialised: true } => {
                ApiError::new(ErrorKind::Locked, "Unlock Mutua first.")
            }
            Failure::Locked { initialised: false } => {
                ApiError::new(ErrorKind::Locked, "Set up Mutua first.")
            }
        }
    }
}

fn from_core(error: Error) -> ApiError {
    let kind = match &error {
        Error::NotFound { .. } => ErrorKind::NotFound,
        Error::Invalid(_)
        | Error::Calendar(_)
        | Error::Ambiguous { .. }
        | Error::PassphraseTooShort
        | Error::AlreadyInitialised(_)
        | Error::NotAChangeFile(_)
        | Error::ChangeFileDamaged(_)
        | Error::NotASyncFile
        | Error::SyncFileDamaged(_)
        | Error::SyncFileTooNew { .. }
        | Error::SyncFileNotForThisDevice
        | Error::InvitationExpired
        | Error::InvitationInvalid(_)
        | Error::NotAllowed(_)
        | Error::RemovedFromGroup(_) => ErrorKind::InvalidInput,
        Error::WrongPassphrase => ErrorKind::WrongPassphrase,
        Error::PassphraseRequired | Error::NotInitialised | Error::Locked => ErrorKind::Locked,
        Error::RelayUnreachable(_) | Error::RelayGarbled(_) | Error::RelayRefused(_) => {
            ErrorKind::Network
        }
        // The keychain is where the database key is stored; a newer schema is data this build
        // cannot read. Both are about the data on this device, not about what was typed.
        Error::Storage(_)
        | Error::Io { .. }
        | Error::DatabaseDamaged(_)
        | Error::DatabaseTooNew { .. }
        | Error::Document { .. }
        | Error::KeychainUnavailable(_)
        | Error::KeychainKeyMissing => ErrorKind::Storage,
        Error::Random(_) => ErrorKind::Internal,
    };
    if matches!(kind, ErrorKind::Storage | ErrorKind::Internal) {
        eprintln!("mutua: {error:?}");
    }
    let message = match &error {
        Error::NotInitialised => "Set up Mutua first.".to_owned(),
        Error::PassphraseRequired => {
            "This data is protected by a passphrase: enter it to unlock.".to_owned()
        }
        other => sentence(&other.to_string()),
    };
    ApiError::new(kind, message)
}

/// A panicked or cancelled command thread: a bug, never the member's doing.
pub fn from_join(error: tauri::Error) -> ApiError {
    eprintln!("mutua: a command thread failed: {error}");
    ApiError::internal("Mutua hit an unexpected problem on this device. Please try again.")
}

/// "the passphrase must be…" → "The passphrase must be….": core messages are clauses that the
/// command line prints after "error: "; on screen they stand alone.
pub fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_words_as_a_sentence() {
        let api = ApiError::from(Failure::from(Error::PassphraseTooShort));
        assert_eq!(api.kind, ErrorKind::InvalidInput);
        assert_eq!(api.message, "The passphrase must be at least 8 characters.");
        let api = ApiError::from(Failure::from(Error::NotFound {
            kind: "group",
            query: "abcd".into(),
        }));
        assert_eq!(api.kind, ErrorKind::NotFound);
        assert_eq!(api.message, "No group matches \"abcd\".");
    }

    #[test]
    fn command_line_advice_is_replaced_for_the_window() {
        let api = ApiError::from(Failure::from(Error::NotInitialised));
        assert_eq!(api.kind, ErrorKind::Locked);
        assert!(!api.message.contains("mutua init"), "{}", api.message);
        let api = ApiError::from(Failure::from(Error::PassphraseRequired));
        assert!(!api.message.contains("MUTUA_PASSPHRASE"), "{}", api.message);
    }

    #[test]
    fn storage_failures_are_storage() {
        let io = Error::Io {
            path: "/tmp/x".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(ApiError::from(Failure::from(io)).kind, ErrorKind::Storage);
    }
}
