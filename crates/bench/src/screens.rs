//! Measure 3: the screens' queries at the ten-years scale, each the same core calls the app's
//! command makes (`src-tauri/src/commands/*.rs`), p50/p95 over many runs on the opened
//! database (warm: the app keeps it open).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use mutua_core::messages::Conversation;
use mutua_core::{Mutua, Unlock};
use serde::Serialize;

use crate::stats::percentile;
use crate::tenyears::{PASSPHRASE, TenYears};

#[derive(Debug, Clone, Serialize)]
pub struct QueryTimes {
    pub name: String,
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// Rows the query returned on its first run (to show it did real work).
    pub rows: usize,
}

/// The Today screen, as `commands::session::today` builds it.
pub fn today(m: &Mutua) -> Result<usize> {
    let now = mutua_core::time::now();
    let mut upcoming = m.calendar(now, now + Duration::days(14))?;
    upcoming.truncate(5);
    let series = m.series(None)?;
    let _ = m.profile()?.pseudonym;
    let reachable = m.reachable_at(now)?;
    let recent = m.recent_entries(5)?;
    Ok(upcoming.len() + series.len() + reachable.len() + recent.len())
}

/// A calendar month, as `commands::meetings::calendar` asks it.
fn calendar_month(m: &Mutua, first: NaiveDate) -> Result<usize> {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .context("a month")?;
    let from = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).context("midnight")?);
    let to = Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).context("midnight")?);
    let items = m.calendar(from, to)?;
    let series = m.series(None)?;
    Ok(items.len() + series.len())
}

fn time(runs: usize, name: &str, mut f: impl FnMut(usize) -> Result<usize>) -> Result<QueryTimes> {
    let rows = f(0)?;
    for i in 0..runs.min(5) {
        f(i)?;
    }
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        f(i)?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(QueryTimes {
        name: name.to_owned(),
        runs,
        p50_ms: percentile(&samples, 50.0),
        p95_ms: percentile(&samples, 95.0),
        rows,
    })
}

/// Every screen query, `runs` times each. Also checks the dataset: the busiest group's thread
/// is paged through to its first message, and the count must match what was generated.
pub fn measure(data: &TenYears, runs: usize) -> Result<(Vec<QueryTimes>, usize)> {
    let m = Mutua::open(&data.dir, Unlock::Passphrase(PASSPHRASE))?;
    let conversation = Conversation::Group(data.group_ids[0].clone());
    // Scroll the whole thread once: the cursors for "scrolling back", and a count.
    let mut cursors = Vec::new();
    let mut before: Option<String> = None;
    let mut total = 0usize;
    loop {
        let page = m.messages(&conversation, before.as_deref(), 50)?;
        total += page.messages.len();
        if before.is_none()
            && let Some(newest) = page.messages.last()
        {
            // Scrolling back from the newest message: works even for a thread of one page.
            cursors.push(newest.id.clone());
        }
        match page.older {
            Some(older) => {
                cursors.push(older.clone());
                before = Some(older);
            }
            None => break,
        }
    }
    let expected = data.scale.messages / data.scale.groups;
    if total < expected || cursors.is_empty() {
        bail!("the busiest group shows {total} messages, {expected} were generated");
    }
    let mut out = Vec::new();
    out.push(time(runs, "today screen", |_| today(&m))?);
    out.push(time(runs, "inbox (conversations)", |_| {
        Ok(m.conversations()?.len())
    })?);
    out.push(time(runs, "group chat: latest 50", |_| {
        Ok(m.messages(&conversation, None, 50)?.messages.len())
    })?);
    out.push(time(
        runs,
        "group chat: scrolling back (a page of 50 at a random depth)",
        |i| {
            let cursor = &cursors[(i * 7919) % cursors.len()];
            Ok(m.messages(&conversation, Some(cursor), 50)?.messages.len())
        },
    )?);
    let this_month = Utc::now().date_naive().with_day(1).context("day 1")?;
    out.push(time(runs, "calendar month", |_| {
        calendar_month(&m, this_month)
    })?);
    let words = [
        "meeting",
        "paciencia",
        "reunion",
        "grateful sleep",
        "corazón",
    ];
    out.push(time(runs, "journal search", |i| {
        Ok(m.search_journal(words[i % words.len()], 50)?.len())
    })?);
    out.push(time(runs, "reach now", |_| {
        Ok(m.reachable_at(mutua_core::time::now())?.len())
    })?);
    Ok((out, total))
}
