//! The bytes of a sync file, and the seals inside it (see [`super::bundle`] for the idea).
//!
//! ```text
//! "MUTUASYN"  format (u16, little endian)  SHA-256 of everything else (32 bytes)  body
//! ```
//!
//! The body is postcard: a list of *sections*, one per space. A section holds, in the clear, only
//! what a relay sees anyway: the space id, the epochs of what it carries, the envelopes exactly as
//! stored (header tags, ciphertext, signature). Everything else is sealed:
//!
//! * each **key change** (rekey) under a key derived from the epoch key *before* it, so exactly
//!   the devices that held that epoch (including a member being removed, who learns so) open it;
//! * the **manifest** under a key derived from the epoch key it names: who made the file (device
//!   signing key and member id), when, what that device holds in the space (its vector), how
//!   many envelopes the section carries and a SHA-256 over the section's rekeys, checkpoints and
//!   envelopes. The exporting device signs the manifest with its Ed25519 key *inside* the seal,
//!   so only members can read or verify it and the signer's key is never in the clear.
//!
//! The checksum comes first so that a file damaged on the way (a flipped bit, a stick pulled
//! mid-copy) is refused before anything in it is parsed.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hkdf::Hkdf;
use mutua_protocol::{Envelope, EpochKey, HaveEntry, Rekey, SpaceId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::sync::crypto;

pub(crate) const MAGIC: &[u8; 8] = b"MUTUASYN";
/// The format this version writes and the newest it reads.
pub const FORMAT: u16 = 1;
const HEADER: usize = 8 + 2 + 32;

/// A whole file, parsed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Body {
    pub sections: Vec<Section>,
}

/// What the file carries for one space.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Section {
    pub space: SpaceId,
    /// The epoch whose key seals the manifest (the exporter's current one).
    pub manifest_epoch: u32,
    pub manifest: Vec<u8>,
    pub rekeys: Vec<SealedRekey>,
    /// Checkpoint envelopes, for history the exporter holds only as a checkpoint.
    pub checkpoints: Vec<Vec<u8>>,
    /// Envelopes, byte for byte as stored and as a relay would pass them on.
    pub envelopes: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SealedRekey {
    pub epoch: u32,
    pub sealed: Vec<u8>,
}

/// Inside a section's seal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub space: SpaceId,
    /// The signing key of the device that made the file.
    pub made_by: [u8; 32],
    pub member: String,
    /// Unix seconds.
    pub made_at: i64,
    pub epoch: u32,
    /// What the exporting device holds in this space: `(doc, device) → seq`.
    pub vector: Vec<HaveEntry>,
    pub envelopes: u32,
    /// SHA-256 over the section's rekeys, checkpoints and envelopes.
    pub contents: [u8; 32],
}

#[derive(Debug, Serialize, Deserialize)]
struct SignedManifest {
    body: Vec<u8>,
    signature: Vec<u8>,
}

/// Why a manifest could not be trusted. Every case means the section was altered (or made by
/// something that is not Mutua), since the file's checksum already matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ManifestError {
    Undecryptable,
    BadSignature,
    Malformed,
}

impl Section {
    pub fn contents_digest(&self) -> [u8; 32] {
        let encoded = mutua_protocol::encode(&(&self.rekeys, &self.checkpoints, &self.envelopes));
        let mut hash = Sha256::new();
        hash.update(b"mutua/sync-file/contents/1");
        hash.update(self.space.as_bytes());
        hash.update(&encoded);
        hash.finalize().into()
    }
}

fn derive(epoch_key: &EpochKey, purpose: &[u8], space: &SpaceId) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(Some(b"mutua/v1/sync-file"), epoch_key.as_bytes());
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit, so expand cannot fail.
    let _ = hk.expand_multi_info(&[purpose, space.as_bytes()], &mut out);
    out
}

fn context(purpose: &[u8], space: &SpaceId, epoch: u32) -> Vec<u8> {
    let mut out = b"mutua/sync-file/".to_vec();
    out.extend_from_slice(purpose);
    out.extend_from_slice(space.as_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out
}

/// Signs `manifest` with `signer` and seals it under the key of its epoch.
pub(crate) fn seal_manifest(
    manifest: &Manifest,
    signer: &SigningKey,
    key: &EpochKey,
) -> Result<Vec<u8>> {
    let body = mutua_protocol::encode(manifest);
    let signature = signer.sign(&body).to_bytes().to_vec();
    crypto::seal_with(
        &derive(key, b"manifest", &manifest.space),
        &context(b"manifest", &manifest.space, manifest.epoch),
        &mutua_protocol::encode(&SignedManifest { body, signature }),
    )
}

/// Opens and checks a section's manifest with the key of `section.manifest_epoch`.
pub(crate) fn open_manifest(
    section: &Section,
    key: &EpochKey,
) -> std::result::Result<Manifest, ManifestError> {
    let plain = crypto::open_with(
        &derive(key, b"manifest", &section.space),
        &context(b"manifest", &section.space, section.manifest_epoch),
        &section.manifest,
    )
    .ok_or(ManifestError::Undecryptable)?;
    let signed: SignedManifest =
        mutua_protocol::decode(&plain).map_err(|_| ManifestError::Malformed)?;
    let manifest: Manifest =
        mutua_protocol::decode(&signed.body).map_err(|_| ManifestError::Malformed)?;
    let signer =
        VerifyingKey::from_bytes(&manifest.made_by).map_err(|_| ManifestError::BadSignature)?;
    let signature =
        Signature::from_slice(&signed.signature).map_err(|_| ManifestError::BadSignature)?;
    signer
        .verify(&signed.body, &signature)
        .map_err(|_| ManifestError::BadSignature)?;
    if manifest.space != section.space
        || manifest.epoch != section.manifest_epoch
        || manifest.contents != section.contents_digest()
        || manifest.envelopes as usize != section.envelopes.len()
    {
        return Err(ManifestError::Malformed);
    }
    Ok(manifest)
}

/// Seals a key change into `rekey.epoch` under the key of the epoch before it.
pub(crate) fn seal_rekey(
    rekey: &Rekey,
    previous: &EpochKey,
    space: &SpaceId,
) -> Result<SealedRekey> {
    Ok(SealedRekey {
        epoch: rekey.epoch,
        sealed: crypto::seal_with(
            &derive(previous, b"rekey", space),
            &context(b"rekey", space, rekey.epoch),
            &mutua_protocol::encode(rekey),
        )?,
    })
}

/// Opens a sealed key change with the key of the epoch before it; `None` if altered.
pub(crate) fn open_rekey(
    sealed: &SealedRekey,
    previous: &EpochKey,
    space: &SpaceId,
) -> Option<Rekey> {
    let plain = crypto::open_with(
        &derive(previous, b"rekey", space),
        &context(b"rekey", space, sealed.epoch),
        &sealed.sealed,
    )?;
    let rekey: Rekey = mutua_protocol::decode(&plain).ok()?;
    (rekey.epoch == sealed.epoch).then_some(rekey)
}

/// The file's bytes: header, checksum, body.
pub(crate) fn write(body: &Body) -> Vec<u8> {
    let encoded = mutua_protocol::encode(body);
    let mut out = Vec::with_capacity(HEADER + encoded.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&encoded);
    let sum = checksum(&out);
    out[10..HEADER].copy_from_slice(&sum);
    out
}

fn checksum(file: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(&file[..10]);
    hash.update(&file[HEADER..]);
    hash.finalize().into()
}

const CUT_SHORT: &str = "it may have been cut short while copying";

/// One section of a file read back, with its envelopes and checkpoints decoded.
#[derive(Debug)]
pub(crate) struct ParsedSection {
    pub section: Section,
    pub envelopes: Vec<Envelope>,
    pub checkpoints: Vec<Envelope>,
}

/// Checks and parses a whole file; nothing is applied here. Every envelope and checkpoint is
/// decoded and must belong to its section's space.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<ParsedSection>> {
    let head = &bytes[..bytes.len().min(MAGIC.len())];
    if bytes.is_empty() {
        return Err(Error::SyncFileDamaged("it is empty".into()));
    }
    if head != &MAGIC[..head.len()] {
        return Err(Error::NotASyncFile);
    }
    if bytes.len() < 10 {
        return Err(Error::SyncFileDamaged(CUT_SHORT.into()));
    }
    let format = u16::from_le_bytes([bytes[8], bytes[9]]);
    if format > FORMAT {
        return Err(Error::SyncFileTooNew {
            found: format,
            known: FORMAT,
        });
    }
    if format == 0 || bytes.len() < HEADER {
        return Err(Error::SyncFileDamaged(CUT_SHORT.into()));
    }
    if checksum(bytes) != bytes[10..HEADER] {
        return Err(Error::SyncFileDamaged(
            "its contents do not match its checksum: it was cut short or changed while copying"
                .into(),
        ));
    }
    let altered = || {
        Error::SyncFileDamaged(
            "its contents are not what Mutua wrote, although its checksum matches".into(),
        )
    };
    let body: Body = mutua_protocol::decode(&bytes[HEADER..]).map_err(|_| altered())?;
    let mut out = Vec::with_capacity(body.sections.len());
    for section in body.sections {
        let parse = |raw: &Vec<Vec<u8>>| -> Result<Vec<Envelope>> {
            raw.iter()
                .map(|b| {
                    Envelope::from_bytes(b)
                        .ok()
                        .filter(|e| e.header().space == section.space)
                        .ok_or_else(altered)
                })
                .collect()
        };
        let envelopes = parse(&section.envelopes)?;
        let checkpoints = parse(&section.checkpoints)?;
        out.push(ParsedSection {
            section,
            envelopes,
            checkpoints,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checks_come_before_anything_else() {
        let file = write(&Body::default());
        assert!(read(&file).expect("empty body").is_empty());
        assert!(matches!(read(b""), Err(Error::SyncFileDamaged(_))));
        assert!(matches!(read(b"MUTUA"), Err(Error::SyncFileDamaged(_))));
        assert!(matches!(read(b"PK\x03\x04zip"), Err(Error::NotASyncFile)));
        assert!(matches!(
            read(b"BEGIN:VCALENDAR\r\n"),
            Err(Error::NotASyncFile)
        ));
        let mut newer = file.clone();
        newer[8] = 2;
        assert!(matches!(
            read(&newer),
            Err(Error::SyncFileTooNew { found: 2, known: 1 })
        ));
        for len in 0..file.len() {
            assert!(read(&file[..len]).is_err(), "cut at {len}");
        }
        for i in 10..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x04;
            assert!(
                matches!(read(&bad), Err(Error::SyncFileDamaged(_))),
                "flip at {i}"
            );
        }
    }

    #[test]
    fn a_manifest_opens_only_with_its_key_and_binds_the_section() {
        let signer = SigningKey::from_bytes(&[3; 32]);
        let key = EpochKey::from_bytes([4; 32]);
        let mut section = Section {
            space: SpaceId([1; 16]),
            manifest_epoch: 0,
            manifest: Vec::new(),
            rekeys: Vec::new(),
            checkpoints: Vec::new(),
            envelopes: vec![vec![1, 2, 3]],
        };
        let manifest = Manifest {
            space: section.space,
            made_by: signer.verifying_key().to_bytes(),
            member: "m".into(),
            made_at: 0,
            epoch: 0,
            vector: Vec::new(),
            envelopes: 1,
            contents: section.contents_digest(),
        };
        section.manifest = seal_manifest(&manifest, &signer, &key).expect("seal");
        assert!(open_manifest(&section, &key).is_ok());
        assert_eq!(
            open_manifest(&section, &EpochKey::from_bytes([5; 32])).err(),
            Some(ManifestError::Undecryptable)
        );
        section.envelopes[0][1] = 9;
        assert_eq!(
            open_manifest(&section, &key).err(),
            Some(ManifestError::Malformed)
        );
        // The signer's key is inside the seal, not in the clear.
        let public = signer.verifying_key().to_bytes();
        assert!(!section.manifest.windows(32).any(|w| w == public));
    }
}
