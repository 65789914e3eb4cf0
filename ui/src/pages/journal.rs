//! The private journal: a quick entry (mood, emotions, tags, text), the mood chart, search,
//! and entries by day, week or month with edit and delete.

use chrono::{Datelike, Duration, NaiveDate};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Entry, EntryForm, EntryGroup, Period};

use crate::app::use_ui;
use crate::components::{Confirm, FormError, FormErrors, LoadError, Loading, MoodBadge, MoodFace};
use crate::dates::add_months;
use crate::i18n::{
    EMOTIONS, Key, date_long, date_short, emotion_label, fill, month_year, mood_word,
};
use crate::ipc;
use crate::pages::mood_chart::MoodChart;

/// The quick-entry form's values; editing an entry fills them.
#[derive(Debug, Clone, Copy)]
struct Draft {
    editing: RwSignal<Option<Entry>>,
    mood: RwSignal<Option<u8>>,
    emotions: RwSignal<Vec<String>>,
    tags: RwSignal<String>,
    text: RwSignal<String>,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            editing: RwSignal::new(None),
            mood: RwSignal::new(None),
            emotions: RwSignal::new(Vec::new()),
            tags: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
        }
    }

    fn clear(&self) {
        self.editing.set(None);
        self.mood.set(None);
        self.emotions.set(Vec::new());
        self.tags.set(String::new());
        self.text.set(String::new());
    }

    fn load(&self, entry: Entry) {
        self.mood.set(entry.mood);
        self.emotions.set(entry.emotions.clone());
        self.tags.set(entry.tags.join(", "));
        self.text.set(entry.text.clone());
        self.editing.set(Some(entry));
    }
}

#[component]
pub fn JournalPage() -> impl IntoView {
    let ui = use_ui();
    let draft = Draft::new();
    let form_heading = NodeRef::<html::H2>::new();
    let edit = Callback::new(move |entry: Entry| {
        draft.load(entry);
        if let Some(heading) = form_heading.get_untracked() {
            let _ = heading.focus();
        }
    });
    view! {
        <h1 tabindex="-1">{move || ui.t(Key::NavJournal)}</h1>
        <p class="muted">{move || ui.t(Key::JournalPrivate)}</p>
        <div class="journal-layout">
            <section class="panel" aria-labelledby="journal-form-h">
                <h2
                    id="journal-form-h"
                    tabindex="-1"
                    node_ref=form_heading
                    data-testid="journal-form-title"
                >
                    {move || {
                        ui.t(
                            if draft.editing.with(Option::is_some) {
                                Key::EditEntry
                            } else {
                                Key::NewEntry
                            },
                        )
                    }}
                </h2>
                <EntryEditor draft />
            </section>
            <section class="panel" aria-labelledby="journal-chart-h">
                <h2 id="journal-chart-h">{move || ui.t(Key::MoodChartTitle)}</h2>
                <MoodChart />
            </section>
        </div>
        <Search edit />
        <Entries edit />
    }
}

#[component]
fn EntryEditor(draft: Draft) -> impl IntoView {
    let ui = use_ui();
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let form = EntryForm {
            text: draft.text.get_untracked(),
            mood: draft.mood.get_untracked(),
            emotions: draft.emotions.get_untracked(),
            tags: draft
                .tags
                .get_untracked()
                .split(',')
                .map(|t| t.trim().trim_start_matches('#').trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            written_at: draft
                .editing
                .with_untracked(|e| e.as_ref().map(|e| e.written_at)),
        };
        if form.text.trim().is_empty() && form.mood.is_none() && form.emotions.is_empty() {
            let mut found = FormErrors::default();
            found.form(Key::ErrEmptyEntry);
            errors.set(found);
            return;
        }
        errors.set(FormErrors::default());
        let editing = draft.editing.get_untracked().map(|e| e.id);
        pending.set(true);
        spawn_local(async move {
            let result = match &editing {
                Some(id) => ipc::update_entry(id, &form).await,
                None => ipc::add_entry(&form).await,
            };
            match result {
                Ok(_) => {
                    draft.clear();
                    ui.say(ui.t(if editing.is_some() {
                        Key::EntryUpdated
                    } else {
                        Key::EntrySaved
                    }));
                    ui.changed();
                }
                Err(error) => {
                    let mut found = FormErrors::default();
                    found.place(
                        ui.explain(&error),
                        &[("text", &["longer than"]), ("tags", &["tag"])],
                    );
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let chips = move || {
        let selected = draft.emotions.get();
        let mut names: Vec<String> = EMOTIONS.iter().map(|e| (*e).to_owned()).collect();
        for extra in &selected {
            if !names.contains(extra) {
                names.push(extra.clone());
            }
        }
        names
            .into_iter()
            .map(|name| {
                let checked = selected.contains(&name);
                let label = {
                    let name = name.clone();
                    move || emotion_label(&name, ui.lang.get())
                };
                let toggle = {
                    let name = name.clone();
                    move |ev| {
                        let on = event_target_checked(&ev);
                        draft.emotions.update(|list| {
                            list.retain(|e| e != &name);
                            if on {
                                list.push(name.clone());
                            }
                        });
                    }
                };
                view! {
                    <label class="chip">
                        <input
                            type="checkbox"
                            data-testid=format!("journal-emotion-{name}")
                            prop:checked=checked
                            on:change=toggle
                        />
                        <span>{label}</span>
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <form class="form" novalidate on:submit=submit data-testid="journal-form">
            <fieldset class="field">
                <legend>{move || ui.t(Key::Mood)}</legend>
                <div class="mood-choices">
                    {(1..=5u8)
                        .map(|mood| {
                            view! {
                                <label class="mood-choice">
                                    <input
                                        type="radio"
                                        name="journal-mood"
                                        data-testid=format!("journal-mood-{mood}")
                                        prop:checked=move || draft.mood.get() == Some(mood)
                                        on:change=move |_| draft.mood.set(Some(mood))
                                    />
                                    <MoodFace mood size=32 />
                                    <span>{move || mood_word(mood, ui.lang.get())}</span>
                                </label>
                            }
                        })
                        .collect_view()} <label class="mood-choice mood-none">
                        <input
                            type="radio"
                            name="journal-mood"
                            data-testid="journal-mood-none"
                            prop:checked=move || draft.mood.get().is_none()
                            on:change=move |_| draft.mood.set(None)
                        />
                        <span class="no-mood">{move || ui.t(Key::NoMood)}</span>
                    </label>
                </div>
            </fieldset>
            <fieldset class="field">
                <legend>{move || ui.t(Key::Emotions)}</legend>
                <div class="chips">{chips}</div>
            </fieldset>
            <div class="field">
                <label for="journal-text">{move || ui.t(Key::WhatsOnYourMind)}</label>
                <textarea
                    id="journal-text"
                    data-testid="journal-text"
                    rows="5"
                    bind:value=draft.text
                ></textarea>
            </div>
            <div class="field">
                <label for="journal-tags">{move || ui.t(Key::Tags)}</label>
                <p class="hint" id="journal-tags-hint">
                    {move || ui.t(Key::TagsHint)}
                </p>
                <input
                    id="journal-tags"
                    data-testid="journal-tags"
                    type="text"
                    aria-describedby="journal-tags-hint"
                    bind:value=draft.tags
                />
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="journal-submit"
                    disabled=move || pending.get()
                >
                    {move || {
                        if pending.get() {
                            ui.t(Key::Saving)
                        } else if draft.editing.with(Option::is_some) {
                            ui.t(Key::SaveChanges)
                        } else {
                            ui.t(Key::SaveEntry)
                        }
                    }}
                </button>
                <Show when=move || draft.editing.with(Option::is_some)>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="journal-cancel-edit"
                        on:click=move |_| draft.clear()
                    >
                        {move || ui.t(Key::CancelEditing)}
                    </button>
                </Show>
                <FormError errors testid="journal-error" />
            </div>
        </form>
    }
}

#[component]
fn Search(edit: Callback<Entry>) -> impl IntoView {
    let ui = use_ui();
    let query = RwSignal::new(String::new());
    let submitted = RwSignal::new(None::<String>);
    let results = LocalResource::new(move || {
        ui.version.track();
        let asked = submitted.get();
        async move {
            match asked {
                Some(q) => ipc::search_journal(&q).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <section class="panel" aria-labelledby="journal-search-h">
            <h2 id="journal-search-h">{move || ui.t(Key::SearchJournal)}</h2>
            <form
                role="search"
                class="search-form"
                novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    let q = query.get_untracked().trim().to_owned();
                    submitted.set((!q.is_empty()).then_some(q));
                }
            >
                <label for="journal-search" class="visually-hidden">
                    {move || ui.t(Key::SearchJournal)}
                </label>
                <input
                    id="journal-search"
                    data-testid="journal-search"
                    type="search"
                    placeholder=move || ui.t(Key::SearchPlaceholder)
                    bind:value=query
                />
                <button type="submit" class="primary" data-testid="journal-search-submit">
                    {move || ui.t(Key::Search)}
                </button>
                <Show when=move || submitted.with(Option::is_some)>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="journal-search-clear"
                        on:click=move |_| {
                            query.set(String::new());
                            submitted.set(None);
                        }
                    >
                        {move || ui.t(Key::Clear)}
                    </button>
                </Show>
            </form>
            <div aria-live="polite" data-testid="search-results">
                {move || match results.get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => {
                        view! { <LoadError message=ui.explain(&error) /> }.into_any()
                    }
                    Some(Ok(None)) => ().into_any(),
                    Some(Ok(Some(hits))) if hits.is_empty() => {
                        let asked = submitted.get().unwrap_or_default();
                        view! {
                            <p class="empty" data-testid="search-empty">
                                {move || fill(ui.t(Key::NothingFound), &[&asked])}
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(Some(hits))) => {
                        let count = hits.len() as u32;
                        view! {
                            <p class="muted" data-testid="search-count">
                                {move || crate::i18n::plural(
                                    count,
                                    Key::OneResult,
                                    Key::ManyResults,
                                    ui.lang.get(),
                                )}
                            </p>
                            <ul class="list">
                                {hits
                                    .into_iter()
                                    .map(|hit| {
                                        let entry = hit.entry.clone();
                                        let date = entry.local_date;
                                        let entry_id = entry.id.clone();
                                        let mood = entry.mood;
                                        view! {
                                            <li
                                                class="list-item"
                                                data-testid="search-result"
                                                data-id=entry_id
                                            >
                                                <span class="muted">
                                                    {move || date_short(date, ui.lang.get())}
                                                </span>
                                                {mood.map(|mood| view! { <MoodBadge mood /> })}
                                                <span class="snippet">{highlight(&hit.snippet)}</span>
                                                <button
                                                    type="button"
                                                    class="link-button"
                                                    data-testid="search-result-edit"
                                                    on:click=move |_| edit.run(entry.clone())
                                                >
                                                    {move || ui.t(Key::Edit)}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </div>
        </section>
    }
}

/// A search snippet with its `[matches]` marked.
fn highlight(snippet: &str) -> impl IntoView + use<> {
    let mut parts = Vec::new();
    let mut rest = snippet;
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        let Some(close) = after.find(']') else {
            break;
        };
        parts.push((before.to_owned(), false));
        parts.push((after[1..close].to_owned(), true));
        rest = &after[close + 1..];
    }
    parts.push((rest.to_owned(), false));
    parts
        .into_iter()
        .map(|(text, marked)| {
            if marked {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

fn period_start(period: Period, date: NaiveDate) -> NaiveDate {
    match period {
        Period::Day => date,
        Period::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        Period::Month => crate::dates::first_of_month(date),
    }
}

fn period_label(period: Period, date: NaiveDate, lang: crate::i18n::Lang) -> String {
    match period {
        Period::Day => date_long(date, lang),
        Period::Week => {
            let monday = period_start(Period::Week, date);
            format!(
                "{} – {}",
                date_short(monday, lang),
                date_short(monday + Duration::days(6), lang)
            )
        }
        Period::Month => month_year(date, lang),
    }
}

fn step(period: Period, date: NaiveDate, forward: bool) -> NaiveDate {
    let sign = if forward { 1 } else { -1 };
    match period {
        Period::Day => date + Duration::days(sign),
        Period::Week => date + Duration::days(7 * sign),
        Period::Month => add_months(date, sign as i32),
    }
}

#[component]
fn Entries(edit: Callback<Entry>) -> impl IntoView {
    let ui = use_ui();
    let period = RwSignal::new(Period::Week);
    let anchor = RwSignal::new(ui.today());
    let groups = LocalResource::new(move || {
        ui.version.track();
        ipc::journal(period.get(), anchor.get())
    });
    let period_button = move |value: Period, key: Key, testid: &'static str| {
        view! {
            <button
                type="button"
                data-testid=testid
                aria-pressed=move || if period.get() == value { "true" } else { "false" }
                on:click=move |_| period.set(value)
            >
                {move || ui.t(key)}
            </button>
        }
    };
    let empty_key = move || match period.get() {
        Period::Day => Key::NoEntriesDay,
        Period::Week => Key::NoEntriesWeek,
        Period::Month => Key::NoEntriesMonth,
    };
    view! {
        <section aria-labelledby="journal-entries-h">
            <h2 id="journal-entries-h">{move || ui.t(Key::Entries)}</h2>
            <div class="toolbar">
                <div class="segmented" role="group" aria-label=move || ui.t(Key::ShowBy)>
                    {period_button(Period::Day, Key::Day, "journal-period-day")}
                    {period_button(Period::Week, Key::Week, "journal-period-week")}
                    {period_button(Period::Month, Key::Month, "journal-period-month")}
                </div>
                <div class="month-nav" role="group" aria-label=move || ui.t(Key::ChangePeriod)>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="journal-prev"
                        aria-label=move || ui.t(Key::Earlier)
                        on:click=move |_| {
                            anchor.update(|d| *d = step(period.get_untracked(), *d, false))
                        }
                    >
                        "‹"
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="journal-today"
                        on:click=move |_| anchor.set(ui.today())
                    >
                        {move || ui.t(Key::TodayWord)}
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="journal-next"
                        aria-label=move || ui.t(Key::Later)
                        on:click=move |_| {
                            anchor.update(|d| *d = step(period.get_untracked(), *d, true))
                        }
                    >
                        "›"
                    </button>
                </div>
            </div>
            <h3 class="period-label" aria-live="polite" data-testid="journal-period-label">
                {move || period_label(period.get(), anchor.get(), ui.lang.get())}
            </h3>
            {move || match groups.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
                Some(Ok(list)) if list.iter().all(|g| g.entries.is_empty()) => {
                    view! {
                        <p class="empty" data-testid="journal-empty">
                            {move || ui.t(empty_key())}
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    let by = period.get_untracked();
                    view! {
                        <div data-testid="journal-entries">
                            {list
                                .into_iter()
                                .map(|group| view! { <EntryGroupView group by edit /> })
                                .collect_view()}
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One group of the answer (a day, week or month, as chosen). The period's own label is
/// already the heading above, so a week or month is split by day here, each day a heading.
#[component]
fn EntryGroupView(group: EntryGroup, by: Period, edit: Callback<Entry>) -> impl IntoView {
    let ui = use_ui();
    let mut days: Vec<(NaiveDate, Vec<Entry>)> = Vec::new();
    for entry in group.entries {
        match days.last_mut() {
            Some((date, list)) if *date == entry.local_date => list.push(entry),
            _ => days.push((entry.local_date, vec![entry])),
        }
    }
    days.into_iter()
        .map(|(date, entries)| {
            view! {
                {(by != Period::Day)
                    .then(|| {
                        view! {
                            <h4
                                class="group-label"
                                data-testid="journal-day"
                                data-date=date.to_string()
                            >
                                {move || date_long(date, ui.lang.get())}
                            </h4>
                        }
                    })}
                <ul class="list entries">
                    {entries
                        .into_iter()
                        .map(|entry| view! { <EntryItem entry edit /> })
                        .collect_view()}
                </ul>
            }
        })
        .collect_view()
}

#[component]
fn EntryItem(entry: Entry, edit: Callback<Entry>) -> impl IntoView {
    let ui = use_ui();
    let date = entry.local_date;
    let emotions = entry.emotions.clone();
    let tags = entry.tags.clone();
    let delete = {
        let id = entry.id.clone();
        Callback::new(move |()| {
            let id = id.clone();
            spawn_local(async move {
                match ipc::delete_entry(&id).await {
                    Ok(()) => {
                        ui.say(ui.t(Key::EntryDeleted));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    let for_edit = entry.clone();
    let clock_time = crate::clock::time_in(&ui.zone_untracked(), entry.written_at);
    // The day is the heading above; the time, on the member's clock, says which entry.
    let when = move || match &clock_time {
        Some(time) => time.clone(),
        None => date_long(date, ui.lang.get()),
    };
    view! {
        <li class="list-item entry" data-testid="journal-entry" data-id=entry.id.clone()>
            <div class="entry-head">
                <span class="muted">{when}</span>
                {entry.mood.map(|mood| view! { <MoodBadge mood /> })}
            </div>
            {(!emotions.is_empty())
                .then(|| {
                    view! {
                        <ul class="tag-list" aria-label=move || ui.t(Key::Emotions)>
                            {emotions
                                .iter()
                                .map(|e| {
                                    let name = e.clone();
                                    view! {
                                        <li class="tag emotion" data-emotion=e.clone()>
                                            {move || emotion_label(&name, ui.lang.get())}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {(!entry.text.is_empty())
                .then(|| {
                    view! {
                        <p class="entry-text prewrap" data-testid="journal-entry-text">
                            {entry.text.clone()}
                        </p>
                    }
                })}
            {(!tags.is_empty())
                .then(|| {
                    view! {
                        <ul class="tag-list" aria-label=move || ui.t(Key::Tags)>
                            {tags
                                .iter()
                                .map(|t| view! { <li class="tag">"#" {t.clone()}</li> })
                                .collect_view()}
                        </ul>
                    }
                })}
            <div class="row-actions">
                <button
                    type="button"
                    class="secondary"
                    data-testid="journal-entry-edit"
                    on:click=move |_| edit.run(for_edit.clone())
                >
                    {move || ui.t(Key::Edit)}
                </button>
                <Confirm
                    label=Key::Delete
                    question=Key::DeleteEntryQuestion
                    yes=Key::YesDelete
                    testid="journal-entry-delete"
                    on_yes=delete
                />
            </div>
        </li>
    }
}
