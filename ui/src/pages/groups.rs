//! The member's groups: the list, and one group's page (about, guidelines, members and roles,
//! meetings, calendar export, archive and leave).

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Admission, Group, GroupDetail, GroupKind, OccurrenceDate, Series};

use crate::app::{Screen, Thread, use_ui};
use crate::components::{Confirm, LoadError, Loading};
use crate::dates::time_text;
use crate::i18n::{Key, date_long, describe_rule, fill, language_name, role_label};
use crate::ipc;
use crate::pages::occurrence::Whereabouts;
use crate::pages::sync::{JoinRequestsPanel, RemoveMemberButton};
use crate::recurrence::Rule;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let ui = use_ui();
    let show_archived = RwSignal::new(false);
    let groups = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ipc::groups(show_archived.get())
    });
    view! {
        <div class="page-head">
            <h1 tabindex="-1">{move || ui.t(Key::NavGroups)}</h1>
            <button
                type="button"
                class="primary"
                data-testid="groups-new"
                on:click=move |_| ui.go(Screen::GroupNew)
            >
                {move || ui.t(Key::NewGroup)}
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="groups-join"
                on:click=move |_| ui.go(Screen::Join)
            >
                {move || ui.t(Key::JoinGroupButton)}
            </button>
        </div>
        <JoinRequestsPanel />
        <label class="choice">
            <input
                type="checkbox"
                data-testid="groups-show-archived"
                prop:checked=move || show_archived.get()
                on:change=move |ev| show_archived.set(event_target_checked(&ev))
            />
            <span>{move || ui.t(Key::ShowArchived)}</span>
        </label>
        {move || match groups.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! {
                    <p class="empty" data-testid="groups-empty">
                        {move || ui.t(Key::NoGroups)}
                    </p>
                }
                    .into_any()
            }
            Some(Ok(list)) => {
                view! {
                    <ul class="cards" data-testid="groups-list">
                        {list.into_iter().map(|group| view! { <GroupItem group /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn GroupItem(group: Group) -> impl IntoView {
    let ui = use_ui();
    let screen = Screen::Group(group.id.clone());
    let form = group.form.clone();
    let kind = form.kind;
    let admission = form.admission;
    view! {
        <li class="card-item" data-testid="group-item" data-name=form.name.clone()>
            <button
                type="button"
                class="card-button"
                data-testid="group-open"
                on:click=move |_| ui.go(screen.clone())
            >
                <span class="card-title">{form.name.clone()}</span>
                <span class="muted">
                    {move || kind_name(kind, ui.lang.get())} " · "
                    {move || admission_name(admission, ui.lang.get())}
                    {group
                        .archived
                        .then(|| {
                            view! {
                                " · "
                                {move || ui.t(Key::Archived)}
                            }
                        })}
                </span>
                {form
                    .purpose
                    .clone()
                    .map(|purpose| view! { <span class="card-text">{purpose}</span> })}
            </button>
        </li>
    }
}

pub fn kind_name(kind: GroupKind, lang: crate::i18n::Lang) -> &'static str {
    crate::i18n::text(
        match kind {
            GroupKind::MutualAid => Key::KindMutualAid,
            GroupKind::Facilitated => Key::KindFacilitated,
        },
        lang,
    )
}

pub fn admission_name(admission: Admission, lang: crate::i18n::Lang) -> &'static str {
    crate::i18n::text(
        match admission {
            Admission::Open => Key::AdmissionOpen,
            Admission::Closed => Key::AdmissionClosed,
        },
        lang,
    )
}

#[component]
pub fn GroupPage(id: String) -> impl IntoView {
    let ui = use_ui();
    let detail = {
        let id = id.clone();
        LocalResource::new(move || {
            ui.version.track();
            ui.synced.track();
            let id = id.clone();
            async move { ipc::group(&id).await }
        })
    };
    view! {
        {move || match detail.get() {
            None => {
                view! {
                    <h1 tabindex="-1">{move || ui.t(Key::NavGroups)}</h1>
                    <Loading />
                }
                    .into_any()
            }
            Some(Err(error)) => {
                view! {
                    <h1 tabindex="-1">{move || ui.t(Key::NavGroups)}</h1>
                    <LoadError message=ui.explain(&error) />
                    <button type="button" class="secondary" on:click=move |_| ui.go(Screen::Groups)>
                        {move || ui.t(Key::BackToGroups)}
                    </button>
                }
                    .into_any()
            }
            Some(Ok(detail)) => view! { <GroupDetailView detail /> }.into_any(),
        }}
    }
}

#[component]
fn GroupDetailView(detail: GroupDetail) -> impl IntoView {
    let ui = use_ui();
    let group = detail.group.clone();
    let form = group.form.clone();
    let id = group.id.clone();
    let name = form.name.clone();
    let export_error = RwSignal::new(None::<String>);
    let exporting = RwSignal::new(false);

    let export = {
        let (id, name) = (id.clone(), name.clone());
        move |_| {
            if exporting.get_untracked() {
                return;
            }
            let (id, name) = (id.clone(), name.clone());
            exporting.set(true);
            export_error.set(None);
            spawn_local(async move {
                let suggested = format!("{}.ics", file_slug(&name));
                let result = match ipc::choose_save_path(&suggested).await {
                    Ok(Some(path)) => ipc::export_group_ics(&id, &path).await.map(|()| Some(path)),
                    Ok(None) => Ok(None),
                    Err(error) => Err(error),
                };
                match result {
                    Ok(Some(path)) => ui.say(fill(ui.t(Key::CalendarExported), &[&path])),
                    Ok(None) => {}
                    Err(error) => export_error.set(Some(ui.explain(&error))),
                }
                exporting.set(false);
            });
        }
    };
    let archive = {
        let (id, archived) = (id.clone(), group.archived);
        Callback::new(move |()| {
            let id = id.clone();
            spawn_local(async move {
                match ipc::archive_group(&id, !archived).await {
                    Ok(_) => {
                        ui.say(ui.t(if archived {
                            Key::GroupUnarchived
                        } else {
                            Key::GroupArchived
                        }));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    let leave = {
        let (id, name) = (id.clone(), name.clone());
        Callback::new(move |()| {
            let (id, name) = (id.clone(), name.clone());
            spawn_local(async move {
                match ipc::leave_group(&id).await {
                    Ok(()) => {
                        ui.go(Screen::Groups);
                        ui.say(fill(ui.t(Key::LeftGroup), &[&name]));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    let kind = form.kind;
    let admission = form.admission;
    let language = form.language.clone();
    let planned = form.planned_sessions;
    let edit = Screen::GroupEdit(id.clone());
    let invite = Screen::Invite {
        group_id: id.clone(),
        group_name: name.clone(),
    };
    // Facilitators and co-hosts may remove members (the core checks it again).
    let can_remove = detail
        .members
        .iter()
        .any(|m| m.is_me && m.roles.iter().any(|r| r == "facilitator" || r == "co-host"));
    let add_meeting = Screen::SeriesNew {
        group_id: Some(id.clone()),
    };
    let members = detail.members.clone();
    let series = detail.series.clone();

    view! {
        <div class="page-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="group-back"
                    on:click=move |_| ui.go(Screen::Groups)
                >
                    {move || ui.t(Key::BackToGroups)}
                </button>
                <h1 tabindex="-1" data-testid="group-title">
                    {name.clone()}
                </h1>
                <p class="muted">
                    {move || kind_name(kind, ui.lang.get())} " · "
                    {move || admission_name(admission, ui.lang.get())}
                    {language
                        .clone()
                        .map(|code| {
                            view! {
                                " · "
                                {move || language_name(&code, ui.lang.get())}
                            }
                        })}
                    {group
                        .archived
                        .then(|| {
                            view! {
                                " · "
                                <strong>{move || ui.t(Key::Archived)}</strong>
                            }
                        })}
                </p>
            </div>
        </div>
        <div class="toolbar" role="group" aria-label=move || ui.t(Key::GroupActions)>
            <button
                type="button"
                class="secondary"
                data-testid="group-messages"
                on:click={
                    let thread = Screen::Thread(Thread::Conversation(format!("group:{id}")));
                    move |_| ui.go(thread.clone())
                }
            >
                {move || ui.t(Key::OpenThread)}
            </button>
            <button
                type="button"
                class="primary"
                data-testid="group-add-meeting"
                on:click=move |_| ui.go(add_meeting.clone())
            >
                {move || ui.t(Key::AddMeeting)}
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="group-invite"
                on:click=move |_| ui.go(invite.clone())
            >
                {move || ui.t(Key::InviteButton)}
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="group-edit"
                on:click=move |_| ui.go(edit.clone())
            >
                {move || ui.t(Key::EditGroup)}
            </button>
            <button
                type="button"
                class="secondary"
                data-testid="group-export-ics"
                disabled=move || exporting.get()
                on:click=export
            >
                {move || ui.t(Key::ExportIcs)}
            </button>
            <Confirm
                label=if group.archived { Key::Unarchive } else { Key::Archive }
                question=if group.archived { Key::UnarchiveQuestion } else { Key::ArchiveQuestion }
                yes=if group.archived { Key::Unarchive } else { Key::YesArchive }
                testid="group-archive"
                on_yes=archive
            />
            <Confirm
                label=Key::LeaveGroup
                question=Key::LeaveQuestion
                yes=Key::YesLeave
                testid="group-leave"
                on_yes=leave
            />
        </div>
        <p class="form-error" aria-live="polite" data-testid="group-export-error">
            {move || export_error.get()}
        </p>
        <div class="two-columns">
            <section class="panel" aria-labelledby="group-about-h">
                <h2 id="group-about-h">{move || ui.t(Key::About)}</h2>
                {form
                    .purpose
                    .clone()
                    .map(|purpose| {
                        view! {
                            <p data-testid="group-purpose" class="prewrap">
                                {purpose}
                            </p>
                        }
                    })}
                <dl class="facts">
                    {planned
                        .map(|n| {
                            view! {
                                <dt>{move || ui.t(Key::PlannedSessions)}</dt>
                                <dd>{n}</dd>
                            }
                        })}
                    {form
                        .place
                        .clone()
                        .map(|place| {
                            view! {
                                <dt>{move || ui.t(Key::Place)}</dt>
                                <dd data-testid="group-place">{place}</dd>
                            }
                        })}
                    {form
                        .online_url
                        .clone()
                        .map(|url| {
                            view! {
                                <dt>{move || ui.t(Key::OnlineLink)}</dt>
                                <dd>
                                    <a href=url.clone() target="_blank" rel="noopener noreferrer">
                                        {url.clone()}
                                    </a>
                                </dd>
                            }
                        })}
                </dl>
            </section>
            <section class="panel" aria-labelledby="group-guidelines-h">
                <h2 id="group-guidelines-h">{move || ui.t(Key::Guidelines)}</h2>
                {match form.guidelines.clone() {
                    Some(text) => {
                        view! {
                            <p class="prewrap" data-testid="group-guidelines">
                                {text}
                            </p>
                        }
                            .into_any()
                    }
                    None => {
                        view! { <p class="empty">{move || ui.t(Key::NoGuidelines)}</p> }.into_any()
                    }
                }}
            </section>
        </div>
        <section class="panel" aria-labelledby="group-members-h">
            <h2 id="group-members-h">{move || ui.t(Key::Members)}</h2>
            <ul class="list" data-testid="group-members">
                {members
                    .into_iter()
                    .map(|member| {
                        let roles = member.roles.clone();
                        view! {
                            <li
                                class="list-item"
                                data-testid="member-item"
                                data-name=member.pseudonym.clone()
                            >
                                <span>
                                    <strong>{member.pseudonym.clone()}</strong>
                                    {member
                                        .is_me
                                        .then(|| {
                                            view! {
                                                <span class="badge">{move || ui.t(Key::You)}</span>
                                            }
                                        })}
                                </span>
                                <span class="muted">
                                    {move || {
                                        let lang = ui.lang.get();
                                        roles
                                            .iter()
                                            .map(|r| role_label(r, lang))
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    }}
                                </span>
                                {(can_remove && !member.is_me)
                                    .then(|| {
                                        view! {
                                            <RemoveMemberButton
                                                group_id=id.clone()
                                                member_id=member.member_id.clone()
                                                name=member.pseudonym.clone()
                                            />
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section class="panel" aria-labelledby="group-meetings-h">
            <h2 id="group-meetings-h">{move || ui.t(Key::Meetings)}</h2>
            {if series.is_empty() {
                view! {
                    <p class="empty" data-testid="group-meetings-empty">
                        {move || ui.t(Key::NoSeries)}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="list" data-testid="group-series">
                        {series
                            .into_iter()
                            .map(|s| view! { <SeriesItem series=s /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

/// A meeting series on its group's page: its rule in words, and its cancelled dates.
#[component]
fn SeriesItem(series: Series) -> impl IntoView {
    let ui = use_ui();
    let form = series.form.clone();
    let rule = Rule::parse(form.rrule.as_deref());
    let start = form.start;
    let zone = form.time_zone.replace('_', " ");
    let description = move || {
        let lang = ui.lang.get();
        format!(
            "{} · {} {} ({})",
            describe_rule(&rule, lang),
            fill(
                crate::i18n::text(Key::FromDate, lang),
                &[&date_long(start.date(), lang)]
            ),
            time_text(start.time()),
            zone
        )
    };
    let edit = Screen::SeriesEdit {
        group_id: series.group_id.clone(),
        series_id: series.id.clone(),
    };
    let delete = {
        let id = series.id.clone();
        Callback::new(move |()| {
            let id = id.clone();
            spawn_local(async move {
                match ipc::delete_series(&id).await {
                    Ok(()) => {
                        ui.say(ui.t(Key::SeriesDeleted));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    let cancelled = series.cancelled.clone();
    let series_id = series.id.clone();
    view! {
        <li class="list-item series" data-testid="series-item" data-title=form.title.clone()>
            <strong>{form.title.clone()}</strong>
            <span data-testid="series-description">{description}</span>
            <Whereabouts format=form.format place=form.place.clone() link=form.online_url.clone() />
            <div class="row-actions">
                <button
                    type="button"
                    class="secondary"
                    data-testid="series-edit"
                    on:click=move |_| ui.go(edit.clone())
                >
                    {move || ui.t(Key::EditSeries)}
                </button>
                <Confirm
                    label=Key::DeleteSeries
                    question=Key::DeleteSeriesQuestion
                    yes=Key::YesDelete
                    testid="series-delete"
                    on_yes=delete
                />
            </div>
            {(!cancelled.is_empty())
                .then(|| {
                    view! {
                        <div class="cancelled-list">
                            <h3>{move || ui.t(Key::CancelledMeetings)}</h3>
                            <ul>
                                {cancelled
                                    .into_iter()
                                    .map(|at| {
                                        view! { <CancelledDate series_id=series_id.clone() at /> }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })}
        </li>
    }
}

/// A cancelled meeting, with a button to restore it.
#[component]
pub fn CancelledDate(
    series_id: String,
    at: chrono::NaiveDateTime,
    /// Only the button (the row around it already says when).
    #[prop(optional)]
    compact: bool,
) -> impl IntoView {
    let ui = use_ui();
    let restore = move |_| {
        let request = OccurrenceDate {
            series_id: series_id.clone(),
            date: at.date(),
        };
        spawn_local(async move {
            match ipc::restore_occurrence(&request).await {
                Ok(_) => {
                    ui.say(fill(
                        ui.t(Key::MeetingRestored),
                        &[&date_long(at.date(), ui.lang.get_untracked())],
                    ));
                    ui.changed();
                }
                Err(error) => ui.say(ui.explain(&error)),
            }
        });
    };
    view! {
        <li data-testid="cancelled-item" data-date=at.date().to_string()>
            {(!compact)
                .then(|| {
                    view! {
                        <span class="struck">
                            {move || {
                                format!(
                                    "{} {}",
                                    date_long(at.date(), ui.lang.get()),
                                    time_text(at.time()),
                                )
                            }}
                        </span>
                        " "
                    }
                })}
            <button
                type="button"
                class="secondary"
                data-testid="occurrence-restore"
                aria-label=move || {
                    format!("{} — {}", ui.t(Key::Restore), date_long(at.date(), ui.lang.get()))
                }
                on:click=restore
            >
                {move || ui.t(Key::Restore)}
            </button>
        </li>
    }
}

/// A file name from a group name: letters and digits, dashes between words.
fn file_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "group".to_owned()
    } else {
        slug
    }
}
