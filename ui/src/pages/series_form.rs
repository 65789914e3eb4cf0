//! Adding and editing a meeting series: when, how often (a recurrence editor in words that
//! builds the RRULE), until when, and how people attend (in person, online, hybrid, phone).

use chrono::{Datelike, NaiveDateTime, Weekday};
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Group, MeetingFormat, Series, SeriesForm};

use crate::app::{Screen, use_ui};
use crate::components::{
    DateField, FieldError, FormError, FormErrors, LoadError, Loading, ZoneSelect, described,
    invalid,
};
use crate::dates::{first_of_month, parse_date, parse_time, time_text};
use crate::i18n::{Key, date_long, describe_rule, fill, nth_name, text, weekday_name};
use crate::ipc;
use crate::pages::group_form::looks_like_url;
use crate::recurrence::{Ends, Nth, Repeat, Rule, WEEKDAYS};

/// Everything the form needs before it can show: the groups to choose from and, when
/// editing, the series.
#[derive(Debug, Clone)]
struct Loaded {
    groups: Vec<Group>,
    series: Option<Series>,
}

#[component]
pub fn SeriesFormPage(group_id: Option<String>, series_id: Option<String>) -> impl IntoView {
    let ui = use_ui();
    let editing = series_id.is_some();
    let loaded = {
        let (group_id, series_id) = (group_id.clone(), series_id.clone());
        LocalResource::new(move || {
            let (group_id, series_id) = (group_id.clone(), series_id.clone());
            async move {
                let groups = ipc::groups(false).await?;
                let series = match (&group_id, &series_id) {
                    (Some(group_id), Some(series_id)) => ipc::group(group_id)
                        .await?
                        .series
                        .into_iter()
                        .find(|s| &s.id == series_id),
                    _ => None,
                };
                Ok::<_, mutua_api::ApiError>(Loaded { groups, series })
            }
        })
    };
    view! {
        <h1 tabindex="-1">
            {move || ui.t(if editing { Key::EditMeeting } else { Key::AddMeeting })}
        </h1>
        {move || match loaded.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok(loaded)) if loaded.groups.is_empty() => {
                view! {
                    <p class="empty" data-testid="series-no-groups">
                        {move || ui.t(Key::NeedGroupFirst)}
                    </p>
                    <button type="button" class="primary" on:click=move |_| ui.go(Screen::GroupNew)>
                        {move || ui.t(Key::NewGroup)}
                    </button>
                }
                    .into_any()
            }
            Some(Ok(loaded)) => {
                view! {
                    <SeriesEditor
                        groups=loaded.groups
                        series=loaded.series
                        group_id=group_id.clone()
                    />
                }
                    .into_any()
            }
        }}
    }
}

/// Which repeat choice the radio buttons show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepeatChoice {
    Once,
    Weekly,
    MonthlyWeekday,
    MonthlyDay,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndChoice {
    Never,
    On,
    After,
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mo",
        Weekday::Tue => "tu",
        Weekday::Wed => "we",
        Weekday::Thu => "th",
        Weekday::Fri => "fr",
        Weekday::Sat => "sa",
        Weekday::Sun => "su",
    }
}

fn nth_code(nth: Nth) -> &'static str {
    match nth {
        Nth::First => "1",
        Nth::Second => "2",
        Nth::Third => "3",
        Nth::Fourth => "4",
        Nth::Last => "-1",
    }
}

#[component]
fn SeriesEditor(
    groups: Vec<Group>,
    series: Option<Series>,
    group_id: Option<String>,
) -> impl IntoView {
    let ui = use_ui();
    // Opened from a group's page (or editing): "Back" returns there, else to the calendar.
    let from_group = series.is_some() || group_id.is_some();
    let form = series.as_ref().map(|s| s.form.clone());
    let series_id = series.as_ref().map(|s| s.id.clone());
    let editing = series_id.is_some();
    let today = ui.today();
    let start = form.as_ref().map(|f| f.start);

    let group = RwSignal::new(
        series
            .as_ref()
            .map(|s| s.group_id.clone())
            .or(group_id)
            .or_else(|| groups.first().map(|g| g.id.clone()))
            .unwrap_or_default(),
    );
    let title = RwSignal::new(form.as_ref().map(|f| f.title.clone()).unwrap_or_default());
    let date = RwSignal::new(start.map_or(today, |s| s.date()).to_string());
    let time = RwSignal::new(start.map_or("19:00".to_owned(), |s| time_text(s.time())));
    let duration = RwSignal::new(form.as_ref().map_or(90, |f| f.duration_minutes).to_string());
    let zone = RwSignal::new(
        form.as_ref()
            .map(|f| f.time_zone.clone())
            .unwrap_or_else(|| ui.zone_untracked()),
    );

    // The recurrence editor's state, seeded from the stored rule.
    let rule = Rule::parse(form.as_ref().and_then(|f| f.rrule.as_deref()));
    let seed = start.map_or(today, |s| s.date());
    let choice = RwSignal::new(match &rule.repeat {
        Repeat::Once => RepeatChoice::Once,
        Repeat::Weekly { .. } => RepeatChoice::Weekly,
        Repeat::MonthlyWeekday { .. } => RepeatChoice::MonthlyWeekday,
        Repeat::MonthlyDay { .. } => RepeatChoice::MonthlyDay,
        Repeat::Custom(_) => RepeatChoice::Custom,
    });
    let days = RwSignal::new(match &rule.repeat {
        Repeat::Weekly { days } => *days,
        _ => {
            let mut days = [false; 7];
            days[seed.weekday().num_days_from_monday() as usize] = true;
            days
        }
    });
    let (seed_nth, seed_weekday) = match &rule.repeat {
        Repeat::MonthlyWeekday { nth, weekday } => (*nth, *weekday),
        _ => (Nth::of(seed), seed.weekday()),
    };
    let nth = RwSignal::new(seed_nth);
    let weekday = RwSignal::new(seed_weekday);
    let month_day = RwSignal::new(match &rule.repeat {
        Repeat::MonthlyDay { day } => day.to_string(),
        _ => seed.day().to_string(),
    });
    let custom = match &rule.repeat {
        Repeat::Custom(text) => text.clone(),
        _ => String::new(),
    };
    let has_custom = !custom.is_empty();
    let end_choice = RwSignal::new(match rule.ends {
        Ends::Never => EndChoice::Never,
        Ends::On(_) => EndChoice::On,
        Ends::After(_) => EndChoice::After,
    });
    let until = RwSignal::new(match rule.ends {
        Ends::On(date) => date.to_string(),
        _ => String::new(),
    });
    let count = RwSignal::new(match rule.ends {
        Ends::After(n) => n.to_string(),
        _ => "10".to_owned(),
    });

    let format = RwSignal::new(form.as_ref().map_or(MeetingFormat::InPerson, |f| f.format));
    let place = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.place.clone())
            .or_else(|| {
                groups
                    .iter()
                    .find(|g| g.id == group.get_untracked())
                    .and_then(|g| g.form.place.clone())
            })
            .unwrap_or_default(),
    );
    let online_url = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.online_url.clone())
            .or_else(|| {
                groups
                    .iter()
                    .find(|g| g.id == group.get_untracked())
                    .and_then(|g| g.form.online_url.clone())
            })
            .unwrap_or_default(),
    );
    let phone = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.phone.clone())
            .unwrap_or_default(),
    );
    let agenda = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.agenda.clone())
            .unwrap_or_default(),
    );
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);

    // Picking another kind of repeat starts it from the date typed so far.
    Effect::new(move |previous: Option<RepeatChoice>| {
        let now = choice.get();
        if previous.is_some_and(|p| p != now)
            && let Some(typed) = parse_date(&date.get_untracked())
        {
            match now {
                RepeatChoice::Weekly => {
                    let mut on = [false; 7];
                    on[typed.weekday().num_days_from_monday() as usize] = true;
                    days.set(on);
                }
                RepeatChoice::MonthlyWeekday => {
                    nth.set(Nth::of(typed));
                    weekday.set(typed.weekday());
                }
                RepeatChoice::MonthlyDay => month_day.set(typed.day().to_string()),
                _ => {}
            }
        }
        now
    });

    // The rule as currently chosen (ends included); `None` while a number is unreadable.
    let current_rule = {
        let custom = custom.clone();
        Memo::new(move |_| {
            let repeat = match choice.get() {
                RepeatChoice::Once => Repeat::Once,
                RepeatChoice::Weekly => Repeat::Weekly { days: days.get() },
                RepeatChoice::MonthlyWeekday => Repeat::MonthlyWeekday {
                    nth: nth.get(),
                    weekday: weekday.get(),
                },
                RepeatChoice::MonthlyDay => Repeat::MonthlyDay {
                    day: month_day
                        .get()
                        .trim()
                        .parse()
                        .ok()
                        .filter(|d| (1..=31).contains(d))?,
                },
                RepeatChoice::Custom => Repeat::Custom(custom.clone()),
            };
            let ends = if repeat == Repeat::Once {
                Ends::Never
            } else {
                match end_choice.get() {
                    EndChoice::Never => Ends::Never,
                    EndChoice::On => Ends::On(parse_date(&until.get())?),
                    EndChoice::After => {
                        Ends::After(count.get().trim().parse().ok().filter(|n| *n >= 1)?)
                    }
                }
            };
            Some(Rule { repeat, ends })
        })
    };
    // The first meeting's date: the typed date, moved to the first one the rule allows.
    let first_date = Memo::new(move |_| {
        let typed = parse_date(&date.get())?;
        let rule = current_rule.get()?;
        rule.first_on_or_after(typed).map(|first| (typed, first))
    });
    let description = move || {
        let lang = ui.lang.get();
        match current_rule.get() {
            Some(rule) => describe_rule(&rule, lang),
            None => text(Key::RuleIncomplete, lang).to_owned(),
        }
    };
    let moved_note = move || {
        let lang = ui.lang.get();
        first_date.get().and_then(|(typed, first)| {
            (typed != first).then(|| {
                fill(
                    text(Key::StartMoved, lang),
                    &[&date_long(typed, lang), &date_long(first, lang)],
                )
            })
        })
    };

    let submit = {
        let series_id = series_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let mut found = FormErrors::default();
            let meeting_title = title.get_untracked().trim().to_owned();
            if meeting_title.is_empty() {
                found.field("title", Key::ErrTitle);
            }
            if group.get_untracked().is_empty() {
                found.field("group", Key::ErrChooseGroup);
            }
            let typed_date = parse_date(&date.get_untracked());
            if typed_date.is_none() {
                found.field("date", Key::ErrDate);
            }
            let at = parse_time(&time.get_untracked());
            if at.is_none() {
                found.field("time", Key::ErrTime);
            }
            let minutes = match duration.get_untracked().trim().parse::<u32>() {
                Ok(m @ 5..=1440) => m,
                _ => {
                    found.field("duration", Key::ErrDuration);
                    0
                }
            };
            let rule = current_rule.get_untracked();
            match (&rule, choice.get_untracked()) {
                (None, RepeatChoice::MonthlyDay) => found.field("month_day", Key::ErrMonthDay),
                (None, _) => match end_choice.get_untracked() {
                    EndChoice::On => found.field("until", Key::ErrDate),
                    _ => found.field("count", Key::ErrCount),
                },
                (
                    Some(Rule {
                        repeat: Repeat::Weekly { days },
                        ..
                    }),
                    _,
                ) if !days.contains(&true) => found.field("weekdays", Key::ErrWeekdays),
                _ => {}
            }
            let first = first_date.get_untracked().map(|(_, first)| first);
            if let (
                Some(Rule {
                    ends: Ends::On(last),
                    ..
                }),
                Some(first),
            ) = (&rule, first)
                && *last < first
            {
                found.field("until", Key::ErrUntilBeforeStart);
            }
            let fmt = format.get_untracked();
            let place_value = opt(place.get_untracked());
            let url_value = opt(online_url.get_untracked());
            let phone_value = opt(phone.get_untracked());
            let needs_place = matches!(fmt, MeetingFormat::InPerson | MeetingFormat::Hybrid);
            let needs_url = matches!(fmt, MeetingFormat::Online | MeetingFormat::Hybrid);
            if needs_place && place_value.is_none() {
                found.field("place", Key::ErrPlace);
            }
            if needs_url {
                match &url_value {
                    None => found.field("online_url", Key::ErrLink),
                    Some(url) if !looks_like_url(url) => found.field("online_url", Key::ErrUrl),
                    _ => {}
                }
            }
            if fmt == MeetingFormat::Phone && phone_value.is_none() {
                found.field("phone", Key::ErrPhone);
            }
            errors.set(found.clone());
            let (Some(rule), Some(first), Some(at)) = (rule, first, at) else {
                return;
            };
            if !found.is_empty() {
                return;
            }
            let request = SeriesForm {
                title: meeting_title,
                start: NaiveDateTime::new(first, at),
                time_zone: zone.get_untracked(),
                duration_minutes: minutes,
                rrule: rule.to_rrule(),
                format: fmt,
                place: place_value.filter(|_| needs_place),
                online_url: url_value.filter(|_| needs_url),
                phone: phone_value.filter(|_| fmt == MeetingFormat::Phone),
                agenda: opt(agenda.get_untracked()),
            };
            let series_id = series_id.clone();
            let group_id = group.get_untracked();
            pending.set(true);
            spawn_local(async move {
                let result = match &series_id {
                    Some(id) => ipc::update_series(id, &request).await,
                    None => ipc::add_series(&group_id, &request).await,
                };
                match result {
                    Ok(saved) => {
                        ui.changed();
                        ui.month.set(first_of_month(first));
                        ui.go(Screen::Calendar);
                        let said = ui.t(if series_id.is_some() {
                            Key::ChangesSaved
                        } else {
                            Key::MeetingAdded
                        });
                        ui.say(match saved.note {
                            Some(note) => format!("{said} {note}"),
                            None => said.to_owned(),
                        });
                    }
                    Err(error) => {
                        let mut found = FormErrors::default();
                        found.place(
                            ui.explain(&error),
                            &[
                                ("title", &["title"]),
                                ("phone", &["number to call", "phone"]),
                                ("online_url", &["link", "url"]),
                                ("place", &["place"]),
                                ("zone", &["zone"]),
                                ("until", &["until"]),
                                ("repeat", &["rule", "rrule", "repeat", "count", "start"]),
                            ],
                        );
                        errors.set(found);
                    }
                }
                pending.set(false);
            });
        }
    };

    let back = if from_group {
        Screen::Group(group.get_untracked())
    } else {
        Screen::Calendar
    };
    let group_options = groups
        .iter()
        .map(|g| {
            let id = g.id.clone();
            let selected = move || group.get() == id;
            view! {
                <option value=g.id.clone() prop:selected=selected>
                    {g.form.name.clone()}
                </option>
            }
        })
        .collect_view();

    view! {
        <form class="form" novalidate on:submit=submit data-testid="series-form">
            <div class="field">
                <label for="series-group">{move || ui.t(Key::Group)}</label>
                <select
                    id="series-group"
                    data-testid="series-group"
                    disabled=editing
                    aria-invalid=invalid(errors, "group")
                    on:change=move |ev| group.set(event_target_value(&ev))
                >
                    {group_options}
                </select>
                <FieldError errors field="group" id="series-group" />
            </div>
            <div class="field">
                <label for="series-title">{move || ui.t(Key::MeetingTitle)}</label>
                <input
                    id="series-title"
                    data-testid="series-title"
                    type="text"
                    maxlength="120"
                    placeholder=move || ui.t(Key::MeetingTitleExample)
                    aria-invalid=invalid(errors, "title")
                    aria-describedby=described(errors, "title", "series-title")
                    bind:value=title
                />
                <FieldError errors field="title" id="series-title" />
            </div>
            <div class="field-row">
                <DateField
                    id="series-date"
                    testid="series-date"
                    label=Key::FirstDate
                    value=date
                    errors
                    field="date"
                />
                <div class="field">
                    <label for="series-time">{move || ui.t(Key::StartTime)}</label>
                    <input
                        id="series-time"
                        data-testid="series-time"
                        type="time"
                        aria-invalid=invalid(errors, "time")
                        aria-describedby=described(errors, "time", "series-time")
                        bind:value=time
                    />
                    <FieldError errors field="time" id="series-time" />
                </div>
                <div class="field">
                    <label for="series-duration">{move || ui.t(Key::DurationMinutes)}</label>
                    <input
                        id="series-duration"
                        data-testid="series-duration"
                        type="text"
                        pattern="[0-9]*"
                        inputmode="numeric"
                        class="short"
                        aria-invalid=invalid(errors, "duration")
                        aria-describedby=described(errors, "duration", "series-duration")
                        bind:value=duration
                    />
                    <FieldError errors field="duration" id="series-duration" />
                </div>
            </div>
            <div class="field">
                <label for="series-time-zone">{move || ui.t(Key::MeetingTimeZone)}</label>
                <ZoneSelect id="series-time-zone" value=zone errors field="zone" />
                <FieldError errors field="zone" id="series-time-zone" />
            </div>

            <fieldset class="field recurrence" data-testid="series-repeat">
                <legend>{move || ui.t(Key::Repeats)}</legend>
                <RepeatRadio
                    choice
                    value=RepeatChoice::Once
                    label=Key::RepeatOnce
                    testid="series-repeat-once"
                />
                <RepeatRadio
                    choice
                    value=RepeatChoice::Weekly
                    label=Key::RepeatWeekly
                    testid="series-repeat-weekly"
                />
                <Show when=move || choice.get() == RepeatChoice::Weekly>
                    <fieldset class="sub-fieldset">
                        <legend class="visually-hidden">{move || ui.t(Key::OnTheseDays)}</legend>
                        <div class="weekday-chips">
                            {WEEKDAYS
                                .into_iter()
                                .enumerate()
                                .map(|(index, day)| {
                                    view! {
                                        <label class="chip">
                                            <input
                                                type="checkbox"
                                                data-testid=format!("series-weekday-{}", weekday_code(day))
                                                prop:checked=move || days.get()[index]
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    days.update(|d| d[index] = on);
                                                }
                                            />
                                            <span>{move || weekday_name(day, ui.lang.get())}</span>
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </div>
                        <FieldError errors field="weekdays" id="series-weekdays" />
                    </fieldset>
                </Show>
                <RepeatRadio
                    choice
                    value=RepeatChoice::MonthlyWeekday
                    label=Key::RepeatMonthlyWeekday
                    testid="series-repeat-monthly-weekday"
                />
                <Show when=move || choice.get() == RepeatChoice::MonthlyWeekday>
                    <div class="field-row sub-fields">
                        <div class="field">
                            <label for="series-nth">{move || ui.t(Key::WhichWeek)}</label>
                            <select
                                id="series-nth"
                                data-testid="series-nth"
                                on:change=move |ev| {
                                    if let Some(value) = event_target_value(&ev)
                                        .parse()
                                        .ok()
                                        .and_then(Nth::from_code)
                                    {
                                        nth.set(value);
                                    }
                                }
                            >
                                {Nth::ALL
                                    .into_iter()
                                    .map(|n| {
                                        view! {
                                            <option
                                                value=nth_code(n)
                                                prop:selected=move || nth.get() == n
                                            >
                                                {move || nth_name(n, ui.lang.get())}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="series-nth-weekday">{move || ui.t(Key::Weekday)}</label>
                            <select
                                id="series-nth-weekday"
                                data-testid="series-nth-weekday"
                                on:change=move |ev| {
                                    let code = event_target_value(&ev);
                                    if let Some(day) = WEEKDAYS
                                        .into_iter()
                                        .find(|d| weekday_code(*d) == code)
                                    {
                                        weekday.set(day);
                                    }
                                }
                            >
                                {WEEKDAYS
                                    .into_iter()
                                    .map(|day| {
                                        view! {
                                            <option
                                                value=weekday_code(day)
                                                prop:selected=move || weekday.get() == day
                                            >
                                                {move || weekday_name(day, ui.lang.get())}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                    </div>
                </Show>
                <RepeatRadio
                    choice
                    value=RepeatChoice::MonthlyDay
                    label=Key::RepeatMonthlyDay
                    testid="series-repeat-monthly-day"
                />
                <Show when=move || choice.get() == RepeatChoice::MonthlyDay>
                    <div class="field sub-fields">
                        <label for="series-month-day">{move || ui.t(Key::DayOfMonth)}</label>
                        <input
                            id="series-month-day"
                            data-testid="series-month-day"
                            type="text"
                            pattern="[0-9]*"
                            inputmode="numeric"
                            class="short"
                            aria-invalid=invalid(errors, "month_day")
                            aria-describedby=described(errors, "month_day", "series-month-day")
                            bind:value=month_day
                        />
                        <FieldError errors field="month_day" id="series-month-day" />
                    </div>
                </Show>
                {has_custom
                    .then(|| {
                        view! {
                            <RepeatRadio
                                choice
                                value=RepeatChoice::Custom
                                label=Key::RepeatCustom
                                testid="series-repeat-custom"
                            />
                            <p class="hint">
                                <code>{custom.clone()}</code>
                            </p>
                        }
                    })}
                <FieldError errors field="repeat" id="series-repeat" />
            </fieldset>

            <Show when=move || choice.get() != RepeatChoice::Once>
                <fieldset class="field">
                    <legend>{move || ui.t(Key::Ends)}</legend>
                    <label class="choice">
                        <input
                            type="radio"
                            name="series-ends"
                            data-testid="series-ends-never"
                            prop:checked=move || end_choice.get() == EndChoice::Never
                            on:change=move |_| end_choice.set(EndChoice::Never)
                        />
                        <span>{move || ui.t(Key::EndsNever)}</span>
                    </label>
                    <div class="choice-with-field">
                        <label class="choice">
                            <input
                                type="radio"
                                name="series-ends"
                                data-testid="series-ends-on"
                                prop:checked=move || end_choice.get() == EndChoice::On
                                on:change=move |_| end_choice.set(EndChoice::On)
                            />
                            <span>{move || ui.t(Key::EndsOn)}</span>
                        </label>
                        <DateField
                            id="series-until"
                            testid="series-until"
                            label=Key::LastDate
                            value=until
                            errors
                            field="until"
                            disabled=Signal::derive(move || end_choice.get() != EndChoice::On)
                            hidden_label=true
                        />
                    </div>
                    <div class="choice-with-field">
                        <label class="choice">
                            <input
                                type="radio"
                                name="series-ends"
                                data-testid="series-ends-after"
                                prop:checked=move || end_choice.get() == EndChoice::After
                                on:change=move |_| end_choice.set(EndChoice::After)
                            />
                            <span>{move || ui.t(Key::EndsAfter)}</span>
                        </label>
                        <label for="series-count" class="visually-hidden">
                            {move || ui.t(Key::NumberOfMeetings)}
                        </label>
                        <input
                            id="series-count"
                            data-testid="series-count"
                            type="text"
                            pattern="[0-9]*"
                            inputmode="numeric"
                            class="short"
                            disabled=move || end_choice.get() != EndChoice::After
                            aria-invalid=invalid(errors, "count")
                            aria-describedby=described(errors, "count", "series-count")
                            bind:value=count
                        />
                        <span>{move || ui.t(Key::Meetings).to_lowercase()}</span>
                    </div>
                    <FieldError errors field="count" id="series-count" />
                </fieldset>
            </Show>

            <div class="rule-summary" aria-live="polite">
                <p data-testid="series-rule-description">
                    <strong>{description}</strong>
                </p>
                <p class="note" data-testid="series-start-note">
                    {moved_note}
                </p>
            </div>

            <fieldset class="field">
                <legend>{move || ui.t(Key::HowPeopleAttend)}</legend>
                <FormatRadio
                    format
                    value=MeetingFormat::InPerson
                    testid="series-format-in-person"
                />
                <FormatRadio format value=MeetingFormat::Online testid="series-format-online" />
                <FormatRadio format value=MeetingFormat::Hybrid testid="series-format-hybrid" />
                <FormatRadio format value=MeetingFormat::Phone testid="series-format-phone" />
            </fieldset>
            <Show when=move || {
                matches!(format.get(), MeetingFormat::InPerson | MeetingFormat::Hybrid)
            }>
                <div class="field">
                    <label for="series-place">{move || ui.t(Key::Place)}</label>
                    <input
                        id="series-place"
                        data-testid="series-place"
                        type="text"
                        aria-invalid=invalid(errors, "place")
                        aria-describedby=described(errors, "place", "series-place")
                        bind:value=place
                    />
                    <FieldError errors field="place" id="series-place" />
                </div>
            </Show>
            <Show when=move || {
                matches!(format.get(), MeetingFormat::Online | MeetingFormat::Hybrid)
            }>
                <div class="field">
                    <label for="series-online-url">{move || ui.t(Key::JoinLinkLabel)}</label>
                    <input
                        id="series-online-url"
                        data-testid="series-online-url"
                        type="url"
                        placeholder="https://"
                        aria-invalid=invalid(errors, "online_url")
                        aria-describedby=described(errors, "online_url", "series-online-url")
                        bind:value=online_url
                    />
                    <FieldError errors field="online_url" id="series-online-url" />
                </div>
            </Show>
            <Show when=move || format.get() == MeetingFormat::Phone>
                <div class="field">
                    <label for="series-phone">{move || ui.t(Key::PhoneToCall)}</label>
                    <input
                        id="series-phone"
                        data-testid="series-phone"
                        type="tel"
                        aria-invalid=invalid(errors, "phone")
                        aria-describedby=described(errors, "phone", "series-phone")
                        bind:value=phone
                    />
                    <FieldError errors field="phone" id="series-phone" />
                </div>
            </Show>
            <div class="field">
                <label for="series-agenda">{move || ui.t(Key::MeetingAgenda)}</label>
                <textarea
                    id="series-agenda"
                    data-testid="series-agenda"
                    rows="3"
                    bind:value=agenda
                ></textarea>
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="series-submit"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { ui.t(Key::Saving) } else { ui.t(Key::SaveMeeting) }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="series-cancel"
                    on:click=move |_| ui.go(back.clone())
                >
                    {move || ui.t(Key::Back)}
                </button>
                <FormError errors testid="series-error" />
            </div>
        </form>
    }
}

fn opt(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[component]
fn RepeatRadio(
    choice: RwSignal<RepeatChoice>,
    value: RepeatChoice,
    label: Key,
    testid: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    view! {
        <label class="choice">
            <input
                type="radio"
                name="series-repeat"
                data-testid=testid
                prop:checked=move || choice.get() == value
                on:change=move |_| choice.set(value)
            />
            <span>{move || ui.t(label)}</span>
        </label>
    }
}

#[component]
fn FormatRadio(
    format: RwSignal<MeetingFormat>,
    value: MeetingFormat,
    testid: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    view! {
        <label class="choice">
            <input
                type="radio"
                name="series-format"
                data-testid=testid
                prop:checked=move || format.get() == value
                on:change=move |_| format.set(value)
            />
            <span>{move || crate::i18n::format_name(value, ui.lang.get())}</span>
        </label>
    }
}
