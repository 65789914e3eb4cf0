//! Today: the next meetings, who can be reached now, a one-tap mood check-in and the latest
//! journal entries — what a member opens the app for on an ordinary day.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Entry, EntryForm, Occurrence, Reachable};

use crate::app::{Screen, use_ui};
use crate::components::{LoadError, Loading, MoodBadge, MoodFace};
use crate::dates::time_text;
use crate::i18n::{Key, date_short, emotion_label, fill, mood_word, relative_until};
use crate::ipc;
use crate::pages::occurrence::{Whereabouts, when_text};

#[component]
pub fn TodayPage() -> impl IntoView {
    let ui = use_ui();
    let today = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ipc::today()
    });
    let greeting = move || match ui.profile.get() {
        Some(profile) => fill(ui.t(Key::Hello), &[&profile.pseudonym]),
        None => ui.t(Key::NavToday).to_owned(),
    };

    view! {
        <h1 tabindex="-1" data-testid="today-title">
            {greeting}
        </h1>
        <MoodCheckIn />
        {move || match today.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(today)) => {
                let now = today.now_utc;
                view! {
                    <div class="today-grid">
                        <section class="panel" aria-labelledby="today-meetings-h">
                            <h2 id="today-meetings-h">{move || ui.t(Key::NextMeetings)}</h2>
                            <NextMeetings meetings=today.next_meetings now />
                        </section>
                        <section class="panel" aria-labelledby="today-reach-h">
                            <h2 id="today-reach-h">{move || ui.t(Key::ReachNow)}</h2>
                            <ReachList people=today.reachable testid="today-reach" />
                        </section>
                        <section class="panel" aria-labelledby="today-journal-h">
                            <h2 id="today-journal-h">{move || ui.t(Key::RecentJournal)}</h2>
                            <RecentEntries entries=today.recent_entries />
                        </section>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn NextMeetings(meetings: Vec<Occurrence>, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let ui = use_ui();
    let today = ui.today();
    if meetings.is_empty() {
        return view! {
            <p class="empty" data-testid="today-meetings-empty">
                {move || ui.t(Key::NoMeetingsSoon)}
            </p>
            <button type="button" class="secondary" on:click=move |_| ui.go(Screen::Calendar)>
                {move || ui.t(Key::OpenCalendar)}
            </button>
        }
        .into_any();
    }
    view! {
        <ul class="list" data-testid="today-meetings">
            {meetings
                .into_iter()
                .map(|occ| {
                    let countdown = {
                        let span = (occ.start_utc, occ.end_utc);
                        let days = (today, occ.start_viewer.date());
                        move || relative_until(now, span, days, ui.lang.get())
                    };
                    let when = {
                        let occ = occ.clone();
                        move || when_text(&occ, ui.lang.get(), true)
                    };
                    let group = Screen::Group(occ.group_id.clone());
                    view! {
                        <li
                            class="list-item"
                            data-testid="today-meeting"
                            data-title=occ.title.clone()
                        >
                            <span class="countdown">{countdown}</span>
                            <span class="title">
                                <strong>{occ.title.clone()}</strong>
                                " · "
                                <button
                                    type="button"
                                    class="link-button"
                                    on:click=move |_| ui.go(group.clone())
                                >
                                    {occ.group_name.clone()}
                                </button>
                            </span>
                            <span class="when">{when}</span>
                            <Whereabouts
                                format=occ.format
                                place=occ.place.clone()
                                link=occ.online_url.clone()
                            />
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// People whose availability covers this moment, with their time and until when.
#[component]
pub fn ReachList(people: Vec<Reachable>, testid: &'static str) -> impl IntoView {
    let ui = use_ui();
    if people.is_empty() {
        return view! {
            <p class="empty" data-testid=format!("{testid}-empty")>
                {move || ui.t(Key::NobodyReachable)}
            </p>
        }
        .into_any();
    }
    view! {
        <ul class="list" data-testid=testid>
            {people
                .into_iter()
                .map(|person| {
                    let their = time_text(person.their_time.time());
                    let until = time_text(person.until_viewer.time());
                    let detail = move || fill(ui.t(Key::ReachDetail), &[&their, &until]);
                    let form = person.contact.form.clone();
                    view! {
                        <li
                            class="list-item"
                            data-testid="reach-item"
                            data-name=form.pseudonym.clone()
                        >
                            <strong>{form.pseudonym.clone()}</strong>
                            <span class="muted">{detail}</span>
                            {form
                                .phone
                                .clone()
                                .map(|phone| {
                                    view! {
                                        <a href=format!("tel:{phone}") class="contact-link">
                                            {phone.clone()}
                                        </a>
                                    }
                                })}
                            {form
                                .link
                                .clone()
                                .map(|link| {
                                    view! {
                                        <a
                                            href=link.clone()
                                            target="_blank"
                                            rel="noopener noreferrer"
                                            class="contact-link"
                                        >
                                            {link.clone()}
                                        </a>
                                    }
                                })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn RecentEntries(entries: Vec<Entry>) -> impl IntoView {
    let ui = use_ui();
    if entries.is_empty() {
        return view! {
            <p class="empty" data-testid="today-journal-empty">
                {move || ui.t(Key::NoRecentEntries)}
            </p>
            <button type="button" class="secondary" on:click=move |_| ui.go(Screen::Journal)>
                {move || ui.t(Key::WriteEntry)}
            </button>
        }
        .into_any();
    }
    view! {
        <ul class="list" data-testid="today-journal">
            {entries
                .into_iter()
                .map(|entry| {
                    let date = entry.local_date;
                    let excerpt: String = entry.text.chars().take(140).collect();
                    let more = entry.text.chars().count() > 140;
                    let emotions = entry.emotions.clone();
                    view! {
                        <li class="list-item" data-testid="today-entry">
                            <span class="muted">{move || date_short(date, ui.lang.get())}</span>
                            {entry.mood.map(|mood| view! { <MoodBadge mood /> })}
                            <span>
                                {move || {
                                    let lang = ui.lang.get();
                                    emotions
                                        .iter()
                                        .map(|e| emotion_label(e, lang))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }}
                            </span>
                            <span class="entry-text">{excerpt} {more.then_some("…")}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// Five faces; one tap saves an entry with just that mood.
#[component]
pub fn MoodCheckIn() -> impl IntoView {
    let ui = use_ui();
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let save = move |mood: u8| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let form = EntryForm {
            text: String::new(),
            mood: Some(mood),
            emotions: Vec::new(),
            tags: Vec::new(),
            written_at: None,
        };
        spawn_local(async move {
            match ipc::add_entry(&form).await {
                Ok(_) => {
                    ui.say(fill(
                        ui.t(Key::MoodSaved),
                        &[mood_word(mood, ui.lang.get_untracked())],
                    ));
                    ui.changed();
                }
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel check-in" aria-labelledby="check-in-h">
            <h2 id="check-in-h">{move || ui.t(Key::CheckInTitle)}</h2>
            <div class="mood-buttons" role="group" aria-labelledby="check-in-h">
                {(1..=5u8)
                    .map(|mood| {
                        view! {
                            <button
                                type="button"
                                class="mood-button"
                                data-testid=format!("today-mood-{mood}")
                                disabled=move || pending.get()
                                on:click=move |_| save(mood)
                            >
                                <MoodFace mood size=36 />
                                <span>{move || mood_word(mood, ui.lang.get())}</span>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="form-error" aria-live="polite" data-testid="today-mood-error">
                {move || error.get()}
            </p>
        </section>
    }
}
