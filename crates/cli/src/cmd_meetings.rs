//! `mutua meeting …` and `mutua calendar …`

use anyhow::{Context, Result, bail};
use chrono::{Duration, NaiveTime};
use mutua_core::Mutua;
use mutua_core::calendar::{MeetingFormat, MeetingSeries, localize};
use mutua_core::lookup::short;
use mutua_core::meetings::{Saved, SeriesFields};

use crate::args::{CalendarArgs, CalendarCommand, FormatArg, MeetingCommand, SeriesFieldArgs};
use crate::output::{Out, fields, table};
use crate::{parse, session};

pub fn run(m: &mut Mutua, out: Out, command: MeetingCommand) -> Result<()> {
    match command {
        MeetingCommand::Add { group, fields } => {
            let (Some(title), Some(start), Some(tz), Some(duration)) = (
                fields.title.clone(),
                fields.start.clone(),
                fields.tz.clone(),
                fields.duration.clone(),
            ) else {
                bail!("a meeting needs --title, --start, --tz and --duration");
            };
            let base = SeriesFields {
                title,
                start: parse::local_datetime(&start)?,
                tz,
                duration_minutes: parse::minutes(&duration)?,
                rrule: None,
                format: MeetingFormat::InPerson,
                place: None,
                online_url: None,
                phone: None,
                agenda: None,
            };
            let mut fields_in = apply(base, fields)?;
            if fields_in.format == MeetingFormat::InPerson && fields_in.place.is_none() {
                // Default the format from what was given.
                fields_in.format = match (&fields_in.online_url, &fields_in.phone) {
                    (Some(_), _) => MeetingFormat::Online,
                    (None, Some(_)) => MeetingFormat::Phone,
                    _ => MeetingFormat::InPerson,
                };
            }
            let saved = m.add_series(&group, fields_in)?;
            report(out, &saved, "Added")
        }
        MeetingCommand::List { group } => {
            let series = m.series(group.as_deref())?;
            out.emit(&series, || {
                let rows = series
                    .iter()
                    .map(|s| {
                        vec![
                            short(&s.id).to_owned(),
                            s.title.clone(),
                            format!("{} {}", s.start.format("%Y-%m-%d %H:%M"), s.tz),
                            s.rrule.clone().unwrap_or_else(|| "once".into()),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "TITLE", "FIRST", "REPEATS"], &rows)
            })
        }
        MeetingCommand::Show { series } => {
            let s = m.find_series(&series)?;
            out.emit(&s, || describe(&s))
        }
        MeetingCommand::Edit { series, fields } => {
            let s = m.find_series(&series)?;
            let once = fields.once;
            let mut edited = apply(current_fields(&s), fields)?;
            if once {
                edited.rrule = None;
            }
            let saved = m.update_series(&s.id, edited)?;
            report(out, &saved, "Saved")
        }
        MeetingCommand::Delete { series } => {
            let s = m.delete_series(&series)?;
            out.done(&s, format!("Deleted the meeting series \"{}\".", s.title))
        }
        MeetingCommand::Cancel { series, on } => {
            let cancelled = match parse::local_datetime(&on) {
                Ok(at) => m.cancel_occurrence_at(&series, at)?,
                Err(_) => m.cancel_occurrence(&series, parse::date(&on)?)?,
            };
            let s = m.find_series(&series)?;
            out.done(
                &s,
                format!(
                    "Cancelled \"{}\" on {}.",
                    s.title,
                    cancelled.format("%A %Y-%m-%d %H:%M")
                ),
            )
        }
        MeetingCommand::Restore { series, on } => {
            let restored = match parse::local_datetime(&on) {
                Ok(at) => m.restore_occurrence_at(&series, at)?,
                Err(_) => m.restore_occurrence(&series, parse::date(&on)?)?,
            };
            let s = m.find_series(&series)?;
            out.done(
                &s,
                format!(
                    "\"{}\" on {} is back on.",
                    s.title,
                    restored.format("%Y-%m-%d %H:%M")
                ),
            )
        }
        MeetingCommand::Move {
            series,
            occurrence,
            to,
            duration,
        } => {
            let original = parse::date_or_datetime(&occurrence)?;
            let to = parse::local_datetime(&to)?;
            let duration = duration.as_deref().map(parse::minutes).transpose()?;
            let saved = m.move_occurrence(&series, original, to, duration)?;
            report(out, &saved, "Moved one meeting of")
        }
    }
}

pub fn calendar(m: &mut Mutua, out: Out, args: CalendarArgs) -> Result<()> {
    if let Some(CalendarCommand::Export { group, out: path }) = args.export {
        let text = m.export_ics(&group)?;
        std::fs::write(&path, &text)
            .with_context(|| format!("could not write {}", path.display()))?;
        let g = m.find_group(&group)?;
        let value = serde_json::json!({ "group": g.id, "file": path, "bytes": text.len() });
        return out.done(
            &value,
            format!(
                "Wrote the calendar of \"{}\" to {}.",
                g.fields.name,
                path.display()
            ),
        );
    }
    let viewer = session::viewer_tz(Some(m), args.tz.as_deref())?;
    let today = chrono::Utc::now().with_timezone(&viewer).date_naive();
    let from = args
        .from
        .as_deref()
        .map(parse::date)
        .transpose()?
        .unwrap_or(today);
    let to = args
        .to
        .as_deref()
        .map(parse::date)
        .transpose()?
        .unwrap_or(from + Duration::days(30));
    if to < from {
        bail!("--to ({to}) is before --from ({from})");
    }
    let start = localize(from.and_time(NaiveTime::MIN), viewer).utc;
    let end = localize((to + Duration::days(1)).and_time(NaiveTime::MIN), viewer).utc;
    let items = m.calendar(start, end)?;
    out.emit(&items, || {
        if items.is_empty() {
            return format!("No meetings from {from} to {to}.");
        }
        let rows = items
            .iter()
            .map(|item| {
                let o = &item.occurrence;
                let mine = o.start_utc.with_timezone(&viewer);
                let theirs = format!("{} {}", o.start_local.format("%H:%M"), o.tz);
                vec![
                    mine.format("%a %Y-%m-%d %H:%M").to_string(),
                    if o.tz == viewer.name() {
                        String::new()
                    } else {
                        theirs
                    },
                    o.start_utc.format("%H:%MZ").to_string(),
                    o.title.clone(),
                    item.group_name.clone(),
                    if o.moved {
                        "moved".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect::<Vec<_>>();
        table(
            &[
                &format!("WHEN ({})", viewer.name()),
                "MEETING TIME",
                "UTC",
                "MEETING",
                "GROUP",
                "",
            ],
            &rows,
        )
    })
}

fn report(out: Out, saved: &Saved, verb: &str) -> Result<()> {
    if let Some(note) = &saved.note {
        eprintln!("note: {note}");
    }
    out.done(
        saved,
        format!(
            "{verb} \"{}\" ({}).",
            saved.series.title,
            short(&saved.series.id)
        ),
    )
}

fn describe(s: &MeetingSeries) -> String {
    let mut text = fields(&[
        ("Meeting", Some(s.title.clone())),
        ("Id", Some(s.id.clone())),
        (
            "First",
            Some(format!(
                "{} ({})",
                s.start.format("%A %Y-%m-%d %H:%M"),
                s.tz
            )),
        ),
        ("Duration", Some(format!("{} min", s.duration_minutes))),
        (
            "Repeats",
            Some(s.rrule.clone().unwrap_or_else(|| "no (one meeting)".into())),
        ),
        ("Format", Some(format_words(&s.format).into())),
        ("Place", s.place.clone()),
        ("Online", s.online_url.clone()),
        ("Phone", s.phone.clone()),
    ]);
    if let Some(agenda) = &s.agenda {
        text.push_str(&format!("\nAgenda\n{agenda}\n"));
    }
    for d in &s.exdates {
        text.push_str(&format!("Cancelled: {}\n", d.format("%Y-%m-%d %H:%M")));
    }
    for (d, o) in &s.overrides {
        text.push_str(&format!(
            "Moved: {} → {}\n",
            d.format("%Y-%m-%d %H:%M"),
            o.start.format("%Y-%m-%d %H:%M")
        ));
    }
    text
}

fn format_words(f: &MeetingFormat) -> &'static str {
    match f {
        MeetingFormat::InPerson => "in person",
        MeetingFormat::Online => "online",
        MeetingFormat::Hybrid => "hybrid",
        MeetingFormat::Phone => "phone",
    }
}

fn current_fields(s: &MeetingSeries) -> SeriesFields {
    SeriesFields {
        title: s.title.clone(),
        start: s.start,
        tz: s.tz.clone(),
        duration_minutes: s.duration_minutes,
        rrule: s.rrule.clone(),
        format: s.format,
        place: s.place.clone(),
        online_url: s.online_url.clone(),
        phone: s.phone.clone(),
        agenda: s.agenda.clone(),
    }
}

fn apply(mut base: SeriesFields, args: SeriesFieldArgs) -> Result<SeriesFields> {
    let opt = |v: String| if v.trim().is_empty() { None } else { Some(v) };
    if let Some(v) = args.title {
        base.title = v;
    }
    if let Some(v) = args.start {
        base.start = parse::local_datetime(&v)?;
    }
    if let Some(v) = args.tz {
        parse::tz(&v)?;
        base.tz = v;
    }
    if let Some(v) = args.duration {
        base.duration_minutes = parse::minutes(&v)?;
    }
    if let Some(v) = args.rrule {
        base.rrule = opt(v);
    }
    if args.once {
        base.rrule = None;
    }
    if let Some(v) = args.place {
        base.place = opt(v);
    }
    if let Some(v) = args.online_url {
        base.online_url = opt(v);
    }
    if let Some(v) = args.phone {
        base.phone = opt(v);
    }
    if let Some(v) = args.agenda {
        base.agenda = opt(v);
    }
    if let Some(f) = args.format {
        base.format = match f {
            FormatArg::InPerson => MeetingFormat::InPerson,
            FormatArg::Online => MeetingFormat::Online,
            FormatArg::Hybrid => MeetingFormat::Hybrid,
            FormatArg::Phone => MeetingFormat::Phone,
        };
    } else if base.place.is_some() && base.online_url.is_some() {
        base.format = MeetingFormat::Hybrid;
    }
    Ok(base)
}
