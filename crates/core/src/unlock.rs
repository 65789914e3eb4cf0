//! How the database key is obtained: from the OS keychain, or from a passphrase via Argon2id.
//!
//! The data directory holds `keyinfo.json` next to the database. It contains no secret: only how
//! the key is found (keychain account, or the Argon2id salt and costs) and, for passphrases, a
//! verifier so a wrong passphrase is told apart from a damaged database. Argon2id yields 64
//! bytes: the first 32 are the SQLCipher key, the last 32 the verifier; knowing one half says
//! nothing about the other.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::ids::random_bytes;

pub const KEYINFO_FILE: &str = "keyinfo.json";
#[cfg_attr(not(feature = "keychain"), allow(dead_code))]
const KEYCHAIN_SERVICE: &str = "org.mutua.app";
const MIN_PASSPHRASE_CHARS: usize = 8;

/// The raw 256-bit SQLCipher key. Wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DatabaseKey([u8; 32]);

impl DatabaseKey {
    /// The `PRAGMA key` argument for a raw key (SQLCipher skips its own KDF for these).
    pub(crate) fn pragma_value(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(..)")
    }
}

/// How a member chose to protect the data on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    Keychain,
    Passphrase,
}

/// Argon2id costs. The defaults are OWASP's recommended minimum (19 MiB, 2 passes, 1 lane):
/// about a tenth of a second on a phone, and each guess costs an attacker the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

/// The contents of `keyinfo.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub version: u32,
    pub protection: Protection,
    /// Keychain: the account name under service `org.mutua.app`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keychain_account: Option<String>,
    /// Passphrase: Argon2id salt (hex), costs and verifier (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<String>,
}

/// What the caller can supply to unlock.
pub enum Unlock<'a> {
    Passphrase(&'a str),
    Keychain,
}

impl KeyInfo {
    pub fn read(dir: &Path) -> Result<Option<KeyInfo>> {
        let path = dir.join(KEYINFO_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::DatabaseDamaged(format!("{KEYINFO_FILE} is unreadable: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(KEYINFO_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::invalid(e.to_string()))?;
        crate::fsutil::write_atomically(&path, &json)
    }

    /// Creates a new passphrase-protected key.
    pub fn new_passphrase(passphrase: &str, kdf: KdfParams) -> Result<(KeyInfo, DatabaseKey)> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::PassphraseTooShort);
        }
        let salt = random_bytes::<16>()?;
        let (key, verifier) = derive(passphrase, &salt, kdf)?;
        let info = KeyInfo {
            version: 1,
            protection: Protection::Passphrase,
            keychain_account: None,
            salt: Some(hex::encode(salt)),
            kdf: Some(kdf),
            verifier: Some(hex::encode(verifier)),
        };
        Ok((info, key))
    }

    /// Creates a random key and stores it in the OS keychain.
    pub fn new_keychain() -> Result<(KeyInfo, DatabaseKey)> {
        let account = format!("database-{}", hex::encode(random_bytes::<8>()?));
        let key = DatabaseKey(random_bytes::<32>()?);
        keychain::store(&account, &key.0)?;
        let info = KeyInfo {
            version: 1,
            protection: Protection::Keychain,
            keychain_account: Some(account),
            salt: None,
            kdf: None,
            verifier: None,
        };
        Ok((info, key))
    }

    pub fn unlock(&self, how: Unlock<'_>) -> Result<DatabaseKey> {
        match (self.protection, how) {
            (Protection::Passphrase, Unlock::Passphrase(passphrase)) => {
                let bad =
                    |what: &str| Error::DatabaseDamaged(format!("{KEYINFO_FILE}: bad {what}"));
                let salt = hex::decode(self.salt.as_deref().ok_or_else(|| bad("salt"))?)
                    .map_err(|_| bad("salt"))?;
                let kdf = self.kdf.ok_or_else(|| bad("costs"))?;
                let expected =
                    hex::decode(self.verifier.as_deref().ok_or_else(|| bad("verifier"))?)
                        .map_err(|_| bad("verifier"))?;
                let (key, verifier) = derive(passphrase, &salt, kdf)?;
                if !constant_time_eq(&verifier, &expected) {
                    return Err(Error::WrongPassphrase);
                }
                Ok(key)
            }
            (Protection::Passphrase, Unlock::Keychain) => Err(Error::PassphraseRequired),
            (Protection::Keychain, _) => {
                let account = self.keychain_account.as_deref().ok_or_else(|| {
                    Error::DatabaseDamaged(format!("{KEYINFO_FILE}: no keychain account"))
                })?;
                let secret = keychain::load(account)?;
                let bytes: [u8; 32] = secret.as_slice().try_into().map_err(|_| {
                    Error::DatabaseDamaged("the keychain entry is not a Mutua key".into())
                })?;
                Ok(DatabaseKey(bytes))
            }
        }
    }

    /// Removes what this key info keeps outside the data directory (the keychain entry).
    pub fn forget(&self) -> Result<()> {
        match (&self.protection, &self.keychain_account) {
            (Protection::Keychain, Some(account)) => keychain::delete(account),
            _ => Ok(()),
        }
    }
}

fn derive(passphrase: &str, salt: &[u8], kdf: KdfParams) -> Result<(DatabaseKey, [u8; 32])> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(64))
        .map_err(|e| Error::DatabaseDamaged(format!("bad key-derivation costs: {e}")))?;
    let mut out = [0u8; 64];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| Error::DatabaseDamaged(format!("key derivation failed: {e}")))?;
    let mut key = [0u8; 32];
    let mut verifier = [0u8; 32];
    key.copy_from_slice(&out[..32]);
    verifier.copy_from_slice(&out[32..]);
    out.zeroize();
    Ok((DatabaseKey(key), verifier))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(feature = "keychain")]
mod keychain {
    use super::KEYCHAIN_SERVICE;
    use crate::error::{Error, Result};

    fn entry(account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(KEYCHAIN_SERVICE, account)
            .map_err(|e| Error::KeychainUnavailable(e.to_string()))
    }

    pub fn store(account: &str, secret: &[u8]) -> Result<()> {
        entry(account)?
            .set_secret(secret)
            .map_err(|e| Error::KeychainUnavailable(e.to_string()))
    }

    pub fn load(account: &str) -> Result<Vec<u8>> {
        entry(account)?.get_secret().map_err(|e| match e {
            keyring::Error::NoEntry => Error::KeychainKeyMissing,
            other => Error::KeychainUnavailable(other.to_string()),
        })
    }

    pub fn delete(account: &str) -> Result<()> {
        match entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::KeychainUnavailable(e.to_string())),
        }
    }

    /// Looks up an account no Mutua data ever uses; only the kind of answer matters.
    pub fn available() -> bool {
        const PROBE_ACCOUNT: &str = "availability-probe";
        match entry(PROBE_ACCOUNT).map(|e| e.get_secret()) {
            Ok(Ok(_) | Err(keyring::Error::NoEntry)) => true,
            Ok(Err(_)) | Err(_) => false,
        }
    }
}

#[cfg(not(feature = "keychain"))]
mod keychain {
    use crate::error::{Error, Result};

    const WHY: &str = "this build of Mutua has no keychain support";

    pub fn store(_: &str, _: &[u8]) -> Result<()> {
        Err(Error::KeychainUnavailable(WHY.into()))
    }
    pub fn load(_: &str) -> Result<Vec<u8>> {
        Err(Error::KeychainUnavailable(WHY.into()))
    }
    pub fn delete(_: &str) -> Result<()> {
        Ok(())
    }
    pub fn available() -> bool {
        false
    }
}

/// Whether an OS keychain answers on this device, so a first run can offer it.
///
/// Probes with a harmless lookup of an entry that never exists: "no such entry" means the
/// keychain is there and working; any store error (no Secret Service on the session bus, a
/// locked-down sandbox) means it is not. Builds without the `keychain` feature have none.
pub fn keychain_available() -> bool {
    keychain::available()
}

/// A fresh random key, for databases that never outlive the process.
pub(crate) fn random_key() -> Result<DatabaseKey> {
    Ok(DatabaseKey(random_bytes::<32>()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> KdfParams {
        KdfParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        }
    }

    #[test]
    fn right_passphrase_gives_the_same_key() {
        let (info, key) = KeyInfo::new_passphrase("correct horse", cheap()).expect("new");
        let again = info
            .unlock(Unlock::Passphrase("correct horse"))
            .expect("unlock");
        assert_eq!(key.0, again.0);
    }

    #[test]
    fn wrong_passphrase_is_told_apart() {
        let (info, _) = KeyInfo::new_passphrase("correct horse", cheap()).expect("new");
        let err = info
            .unlock(Unlock::Passphrase("correct horsf"))
            .expect_err("must fail");
        assert!(matches!(err, Error::WrongPassphrase), "{err}");
    }

    #[test]
    fn short_passphrases_are_refused() {
        let err = KeyInfo::new_passphrase("short", cheap()).expect_err("must fail");
        assert!(matches!(err, Error::PassphraseTooShort));
    }

    #[test]
    fn keyinfo_holds_no_key_material() {
        let (info, key) = KeyInfo::new_passphrase("correct horse", cheap()).expect("new");
        let json = serde_json::to_string(&info).expect("json");
        assert!(!json.contains(&hex::encode(key.0)));
        assert!(!json.contains("correct horse"));
    }
}
