//! Wrapping keys for one device: X25519 agreement with a fresh ephemeral key, HKDF-SHA256, then
//! XChaCha20-Poly1305. Used to hand a group's keys to a joining device, to a member's new
//! device, and to every remaining device when a member is removed.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};

use crate::error::{Error, Result};
use crate::ids::random_bytes;

/// Seals `plaintext` so only the holder of the X25519 secret for `recipient` opens it.
/// `context` is bound in (e.g. the space id), so a wrapped key cannot be replayed elsewhere.
pub(crate) fn seal_to(recipient: &[u8; 32], context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let ephemeral = StaticSecret::from(random_bytes::<32>()?);
    let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    let key = wrap_key(shared.as_bytes(), &ephemeral_public, recipient);
    let nonce = random_bytes::<24>()?;
    let cipher = XChaCha20Poly1305::new(&Key::from(key));
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .map_err(|_| Error::invalid("could not seal a key"))?;
    let mut out = Vec::with_capacity(32 + 24 + sealed.len());
    out.extend_from_slice(&ephemeral_public);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens what [`seal_to`] sealed for this device; `None` if it was not for us or was altered.
pub(crate) fn open_from(secret: &[u8; 32], context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 32 + 24 + 16 {
        return None;
    }
    let ephemeral_public: [u8; 32] = sealed[..32].try_into().ok()?;
    let nonce: [u8; 24] = sealed[32..56].try_into().ok()?;
    let secret = StaticSecret::from(*secret);
    let own_public = PublicKey::from(&secret).to_bytes();
    let shared = secret.diffie_hellman(&PublicKey::from(ephemeral_public));
    let key = wrap_key(shared.as_bytes(), &ephemeral_public, &own_public);
    XChaCha20Poly1305::new(&Key::from(key))
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed[56..],
                aad: context,
            },
        )
        .ok()
}

/// Symmetric sealing under a 32-byte key (old epoch keys under their successor).
pub(crate) fn seal_with(key: &[u8; 32], context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce = random_bytes::<24>()?;
    let sealed = XChaCha20Poly1305::new(&Key::from(*key))
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: context,
            },
        )
        .map_err(|_| Error::invalid("could not seal a key"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

pub(crate) fn open_with(key: &[u8; 32], context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let nonce: [u8; 24] = sealed[..24].try_into().ok()?;
    XChaCha20Poly1305::new(&Key::from(*key))
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed[24..],
                aad: context,
            },
        )
        .ok()
}

fn wrap_key(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"mutua/v1/wrap"), shared);
    let mut out = [0u8; 32];
    let _ = hk.expand_multi_info(&[ephemeral, recipient], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recipient_opens_and_context_is_bound() {
        let secret = random_bytes::<32>().expect("random");
        let public = PublicKey::from(&StaticSecret::from(secret)).to_bytes();
        let sealed = seal_to(&public, b"space-1", b"epoch key").expect("seal");
        assert_eq!(
            open_from(&secret, b"space-1", &sealed).as_deref(),
            Some(&b"epoch key"[..])
        );
        assert_eq!(open_from(&secret, b"space-2", &sealed), None);
        let other = random_bytes::<32>().expect("random");
        assert_eq!(open_from(&other, b"space-1", &sealed), None);
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(open_from(&secret, b"space-1", &bad), None);
        assert_eq!(open_from(&secret, b"space-1", &sealed[..40]), None);
    }

    #[test]
    fn symmetric_sealing_round_trips() {
        let key = [7u8; 32];
        let sealed = seal_with(&key, b"ctx", b"old key").expect("seal");
        assert_eq!(
            open_with(&key, b"ctx", &sealed).as_deref(),
            Some(&b"old key"[..])
        );
        assert_eq!(open_with(&[8u8; 32], b"ctx", &sealed), None);
    }
}
