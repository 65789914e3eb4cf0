//! The "ten years" member (issue 6): 3,650 journal entries and 100,000 messages across five
//! groups over ten years, two weekly meetings per group with holiday cancellations, 40 peer
//! contacts with availability — one encrypted database on disk, as the app keeps it.
//!
//! Other members' messages are written by eight author devices (in memory) with
//! [`Mutua::backfill_message`], then merged into the member's database with
//! [`Mutua::import`]: one transaction per author, the same path a file or sync merge takes.
//! The member's own messages (a tenth) and journal are written on disk one by one, as the app
//! would. The result is cached under the target directory, keyed by [`GENERATOR_VERSION`] and
//! scale, so later runs only open it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{Duration, Utc, Weekday};
use mutua_core::changes::Scope;
use mutua_core::contacts::{AvailabilityWindow, ContactFields};
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::messages::{Conversation, NewMessage};
use mutua_core::sync::InviteMode;
use mutua_core::{KdfParams, Mutua, NewProtection};
use serde::{Deserialize, Serialize};

use crate::group::{add_meetings, entry, pseudonym};
use crate::progress;
use crate::text::{self, Rng};

/// Bump when the generated data changes shape, so stale caches are not reused.
pub const GENERATOR_VERSION: u32 = 1;
/// The passphrase of the generated database (Argon2id at the app's default cost).
pub const PASSPHRASE: &str = "benchmark passphrase, not a secret";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TenYearsScale {
    pub groups: usize,
    pub authors: usize,
    pub messages: usize,
    pub journal: usize,
    pub contacts: usize,
}

impl TenYearsScale {
    pub const FULL: TenYearsScale = TenYearsScale {
        groups: 5,
        authors: 8,
        messages: 100_000,
        journal: 3_650,
        contacts: 40,
    };
    pub const QUICK: TenYearsScale = TenYearsScale {
        groups: 5,
        authors: 8,
        messages: 10_000,
        journal: 365,
        contacts: 40,
    };
    pub const TINY: TenYearsScale = TenYearsScale {
        groups: 2,
        authors: 2,
        messages: 60,
        journal: 10,
        contacts: 3,
    };
}

/// What was generated, saved beside the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenYears {
    pub version: u32,
    pub scale: TenYearsScale,
    pub dir: PathBuf,
    pub group_ids: Vec<String>,
    /// Bytes of text the member's data holds (messages, journal, contacts, group texts).
    pub raw_bytes: u64,
    pub generate_secs: f64,
    /// Messages the member wrote (the rest came from the eight authors).
    pub own_messages: usize,
}

/// Opens the cached dataset under `cache` or makes it.
pub fn dataset(cache: &Path, scale: TenYearsScale, label: &str) -> Result<TenYears> {
    let root = cache.join(format!("ten-years-v{GENERATOR_VERSION}-{label}"));
    let meta_path = root.join("meta.json");
    if let Ok(bytes) = std::fs::read(&meta_path)
        && let Ok(meta) = serde_json::from_slice::<TenYears>(&bytes)
        && meta.version == GENERATOR_VERSION
        && meta.scale == scale
        && Mutua::exists(&meta.dir)
    {
        progress(&format!(
            "ten years ({label}): using the cached dataset in {}",
            root.display()
        ));
        return Ok(meta);
    }
    if root.exists() {
        std::fs::remove_dir_all(&root).context("removing a stale dataset")?;
    }
    std::fs::create_dir_all(&root)?;
    let meta = generate(&root.join("member"), scale)?;
    std::fs::write(&meta_path, serde_json::to_vec_pretty(&meta)?)?;
    Ok(meta)
}

fn generate(dir: &Path, scale: TenYearsScale) -> Result<TenYears> {
    let started = Instant::now();
    let mut rng = Rng::new(10);
    let now = Utc::now();
    let decade_ago = now - Duration::days(3650);
    progress(&format!(
        "ten years: generating {} messages in {} groups, {} journal entries (cached afterwards)",
        scale.messages, scale.groups, scale.journal
    ));
    let mut me = Mutua::init_with_kdf(
        dir,
        "Rosa M",
        NewProtection::Passphrase(PASSPHRASE),
        KdfParams::default(),
    )?;
    let mut raw_bytes = 0u64;
    let mut authors: Vec<Mutua> = (0..scale.authors)
        .map(|i| Mutua::ephemeral(&pseudonym(i + 1)))
        .collect::<mutua_core::Result<_>>()?;
    let mut group_ids = Vec::new();
    for g in 0..scale.groups {
        let name = format!("Circle {}", g + 1);
        raw_bytes += name.len() as u64;
        let group = me.create_group(GroupFields {
            name,
            purpose: Some("Peer support".into()),
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Closed,
            language: None,
            place: None,
            online_url: None,
            guidelines: None,
        })?;
        add_meetings(&mut me, &group.id, decade_ago.date_naive(), 10)?;
        for a in &mut authors {
            let code = me.create_invite(&group.id, InviteMode::InPerson)?.code;
            a.accept_invite(&code)?;
        }
        group_ids.push(group.id);
    }
    // An in-person code carries the keys, not the documents: each author gets the groups'
    // meta and calendar documents as a file merge would bring them (sync is not needed here).
    for a in &mut authors {
        let mut set = me.changes_since(&a.vector()?, Scope::Shared)?;
        set.docs
            .retain(|(id, _)| id.to_string().starts_with("group/"));
        a.import(&set)?;
    }
    let span = (now - Duration::hours(1) - decade_ago).num_seconds() as u64;
    let mut mine = 0usize;
    for i in 0..scale.messages {
        let g = i % scale.groups;
        let at = decade_ago + Duration::seconds(rng.below(span) as i64);
        let body = text::message(&mut rng, 2000);
        raw_bytes += body.len() as u64;
        let conversation = Conversation::Group(group_ids[g].clone());
        if rng.chance(0.1) {
            me.backfill_message(&conversation, NewMessage::text(body), at)?;
            mine += 1;
        } else {
            let a = rng.zipf(scale.authors);
            authors[a].backfill_message(&conversation, NewMessage::text(body), at)?;
        }
        if (i + 1) % 10_000 == 0 {
            progress(&format!(
                "ten years: {} messages written ({:.0} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            ));
        }
    }
    for (i, a) in authors.iter().enumerate() {
        let mut set = a.changes_since(&me.vector()?, Scope::Shared)?;
        // Only the groups' documents: an author's own `me/…` documents are theirs.
        set.docs
            .retain(|(id, _)| id.to_string().starts_with("group/"));
        me.import(&set)?;
        progress(&format!(
            "ten years: author {} of {} merged ({:.0} s)",
            i + 1,
            scale.authors,
            started.elapsed().as_secs_f64()
        ));
    }
    for day in 0..scale.journal {
        let at = decade_ago
            + Duration::days((day * 3650 / scale.journal.max(1)) as i64)
            + Duration::hours(21);
        let fields = entry(&mut rng, at);
        raw_bytes += fields.text.len() as u64;
        me.backfill_entry(fields, at)?;
    }
    progress(&format!(
        "ten years: journal written ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));
    let days = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    for c in 0..scale.contacts {
        let availability = (0..3)
            .map(|k| {
                let start = (8 + rng.below(10) as u16) * 60;
                AvailabilityWindow {
                    day: days[(c + k * 2) % 7],
                    start,
                    end: start + 120,
                }
            })
            .collect();
        let fields = ContactFields {
            pseudonym: format!("Contact {c}"),
            phone: Some(format!("+34 600 000 {c:03}")),
            link: None,
            note: Some("Met at the Tuesday circle".into()),
            group_id: Some(group_ids[c % scale.groups].clone()),
            time_zone: "Europe/Madrid".into(),
            availability,
        };
        raw_bytes += 40;
        me.add_contact(fields)?;
    }
    me.checkpoint()?;
    Ok(TenYears {
        version: GENERATOR_VERSION,
        scale,
        dir: dir.to_path_buf(),
        group_ids,
        raw_bytes,
        generate_secs: started.elapsed().as_secs_f64(),
        own_messages: mine,
    })
}
