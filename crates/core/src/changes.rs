//! The merge building block: what a replica has, what another lacks, and change files.
//!
//! A replica's *vector* says, per document and per actor (device), the highest change sequence
//! number it holds with no gap. Given another replica's vector, [`Mutua::changes_since`] returns
//! exactly the stored changes that replica lacks; [`Mutua::import`] applies a set of changes,
//! in any order and any number of times, with the same end state (Automerge guarantees it; the
//! tests check it). Sync over a relay, the local network or a USB stick is built on these.
//!
//! A change file is: `MUTUACH1`, a CRC-32 of the rest, then per document its id and its changes,
//! each with its Automerge hash. Import checks all of it — magic, checksum, every document id,
//! every change and its hash — before anything is applied, then applies everything in one
//! transaction, so a damaged or foreign file changes nothing.

use std::collections::BTreeMap;

use automerge::Change;
use serde::{Deserialize, Serialize};

use crate::docs::{self, DocVector};
use crate::error::{Error, Result};
use crate::ids::DocId;
use crate::store::Mutua;

const MAGIC: &[u8; 8] = b"MUTUACH1";
const MAX_CHANGE_BYTES: usize = 64 << 20;

/// Per document id (as text), per actor (hex): the highest contiguous seq held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vector(pub BTreeMap<String, DocVector>);

/// Which documents travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything but private documents (the journal): what may go to another member.
    Shared,
    /// Everything, for the member's own devices.
    Everything,
}

/// Changes grouped by document, as stored (Automerge's binary change format).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    pub docs: Vec<(DocId, Vec<Vec<u8>>)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub documents: usize,
    pub changes: usize,
    /// Changes this replica did not have before.
    pub new: usize,
}

impl ChangeSet {
    pub fn change_count(&self) -> usize {
        self.docs.iter().map(|(_, c)| c.len()).sum()
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        put_u32(&mut body, self.docs.len())?;
        for (id, changes) in &self.docs {
            let id = id.to_string();
            let id_len =
                u16::try_from(id.len()).map_err(|_| Error::invalid("document id too long"))?;
            body.extend_from_slice(&id_len.to_le_bytes());
            body.extend_from_slice(id.as_bytes());
            put_u32(&mut body, changes.len())?;
            for bytes in changes {
                let change = Change::from_bytes(bytes.clone())
                    .map_err(|e| Error::document(id.as_str(), e))?;
                body.extend_from_slice(&change.hash().0);
                put_u32(&mut body, bytes.len())?;
                body.extend_from_slice(bytes);
            }
        }
        let mut out = Vec::with_capacity(body.len() + 12);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Parses and checks a change file completely; nothing is applied here.
    pub fn from_bytes(bytes: &[u8]) -> Result<ChangeSet> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            let why = if bytes.starts_with(b"MUTUACH") {
                "a newer format version"
            } else {
                "wrong header"
            };
            return Err(Error::NotAChangeFile(why.into()));
        }
        let expected = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        let body = &bytes[12..];
        if crc32fast::hash(body) != expected {
            return Err(Error::ChangeFileDamaged(
                "its checksum does not match".into(),
            ));
        }
        let mut r = Reader { bytes: body, at: 0 };
        let doc_count = r.u32()? as usize;
        let mut set = ChangeSet::default();
        for _ in 0..doc_count {
            let id_len = usize::from(r.u16()?);
            let id_text = std::str::from_utf8(r.take(id_len)?)
                .map_err(|_| Error::ChangeFileDamaged("a document id is not text".into()))?;
            let id: DocId = id_text
                .parse()
                .map_err(|_| Error::ChangeFileDamaged(format!("unknown document \"{id_text}\"")))?;
            let change_count = r.u32()? as usize;
            let mut raw = Vec::new();
            for _ in 0..change_count {
                let hash: [u8; 32] = r
                    .take(32)?
                    .try_into()
                    .map_err(|_| Error::ChangeFileDamaged("short hash".into()))?;
                let len = r.u32()? as usize;
                if len > MAX_CHANGE_BYTES {
                    return Err(Error::ChangeFileDamaged(
                        "a change is impossibly large".into(),
                    ));
                }
                let data = r.take(len)?.to_vec();
                let change = Change::from_bytes(data.clone()).map_err(|e| {
                    Error::ChangeFileDamaged(format!("a change of {id} does not parse ({e})"))
                })?;
                if change.hash().0 != hash {
                    return Err(Error::ChangeFileDamaged(format!(
                        "a change of {id} does not match its hash"
                    )));
                }
                raw.push(data);
            }
            set.docs.push((id, raw));
        }
        if r.at != body.len() {
            return Err(Error::ChangeFileDamaged(
                "unexpected bytes after the last change".into(),
            ));
        }
        Ok(set)
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = u32::try_from(n).map_err(|_| Error::invalid("too many changes for one file"))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end =
            end.ok_or_else(|| Error::ChangeFileDamaged("it ends too early (truncated?)".into()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Mutua {
    /// What this replica holds.
    pub fn vector(&self) -> Result<Vector> {
        let mut out = Vector::default();
        for id in docs::doc_ids(&self.conn)? {
            out.0.insert(id.to_string(), docs::vector(&self.conn, &id)?);
        }
        Ok(out)
    }

    /// The stored changes a replica holding `theirs` lacks (all of them for an empty vector).
    pub fn changes_since(&self, theirs: &Vector, scope: Scope) -> Result<ChangeSet> {
        let mut set = ChangeSet::default();
        let empty = DocVector::new();
        for id in docs::doc_ids(&self.conn)? {
            if scope == Scope::Shared && id.is_private() {
                continue;
            }
            let have = theirs.0.get(&id.to_string()).unwrap_or(&empty);
            let changes = docs::changes_after(&self.conn, &id, have)?;
            if !changes.is_empty() {
                set.docs.push((id, changes));
            }
        }
        Ok(set)
    }

    /// Applies a change set from another replica. Idempotent and order-independent.
    pub fn import(&mut self, set: &ChangeSet) -> Result<ImportReport> {
        let mut batch = Vec::new();
        let mut report = ImportReport {
            documents: set.docs.len(),
            ..ImportReport::default()
        };
        for (id, raw) in &set.docs {
            let changes = raw
                .iter()
                .map(|bytes| Change::from_bytes(bytes.clone()).map_err(|e| Error::document(id, e)))
                .collect::<Result<Vec<_>>>()?;
            report.changes += changes.len();
            batch.push((id.clone(), changes));
        }
        report.new = self.apply_changes(batch)?;
        Ok(report)
    }

    /// Reads and applies a change file; a damaged or foreign file changes nothing.
    pub fn import_file(&mut self, bytes: &[u8]) -> Result<ImportReport> {
        let set = ChangeSet::from_bytes(bytes)?;
        self.import(&set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{Admission, GroupFields, GroupKind};

    fn group(name: &str) -> GroupFields {
        GroupFields {
            name: name.into(),
            purpose: None,
            kind: GroupKind::Facilitated,
            planned_sessions: Some(8),
            admission: Admission::Closed,
            language: None,
            place: Some("Library".into()),
            online_url: None,
            guidelines: None,
        }
    }

    #[test]
    fn two_replicas_converge_through_change_files() {
        let mut a = Mutua::ephemeral("Ana G.").expect("a");
        let mut b = Mutua::ephemeral("Ana G.").expect("b");
        a.create_group(group("Grief support")).expect("group a");
        b.create_group(group("Caregivers")).expect("group b");

        let to_b = a
            .changes_since(&b.vector().expect("vb"), Scope::Everything)
            .expect("diff");
        let file = to_b.to_bytes().expect("encode");
        let report = b.import_file(&file).expect("import");
        assert!(report.new > 0);
        assert_eq!(
            b.import_file(&file).expect("again").new,
            0,
            "importing twice adds nothing"
        );

        let to_a = b
            .changes_since(&a.vector().expect("va"), Scope::Everything)
            .expect("diff");
        a.import(&to_a).expect("import");
        assert_eq!(a.groups(true).expect("a").len(), 2);
        assert_eq!(
            a.projection_dump().expect("a")["groups"],
            b.projection_dump().expect("b")["groups"]
        );
        let nothing = a
            .changes_since(&b.vector().expect("vb"), Scope::Everything)
            .expect("diff");
        assert_eq!(nothing.change_count(), 0, "in sync: nothing left to send");
    }

    #[test]
    fn damaged_and_foreign_files_change_nothing() {
        let mut a = Mutua::ephemeral("Ana G.").expect("a");
        a.create_group(group("Grief support")).expect("group");
        let file = a
            .changes_since(&Vector::default(), Scope::Everything)
            .expect("all")
            .to_bytes()
            .expect("encode");

        let mut b = Mutua::ephemeral("Bea L.").expect("b");
        let before = b.projection_dump().expect("dump");
        assert!(matches!(
            b.import_file(b"PK\x03\x04 a zip file"),
            Err(Error::NotAChangeFile(_))
        ));
        assert!(matches!(
            b.import_file(&file[..file.len() - 7]),
            Err(Error::ChangeFileDamaged(_))
        ));
        for position in [12, 20, file.len() / 2, file.len() - 1] {
            let mut bad = file.clone();
            bad[position] ^= 0x40;
            assert!(
                b.import_file(&bad).is_err(),
                "flip at {position} must be caught"
            );
        }
        assert_eq!(b.projection_dump().expect("dump"), before);
    }

    #[test]
    fn shared_scope_never_carries_the_journal() {
        let mut a = Mutua::ephemeral("Ana G.").expect("a");
        a.add_entry(crate::journal::EntryFields {
            text: "private thoughts".into(),
            mood: Some(3),
            emotions: vec![],
            tags: vec![],
            written_at: crate::time::now(),
            time_zone: "UTC".into(),
        })
        .expect("entry");
        let shared = a
            .changes_since(&Vector::default(), Scope::Shared)
            .expect("shared");
        assert!(shared.docs.iter().all(|(id, _)| !id.is_private()));
        let all = a
            .changes_since(&Vector::default(), Scope::Everything)
            .expect("all");
        assert!(all.docs.iter().any(|(id, _)| id.is_private()));
    }
}
