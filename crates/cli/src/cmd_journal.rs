//! `mutua journal …`

use std::io::Read;

use anyhow::{Context, Result, bail};
use chrono::{Duration, Utc};
use mutua_core::Mutua;
use mutua_core::journal::{Entry, EntryFields, Period, period_bounds};
use mutua_core::lookup::short;

use crate::args::{EntryFieldArgs, JournalCommand, PeriodArg};
use crate::output::{Out, fields, table};
use crate::{parse, session};

pub fn run(m: &mut Mutua, out: Out, command: JournalCommand) -> Result<()> {
    let viewer = session::viewer_tz(Some(m), None)?;
    let today = Utc::now().with_timezone(&viewer).date_naive();
    match command {
        JournalCommand::Add(args) => {
            let base = EntryFields {
                text: String::new(),
                mood: None,
                emotions: Vec::new(),
                tags: Vec::new(),
                written_at: Utc::now(),
                time_zone: viewer.name().to_owned(),
            };
            let e = m.add_entry(apply(base, args, viewer)?)?;
            out.done(
                &e,
                format!(
                    "Saved to your journal ({}). It stays on your devices.",
                    short(&e.id)
                ),
            )
        }
        JournalCommand::List { by, date, from, to } => {
            let period = match by {
                PeriodArg::Day => Period::Day,
                PeriodArg::Week => Period::Week,
                PeriodArg::Month => Period::Month,
            };
            let (from, to) = match (from, to) {
                (Some(f), Some(t)) => (parse::date(&f)?, parse::date(&t)?),
                (Some(f), None) => (parse::date(&f)?, today),
                (None, Some(_)) => bail!("--to needs --from"),
                (None, None) => {
                    let around = date
                        .as_deref()
                        .map(parse::date)
                        .transpose()?
                        .unwrap_or(today);
                    period_bounds(period, around)
                }
            };
            let groups = m.entries_by(period, from, to)?;
            out.emit(&groups, || {
                if groups.is_empty() {
                    return format!("No journal entries from {from} to {to}.");
                }
                let mut text = String::new();
                for group in &groups {
                    text.push_str(&format!("{}\n", group.label));
                    for e in &group.entries {
                        text.push_str(&format!("  {}\n", one_line(e, viewer)));
                    }
                }
                text
            })
        }
        JournalCommand::Show { entry } => {
            let e = m.find_entry(&entry)?;
            out.emit(&e, || {
                let mut text = fields(&[
                    ("Entry", Some(e.id.clone())),
                    (
                        "When",
                        Some(
                            e.fields
                                .written_at
                                .with_timezone(&viewer)
                                .format("%A %Y-%m-%d %H:%M")
                                .to_string(),
                        ),
                    ),
                    ("Mood", e.fields.mood.map(mood_words)),
                    (
                        "Emotions",
                        Some(e.fields.emotions.join(", ")).filter(|s| !s.is_empty()),
                    ),
                    (
                        "Tags",
                        Some(e.fields.tags.join(", ")).filter(|s| !s.is_empty()),
                    ),
                ]);
                if !e.fields.text.is_empty() {
                    text.push_str(&format!("\n{}\n", e.fields.text));
                }
                text
            })
        }
        JournalCommand::Edit {
            entry,
            fields,
            no_mood,
        } => {
            let current = m.find_entry(&entry)?;
            let mut edited = apply(current.fields.clone(), fields, viewer)?;
            if no_mood {
                edited.mood = None;
            }
            let e = m.update_entry(&current.id, edited)?;
            out.done(&e, format!("Saved entry {}.", short(&e.id)))
        }
        JournalCommand::Delete { entry } => {
            let e = m.delete_entry(&entry)?;
            out.done(&e, format!("Deleted entry {}.", short(&e.id)))
        }
        JournalCommand::Search { query, limit } => {
            let hits = m.search_journal(&query, limit)?;
            out.emit(&hits, || {
                if hits.is_empty() {
                    return format!("Nothing in your journal matches \"{query}\".");
                }
                let rows = hits
                    .iter()
                    .map(|h| {
                        vec![
                            short(&h.entry.id).to_owned(),
                            h.entry.local_date().to_string(),
                            h.entry
                                .fields
                                .mood
                                .map(|m| m.to_string())
                                .unwrap_or_default(),
                            h.snippet.replace('\n', " "),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "DATE", "MOOD", "MATCH"], &rows)
            })
        }
        JournalCommand::Mood { from, to } => {
            let to = to.as_deref().map(parse::date).transpose()?.unwrap_or(today);
            let from = from
                .as_deref()
                .map(parse::date)
                .transpose()?
                .unwrap_or(to - Duration::days(29));
            let series = m.mood_series(from, to)?;
            out.emit(&series, || {
                if series.is_empty() {
                    return format!("No moods recorded from {from} to {to}.");
                }
                series
                    .iter()
                    .map(|p| {
                        format!(
                            "{}  {:<5} {:.1}  ({} {})\n",
                            p.date,
                            "●".repeat(p.average.round() as usize),
                            p.average,
                            p.count,
                            if p.count == 1 { "entry" } else { "entries" }
                        )
                    })
                    .collect()
            })
        }
    }
}

fn apply(
    mut base: EntryFields,
    args: EntryFieldArgs,
    viewer: chrono_tz::Tz,
) -> Result<EntryFields> {
    if let Some(text) = args.text {
        base.text = if text == "-" {
            let mut buf = String::new();
            std::io::stdin()
                .read_to_string(&mut buf)
                .context("could not read the entry from standard input")?;
            buf
        } else {
            text
        };
    }
    if let Some(mood) = args.mood {
        base.mood = Some(mood);
    }
    if !args.emotions.is_empty() {
        base.emotions = args.emotions;
    }
    if !args.tags.is_empty() {
        base.tags = args.tags;
    }
    if let Some(at) = args.at {
        base.written_at = parse::moment(&at, viewer)?;
        base.time_zone = viewer.name().to_owned();
    }
    Ok(base)
}

fn mood_words(mood: u8) -> String {
    let word = match mood {
        1 => "very low",
        2 => "low",
        3 => "okay",
        4 => "good",
        _ => "very good",
    };
    format!("{mood} ({word})")
}

fn one_line(e: &Entry, viewer: chrono_tz::Tz) -> String {
    let mut first: String = e
        .fields
        .text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    if first.is_empty() {
        first = e.fields.emotions.join(", ");
    }
    format!(
        "{}  {}  {}  {}",
        short(&e.id),
        e.fields.written_at.with_timezone(&viewer).format("%H:%M"),
        e.fields
            .mood
            .map(|m| format!("mood {m}"))
            .unwrap_or_else(|| "      ".into()),
        first
    )
}
