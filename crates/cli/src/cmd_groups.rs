//! `mutua group …`

use anyhow::{Context, Result, bail};
use mutua_core::Mutua;
use mutua_core::groups::{Admission, Group, GroupFields, GroupKind, Role};
use mutua_core::lookup::short;

use crate::args::{AdmissionArg, GroupCommand, GroupFieldArgs, KindArg};
use crate::output::{Out, fields, table};

pub fn run(m: &mut Mutua, out: Out, command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Create(args) => {
            let Some(name) = args.name.clone() else {
                bail!("a new group needs --name")
            };
            let group = m.create_group(apply(GroupFields::named(name), args)?)?;
            out.done(
                &group,
                format!(
                    "Created group \"{}\" ({}).",
                    group.fields.name,
                    short(&group.id)
                ),
            )
        }
        GroupCommand::List { all } => {
            let groups = m.groups(all)?;
            out.emit(&groups, || {
                if groups.is_empty() {
                    return "No groups yet. Create one with: mutua group create --name \"…\""
                        .into();
                }
                let rows = groups
                    .iter()
                    .map(|g| {
                        vec![
                            short(&g.id).to_owned(),
                            g.fields.name.clone(),
                            kind_words(g).into(),
                            if g.fields.admission == Admission::Open {
                                "open"
                            } else {
                                "closed"
                            }
                            .into(),
                            if g.archived {
                                "archived".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "NAME", "KIND", "ADMISSION", ""], &rows)
            })
        }
        GroupCommand::Show { group } => {
            let g = m.find_group(&group)?;
            let members = m.members(&g.id)?;
            let series = m.series(Some(&g.id))?;
            let value = serde_json::json!({ "group": g, "members": members, "meetings": series });
            out.emit(&value, || {
                let f = &g.fields;
                let mut text = fields(&[
                    ("Group", Some(f.name.clone())),
                    ("Id", Some(g.id.clone())),
                    ("Kind", Some(kind_words(&g).into())),
                    ("Sessions", f.planned_sessions.map(|n| n.to_string())),
                    (
                        "Admission",
                        Some(format!("{:?}", f.admission).to_lowercase()),
                    ),
                    ("Purpose", f.purpose.clone()),
                    ("Language", f.language.clone()),
                    ("Place", f.place.clone()),
                    ("Online", f.online_url.clone()),
                    ("Archived", g.archived.then(|| "yes".to_owned())),
                ]);
                if let Some(guidelines) = &f.guidelines {
                    text.push_str(&format!("\nGuidelines\n{guidelines}\n"));
                }
                text.push_str(&format!("\nMembers ({})\n", members.len()));
                for member in &members {
                    let roles: Vec<String> = member.roles.iter().map(Role::to_string).collect();
                    text.push_str(&format!("  {}  {}\n", member.pseudonym, roles.join(", ")));
                }
                text.push_str(&format!("\nMeeting series ({})\n", series.len()));
                for s in &series {
                    text.push_str(&format!(
                        "  {}  {}  {}\n",
                        short(&s.id),
                        s.title,
                        s.rrule.as_deref().unwrap_or("once")
                    ));
                }
                text
            })
        }
        GroupCommand::Edit { group, fields } => {
            let current = m.find_group(&group)?;
            let edited = apply(current.fields.clone(), fields)?;
            let g = m.update_group(&current.id, edited)?;
            out.done(&g, format!("Saved \"{}\".", g.fields.name))
        }
        GroupCommand::Archive { group, undo } => {
            let g = m.set_group_archived(&group, !undo)?;
            let verb = if undo { "Brought back" } else { "Archived" };
            out.done(&g, format!("{verb} \"{}\".", g.fields.name))
        }
        GroupCommand::Leave { group } => {
            let g = m.leave_group(&group)?;
            out.done(
                &g,
                format!(
                    "You left \"{}\". It no longer shows on your devices.",
                    g.fields.name
                ),
            )
        }
        GroupCommand::Members { group } => {
            let g = m.find_group(&group)?;
            let members = m.members(&g.id)?;
            out.emit(&members, || {
                let rows = members
                    .iter()
                    .map(|mb| {
                        vec![
                            short(&mb.member_id).to_owned(),
                            mb.pseudonym.clone(),
                            mb.roles
                                .iter()
                                .map(Role::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                        ]
                    })
                    .collect::<Vec<_>>();
                table(&["ID", "PSEUDONYM", "ROLES"], &rows)
            })
        }
        GroupCommand::Role {
            group,
            member,
            roles,
        } => {
            let roles = roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<mutua_core::Result<Vec<_>>>()?;
            let mb = m.set_member_roles(&group, &member, roles)?;
            let list = mb
                .roles
                .iter()
                .map(Role::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.done(&mb, format!("{} is now: {list}.", mb.pseudonym))
        }
    }
}

fn kind_words(g: &Group) -> &'static str {
    match g.fields.kind {
        GroupKind::MutualAid => "peer-led",
        GroupKind::Facilitated => "facilitated",
    }
}

/// Applies the flags that were given to `base`; an empty value clears an optional field.
fn apply(mut base: GroupFields, args: GroupFieldArgs) -> Result<GroupFields> {
    let opt = |v: String| if v.trim().is_empty() { None } else { Some(v) };
    if let Some(name) = args.name {
        base.name = name;
    }
    if let Some(kind) = args.kind {
        base.kind = match kind {
            KindArg::MutualAid => GroupKind::MutualAid,
            KindArg::Facilitated => GroupKind::Facilitated,
        };
        if base.kind == GroupKind::MutualAid {
            base.planned_sessions = None;
        }
    }
    if let Some(n) = args.sessions {
        base.planned_sessions = Some(n);
    }
    if let Some(a) = args.admission {
        base.admission = match a {
            AdmissionArg::Open => Admission::Open,
            AdmissionArg::Closed => Admission::Closed,
        };
    }
    if let Some(v) = args.purpose {
        base.purpose = opt(v);
    }
    if let Some(v) = args.language {
        base.language = opt(v);
    }
    if let Some(v) = args.place {
        base.place = opt(v);
    }
    if let Some(v) = args.online_url {
        base.online_url = opt(v);
    }
    if let Some(v) = args.guidelines {
        base.guidelines = opt(v);
    }
    if let Some(path) = args.guidelines_file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        base.guidelines = opt(text);
    }
    Ok(base)
}
