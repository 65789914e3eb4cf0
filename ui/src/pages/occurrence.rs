//! One meeting on a list (Today, the agenda, a day of the month view): when it is in the
//! viewer's zone (and in its own when that differs), where, and what can be done with it.

use chrono::{Duration, NaiveDateTime};
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{MeetingFormat, MoveOccurrence, Occurrence, OccurrenceDate};

use crate::app::{Screen, use_ui};
use crate::components::{
    Confirm, DateField, FieldError, FormError, FormErrors, described, invalid,
};
use crate::dates::{parse_date, parse_time, time_text};
use crate::i18n::{Key, date_long, date_short, fill, format_name};
use crate::ipc;

/// "19:00–20:30" in the viewer's zone, plus "(18:00 Europe/London)" when the meeting's own
/// wall clock differs.
pub fn when_text(occurrence: &Occurrence, lang: crate::i18n::Lang, with_date: bool) -> String {
    let minutes = (occurrence.end_utc - occurrence.start_utc).num_minutes();
    let end = occurrence.start_viewer + Duration::minutes(minutes);
    let mut out = String::new();
    if with_date {
        out.push_str(&date_short(occurrence.start_viewer.date(), lang));
        out.push_str(", ");
    }
    out.push_str(&time_text(occurrence.start_viewer.time()));
    out.push('–');
    out.push_str(&time_text(end.time()));
    if occurrence.start_local != occurrence.start_viewer {
        out.push_str(&format!(
            " ({} {})",
            time_text(occurrence.start_local.time()),
            occurrence.time_zone.replace('_', " ")
        ));
    }
    out
}

/// Where: the place, the join link, or both.
#[component]
pub fn Whereabouts(
    format: MeetingFormat,
    place: Option<String>,
    link: Option<String>,
) -> impl IntoView {
    let ui = use_ui();
    view! {
        <span class="where">
            <span class="format">{move || format_name(format, ui.lang.get())}</span>
            {place.map(|place| view! { <span class="place">" · " {place}</span> })}
            {link
                .map(|link| {
                    view! {
                        " · "
                        <a href=link.clone() target="_blank" rel="noopener noreferrer" class="join">
                            {move || ui.t(Key::JoinLink)}
                            <span class="visually-hidden">" " {link.clone()}</span>
                        </a>
                    }
                })}
        </span>
    }
}

/// A meeting with its actions: move, cancel (confirmed), edit the series.
#[component]
pub fn OccurrenceRow(occurrence: Occurrence, #[prop(optional)] with_date: bool) -> impl IntoView {
    let ui = use_ui();
    let moving = RwSignal::new(false);
    let occ = occurrence.clone();
    let when = {
        let occ = occ.clone();
        move || when_text(&occ, ui.lang.get(), with_date)
    };
    let cancel = {
        let request = OccurrenceDate {
            series_id: occ.series_id.clone(),
            date: occ.original_start.date(),
        };
        let day = occ.start_viewer.date();
        Callback::new(move |()| {
            let request = request.clone();
            spawn_local(async move {
                match ipc::cancel_occurrence(&request).await {
                    Ok(_) => {
                        ui.say(fill(
                            ui.t(Key::MeetingCancelled),
                            &[&date_long(day, ui.lang.get_untracked())],
                        ));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    let edit_target = Screen::SeriesEdit {
        group_id: occ.group_id.clone(),
        series_id: occ.series_id.clone(),
    };
    view! {
        <li
            class="occurrence"
            data-testid="agenda-row"
            data-date=occ.start_viewer.date().to_string()
            data-title=occ.title.clone()
            data-series=occ.series_id.clone()
        >
            <div class="occurrence-main">
                <span class="when" data-testid="occurrence-when">
                    {when}
                </span>
                <span class="title">
                    <strong>{occ.title.clone()}</strong>
                    <span class="group-name">" · " {occ.group_name.clone()}</span>
                    {occ
                        .moved
                        .then(|| view! { <span class="badge">{move || ui.t(Key::Moved)}</span> })}
                </span>
                <Whereabouts
                    format=occ.format
                    place=occ.place.clone()
                    link=occ.online_url.clone()
                />
            </div>
            <div class="row-actions">
                <button
                    type="button"
                    class="secondary"
                    data-testid="occurrence-move"
                    aria-expanded=move || if moving.get() { "true" } else { "false" }
                    on:click=move |_| moving.update(|m| *m = !*m)
                >
                    {move || ui.t(Key::MoveMeeting)}
                </button>
                <Confirm
                    label=Key::CancelMeeting
                    question=Key::CancelMeetingQuestion
                    yes=Key::YesCancelMeeting
                    testid="occurrence-cancel"
                    on_yes=cancel
                />
                <button
                    type="button"
                    class="link-button"
                    data-testid="occurrence-edit-series"
                    on:click=move |_| ui.go(edit_target.clone())
                >
                    {move || ui.t(Key::EditSeries)}
                </button>
            </div>
            <Show when=move || moving.get()>
                <MoveForm
                    occurrence=occurrence.clone()
                    done=Callback::new(move |()| moving.set(false))
                />
            </Show>
        </li>
    }
}

/// New date and time for one meeting, in the meeting's own zone.
#[component]
fn MoveForm(occurrence: Occurrence, done: Callback<()>) -> impl IntoView {
    let ui = use_ui();
    let date = RwSignal::new(occurrence.start_local.date().to_string());
    let time = RwSignal::new(time_text(occurrence.start_local.time()));
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let zone = occurrence.time_zone.clone();
    let series_id = occurrence.series_id.clone();
    let original = occurrence.original_start;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut found = FormErrors::default();
        let day = parse_date(&date.get_untracked());
        let at = parse_time(&time.get_untracked());
        if day.is_none() {
            found.field("date", Key::ErrDate);
        }
        if at.is_none() {
            found.field("time", Key::ErrTime);
        }
        errors.set(found.clone());
        let (Some(day), Some(at)) = (day, at) else {
            return;
        };
        let request = MoveOccurrence {
            series_id: series_id.clone(),
            original,
            to: NaiveDateTime::new(day, at),
        };
        pending.set(true);
        spawn_local(async move {
            match ipc::move_occurrence(&request).await {
                Ok(saved) => {
                    done.run(());
                    ui.say(match saved.note {
                        Some(note) => format!("{} {note}", ui.t(Key::MeetingMoved)),
                        None => ui.t(Key::MeetingMoved).to_owned(),
                    });
                    ui.changed();
                }
                Err(error) => {
                    let mut found = FormErrors::default();
                    found.form(ui.explain(&error));
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let key = format!(
        "{}-{}",
        occurrence.series_id,
        original.format("%Y%m%dT%H%M")
    );
    let date_id = format!("move-date-{key}");
    let time_id = format!("move-time-{key}");
    let hint = move || fill(ui.t(Key::MoveHint), &[&zone.replace('_', " ")]);
    view! {
        <form class="inline-form" novalidate on:submit=submit data-testid="occurrence-move-form">
            <p class="hint">{hint}</p>
            <div class="field-row">
                <DateField
                    id=date_id.clone()
                    testid="occurrence-move-date"
                    label=Key::NewDate
                    value=date
                    errors
                    field="date"
                />
                <div class="field">
                    <label for=time_id.clone()>{move || ui.t(Key::NewTime)}</label>
                    <input
                        id=time_id.clone()
                        data-testid="occurrence-move-time"
                        type="time"
                        aria-invalid=invalid(errors, "time")
                        aria-describedby=described(errors, "time", time_id.clone())
                        bind:value=time
                    />
                    <FieldError
                        errors
                        field="time"
                        id=time_id.clone()
                        testid="occurrence-move-time"
                    />
                </div>
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="occurrence-move-save"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { ui.t(Key::Saving) } else { ui.t(Key::MoveSave) }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="occurrence-move-cancel"
                    on:click=move |_| done.run(())
                >
                    {move || ui.t(Key::Back)}
                </button>
                <FormError errors testid="occurrence-move-error" />
            </div>
        </form>
    }
}
