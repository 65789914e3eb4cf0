//! The device's identity: an Ed25519 key that signs what this device sends and an X25519 key
//! that others use to wrap group keys for it. Both live only in the encrypted database.
//!
//! A member is known to others by a random member id and a pseudonym, never by a phone number or
//! e-mail address; the public keys are what make a pseudonym trustworthy across devices.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroize;

use crate::error::{Error, Result};
use crate::ids::random_bytes;

pub struct DeviceIdentity {
    signing: SigningKey,
    agreement: StaticSecret,
}

impl std::fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("signing_public", &self.signing_public_hex())
            .finish_non_exhaustive()
    }
}

impl DeviceIdentity {
    pub fn generate() -> Result<DeviceIdentity> {
        let mut signing = random_bytes::<32>()?;
        let mut agreement = random_bytes::<32>()?;
        let identity = DeviceIdentity::from_secrets(&signing, &agreement);
        signing.zeroize();
        agreement.zeroize();
        identity
    }

    pub fn from_secrets(signing: &[u8], agreement: &[u8]) -> Result<DeviceIdentity> {
        let bad = || Error::DatabaseDamaged("the device keys are malformed".into());
        let signing: [u8; 32] = signing.try_into().map_err(|_| bad())?;
        let agreement: [u8; 32] = agreement.try_into().map_err(|_| bad())?;
        Ok(DeviceIdentity {
            signing: SigningKey::from_bytes(&signing),
            agreement: StaticSecret::from(agreement),
        })
    }

    pub(crate) fn signing_secret(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub(crate) fn agreement_secret(&self) -> [u8; 32] {
        self.agreement.to_bytes()
    }

    pub(crate) fn signing_key(&self) -> SigningKey {
        self.signing.clone()
    }

    pub fn signing_public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    pub fn agreement_public(&self) -> [u8; 32] {
        PublicKey::from(&self.agreement).to_bytes()
    }

    pub fn signing_public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    pub fn agreement_public_hex(&self) -> String {
        hex::encode(PublicKey::from(&self.agreement).to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// Checks `signature` over `message` against a hex-encoded Ed25519 public key.
pub fn verify(public_hex: &str, message: &[u8], signature: &[u8]) -> bool {
    let Ok(bytes) = hex::decode(public_hex) else {
        return false;
    };
    let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&bytes) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_is_caught() {
        let id = DeviceIdentity::generate().expect("keys");
        let sig = id.sign(b"hello group");
        assert!(verify(&id.signing_public_hex(), b"hello group", &sig));
        assert!(!verify(&id.signing_public_hex(), b"hello grouq", &sig));
        let other = DeviceIdentity::generate().expect("keys");
        assert!(!verify(&other.signing_public_hex(), b"hello group", &sig));
    }

    #[test]
    fn secrets_round_trip() {
        let id = DeviceIdentity::generate().expect("keys");
        let again = DeviceIdentity::from_secrets(&id.signing_secret(), &id.agreement_secret())
            .expect("restore");
        assert_eq!(id.signing_public_hex(), again.signing_public_hex());
        assert_eq!(id.agreement_public_hex(), again.agreement_public_hex());
    }
}
