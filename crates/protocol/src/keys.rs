//! The symmetric keys of a space and what is derived from them.
//!
//! * An [`EpochKey`] seals envelopes. Each space has one per *epoch*; removing a member starts a
//!   new epoch with a fresh random key that the removed member never receives.
//! * The relay [`Token`] is derived from the epoch key, so whoever can read the space can use it
//!   and nobody else can; the relay stores only its SHA-256 ([`TokenHash`]) and learns no identity.
//! * A [`NamingKey`] lives as long as the space and turns document names and device keys into
//!   tags, so the relay sees neither.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::tags::{DeviceTag, DocTag, SpaceId};
use crate::{RandomError, random};

#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
pub struct EpochKey([u8; 32]);

#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
pub struct NamingKey([u8; 32]);

/// Bearer credential for one space at one epoch (`Authorization: Bearer <hex>`).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
pub struct Token([u8; 32]);

/// What the relay keeps of a token.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenHash(pub [u8; 32]);

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }
    )*};
}
redacted_debug!(EpochKey, NamingKey, Token);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenHash({})", hex::encode(&self.0[..6]))
    }
}

fn derive(ikm: &[u8], info: &[&[u8]]) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"mutua/v1"), ikm);
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = hk.expand_multi_info(info, &mut out);
    out
}

impl EpochKey {
    pub fn generate() -> Result<EpochKey, RandomError> {
        Ok(EpochKey(random()?))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> EpochKey {
        EpochKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The AEAD key for envelopes of this epoch.
    pub(crate) fn content_key(&self) -> [u8; 32] {
        derive(&self.0, &[b"content"])
    }

    /// The relay token for `space` at this epoch.
    pub fn token(&self, space: &SpaceId) -> Token {
        Token(derive(&self.0, &[b"relay-token", space.as_bytes()]))
    }
}

impl NamingKey {
    pub fn generate() -> Result<NamingKey, RandomError> {
        Ok(NamingKey(random()?))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> NamingKey {
        NamingKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn tag(&self, kind: &[u8], value: &[u8]) -> [u8; 16] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(kind);
        mac.update(&[0]);
        mac.update(value);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    pub fn doc_tag(&self, doc_name: &str) -> DocTag {
        DocTag(self.tag(b"doc", doc_name.as_bytes()))
    }

    pub fn device_tag(&self, signing_public: &[u8; 32]) -> DeviceTag {
        DeviceTag(self.tag(b"device", signing_public))
    }
}

impl Token {
    pub fn from_bytes(bytes: [u8; 32]) -> Token {
        Token(bytes)
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Token> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Token(bytes.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivations_are_stable_distinct_and_keyed() {
        let space = SpaceId([1; 16]);
        let a = EpochKey::from_bytes([2; 32]);
        let b = EpochKey::from_bytes([3; 32]);
        assert_eq!(a.token(&space).hash(), a.token(&space).hash());
        assert_ne!(a.token(&space).hash(), b.token(&space).hash());
        assert_ne!(a.token(&space).hash(), a.token(&SpaceId([9; 16])).hash());
        assert_ne!(a.content_key(), a.token(&space).0);

        let n = NamingKey::from_bytes([4; 32]);
        let m = NamingKey::from_bytes([5; 32]);
        assert_eq!(n.doc_tag("group/x/meta"), n.doc_tag("group/x/meta"));
        assert_ne!(n.doc_tag("group/x/meta"), n.doc_tag("group/x/calendar"));
        assert_ne!(n.doc_tag("group/x/meta"), m.doc_tag("group/x/meta"));
        assert_ne!(n.device_tag(&[6; 32]), m.device_tag(&[6; 32]));
    }

    #[test]
    fn keys_never_print() {
        let key = EpochKey::from_bytes([0xAB; 32]);
        assert!(!format!("{key:?}").contains("ab"));
        let token = key.token(&SpaceId([1; 16]));
        assert!(!format!("{token:?}").contains(&token.to_hex()[..8]));
    }
}
