//! Peer contacts: who can be reached now, the list, and the form with the availability
//! editor (weekly windows in the contact's own time zone).

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Contact, ContactForm, Group, Window};

use crate::app::{Screen, use_ui};
use crate::components::{
    Confirm, FieldError, FormError, FormErrors, LoadError, Loading, Msg, ZoneSelect, described,
    invalid,
};
use crate::dates::{minutes_text, parse_minutes};
use crate::i18n::{Key, fill, text, weekday_name, weekday_short};
use crate::ipc;
use crate::pages::group_form::looks_like_url;
use crate::pages::today::ReachList;
use crate::recurrence::WEEKDAYS;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let ui = use_ui();
    let contacts = LocalResource::new(move || {
        ui.version.track();
        ipc::contacts()
    });
    let reachable = LocalResource::new(move || {
        ui.version.track();
        ipc::reachable_now()
    });
    let groups = LocalResource::new(move || {
        ui.version.track();
        ipc::groups(true)
    });
    view! {
        <div class="page-head">
            <h1 tabindex="-1">{move || ui.t(Key::NavContacts)}</h1>
            <button
                type="button"
                class="primary"
                data-testid="contacts-add"
                on:click=move |_| ui.go(Screen::ContactNew)
            >
                {move || ui.t(Key::AddContact)}
            </button>
        </div>
        <section class="panel" aria-labelledby="contacts-reach-h">
            <h2 id="contacts-reach-h">{move || ui.t(Key::ReachNow)}</h2>
            {move || match reachable.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
                Some(Ok(people)) => {
                    view! { <ReachList people testid="contacts-reach" /> }.into_any()
                }
            }}
        </section>
        <section aria-labelledby="contacts-all-h">
            <h2 id="contacts-all-h">{move || ui.t(Key::AllContacts)}</h2>
            {move || match contacts.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => {
                    view! {
                        <p class="empty" data-testid="contacts-empty">
                            {move || ui.t(Key::NoContacts)}
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    let groups = groups.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <ul class="cards" data-testid="contacts-list">
                            {list
                                .into_iter()
                                .map(|contact| {
                                    let group_name = contact
                                        .form
                                        .group_id
                                        .as_ref()
                                        .and_then(|id| groups.iter().find(|g| &g.id == id))
                                        .map(|g| g.form.name.clone());
                                    view! { <ContactItem contact group_name /> }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// "Mon 19:00–22:00, Thu 18:00–21:00".
fn windows_text(windows: &[Window], lang: crate::i18n::Lang) -> String {
    windows
        .iter()
        .map(|w| {
            let day = WEEKDAYS
                .get(usize::from(w.weekday))
                .copied()
                .unwrap_or(chrono::Weekday::Mon);
            format!(
                "{} {}–{}",
                weekday_short(day, lang),
                minutes_text(w.start),
                minutes_text(w.end)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn ContactItem(contact: Contact, group_name: Option<String>) -> impl IntoView {
    let ui = use_ui();
    let form = contact.form.clone();
    let windows = form.availability.clone();
    let zone = form.time_zone.replace('_', " ");
    let availability = move || {
        let lang = ui.lang.get();
        if windows.is_empty() {
            text(Key::NoAvailability, lang).to_owned()
        } else {
            fill(
                text(Key::AvailabilityLine, lang),
                &[&windows_text(&windows, lang), &zone],
            )
        }
    };
    let edit = Screen::ContactEdit(contact.id.clone());
    let remove = {
        let (id, name) = (contact.id.clone(), form.pseudonym.clone());
        Callback::new(move |()| {
            let (id, name) = (id.clone(), name.clone());
            spawn_local(async move {
                match ipc::remove_contact(&id).await {
                    Ok(()) => {
                        ui.say(fill(ui.t(Key::ContactRemoved), &[&name]));
                        ui.changed();
                    }
                    Err(error) => ui.say(ui.explain(&error)),
                }
            });
        })
    };
    view! {
        <li class="card-item contact" data-testid="contact-item" data-name=form.pseudonym.clone()>
            <div class="card-body">
                <span class="card-title">{form.pseudonym.clone()}</span>
                <span class="muted" data-testid="contact-availability">
                    {availability}
                </span>
                {group_name.map(|name| view! { <span class="muted">{name}</span> })}
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
                {form
                    .note
                    .clone()
                    .map(|note| view! { <span class="card-text prewrap">{note}</span> })}
            </div>
            <div class="row-actions">
                <button
                    type="button"
                    class="secondary"
                    data-testid="contact-edit"
                    on:click=move |_| ui.go(edit.clone())
                >
                    {move || ui.t(Key::Edit)}
                </button>
                <Confirm
                    label=Key::Remove
                    question=Key::RemoveContactQuestion
                    yes=Key::YesRemove
                    testid="contact-remove"
                    on_yes=remove
                    name=form.pseudonym.clone()
                />
            </div>
        </li>
    }
}

#[component]
pub fn ContactEditPage(id: Option<String>) -> impl IntoView {
    let ui = use_ui();
    let editing = id.is_some();
    let loaded = LocalResource::new(move || {
        let id = id.clone();
        async move {
            let groups = ipc::groups(false).await.unwrap_or_default();
            let contact = match id {
                Some(id) => Some(
                    ipc::contacts()
                        .await?
                        .into_iter()
                        .find(|c| c.id == id)
                        .ok_or_else(|| {
                            mutua_api::ApiError::new(
                                mutua_api::ErrorKind::NotFound,
                                "That contact is gone.",
                            )
                        })?,
                ),
                None => None,
            };
            Ok::<_, mutua_api::ApiError>((groups, contact))
        }
    });
    view! {
        <h1 tabindex="-1">
            {move || ui.t(if editing { Key::EditContact } else { Key::AddContact })}
        </h1>
        {move || match loaded.get() {
            None => view! { <Loading /> }.into_any(),
            Some(Err(error)) => view! { <LoadError message=ui.explain(&error) /> }.into_any(),
            Some(Ok((groups, contact))) => view! { <ContactEditor groups contact /> }.into_any(),
        }}
    }
}

/// One availability row; its values live in signals so adding or removing rows keeps them.
#[derive(Debug, Clone, Copy)]
struct Row {
    key: u32,
    weekday: RwSignal<u8>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Row {
    fn new(key: u32, window: Window) -> Row {
        Row {
            key,
            weekday: RwSignal::new(window.weekday),
            from: RwSignal::new(minutes_text(window.start)),
            // A time input cannot show 24:00; 00:00 as an end means the same (until midnight).
            to: RwSignal::new(minutes_text(window.end % 1440)),
        }
    }
}

#[component]
fn ContactEditor(groups: Vec<Group>, contact: Option<Contact>) -> impl IntoView {
    let ui = use_ui();
    let form = contact.as_ref().map(|c| c.form.clone());
    let id = contact.as_ref().map(|c| c.id.clone());
    let pseudonym = RwSignal::new(
        form.as_ref()
            .map(|f| f.pseudonym.clone())
            .unwrap_or_default(),
    );
    let zone = RwSignal::new(
        form.as_ref()
            .map(|f| f.time_zone.clone())
            .unwrap_or_else(|| ui.zone_untracked()),
    );
    let phone = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.phone.clone())
            .unwrap_or_default(),
    );
    let link = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.link.clone())
            .unwrap_or_default(),
    );
    let note = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.note.clone())
            .unwrap_or_default(),
    );
    let group = RwSignal::new(
        form.as_ref()
            .and_then(|f| f.group_id.clone())
            .unwrap_or_default(),
    );
    let next_key = StoredValue::new(0u32);
    let fresh_key = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        key
    };
    let rows = RwSignal::new(
        form.as_ref()
            .map(|f| {
                f.availability
                    .iter()
                    .map(|w| Row::new(fresh_key(), *w))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);

    let add_row = move |_| {
        let key = fresh_key();
        // A new row copies the last one's hours (people often repeat them) on the next day.
        let window = rows.with_untracked(|rows| {
            rows.last().map(|r| {
                (
                    r.weekday.get_untracked(),
                    r.from.get_untracked(),
                    r.to.get_untracked(),
                )
            })
        });
        let row = match window {
            Some((day, from, to)) => Row {
                key,
                weekday: RwSignal::new((day + 1) % 7),
                from: RwSignal::new(from),
                to: RwSignal::new(to),
            },
            None => Row::new(
                key,
                Window {
                    weekday: 0,
                    start: 19 * 60,
                    end: 22 * 60,
                },
            ),
        };
        rows.update(|rows| rows.push(row));
        request_animation_frame(move || {
            if let Some(el) = document().get_element_by_id(&format!("availability-weekday-{key}"))
                && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
            {
                let _ = el.focus();
            }
        });
    };

    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let mut found = FormErrors::default();
            let name = pseudonym.get_untracked().trim().to_owned();
            if name.is_empty() {
                found.field("pseudonym", Key::ErrPseudonymEmpty);
            }
            let link_value = opt(link.get_untracked());
            if link_value.as_deref().is_some_and(|l| !looks_like_url(l)) {
                found.field("link", Key::ErrUrl);
            }
            let mut windows = Vec::new();
            for (index, row) in rows.get_untracked().iter().enumerate() {
                match (
                    parse_minutes(&row.from.get_untracked()),
                    parse_minutes(&row.to.get_untracked()),
                ) {
                    (Some(start), Some(end)) if start < 1440 => windows.push(Window {
                        weekday: row.weekday.get_untracked(),
                        start,
                        end,
                    }),
                    _ => found.field(
                        "availability",
                        Msg::Fill(Key::ErrWindow, vec![(index + 1).to_string()]),
                    ),
                }
            }
            errors.set(found.clone());
            if !found.is_empty() {
                return;
            }
            let request = ContactForm {
                pseudonym: name,
                phone: opt(phone.get_untracked()),
                link: link_value,
                note: opt(note.get_untracked()),
                group_id: opt(group.get_untracked()),
                time_zone: zone.get_untracked(),
                availability: windows,
            };
            let id = id.clone();
            pending.set(true);
            spawn_local(async move {
                let result = match &id {
                    Some(id) => ipc::update_contact(id, &request).await,
                    None => ipc::add_contact(&request).await,
                };
                match result {
                    Ok(contact) => {
                        ui.changed();
                        ui.go(Screen::Contacts);
                        ui.say(fill(
                            ui.t(if id.is_some() {
                                Key::ContactSaved
                            } else {
                                Key::ContactAdded
                            }),
                            &[&contact.form.pseudonym],
                        ));
                    }
                    Err(error) => {
                        let mut found = FormErrors::default();
                        found.place(
                            ui.explain(&error),
                            &[
                                (
                                    "availability",
                                    &["window", "availability", "minute", "weekday"],
                                ),
                                ("pseudonym", &["name", "pseudonym"]),
                                ("link", &["link", "url"]),
                                ("phone", &["phone"]),
                                ("zone", &["zone"]),
                                ("note", &["note"]),
                            ],
                        );
                        errors.set(found);
                    }
                }
                pending.set(false);
            });
        }
    };

    let group_options = groups
        .into_iter()
        .map(|g| {
            let gid = g.id.clone();
            view! {
                <option value=g.id.clone() prop:selected=move || group.get() == gid>
                    {g.form.name.clone()}
                </option>
            }
        })
        .collect_view();

    view! {
        <form class="form" novalidate on:submit=submit data-testid="contact-form">
            <div class="field">
                <label for="contact-pseudonym">{move || ui.t(Key::Pseudonym)}</label>
                <p class="hint" id="contact-pseudonym-hint">
                    {move || ui.t(Key::ContactPseudonymHint)}
                </p>
                <input
                    id="contact-pseudonym"
                    data-testid="contact-pseudonym"
                    type="text"
                    maxlength="40"
                    autocomplete="off"
                    placeholder=move || ui.t(Key::PseudonymExample)
                    aria-invalid=invalid(errors, "pseudonym")
                    aria-describedby=move || {
                        let mut ids = "contact-pseudonym-hint".to_owned();
                        if errors.with(|e| e.has("pseudonym")) {
                            ids.push_str(" contact-pseudonym-error");
                        }
                        ids
                    }
                    bind:value=pseudonym
                />
                <FieldError errors field="pseudonym" id="contact-pseudonym" />
            </div>
            <div class="field">
                <label for="contact-time-zone">{move || ui.t(Key::TheirTimeZone)}</label>
                <ZoneSelect id="contact-time-zone" value=zone errors field="zone" />
                <FieldError errors field="zone" id="contact-time-zone" />
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="contact-phone">{move || ui.t(Key::Phone)}</label>
                    <input
                        id="contact-phone"
                        data-testid="contact-phone"
                        type="tel"
                        autocomplete="off"
                        aria-invalid=invalid(errors, "phone")
                        aria-describedby=described(errors, "phone", "contact-phone")
                        bind:value=phone
                    />
                    <FieldError errors field="phone" id="contact-phone" />
                </div>
                <div class="field">
                    <label for="contact-link">{move || ui.t(Key::Link)}</label>
                    <input
                        id="contact-link"
                        data-testid="contact-link"
                        type="url"
                        placeholder="https://"
                        aria-invalid=invalid(errors, "link")
                        aria-describedby=described(errors, "link", "contact-link")
                        bind:value=link
                    />
                    <FieldError errors field="link" id="contact-link" />
                </div>
            </div>
            <div class="field">
                <label for="contact-group">{move || ui.t(Key::MetIn)}</label>
                <select
                    id="contact-group"
                    data-testid="contact-group"
                    on:change=move |ev| group.set(event_target_value(&ev))
                >
                    <option value="" prop:selected=move || group.get().is_empty()>
                        {move || ui.t(Key::NoGroup)}
                    </option>
                    {group_options}
                </select>
            </div>
            <div class="field">
                <label for="contact-note">{move || ui.t(Key::Note)}</label>
                <textarea
                    id="contact-note"
                    data-testid="contact-note"
                    rows="2"
                    bind:value=note
                ></textarea>
                <FieldError errors field="note" id="contact-note" />
            </div>
            <fieldset class="field availability" data-testid="availability">
                <legend>{move || ui.t(Key::Availability)}</legend>
                <p class="hint">{move || ui.t(Key::AvailabilityHint)}</p>
                {move || {
                    if rows.with(Vec::is_empty) {
                        Some(
                            view! {
                                <p class="empty" data-testid="availability-empty">
                                    {move || ui.t(Key::NoAvailabilityYet)}
                                </p>
                            },
                        )
                    } else {
                        None
                    }
                }}
                <ul class="availability-rows">
                    <For each=move || rows.get() key=|row| row.key let:row>
                        <AvailabilityRow row rows />
                    </For>
                </ul>
                <FieldError errors field="availability" id="availability" />
                <button
                    type="button"
                    class="secondary"
                    data-testid="availability-add"
                    on:click=add_row
                >
                    {move || ui.t(Key::AddTime)}
                </button>
            </fieldset>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="contact-submit"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { ui.t(Key::Saving) } else { ui.t(Key::SaveContact) }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="contact-cancel"
                    on:click=move |_| ui.go(Screen::Contacts)
                >
                    {move || ui.t(Key::Back)}
                </button>
                <FormError errors testid="contact-error" />
            </div>
        </form>
    }
}

#[component]
fn AvailabilityRow(row: Row, rows: RwSignal<Vec<Row>>) -> impl IntoView {
    let ui = use_ui();
    let key = row.key;
    // Position among the rows, for hooks and labels ("Time 2").
    let position = move || rows.with(|rows| rows.iter().position(|r| r.key == key).unwrap_or(0));
    let weekday_id = format!("availability-weekday-{key}");
    let from_id = format!("availability-from-{key}");
    let to_id = format!("availability-to-{key}");
    view! {
        <li class="availability-row" data-testid="availability-row" data-index=position>
            <div class="field">
                <label for=weekday_id.clone()>{move || ui.t(Key::Day)}</label>
                <select
                    id=weekday_id.clone()
                    data-testid="availability-weekday"
                    on:change=move |ev| {
                        if let Ok(day) = event_target_value(&ev).parse::<u8>() {
                            row.weekday.set(day);
                        }
                    }
                >
                    {WEEKDAYS
                        .into_iter()
                        .enumerate()
                        .map(|(index, day)| {
                            let index = index as u8;
                            view! {
                                <option
                                    value=index.to_string()
                                    prop:selected=move || row.weekday.get() == index
                                >
                                    {move || weekday_name(day, ui.lang.get())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for=from_id.clone()>{move || ui.t(Key::From)}</label>
                <input
                    id=from_id.clone()
                    data-testid="availability-from"
                    type="time"
                    bind:value=row.from
                />
            </div>
            <div class="field">
                <label for=to_id.clone()>{move || ui.t(Key::To)}</label>
                <input
                    id=to_id.clone()
                    data-testid="availability-to"
                    type="time"
                    bind:value=row.to
                />
            </div>
            <button
                type="button"
                class="secondary remove-row"
                data-testid="availability-remove"
                aria-label=move || fill(ui.t(Key::RemoveTimeN), &[&(position() + 1).to_string()])
                on:click=move |_| rows.update(|rows| rows.retain(|r| r.key != key))
            >
                {move || ui.t(Key::Remove)}
            </button>
        </li>
    }
}

fn opt(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
