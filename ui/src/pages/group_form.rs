//! Creating and editing a group: name, purpose, kind (with planned sessions for facilitated
//! groups), admission, language, place, online link and the group's own guidelines.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{Admission, Group, GroupForm, GroupKind};

use crate::app::{Screen, use_ui};
use crate::components::{
    FieldError, FormError, FormErrors, LoadError, Loading, described, invalid,
};
use crate::i18n::{GROUP_LANGUAGES, Key, language_name};
use crate::ipc;

#[component]
pub fn GroupFormPage(id: Option<String>) -> impl IntoView {
    let ui = use_ui();
    match id {
        None => view! {
            <h1 tabindex="-1">{move || ui.t(Key::NewGroup)}</h1>
            <GroupEditor group=None />
        }
        .into_any(),
        Some(id) => {
            let detail = LocalResource::new(move || {
                let id = id.clone();
                async move { ipc::group(&id).await }
            });
            view! {
                <h1 tabindex="-1">{move || ui.t(Key::EditGroup)}</h1>
                {move || match detail.get() {
                    None => view! { <Loading /> }.into_any(),
                    Some(Err(error)) => {
                        view! { <LoadError message=ui.explain(&error) /> }.into_any()
                    }
                    Some(Ok(detail)) => {
                        view! { <GroupEditor group=Some(detail.group) /> }.into_any()
                    }
                }}
            }
            .into_any()
        }
    }
}

fn opt(value: String) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

pub fn looks_like_url(url: &str) -> bool {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    matches!(rest, Some(host) if !host.is_empty() && !url.trim().contains(char::is_whitespace))
}

#[component]
fn GroupEditor(group: Option<Group>) -> impl IntoView {
    let ui = use_ui();
    let initial = group.as_ref().map(|g| g.form.clone());
    let id = group.as_ref().map(|g| g.id.clone());
    let field = |get: fn(&GroupForm) -> Option<String>| {
        RwSignal::new(initial.as_ref().and_then(get).unwrap_or_default())
    };
    let name = RwSignal::new(initial.as_ref().map(|f| f.name.clone()).unwrap_or_default());
    let purpose = field(|f| f.purpose.clone());
    let place = field(|f| f.place.clone());
    let online_url = field(|f| f.online_url.clone());
    let guidelines = field(|f| f.guidelines.clone());
    let language = field(|f| f.language.clone());
    let kind = RwSignal::new(initial.as_ref().map_or(GroupKind::MutualAid, |f| f.kind));
    let admission = RwSignal::new(initial.as_ref().map_or(Admission::Open, |f| f.admission));
    let planned = RwSignal::new(
        initial
            .as_ref()
            .and_then(|f| f.planned_sessions)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "8".to_owned()),
    );
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let back = match &id {
        Some(id) => Screen::Group(id.clone()),
        None => Screen::Groups,
    };

    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let mut found = FormErrors::default();
            let group_name = name.get_untracked().trim().to_owned();
            if group_name.is_empty() {
                found.field("name", Key::ErrGroupName);
            }
            let planned_sessions = if kind.get_untracked() == GroupKind::Facilitated {
                match planned.get_untracked().trim().parse::<u32>() {
                    Ok(n @ 1..=200) => Some(n),
                    _ => {
                        found.field("planned", Key::ErrPlannedSessions);
                        None
                    }
                }
            } else {
                None
            };
            let url = opt(online_url.get_untracked());
            if url.as_deref().is_some_and(|u| !looks_like_url(u)) {
                found.field("online_url", Key::ErrUrl);
            }
            errors.set(found.clone());
            if !found.is_empty() {
                return;
            }
            let form = GroupForm {
                name: group_name,
                purpose: opt(purpose.get_untracked()),
                kind: kind.get_untracked(),
                planned_sessions,
                admission: admission.get_untracked(),
                language: opt(language.get_untracked()),
                place: opt(place.get_untracked()),
                online_url: url,
                guidelines: opt(guidelines.get_untracked()),
            };
            let id = id.clone();
            pending.set(true);
            spawn_local(async move {
                let result = match &id {
                    Some(id) => ipc::update_group(id, &form).await,
                    None => ipc::create_group(&form).await,
                };
                match result {
                    Ok(group) => {
                        ui.changed();
                        ui.go(Screen::Group(group.id.clone()));
                        ui.say(ui.t(if id.is_some() {
                            Key::ChangesSaved
                        } else {
                            Key::GroupCreated
                        }));
                    }
                    Err(error) => {
                        let mut found = FormErrors::default();
                        found.place(
                            ui.explain(&error),
                            &[
                                ("planned", &["planned sessions"]),
                                ("name", &["group name", "name"]),
                                ("purpose", &["purpose"]),
                                ("language", &["language"]),
                                ("online_url", &["link", "url"]),
                                ("place", &["place"]),
                                ("guidelines", &["guidelines"]),
                            ],
                        );
                        errors.set(found);
                    }
                }
                pending.set(false);
            });
        }
    };

    view! {
        <form class="form" novalidate on:submit=submit data-testid="group-form">
            <div class="field">
                <label for="group-name">{move || ui.t(Key::GroupName)}</label>
                <input
                    id="group-name"
                    data-testid="group-name"
                    type="text"
                    maxlength="80"
                    aria-invalid=invalid(errors, "name")
                    aria-describedby=described(errors, "name", "group-name")
                    bind:value=name
                />
                <FieldError errors field="name" id="group-name" />
            </div>
            <div class="field">
                <label for="group-purpose">{move || ui.t(Key::Purpose)}</label>
                <p class="hint" id="group-purpose-hint">
                    {move || ui.t(Key::PurposeHint)}
                </p>
                <textarea
                    id="group-purpose"
                    data-testid="group-purpose"
                    rows="3"
                    aria-describedby="group-purpose-hint"
                    aria-invalid=invalid(errors, "purpose")
                    bind:value=purpose
                ></textarea>
                <FieldError errors field="purpose" id="group-purpose" />
            </div>
            <fieldset class="field">
                <legend>{move || ui.t(Key::Kind)}</legend>
                <label class="choice">
                    <input
                        type="radio"
                        name="group-kind"
                        data-testid="group-kind-mutual-aid"
                        prop:checked=move || kind.get() == GroupKind::MutualAid
                        on:change=move |_| kind.set(GroupKind::MutualAid)
                    />
                    <span>
                        <strong>{move || ui.t(Key::KindMutualAid)}</strong>
                        <span class="hint-inline">{move || ui.t(Key::KindMutualAidHint)}</span>
                    </span>
                </label>
                <label class="choice">
                    <input
                        type="radio"
                        name="group-kind"
                        data-testid="group-kind-facilitated"
                        prop:checked=move || kind.get() == GroupKind::Facilitated
                        on:change=move |_| kind.set(GroupKind::Facilitated)
                    />
                    <span>
                        <strong>{move || ui.t(Key::KindFacilitated)}</strong>
                        <span class="hint-inline">{move || ui.t(Key::KindFacilitatedHint)}</span>
                    </span>
                </label>
            </fieldset>
            <Show when=move || kind.get() == GroupKind::Facilitated>
                <div class="field">
                    <label for="group-planned-sessions">{move || ui.t(Key::PlannedSessions)}</label>
                    <input
                        id="group-planned-sessions"
                        data-testid="group-planned-sessions"
                        type="text"
                        pattern="[0-9]*"
                        inputmode="numeric"
                        class="short"
                        aria-invalid=invalid(errors, "planned")
                        aria-describedby=described(errors, "planned", "group-planned-sessions")
                        bind:value=planned
                    />
                    <FieldError errors field="planned" id="group-planned-sessions" />
                </div>
            </Show>
            <fieldset class="field">
                <legend>{move || ui.t(Key::Admission)}</legend>
                <label class="choice">
                    <input
                        type="radio"
                        name="group-admission"
                        data-testid="group-admission-open"
                        prop:checked=move || admission.get() == Admission::Open
                        on:change=move |_| admission.set(Admission::Open)
                    />
                    <span>{move || ui.t(Key::AdmissionOpenHint)}</span>
                </label>
                <label class="choice">
                    <input
                        type="radio"
                        name="group-admission"
                        data-testid="group-admission-closed"
                        prop:checked=move || admission.get() == Admission::Closed
                        on:change=move |_| admission.set(Admission::Closed)
                    />
                    <span>{move || ui.t(Key::AdmissionClosedHint)}</span>
                </label>
            </fieldset>
            <div class="field">
                <label for="group-language">{move || ui.t(Key::GroupLanguage)}</label>
                <select
                    id="group-language"
                    data-testid="group-language"
                    aria-invalid=invalid(errors, "language")
                    on:change=move |ev| language.set(event_target_value(&ev))
                >
                    <option value="" prop:selected=move || language.get().is_empty()>
                        {move || ui.t(Key::NotSet)}
                    </option>
                    {move || {
                        let current = language.get();
                        let mut codes: Vec<String> = GROUP_LANGUAGES
                            .iter()
                            .map(|c| (*c).to_owned())
                            .collect();
                        if !current.is_empty() && !codes.contains(&current) {
                            codes.push(current.clone());
                        }
                        codes
                            .into_iter()
                            .map(|code| {
                                let selected = code == current;
                                let label = language_name(&code, ui.lang.get());
                                view! {
                                    <option value=code prop:selected=selected>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
                <FieldError errors field="language" id="group-language" />
            </div>
            <div class="field">
                <label for="group-place">{move || ui.t(Key::MeetingPlace)}</label>
                <input
                    id="group-place"
                    data-testid="group-place"
                    type="text"
                    aria-invalid=invalid(errors, "place")
                    aria-describedby=described(errors, "place", "group-place")
                    bind:value=place
                />
                <FieldError errors field="place" id="group-place" />
            </div>
            <div class="field">
                <label for="group-online-url">{move || ui.t(Key::OnlineLink)}</label>
                <input
                    id="group-online-url"
                    data-testid="group-online-url"
                    type="url"
                    placeholder="https://"
                    aria-invalid=invalid(errors, "online_url")
                    aria-describedby=described(errors, "online_url", "group-online-url")
                    bind:value=online_url
                />
                <FieldError errors field="online_url" id="group-online-url" />
            </div>
            <div class="field">
                <label for="group-guidelines">{move || ui.t(Key::Guidelines)}</label>
                <p class="hint" id="group-guidelines-hint">
                    {move || ui.t(Key::GuidelinesHint)}
                </p>
                <textarea
                    id="group-guidelines"
                    data-testid="group-guidelines-input"
                    rows="6"
                    aria-describedby="group-guidelines-hint"
                    aria-invalid=invalid(errors, "guidelines")
                    bind:value=guidelines
                ></textarea>
                <FieldError errors field="guidelines" id="group-guidelines" />
            </div>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="group-submit"
                    disabled=move || pending.get()
                >
                    {move || if pending.get() { ui.t(Key::Saving) } else { ui.t(Key::SaveGroup) }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="group-cancel"
                    on:click=move |_| ui.go(back.clone())
                >
                    {move || ui.t(Key::Back)}
                </button>
                <FormError errors testid="group-error" />
            </div>
        </form>
    }
}
