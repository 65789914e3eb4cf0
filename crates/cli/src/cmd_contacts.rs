//! `mutua contact …`

use anyhow::{Result, bail};
use mutua_core::Mutua;
use mutua_core::contacts::{AvailabilityWindow, Contact, ContactFields, parse_windows};
use mutua_core::lookup::short;

use crate::args::{ContactCommand, ContactFieldArgs};
use crate::output::{Out, fields, table};
use crate::{parse, session};

pub fn run(m: &mut Mutua, out: Out, command: ContactCommand) -> Result<()> {
    match command {
        ContactCommand::Add(args) => {
            let Some(name) = args.name.clone() else {
                bail!("a contact needs --name (their pseudonym)")
            };
            let tz = match &args.tz {
                Some(tz) => tz.clone(),
                None => session::viewer_tz(Some(m), None)?.name().to_owned(),
            };
            let base = ContactFields {
                pseudonym: name,
                phone: None,
                link: None,
                note: None,
                group_id: None,
                time_zone: tz,
                availability: Vec::new(),
            };
            let fields = apply(m, base, args)?;
            let c = m.add_contact(fields)?;
            out.done(
                &c,
                format!("Added {} ({}).", c.fields.pseudonym, short(&c.id)),
            )
        }
        ContactCommand::List => {
            let contacts = m.contacts()?;
            out.emit(&contacts, || {
                if contacts.is_empty() {
                    return "No contacts yet. Add one with: mutua contact add --name \"Sam R.\" --tz Europe/Madrid".into();
                }
                let rows = contacts
                    .iter()
                    .map(|c| {
                        vec![
                            short(&c.id).to_owned(),
                            c.fields.pseudonym.clone(),
                            c.fields.time_zone.clone(),
                            windows_text(&c.fields.availability),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "PSEUDONYM", "TIME ZONE", "AVAILABLE (THEIR TIME)"], &rows)
            })
        }
        ContactCommand::Show { contact } => {
            let c = m.find_contact(&contact)?;
            let group = c
                .fields
                .group_id
                .as_deref()
                .and_then(|g| m.find_group(g).ok())
                .map(|g| g.fields.name);
            out.emit(&c, || describe(&c, group))
        }
        ContactCommand::Edit { contact, fields } => {
            let current = m.find_contact(&contact)?;
            let edited = apply(m, current.fields.clone(), fields)?;
            let c = m.update_contact(&current.id, edited)?;
            out.done(&c, format!("Saved {}.", c.fields.pseudonym))
        }
        ContactCommand::Remove { contact } => {
            let c = m.remove_contact(&contact)?;
            out.done(
                &c,
                format!("Removed {} from your contacts.", c.fields.pseudonym),
            )
        }
        ContactCommand::Availability {
            contact,
            set,
            clear,
        } => {
            let c = if clear || !set.is_empty() {
                let mut windows = Vec::new();
                for text in &set {
                    windows.extend(parse_windows(text)?);
                }
                m.set_availability(&contact, windows)?
            } else {
                m.find_contact(&contact)?
            };
            out.emit(&c.fields.availability, || {
                if c.fields.availability.is_empty() {
                    format!("{} has no availability windows.", c.fields.pseudonym)
                } else {
                    let lines: Vec<String> = c
                        .fields
                        .availability
                        .iter()
                        .map(|w| format!("  {w}"))
                        .collect();
                    format!(
                        "{} ({} time):\n{}",
                        c.fields.pseudonym,
                        c.fields.time_zone,
                        lines.join("\n")
                    )
                }
            })
        }
        ContactCommand::Reachable { at } => {
            let viewer = session::viewer_tz(Some(m), None)?;
            let at = match at {
                Some(text) => parse::moment(&text, viewer)?,
                None => chrono::Utc::now(),
            };
            let reachable = m.reachable_at(at)?;
            out.emit(&reachable, || {
                if reachable.is_empty() {
                    return format!(
                        "Nobody has said they are available at {}. You can still write to someone; they will see it later.",
                        at.with_timezone(&viewer).format("%a %H:%M")
                    );
                }
                let rows = reachable
                    .iter()
                    .map(|r| {
                        vec![
                            r.contact.fields.pseudonym.clone(),
                            format!("{} {}", r.their_time.format("%a %H:%M"), r.contact.fields.time_zone),
                            r.until.with_timezone(&viewer).format("%H:%M").to_string(),
                            r.contact.fields.phone.clone().unwrap_or_default(),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["WHO", "THEIR TIME", &format!("UNTIL ({})", viewer.name()), "PHONE"], &rows)
            })
        }
    }
}

fn windows_text(windows: &[AvailabilityWindow]) -> String {
    windows
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(c: &Contact, group: Option<String>) -> String {
    fields(&[
        ("Contact", Some(c.fields.pseudonym.clone())),
        ("Id", Some(c.id.clone())),
        ("Time zone", Some(c.fields.time_zone.clone())),
        (
            "Available",
            Some(windows_text(&c.fields.availability)).filter(|s| !s.is_empty()),
        ),
        ("Phone", c.fields.phone.clone()),
        ("Link", c.fields.link.clone()),
        ("From group", group),
        ("Note", c.fields.note.clone()),
    ])
}

fn apply(m: &Mutua, mut base: ContactFields, args: ContactFieldArgs) -> Result<ContactFields> {
    let opt = |v: String| if v.trim().is_empty() { None } else { Some(v) };
    if let Some(v) = args.name {
        base.pseudonym = v;
    }
    if let Some(v) = args.tz {
        parse::tz(&v)?;
        base.time_zone = v;
    }
    if let Some(v) = args.phone {
        base.phone = opt(v);
    }
    if let Some(v) = args.link {
        base.link = opt(v);
    }
    if let Some(v) = args.note {
        base.note = opt(v);
    }
    if let Some(g) = args.group {
        base.group_id = if g.trim().is_empty() {
            None
        } else {
            Some(m.find_group(&g)?.id)
        };
    }
    if !args.available.is_empty() {
        let mut windows = Vec::new();
        for text in &args.available {
            windows.extend(parse_windows(text)?);
        }
        base.availability = windows;
    }
    Ok(base)
}
