//! Envelopes: XChaCha20-Poly1305 ciphertext with the header as associated data, signed with the
//! sending device's Ed25519 key over header and ciphertext.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::keys::EpochKey;
use crate::tags::{DeviceTag, DocTag, SpaceId};
use crate::{DecodeError, RandomError, random};

/// Largest ciphertext one envelope may carry (a big snapshot or bulk import still fits).
pub const MAX_CIPHERTEXT: usize = 16 << 20;

/// Where an envelope belongs and who sent it: everything the relay may know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Header {
    pub space: SpaceId,
    pub doc: DocTag,
    pub device: DeviceTag,
    /// Per (space, doc, device), starting at 1 and increasing by one per envelope.
    pub seq: u64,
    pub epoch: u32,
    pub nonce: [u8; 24],
}

impl Header {
    /// The bytes bound into the AEAD and covered by the signature: a fixed-width encoding, so no
    /// two different headers share one.
    fn bound(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 16 * 3 + 8 + 4 + 24);
        out.extend_from_slice(b"mutua/envelope/1");
        out.extend_from_slice(self.space.as_bytes());
        out.extend_from_slice(self.doc.as_bytes());
        out.extend_from_slice(self.device.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out
    }
}

/// An encrypted, signed unit of sync. Only [`Envelope::seal`] makes one from plaintext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireEnvelope")]
pub struct Envelope {
    header: Header,
    ciphertext: Vec<u8>,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("header", &self.header)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct WireEnvelope {
    header: Header,
    ciphertext: Vec<u8>,
    signature: Vec<u8>,
}

impl TryFrom<WireEnvelope> for Envelope {
    type Error = String;

    fn try_from(w: WireEnvelope) -> Result<Envelope, String> {
        if w.signature.len() != 64 {
            return Err(format!(
                "an envelope signature has 64 bytes, not {}",
                w.signature.len()
            ));
        }
        if w.ciphertext.len() < 16 || w.ciphertext.len() > MAX_CIPHERTEXT {
            return Err(format!(
                "an envelope's ciphertext has 16 to {MAX_CIPHERTEXT} bytes, not {}",
                w.ciphertext.len()
            ));
        }
        if w.header.seq == 0 {
            return Err("envelope sequence numbers start at 1".into());
        }
        Ok(Envelope {
            header: w.header,
            ciphertext: w.ciphertext,
            signature: w.signature,
        })
    }
}

/// Why an envelope could not be opened. Neither case is ever applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the envelope's signature does not match its sender: it was forged or altered")]
    BadSignature,
    #[error(
        "the envelope cannot be decrypted with this key: it was altered or sealed with another key"
    )]
    Undecryptable,
}

impl Envelope {
    /// Encrypts `plaintext` under `key` and signs the result with `signer`. The nonce is random.
    /// (The first five arguments are the header's fields, each of its own type.)
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        space: SpaceId,
        doc: DocTag,
        device: DeviceTag,
        seq: u64,
        epoch: u32,
        plaintext: &[u8],
        key: &EpochKey,
        signer: &SigningKey,
    ) -> Result<Envelope, RandomError> {
        let header = Header {
            space,
            doc,
            device,
            seq,
            epoch,
            nonce: random()?,
        };
        let bound = header.bound();
        let cipher = XChaCha20Poly1305::new(&Key::from(key.content_key()));
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(header.nonce),
                Payload {
                    msg: plaintext,
                    aad: &bound,
                },
            )
            // Encryption only fails for messages beyond 256 GiB.
            .map_err(|_| RandomError("plaintext too large to encrypt".into()))?;
        let signature = signer
            .sign(&signed_bytes(&bound, &ciphertext))
            .to_bytes()
            .to_vec();
        Ok(Envelope {
            header,
            ciphertext,
            signature,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn ciphertext_len(&self) -> usize {
        self.ciphertext.len()
    }

    /// Whether `sender` signed exactly this header and ciphertext.
    pub fn verify(&self, sender: &VerifyingKey) -> bool {
        let Ok(signature) = Signature::from_slice(&self.signature) else {
            return false;
        };
        let bound = self.header.bound();
        sender
            .verify(&signed_bytes(&bound, &self.ciphertext), &signature)
            .is_ok()
    }

    /// Checks the signature, then decrypts.
    pub fn open(&self, key: &EpochKey, sender: &VerifyingKey) -> Result<Vec<u8>, OpenError> {
        if !self.verify(sender) {
            return Err(OpenError::BadSignature);
        }
        self.decrypt_unverified(key)
    }

    /// Decrypts without knowing the sender yet. Only for reading a new device's introduction
    /// (which names its signing key); the caller must [`Envelope::verify`] against that key
    /// before trusting or applying anything inside.
    pub fn decrypt_unverified(&self, key: &EpochKey) -> Result<Vec<u8>, OpenError> {
        let bound = self.header.bound();
        XChaCha20Poly1305::new(&Key::from(key.content_key()))
            .decrypt(
                &XNonce::from(self.header.nonce),
                Payload {
                    msg: &self.ciphertext,
                    aad: &bound,
                },
            )
            .map_err(|_| OpenError::Undecryptable)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::encode(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, DecodeError> {
        crate::decode(bytes)
    }
}

fn signed_bytes(bound: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bound.len() + ciphertext.len());
    out.extend_from_slice(bound);
    out.extend_from_slice(ciphertext);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::NamingKey;

    fn fixture() -> (Envelope, EpochKey, SigningKey) {
        let key = EpochKey::from_bytes([9; 32]);
        let signer = SigningKey::from_bytes(&[5; 32]);
        let naming = NamingKey::from_bytes([1; 32]);
        let env = Envelope::seal(
            SpaceId([2; 16]),
            naming.doc_tag("group/abc/chat/2026-11"),
            naming.device_tag(&signer.verifying_key().to_bytes()),
            1,
            0,
            b"see you Tuesday",
            &key,
            &signer,
        )
        .expect("seal");
        (env, key, signer)
    }

    #[test]
    fn a_sealed_envelope_opens_with_the_key_and_sender() {
        let (env, key, signer) = fixture();
        let back = Envelope::from_bytes(&env.to_bytes()).expect("decode");
        assert_eq!(back, env);
        assert_eq!(
            back.open(&key, &signer.verifying_key()).expect("open"),
            b"see you Tuesday"
        );
        let bytes = env.to_bytes();
        assert!(
            !bytes.windows(7).any(|w| w == b"see you"),
            "no plaintext on the wire"
        );
        // Overhead: header 81 + tag 16 + signature 64 + length prefixes.
        assert!(bytes.len() < 15 + 200, "{} bytes", bytes.len());
    }

    #[test]
    fn any_flipped_byte_is_caught() {
        let (env, key, signer) = fixture();
        let bytes = env.to_bytes();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            match Envelope::from_bytes(&bad) {
                Err(_) => {}
                Ok(e) => assert!(
                    e.open(&key, &signer.verifying_key()).is_err(),
                    "flipping byte {i} went unnoticed"
                ),
            }
        }
    }

    #[test]
    fn wrong_key_or_sender_is_refused() {
        let (env, _, signer) = fixture();
        let other = EpochKey::from_bytes([8; 32]);
        assert_eq!(
            env.open(&other, &signer.verifying_key()),
            Err(OpenError::Undecryptable)
        );
        let stranger = SigningKey::from_bytes(&[6; 32]);
        assert_eq!(
            env.open(&EpochKey::from_bytes([9; 32]), &stranger.verifying_key()),
            Err(OpenError::BadSignature)
        );
    }

    #[test]
    fn truncated_and_garbage_bytes_are_errors_not_panics() {
        let (env, _, _) = fixture();
        let bytes = env.to_bytes();
        for len in 0..bytes.len() {
            assert!(Envelope::from_bytes(&bytes[..len]).is_err(), "len {len}");
        }
        assert!(Envelope::from_bytes(&[0xFF; 300]).is_err());
    }
}
