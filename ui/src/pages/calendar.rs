//! The calendar across all groups: an agenda (a list by day) and a month grid, a month at a
//! time. Cancelled meetings stay visible (struck through, with "Restore"), read from the
//! groups' series because the calendar answer leaves them out.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use leptos::prelude::*;
use mutua_api::{ApiError, Occurrence};

use crate::app::{Screen, use_ui};
use crate::components::{LoadError, Loading};
use crate::dates::{add_months, first_of_month, last_of_month, month_grid, time_text};
use crate::i18n::{Key, date_long, fill, month_year, plural, weekday_name, weekday_short};
use crate::ipc;
use crate::pages::groups::CancelledDate;
use crate::pages::occurrence::OccurrenceRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarView {
    Agenda,
    Month,
}

/// A cancelled meeting: only its own wall clock is known (no conversion without the core).
#[derive(Debug, Clone, PartialEq)]
struct Cancelled {
    series_id: String,
    title: String,
    group_name: String,
    at: NaiveDateTime,
    time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Day {
    meetings: Vec<Occurrence>,
    cancelled: Vec<Cancelled>,
}

/// The month's meetings and cancellations by day.
async fn load_month(month: NaiveDate) -> Result<BTreeMap<NaiveDate, Day>, ApiError> {
    let (from, to) = (first_of_month(month), last_of_month(month));
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for occurrence in ipc::calendar(from, to).await? {
        days.entry(occurrence.start_viewer.date())
            .or_default()
            .meetings
            .push(occurrence);
    }
    // Cancellations are best effort: the meetings above are what matters.
    if let Ok(groups) = ipc::groups(false).await {
        for group in groups {
            let Ok(detail) = ipc::group(&group.id).await else {
                continue;
            };
            for series in detail.series {
                for at in series.cancelled {
                    if at.date() >= from && at.date() <= to {
                        days.entry(at.date())
                            .or_default()
                            .cancelled
                            .push(Cancelled {
                                series_id: series.id.clone(),
                                title: series.form.title.clone(),
                                group_name: group.form.name.clone(),
                                at,
                                time_zone: series.form.time_zone.clone(),
                            });
                    }
                }
            }
        }
    }
    Ok(days)
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let ui = use_ui();
    let view_mode = ui.calendar_view;
    let data = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        load_month(ui.month.get())
    });
    let today = ui.today();
    let selected = RwSignal::new(pick_day(ui.month.get_untracked(), today));
    // A new month selects today (if shown) or its first day, so the grid has a focus stop.
    Effect::new(move |_| {
        let month = ui.month.get();
        if first_of_month(selected.get_untracked()) != month {
            selected.set(pick_day(month, today));
        }
    });
    let label = move || month_year(ui.month.get(), ui.lang.get());

    view! {
        <div class="page-head">
            <h1 tabindex="-1">{move || ui.t(Key::NavCalendar)}</h1>
            <button
                type="button"
                class="primary"
                data-testid="calendar-add-meeting"
                on:click=move |_| {
                    ui.go(Screen::SeriesNew {
                        group_id: None,
                    })
                }
            >
                {move || ui.t(Key::AddMeeting)}
            </button>
        </div>
        <div class="toolbar calendar-toolbar">
            <div class="segmented" role="group" aria-label=move || ui.t(Key::CalendarViewLabel)>
                <button
                    type="button"
                    data-testid="calendar-view-agenda"
                    aria-pressed=move || {
                        if view_mode.get() == CalendarView::Agenda { "true" } else { "false" }
                    }
                    on:click=move |_| view_mode.set(CalendarView::Agenda)
                >
                    {move || ui.t(Key::Agenda)}
                </button>
                <button
                    type="button"
                    data-testid="calendar-view-month"
                    aria-pressed=move || {
                        if view_mode.get() == CalendarView::Month { "true" } else { "false" }
                    }
                    on:click=move |_| view_mode.set(CalendarView::Month)
                >
                    {move || ui.t(Key::Month)}
                </button>
            </div>
            <div class="month-nav" role="group" aria-label=move || ui.t(Key::ChangeMonth)>
                <button
                    type="button"
                    class="secondary"
                    data-testid="calendar-prev"
                    aria-label=move || ui.t(Key::PreviousMonth)
                    on:click=move |_| ui.month.update(|m| *m = add_months(*m, -1))
                >
                    "‹"
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="calendar-today"
                    on:click=move |_| ui.month.set(first_of_month(today))
                >
                    {move || ui.t(Key::ThisMonth)}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="calendar-next"
                    aria-label=move || ui.t(Key::NextMonth)
                    on:click=move |_| ui.month.update(|m| *m = add_months(*m, 1))
                >
                    "›"
                </button>
            </div>
        </div>
        <h2 class="month-label" aria-live="polite" data-testid="calendar-month-label">
            {label}
        </h2>
        {move || match data.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(days)) => {
                match view_mode.get() {
                    CalendarView::Agenda => view! { <Agenda days /> }.into_any(),
                    CalendarView::Month => view! { <MonthGrid days selected today /> }.into_any(),
                }
            }
        }}
    }
}

fn pick_day(month: NaiveDate, today: NaiveDate) -> NaiveDate {
    if first_of_month(today) == month {
        today
    } else {
        first_of_month(month)
    }
}

#[component]
fn Agenda(days: BTreeMap<NaiveDate, Day>) -> impl IntoView {
    let ui = use_ui();
    if days.is_empty() {
        return view! {
            <p class="empty" data-testid="agenda-empty">
                {move || fill(
                    ui.t(Key::NoMeetingsThisMonth),
                    &[&month_year(ui.month.get(), ui.lang.get())],
                )}
            </p>
        }
        .into_any();
    }
    view! {
        <div class="agenda" data-testid="agenda">
            {days
                .into_iter()
                .map(|(date, day)| {
                    view! {
                        <section
                            class="agenda-day"
                            data-testid="agenda-day"
                            data-date=date.to_string()
                        >
                            <h3>{move || date_long(date, ui.lang.get())}</h3>
                            <DayList day />
                        </section>
                    }
                })
                .collect_view()}
        </div>
    }
    .into_any()
}

/// A day's meetings with their actions, then its cancelled meetings.
#[component]
fn DayList(day: Day) -> impl IntoView {
    let ui = use_ui();
    let viewer_zone = ui.zone_untracked();
    view! {
        <ul class="list">
            {day
                .meetings
                .into_iter()
                .map(|occurrence| view! { <OccurrenceRow occurrence /> })
                .collect_view()}
            {day
                .cancelled
                .into_iter()
                .map(|c| {
                    let zone = if c.time_zone == viewer_zone {
                        String::new()
                    } else {
                        format!(" ({})", c.time_zone.replace('_', " "))
                    };
                    let at = c.at;
                    // Only the meeting's own clock is known; name its zone when it is not ours.
                    view! {
                        <li
                            class="occurrence cancelled"
                            data-testid="agenda-row-cancelled"
                            data-date=at.date().to_string()
                            data-title=c.title.clone()
                        >
                            <div class="occurrence-main">
                                <span class="when struck">
                                    {format!("{}{zone}", time_text(at.time()))}
                                </span>
                                <span class="title">
                                    <strong class="struck">{c.title.clone()}</strong>
                                    <span class="group-name">" · " {c.group_name.clone()}</span>
                                    <span class="badge badge-cancelled">
                                        {move || ui.t(Key::Cancelled)}
                                    </span>
                                </span>
                            </div>
                            <ul class="row-actions plain">
                                <CancelledDate series_id=c.series_id.clone() at compact=true />
                            </ul>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

#[component]
fn MonthGrid(
    days: BTreeMap<NaiveDate, Day>,
    selected: RwSignal<NaiveDate>,
    today: NaiveDate,
) -> impl IntoView {
    let ui = use_ui();
    let month = ui.month.get_untracked();
    let weeks = month_grid(month);
    let weekday_heads = crate::recurrence::WEEKDAYS
        .into_iter()
        .map(|day| {
            view! {
                <th scope="col">
                    <abbr title=move || weekday_name(
                        day,
                        ui.lang.get(),
                    )>{move || weekday_short(day, ui.lang.get())}</abbr>
                </th>
            }
        })
        .collect_view();
    let move_to = move |date: NaiveDate| {
        if first_of_month(date) != ui.month.get_untracked() {
            ui.month.set(first_of_month(date));
        }
        selected.set(date);
        request_animation_frame(move || {
            if let Some(button) = document()
                .get_element_by_id(&format!("day-{date}"))
                .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
            {
                let _ = button.focus();
            }
        });
    };
    let rows = weeks
        .into_iter()
        .map(|week| {
            let cells = week
                .into_iter()
                .map(|date| {
                    let day = days.get(&date).cloned().unwrap_or_default();
                    let in_month = date.month() == month.month();
                    let count = day.meetings.len();
                    let mut class = String::from("day");
                    if !in_month {
                        class.push_str(" outside");
                    }
                    if date == today {
                        class.push_str(" today");
                    }
                    if count > 0 {
                        class.push_str(" has-meetings");
                    }
                    let aria = move || {
                        let lang = ui.lang.get();
                        let mut text = date_long(date, lang);
                        text.push_str(", ");
                        text.push_str(&plural(
                            count as u32,
                            Key::OneMeeting,
                            Key::ManyMeetings,
                            lang,
                        ));
                        if date == today {
                            text.push_str(", ");
                            text.push_str(crate::i18n::text(Key::TodayWord, lang));
                        }
                        text
                    };
                    let is_selected = move || selected.get() == date;
                    let keydown = move |ev: leptos::ev::KeyboardEvent| {
                        let step = match ev.key().as_str() {
                            "ArrowLeft" => -1,
                            "ArrowRight" => 1,
                            "ArrowUp" => -7,
                            "ArrowDown" => 7,
                            _ => return,
                        };
                        ev.prevent_default();
                        move_to(date + Duration::days(step));
                    };
                    let items = day
                        .meetings
                        .iter()
                        .map(|occ| {
                            view! {
                                <li data-testid="month-meeting" data-title=occ.title.clone()>
                                    <span class="time">{time_text(occ.start_viewer.time())}</span>
                                    " "
                                    {occ.title.clone()}
                                </li>
                            }
                        })
                        .collect_view();
                    let cancelled = day
                        .cancelled
                        .iter()
                        .map(|c| {
                            view! {
                                <li
                                    class="struck"
                                    data-testid="month-meeting-cancelled"
                                    data-title=c.title.clone()
                                >
                                    <span class="time">{time_text(c.at.time())}</span>
                                    " "
                                    {c.title.clone()}
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <td class=class data-testid=format!("month-day-{date}")>
                            <button
                                type="button"
                                class="day-number"
                                id=format!("day-{date}")
                                tabindex=move || if is_selected() { "0" } else { "-1" }
                                aria-pressed=move || if is_selected() { "true" } else { "false" }
                                aria-label=aria
                                on:click=move |_| selected.set(date)
                                on:keydown=keydown
                            >
                                {date.day()}
                            </button>
                            <ul class="day-meetings" aria-hidden="true">
                                {items}
                                {cancelled}
                            </ul>
                        </td>
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    let detail = move || {
        let date = selected.get();
        let day = days.get(&date).cloned().unwrap_or_default();
        let empty = day.meetings.is_empty() && day.cancelled.is_empty();
        view! {
            <section
                class="panel selected-day"
                data-testid="month-selected-day"
                data-date=date.to_string()
            >
                <h3>{move || date_long(date, ui.lang.get())}</h3>
                {if empty {
                    view! { <p class="empty">{move || ui.t(Key::NoMeetingsThisDay)}</p> }.into_any()
                } else {
                    view! { <DayList day /> }.into_any()
                }}
            </section>
        }
    };
    view! {
        <p class="hint">{move || ui.t(Key::MonthKeyboardHint)}</p>
        <div class="month-wrap">
            <table class="month" data-testid="month-grid">
                <caption class="visually-hidden">
                    {move || month_year(ui.month.get(), ui.lang.get())}
                </caption>
                <thead>
                    <tr>{weekday_heads}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {detail}
    }
}
