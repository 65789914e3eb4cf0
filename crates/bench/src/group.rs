//! The "year-old group" (issue 6): 30 members, two weekly meetings with exceptions, 10,000
//! group messages and 2,000 direct messages spread over twelve months, 500 journal entries per
//! member — generated through core's real API by real devices (one in-memory `Mutua` per
//! member) that sync through a real relay, so the relay ends up holding exactly the envelopes
//! live use would have left there.
//!
//! History is written with [`Mutua::backfill_message`] (the past's timestamps, each message its
//! own Automerge change in its month's document); whoever wrote syncs at the end of each day of
//! history (full scale) or month (quick), so an envelope carries one member's day (or month) of
//! messages in one document. Live use may send smaller envelopes still; the measured scenarios
//! (one new message, catch-up) are made live, message by message, so their numbers do not
//! depend on this shortcut. With daily syncs each month's document passes 256 envelopes and
//! gets checkpoints, as in real use; monthly (quick) it does not, so a quick join downloads
//! envelopes only.
//!
//! This dataset is not cached: the scenarios need the devices themselves, alive and in sync
//! with the relay they run against. It takes 14 min (SQLite) and 18 min (PostgreSQL) at full
//! scale on a 2-core machine, half a minute at quick scale.

use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use mutua_core::Mutua;
use mutua_core::groups::{Admission, GroupFields, GroupKind};
use mutua_core::journal::EntryFields;
use mutua_core::meetings::SeriesFields;
use mutua_core::messages::{Conversation, NewMessage};
use mutua_core::sync::client::Transport;
use mutua_core::sync::driver::sync_once;
use mutua_core::sync::{InviteMode, SyncReport};

use crate::progress;
use crate::text::{self, Rng};

/// How big the group's year is.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct GroupScale {
    pub members: usize,
    pub messages: usize,
    pub direct: usize,
    pub journal_per_member: usize,
    /// Members who wrote sync every this many days of the history.
    pub sync_days: usize,
}

impl GroupScale {
    pub const FULL: GroupScale = GroupScale {
        members: 30,
        messages: 10_000,
        direct: 2_000,
        journal_per_member: 500,
        sync_days: 1,
    };
    pub const QUICK: GroupScale = GroupScale {
        members: 30,
        messages: 1_000,
        direct: 200,
        journal_per_member: 20,
        // Monthly keeps `--quick` under five minutes; its month documents get no checkpoints.
        sync_days: 30,
    };
    /// The smoke test's: seconds, not minutes.
    pub const TINY: GroupScale = GroupScale {
        members: 4,
        messages: 24,
        direct: 4,
        journal_per_member: 1,
        sync_days: 30,
    };
}

/// The group's devices. Member 0 created the group (the facilitator); member 1 is the device
/// the scenarios watch reconnecting ("D").
pub struct GroupYear {
    pub scale: GroupScale,
    pub members: Vec<Mutex<Mutua>>,
    pub group_id: String,
    /// Bytes of text written (messages and journal), for scale.
    pub raw_bytes: u64,
    pub rng: Rng,
}

impl std::fmt::Debug for GroupYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupYear")
            .field("scale", &self.scale)
            .finish_non_exhaustive()
    }
}

pub fn lock(m: &Mutex<Mutua>) -> Result<std::sync::MutexGuard<'_, Mutua>> {
    m.lock()
        .map_err(|_| anyhow!("a device's lock was poisoned"))
}

/// One sync round that must succeed without errors or rejections.
pub fn sync_ok<C: Transport>(who: &Mutex<Mutua>, client: &C) -> Result<SyncReport> {
    let report = sync_once(who, client, &|_| {}).context("sync round")?;
    if !report.errors.is_empty() || report.rejected > 0 {
        return Err(anyhow!("sync round reported problems: {report:?}"));
    }
    Ok(report)
}

const NAMES: &[&str] = &[
    "Ana", "Bea", "Caro", "Dani", "Eli", "Fer", "Gabi", "Hugo", "Inés", "Javi", "Kim", "Lu", "Mar",
    "Nico", "Olga", "Pau", "Quim", "Rosa", "Sol", "Tere", "Uli", "Vera", "Wen", "Xavi", "Yoli",
    "Zoe",
];

pub fn pseudonym(i: usize) -> String {
    format!(
        "{} {}",
        NAMES[i % NAMES.len()],
        (b'A' + (i / NAMES.len()) as u8) as char
    )
}

/// A weekly meeting series starting on the first `day` after `from`, 18:30 local time.
pub fn weekly_series(title: &str, day: Weekday, from: NaiveDate, hour: u32) -> SeriesFields {
    let mut date = from;
    while date.weekday() != day {
        date += Duration::days(1);
    }
    let code = match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    };
    SeriesFields {
        title: title.into(),
        start: date.and_hms_opt(hour, 30, 0).unwrap_or_default(),
        tz: "Europe/Madrid".into(),
        duration_minutes: 90,
        rrule: Some(format!("FREQ=WEEKLY;BYDAY={code}")),
        format: mutua_core::calendar::MeetingFormat::Hybrid,
        place: Some("Community centre, room 2".into()),
        online_url: Some("https://meet.example.org/circle".into()),
        phone: None,
        agenda: Some("Check-in, reading, sharing, check-out".into()),
    }
}

/// Two weekly meetings with exceptions: a few holiday cancellations each year.
pub fn add_meetings(m: &mut Mutua, group: &str, from: NaiveDate, years: i64) -> Result<()> {
    for (title, day, hour) in [
        ("Tuesday circle", Weekday::Tue, 18),
        ("Thursday lunch", Weekday::Thu, 13),
    ] {
        let saved = m.add_series(group, weekly_series(title, day, from, hour))?;
        let first = saved.series.start.date();
        for year in 0..years {
            for week in [1, 14, 33, 51] {
                let date = first + Duration::weeks(year * 52 + week);
                if date < Utc::now().date_naive() {
                    m.cancel_occurrence(&saved.series.id, date)?;
                }
            }
        }
    }
    Ok(())
}

pub fn entry(rng: &mut Rng, at: DateTime<Utc>) -> EntryFields {
    const EMOTIONS: &[&str] = &[
        "calm", "tired", "hopeful", "anxious", "grateful", "sad", "proud",
    ];
    let emotions = (0..rng.below(3))
        .map(|_| (*rng.pick(EMOTIONS)).to_owned())
        .collect();
    EntryFields {
        text: text::journal(rng, 6000),
        mood: Some(1 + rng.below(5) as u8),
        emotions,
        tags: if rng.chance(0.3) {
            vec!["meeting".into()]
        } else {
            vec![]
        },
        written_at: at,
        time_zone: "Europe/Madrid".into(),
    }
}

impl GroupYear {
    /// Makes the group, its members and its year of history on the relay behind `client`.
    pub fn generate<C: Transport>(scale: GroupScale, client: &C, seed: u64) -> Result<GroupYear> {
        let started = Instant::now();
        let mut rng = Rng::new(seed);
        let now = Utc::now();
        let year_ago = now - Duration::days(365);
        let mut facilitator = Mutua::ephemeral(&pseudonym(0))?;
        let group = facilitator.create_group(GroupFields {
            name: "Sunflower circle".into(),
            purpose: Some("Grief and bereavement peer support".into()),
            kind: GroupKind::MutualAid,
            planned_sessions: None,
            admission: Admission::Closed,
            language: Some("es".into()),
            place: Some("Community centre".into()),
            online_url: None,
            guidelines: Some(
                "What is said here stays here. Speak from your own experience.".into(),
            ),
        })?;
        add_meetings(&mut facilitator, &group.id, year_ago.date_naive(), 1)?;
        let mut members = vec![Mutex::new(facilitator)];
        for i in 1..scale.members {
            let code = lock(&members[0])?
                .create_invite(&group.id, InviteMode::InPerson)?
                .code;
            let mut m = Mutua::ephemeral(&pseudonym(i))?;
            m.accept_invite(&code)?;
            members.push(Mutex::new(m));
        }
        // Two passes: everyone learns everyone's devices (the roster) before history starts.
        for _ in 0..2 {
            for m in &members {
                sync_ok(m, client)?;
            }
        }
        progress(&format!(
            "group: {} members joined and in sync ({:.0} s)",
            scale.members,
            started.elapsed().as_secs_f64()
        ));
        let ids: Vec<String> = members
            .iter()
            .map(|m| lock(m).map(|m| m.member_id().to_owned()))
            .collect::<Result<_>>()?;
        let mut raw_bytes = 0u64;
        // Journals: private, never synced, but part of each member's device.
        for m in &members {
            let mut m = lock(m)?;
            for _ in 0..scale.journal_per_member {
                let at = year_ago + Duration::seconds(rng.below(364 * 86_400) as i64);
                let fields = entry(&mut rng, at);
                raw_bytes += fields.text.len() as u64;
                m.backfill_entry(fields, at)?;
            }
        }
        // The year in periods of `scale.sync_days`: whoever wrote in a period syncs at its end
        // (one envelope per author, document and period), the way members who open the app
        // now and then do.
        let periods = (365 / scale.sync_days.max(1)).max(1);
        let span = Duration::days(365) / periods as i32;
        let conversation = Conversation::Group(group.id.clone());
        for period in 0..periods {
            let start = year_ago + span * period as i32;
            let end = if period + 1 == periods {
                now - Duration::minutes(10)
            } else {
                start + span
            };
            let seconds = (end - start).num_seconds().max(1) as u64;
            let share = |total: usize| total / periods + usize::from(period < total % periods);
            let mut wrote = vec![false; scale.members];
            for _ in 0..share(scale.messages) {
                let author = rng.zipf(scale.members);
                let at = start + Duration::seconds(rng.below(seconds) as i64);
                let body = text::message(&mut rng, 2000);
                raw_bytes += body.len() as u64;
                lock(&members[author])?.backfill_message(
                    &conversation,
                    NewMessage::text(body),
                    at,
                )?;
                wrote[author] = true;
            }
            for _ in 0..share(scale.direct) {
                let from = rng.below(scale.members as u64) as usize;
                let mut to = if rng.chance(0.33) {
                    1
                } else {
                    rng.below(scale.members as u64) as usize
                };
                if to == from {
                    to = (from + 1) % scale.members;
                }
                let at = start + Duration::seconds(rng.below(seconds) as i64);
                let body = text::message(&mut rng, 2000);
                raw_bytes += body.len() as u64;
                let mut m = lock(&members[from])?;
                let direct = m.direct_conversation(&ids[to])?;
                m.backfill_message(&direct, NewMessage::text(body), at)?;
                wrote[from] = true;
            }
            for (m, wrote) in members.iter().zip(wrote) {
                if wrote {
                    sync_ok(m, client)?;
                }
            }
            if (period + 1) % (periods / 12).max(1) == 0 || period + 1 == periods {
                progress(&format!(
                    "group: {}/{periods} periods of {} days written and synced ({:.0} s)",
                    period + 1,
                    scale.sync_days,
                    started.elapsed().as_secs_f64()
                ));
            }
        }
        // Everyone ends holding everything, checkpoints uploaded.
        for m in &members {
            sync_ok(m, client)?;
        }
        Ok(GroupYear {
            scale,
            members,
            group_id: group.id,
            raw_bytes,
            rng,
        })
    }

    /// Member `i` writes one message now and syncs it (live use: one envelope).
    pub fn say_live<C: Transport>(&mut self, i: usize, client: &C) -> Result<()> {
        let body = text::message(&mut self.rng, 2000);
        lock(&self.members[i])?.send_to_group(&self.group_id, NewMessage::text(body))?;
        sync_ok(&self.members[i], client)?;
        Ok(())
    }

    /// `n` messages by members other than D, each synced by its author as it is written
    /// (`batch` > 1: the author syncs after every `batch` messages).
    pub fn missed<C: Transport>(&mut self, n: usize, batch: usize, client: &C) -> Result<()> {
        let others = self.scale.members - 2;
        let mut written = 0;
        while written < n {
            let author = 2 + self.rng.zipf(others);
            let count = batch.min(n - written).max(1);
            for _ in 0..count {
                let body = text::message(&mut self.rng, 2000);
                lock(&self.members[author])?
                    .send_to_group(&self.group_id, NewMessage::text(body))?;
            }
            sync_ok(&self.members[author], client)?;
            written += count;
        }
        Ok(())
    }
}
