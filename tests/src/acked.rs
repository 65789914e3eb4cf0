//! What a device said it saved, and whether the saved data agrees after a crash.
//!
//! The busy device (`src/bin/busy-device.rs`) announces each write before it calls core
//! (`WRITE <n> <kind> <target> <content>`) and acknowledges it only after core returned success
//! and the line is flushed (`ACK <n> <id>`). A process killed at any moment has therefore at
//! most one write in flight: announced, maybe committed, never acknowledged.
//!
//! [`Acked`] is the parent's model built from those lines. [`Acked::verify`] compares it with
//! the projections of the reopened database: every acknowledged record must be there with its
//! acknowledged content, and nothing else may be there except the one write in flight, which
//! is then adopted (it is on disk, so it is now part of the truth the next run builds on).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The kinds of record the busy device writes, each read back from one projection table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Group,
    Journal,
    Message,
    Series,
    Contact,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Group,
        Kind::Journal,
        Kind::Message,
        Kind::Series,
        Kind::Contact,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Journal => "journal",
            Kind::Message => "message",
            Kind::Series => "series",
            Kind::Contact => "contact",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == text)
    }

    /// The projection table, and the column that holds the content the device wrote.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Kind::Group => ("groups", "name"),
            Kind::Journal => ("journal_entry", "text"),
            Kind::Message => ("message", "text"),
            Kind::Series => ("meeting_series", "title"),
            Kind::Contact => ("contact", "note"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One announced write: a new record (`target` None) or an edit of `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub n: u64,
    pub kind: Kind,
    pub target: Option<String>,
    pub content: String,
}

impl Write {
    /// The announcement line (content last: it may hold spaces, never a newline).
    pub fn line(&self) -> String {
        format!(
            "WRITE {} {} {} {}",
            self.n,
            self.kind,
            self.target.as_deref().unwrap_or("-"),
            self.content
        )
    }

    fn parse(rest: &str) -> Option<Write> {
        let mut parts = rest.splitn(4, ' ');
        let n = parts.next()?.parse().ok()?;
        let kind = Kind::parse(parts.next()?)?;
        let target = match parts.next()? {
            "-" => None,
            id => Some(id.to_owned()),
        };
        let content = parts.next()?.to_owned();
        Some(Write {
            n,
            kind,
            target,
            content,
        })
    }
}

pub fn ack_line(n: u64, id: &str) -> String {
    format!("ACK {n} {id}")
}

/// The parent's record of what the device acknowledged.
#[derive(Debug, Default, Clone)]
pub struct Acked {
    records: BTreeMap<(Kind, String), String>,
    /// Announced, not acknowledged: at most one per run of the device.
    in_flight: Option<Write>,
    announced: BTreeMap<u64, Write>,
    /// The highest write number seen; the next run starts after it.
    pub last_n: u64,
    pub acknowledged: u64,
}

impl Acked {
    pub fn new() -> Acked {
        Acked::default()
    }

    /// How many records the model holds (acknowledged and still expected).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Takes one line the device printed; lines that are not about writes are ignored.
    pub fn take(&mut self, line: &str) -> Result<(), String> {
        if let Some(rest) = line.strip_prefix("WRITE ") {
            let write = Write::parse(rest).ok_or_else(|| format!("bad line {line:?}"))?;
            self.last_n = self.last_n.max(write.n);
            if let Some(earlier) = &self.in_flight {
                return Err(format!(
                    "write {} was announced while {} was still in flight",
                    write.n, earlier.n
                ));
            }
            self.in_flight = Some(write.clone());
            self.announced.insert(write.n, write);
        } else if let Some(rest) = line.strip_prefix("ACK ") {
            let (n, id) = rest
                .split_once(' ')
                .ok_or_else(|| format!("bad line {line:?}"))?;
            let n: u64 = n.parse().map_err(|_| format!("bad line {line:?}"))?;
            let write = self
                .announced
                .remove(&n)
                .ok_or_else(|| format!("write {n} acknowledged but never announced"))?;
            if let Some(target) = &write.target
                && target != id
            {
                return Err(format!("write {n} edited {target} but acknowledged {id}"));
            }
            self.records
                .insert((write.kind, id.to_owned()), write.content);
            self.in_flight = None;
            self.acknowledged += 1;
        }
        Ok(())
    }

    /// The end of a run: whatever is still in flight is judged by the next [`Acked::verify`].
    pub fn run_ended(&mut self) {
        self.announced.clear();
    }

    /// Compares the model with a projection dump of the reopened database, for the `kinds` the
    /// device writes. `author` limits messages to one member's (other members' messages arrive
    /// by sync and are not ours to account for). On success the write in flight, if it reached
    /// the disk, joins the model.
    pub fn verify(
        &mut self,
        dump: &Value,
        kinds: &[Kind],
        author: Option<&str>,
    ) -> Result<Verified, String> {
        let mut problems = Vec::new();
        let mut adopted = None;
        let in_flight = self.in_flight.take();
        for &kind in kinds {
            let actual = read_kind(dump, kind, author)?;
            for ((k, id), content) in &self.records {
                if *k != kind {
                    continue;
                }
                match actual.get(id) {
                    None => problems.push(format!("acknowledged {kind} {id} is gone")),
                    Some(found) if found == content => {}
                    Some(found) => match &in_flight {
                        Some(w)
                            if w.kind == kind
                                && w.target.as_deref() == Some(id)
                                && &w.content == found =>
                        {
                            adopted = Some(((kind, id.clone()), found.clone()));
                        }
                        _ => problems.push(format!(
                            "{kind} {id} holds {found:?}, acknowledged {content:?}"
                        )),
                    },
                }
            }
            for (id, found) in &actual {
                if self.records.contains_key(&(kind, id.clone())) {
                    continue;
                }
                match &in_flight {
                    Some(w)
                        if w.kind == kind
                            && w.target.is_none()
                            && &w.content == found
                            && adopted.is_none() =>
                    {
                        adopted = Some(((kind, id.clone()), found.clone()));
                    }
                    _ => problems.push(format!(
                        "{kind} {id} ({found:?}) is there but was never acknowledged"
                    )),
                }
            }
        }
        if !problems.is_empty() {
            self.in_flight = in_flight;
            return Err(problems.join("\n"));
        }
        let landed = adopted.is_some();
        if let Some((key, content)) = adopted {
            self.records.insert(key, content);
        }
        Ok(Verified {
            records: self.records.len(),
            in_flight: in_flight.is_some(),
            in_flight_landed: landed,
        })
    }

    /// The acknowledged content of every record of `kind`.
    pub fn of(&self, kind: Kind) -> BTreeMap<String, String> {
        self.records
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, id), content)| (id.clone(), content.clone()))
            .collect()
    }
}

/// What one verification saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub records: usize,
    /// A write was announced but not acknowledged when the device died...
    pub in_flight: bool,
    /// ...and it had reached the disk all the same.
    pub in_flight_landed: bool,
}

/// id → content of every record of `kind` in a projection dump.
fn read_kind(
    dump: &Value,
    kind: Kind,
    author: Option<&str>,
) -> Result<BTreeMap<String, String>, String> {
    let (table, column) = kind.table();
    let rows = dump[table]
        .as_array()
        .ok_or_else(|| format!("the dump has no {table}"))?;
    let mut out = BTreeMap::new();
    for row in rows {
        if kind == Kind::Message {
            // Group threads only, and only this author's: one-to-one messages are not written
            // by the busy device.
            let conversation = row["conversation"].as_str().unwrap_or_default();
            if !conversation.starts_with("group:") {
                continue;
            }
            if let Some(author) = author
                && row["author_id"].as_str() != Some(author)
            {
                continue;
            }
        }
        let id = row["id"]
            .as_str()
            .ok_or_else(|| format!("a {table} row without id"))?;
        let content = row[column].as_str().unwrap_or_default();
        out.insert(id.to_owned(), content.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(journal: &[(&str, &str)]) -> Value {
        let rows: Vec<Value> = journal
            .iter()
            .map(|(id, text)| serde_json::json!({ "id": id, "text": text }))
            .collect();
        serde_json::json!({
            "groups": [], "journal_entry": rows, "message": [],
            "meeting_series": [], "contact": [],
        })
    }

    fn write(n: u64, target: Option<&str>, content: &str) -> String {
        Write {
            n,
            kind: Kind::Journal,
            target: target.map(str::to_owned),
            content: content.into(),
        }
        .line()
    }

    #[test]
    fn an_acknowledged_write_must_be_there_and_one_in_flight_may_be() {
        let mut acked = Acked::new();
        acked.take(&write(1, None, "w1 a day")).expect("line");
        acked.take(&ack_line(1, "e1")).expect("line");
        acked
            .take(&write(2, Some("e1"), "w2 edited"))
            .expect("line");
        acked.run_ended();
        // The edit in flight did not land: fine.
        assert!(
            acked
                .verify(&dump(&[("e1", "w1 a day")]), &[Kind::Journal], None)
                .is_ok()
        );
        // Lost acknowledged entry: caught.
        assert!(acked.verify(&dump(&[]), &[Kind::Journal], None).is_err());
        // A record nobody acknowledged or announced: caught.
        let err = acked
            .verify(
                &dump(&[("e1", "w1 a day"), ("e9", "w9 ghost")]),
                &[Kind::Journal],
                None,
            )
            .expect_err("ghost");
        assert!(err.contains("never acknowledged"), "{err}");
    }

    #[test]
    fn a_write_in_flight_that_landed_is_adopted() {
        let mut acked = Acked::new();
        acked.take(&write(1, None, "w1 a day")).expect("line");
        acked.take(&ack_line(1, "e1")).expect("line");
        acked.take(&write(2, None, "w2 next day")).expect("line");
        acked.run_ended();
        let seen = acked
            .verify(
                &dump(&[("e1", "w1 a day"), ("e2", "w2 next day")]),
                &[Kind::Journal],
                None,
            )
            .expect("landed");
        assert!(seen.in_flight_landed);
        // From now on it is expected like any acknowledged record.
        assert!(
            acked
                .verify(&dump(&[("e1", "w1 a day")]), &[Kind::Journal], None)
                .is_err()
        );
        // A changed acknowledged text is caught.
        assert!(
            acked
                .verify(
                    &dump(&[("e1", "w1 changed"), ("e2", "w2 next day")]),
                    &[Kind::Journal],
                    None
                )
                .is_err()
        );
    }
}
