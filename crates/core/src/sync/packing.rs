//! What goes inside an envelope: a [`Payload`], deflated when that pays.
//!
//! Ciphertext does not compress, so compression can only happen before sealing. Measured on a
//! day of realistic group chat (200 messages of 161 characters on average, English and
//! Spanish; see ARCHITECTURE.md, "Poor links"): an Automerge change as stored is already
//! DEFLATE-compressed by Automerge itself whenever it exceeds 256 bytes, so an envelope holding
//! one change (a message sent while online) gains nothing from another pass (+1 %), and neither
//! do roster or meeting edits. What does compress is a *batch*: the changes a device made while
//! offline, in Automerge's uncompressed form, deflated together, share their actor, field
//! names, ids and words — 2 messages to 77 % of the plain size, 10 to 53 %, 64 to 39 % (with
//! random letters for text, 57 % and 53 %: most of the gain is structure, not words).
//! Checkpoints (Automerge `save()`, already compressed: 100 %) and version vectors (random
//! tags) do not compress at all.
//!
//! So the plaintext of an envelope is one of:
//!
//! * **plain** (every envelope made before packing existed, and still every envelope of a
//!   single change): the postcard [`Payload`] itself. Its first byte is the length of the
//!   document name, which is never 0.
//! * **packed**: `0x00`, a format byte ([`DEFLATE`]), then the raw DEFLATE stream of a postcard
//!   [`Payload`] whose changes are in Automerge's uncompressed form. Made only when it is at
//!   least [`WORTH`] smaller than the plain form.
//!
//! A format byte this version does not know means the envelope comes from a newer version: it
//! is held (and opened after an update), never rejected. Inflating stops at
//! [`MAX_INFLATED`], so a hostile batch cannot exhaust memory.
//!
//! Compressing before encrypting lets the ciphertext's length depend on how repetitive the
//! batch was. The relay already sees every envelope's size and time; what packing adds is a
//! hint of redundancy within one device's own batch, which no outsider can inject text into
//! (the attacks on compress-then-encrypt, CRIME and BREACH, need attacker-chosen text
//! compressed next to a secret, many times over). See ARCHITECTURE.md for the argument.

use std::borrow::Cow;

use automerge::Change;

use crate::sync::space::{Intro, Payload};

/// Marks a packed plaintext: no plain payload starts with it.
const PACKED: u8 = 0x00;
/// Packed format 1: raw DEFLATE (RFC 1951) of the postcard payload, uncompressed changes.
pub(crate) const DEFLATE: u8 = 0x01;
/// DEFLATE effort: 6 is zlib's default; 9 measured no smaller on chat batches.
const LEVEL: u8 = 6;
/// Packing must save at least a tenth, or the plain form (readable by older versions) is kept.
const WORTH: (usize, usize) = (9, 10);
/// The most a packed payload may inflate to (an envelope's ciphertext is at most 16 MiB).
pub(crate) const MAX_INFLATED: usize = 16 << 20;

/// Why a plaintext could not be read as a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Packed in a format this version does not know: keep it for a newer version.
    Newer,
    /// Not a payload at all.
    Malformed,
}

/// The plaintext for `changes` of `doc`: packed if that pays, plain otherwise.
pub(crate) fn pack(doc: &str, changes: &[Change], intro: Option<&Intro>) -> Vec<u8> {
    let plain = mutua_protocol::encode(&Payload {
        doc: doc.to_owned(),
        changes: changes
            .iter()
            .map(|c| c.clone().bytes().into_owned())
            .collect(),
        intro: intro.cloned(),
    });
    if changes.len() < 2 {
        // One change is already as small as DEFLATE makes it (measured: +1 %).
        return plain;
    }
    let raw = mutua_protocol::encode(&Payload {
        doc: doc.to_owned(),
        changes: changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
        intro: intro.cloned(),
    });
    let deflated = miniz_oxide::deflate::compress_to_vec(&raw, LEVEL);
    if (deflated.len() + 2) * WORTH.1 <= plain.len() * WORTH.0 {
        let mut packed = Vec::with_capacity(deflated.len() + 2);
        packed.push(PACKED);
        packed.push(DEFLATE);
        packed.extend_from_slice(&deflated);
        packed
    } else {
        plain
    }
}

/// Reads a plaintext made by [`pack`] (or by any earlier version).
pub(crate) fn unpack(plaintext: &[u8]) -> Result<Payload, Unreadable> {
    let body: Cow<'_, [u8]> = match plaintext {
        [PACKED, DEFLATE, deflated @ ..] => Cow::Owned(
            miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, MAX_INFLATED)
                .map_err(|_| Unreadable::Malformed)?,
        ),
        [PACKED, _, ..] => return Err(Unreadable::Newer),
        [PACKED] => return Err(Unreadable::Malformed),
        plain => Cow::Borrowed(plain),
    };
    mutua_protocol::decode::<Payload>(&body).map_err(|_| Unreadable::Malformed)
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    /// `n` changes of one document, each a message-like record, as a device makes them.
    fn changes(n: usize) -> Vec<Change> {
        let mut doc = AutoCommit::new();
        for i in 0..n {
            let record = doc
                .put_object(ROOT, format!("messages/{i:032x}"), automerge::ObjType::Map)
                .expect("put");
            doc.put(&record, "author_id", "5f2c0a9e1b7d4c3f8a6e2d1c0b9a8f7e")
                .expect("put");
            doc.put(
                &record,
                "text",
                format!(
                    "Thanks for checking in on me yesterday, it meant a lot ({i}). \
                     I almost skipped the meeting last week but I'm glad I came."
                ),
            )
            .expect("put");
            doc.put(
                &record,
                "sent_at",
                format!("2026-03-03T19:{:02}:00Z", i % 60),
            )
            .expect("put");
            doc.commit();
        }
        doc.get_changes(&[])
    }

    fn hashes(payload: &Payload) -> Vec<automerge::ChangeHash> {
        payload
            .changes
            .iter()
            .map(|b| Change::from_bytes(b.clone()).expect("a change").hash())
            .collect()
    }

    #[test]
    fn a_batch_is_packed_and_comes_back_with_the_same_changes() {
        let batch = changes(20);
        let plain_len = mutua_protocol::encode(&Payload {
            doc: "group/x/chat/2026-03".into(),
            changes: batch
                .iter()
                .map(|c| c.clone().bytes().into_owned())
                .collect(),
            intro: None,
        })
        .len();
        let packed = pack("group/x/chat/2026-03", &batch, None);
        assert_eq!(&packed[..2], &[PACKED, DEFLATE]);
        assert!(
            packed.len() * 2 < plain_len,
            "{} packed vs {plain_len} plain",
            packed.len()
        );
        let back = unpack(&packed).expect("unpack");
        assert_eq!(back.doc, "group/x/chat/2026-03");
        let want: Vec<_> = batch.iter().map(Change::hash).collect();
        assert_eq!(hashes(&back), want);
    }

    #[test]
    fn a_single_change_stays_plain_and_readable_by_older_versions() {
        let one = changes(1);
        let plaintext = pack("group/x/chat/2026-03", &one, None);
        // Exactly what every earlier version sealed: the postcard payload itself.
        let old: Payload = mutua_protocol::decode(&plaintext).expect("a plain payload");
        assert_eq!(hashes(&old), vec![one[0].hash()]);
        assert_eq!(
            hashes(&unpack(&plaintext).expect("unpack")),
            vec![one[0].hash()]
        );
    }

    #[test]
    fn payloads_sealed_before_packing_still_open() {
        let batch = changes(3);
        let old = mutua_protocol::encode(&Payload {
            doc: "group/x/meta".into(),
            changes: batch
                .iter()
                .map(|c| c.clone().bytes().into_owned())
                .collect(),
            intro: None,
        });
        assert_ne!(old[0], PACKED);
        let back = unpack(&old).expect("unpack");
        assert_eq!(back.doc, "group/x/meta");
        assert_eq!(back.changes.len(), 3);
    }

    #[test]
    fn unknown_formats_wait_and_garbage_is_refused() {
        assert_eq!(
            unpack(&[PACKED, 0x7f, 1, 2, 3]).err(),
            Some(Unreadable::Newer)
        );
        assert_eq!(unpack(&[PACKED]).err(), Some(Unreadable::Malformed));
        assert_eq!(unpack(&[]).err(), Some(Unreadable::Malformed));
        assert_eq!(
            unpack(&[PACKED, DEFLATE, 0xff, 0xff, 0xff]).err(),
            Some(Unreadable::Malformed)
        );
        let mut truncated = pack("group/x/chat/2026-03", &changes(10), None);
        truncated.truncate(truncated.len() / 2);
        assert_eq!(unpack(&truncated).err(), Some(Unreadable::Malformed));
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let huge = vec![0u8; MAX_INFLATED + 1024];
        let mut bomb = vec![PACKED, DEFLATE];
        bomb.extend(miniz_oxide::deflate::compress_to_vec(&huge, 9));
        assert!(bomb.len() < 100_000);
        assert_eq!(unpack(&bomb).err(), Some(Unreadable::Malformed));
    }
}
