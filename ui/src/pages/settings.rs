//! Settings: the profile (pseudonym, language, time zone), sync (relay, notifications), locking, exporting everything, and
//! deleting everything after a two-step confirmation (a button, then typing the pseudonym).

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::Profile;

use crate::app::{boot, use_ui};
use crate::components::{FieldError, FormError, FormErrors, ZoneSelect, described, invalid};
use crate::i18n::{Key, Lang, fill};
use crate::ipc;
use crate::pages::devices::DevicesSection;
use crate::pages::first_run::LanguageSelect;
use crate::pages::sync::SyncSection;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ui = use_ui();
    let info = LocalResource::new(ipc::app_info);
    view! {
        <h1 tabindex="-1">{move || ui.t(Key::NavSettings)}</h1>
        <ProfileSection />
        <LanguageSection />
        <SyncSection />
        <crate::pages::hub::HubEntry />
        <DevicesSection />
        <ReadReceiptsSection />
        <LockSection />
        <ExportSection />
        <DeleteSection />
        <p class="muted about" id="app-version" data-testid="app-version">
            {move || match info.get() {
                None => ui.t(Key::Loading).to_owned(),
                Some(Ok(info)) => fill(ui.t(Key::VersionLine), &[&info.version]),
                Some(Err(error)) => ui.explain(&error),
            }}
        </p>
    }
}

#[component]
fn ProfileSection() -> impl IntoView {
    let ui = use_ui();
    let current = ui.profile.get_untracked();
    let pseudonym = RwSignal::new(
        current
            .as_ref()
            .map(|p| p.pseudonym.clone())
            .unwrap_or_default(),
    );
    let zone = RwSignal::new(ui.zone_untracked());
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let lang = ui.lang.get_untracked();
        let name = pseudonym.get_untracked().trim().to_owned();
        if name.is_empty() {
            let mut found = FormErrors::default();
            found.field("pseudonym", Key::ErrPseudonymEmpty);
            errors.set(found);
            return;
        }
        errors.set(FormErrors::default());
        let profile = Profile {
            pseudonym: name,
            language: Some(lang.code().to_owned()),
            time_zone: Some(zone.get_untracked()),
        };
        pending.set(true);
        spawn_local(async move {
            match ipc::update_profile(&profile).await {
                Ok(profile) => {
                    ui.use_profile(profile);
                    ui.say(ui.t(Key::ProfileSaved));
                    ui.changed();
                }
                Err(error) => {
                    let mut found = FormErrors::default();
                    found.place(
                        ui.explain(&error),
                        &[("pseudonym", &["name", "pseudonym"]), ("zone", &["zone"])],
                    );
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="settings-profile-h">
            <h2 id="settings-profile-h">{move || ui.t(Key::Profile)}</h2>
            <form class="form" novalidate on:submit=submit data-testid="settings-profile-form">
                <div class="field">
                    <label for="settings-pseudonym">{move || ui.t(Key::Pseudonym)}</label>
                    <p class="hint" id="settings-pseudonym-hint">
                        {move || ui.t(Key::PseudonymNorm)}
                    </p>
                    <input
                        id="settings-pseudonym"
                        data-testid="settings-pseudonym"
                        type="text"
                        maxlength="40"
                        autocomplete="off"
                        aria-invalid=invalid(errors, "pseudonym")
                        aria-describedby=described(errors, "pseudonym", "settings-pseudonym")
                        bind:value=pseudonym
                    />
                    <FieldError errors field="pseudonym" id="settings-pseudonym" />
                </div>
                <div class="field">
                    <label for="settings-time-zone">{move || ui.t(Key::TimeZone)}</label>
                    <p class="hint">{move || ui.t(Key::TimeZoneHint)}</p>
                    <ZoneSelect id="settings-time-zone" value=zone errors field="zone" />
                    <FieldError errors field="zone" id="settings-time-zone" />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="settings-save"
                        disabled=move || pending.get()
                    >
                        {move || {
                            if pending.get() { ui.t(Key::Saving) } else { ui.t(Key::SaveProfile) }
                        }}
                    </button>
                    <FormError errors testid="settings-error" />
                </div>
            </form>
        </section>
    }
}

/// The language applies at once and is saved in the profile.
#[component]
fn LanguageSection() -> impl IntoView {
    let ui = use_ui();
    let error = RwSignal::new(None::<String>);
    let change = Callback::new(move |lang: Lang| {
        let Some(mut profile) = ui.profile.get_untracked() else {
            ui.lang.set(lang);
            return;
        };
        let before = ui.lang.get_untracked();
        ui.lang.set(lang);
        profile.language = Some(lang.code().to_owned());
        error.set(None);
        spawn_local(async move {
            match ipc::update_profile(&profile).await {
                Ok(profile) => {
                    ui.use_profile(profile);
                    ui.say(ui.t(Key::LanguageSaved));
                }
                Err(failure) => {
                    ui.lang.set(before);
                    error.set(Some(ui.explain(&failure)));
                }
            }
        });
    });
    view! {
        <section class="panel" aria-labelledby="settings-language-h">
            <h2 id="settings-language-h">{move || ui.t(Key::Language)}</h2>
            <div class="field">
                <label for="settings-language">{move || ui.t(Key::LanguageOfApp)}</label>
                <LanguageSelect id="settings-language" on_change=change />
            </div>
            <p class="form-error" aria-live="polite" data-testid="settings-language-error">
                {move || error.get()}
            </p>
        </section>
    }
}

/// Read receipts: off unless the member turns them on; the setting follows them to their other
/// devices.
#[component]
fn ReadReceiptsSection() -> impl IntoView {
    let ui = use_ui();
    let enabled = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match ipc::read_receipts().await {
            Ok(on) => enabled.set(on),
            Err(failure) => error.set(Some(ui.explain(&failure))),
        }
    });
    let change = move |ev: leptos::ev::Event| {
        let wanted = event_target_checked(&ev);
        error.set(None);
        spawn_local(async move {
            match ipc::set_read_receipts(wanted).await {
                Ok(on) => {
                    enabled.set(on);
                    ui.say(ui.t(if on {
                        Key::ReadReceiptsOn
                    } else {
                        Key::ReadReceiptsOff
                    }));
                }
                Err(failure) => {
                    enabled.set(!wanted);
                    error.set(Some(ui.explain(&failure)));
                }
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="settings-receipts-h">
            <h2 id="settings-receipts-h">{move || ui.t(Key::ReadReceipts)}</h2>
            <p class="hint" id="settings-read-receipts-hint">
                {move || ui.t(Key::ReadReceiptsHint)}
            </p>
            <label class="choice">
                <input
                    type="checkbox"
                    data-testid="settings-read-receipts"
                    aria-describedby="settings-read-receipts-hint"
                    prop:checked=move || enabled.get()
                    on:change=change
                />
                <span>{move || ui.t(Key::ReadReceiptsLabel)}</span>
            </label>
            <p class="form-error" aria-live="polite" data-testid="settings-read-receipts-error">
                {move || error.get()}
            </p>
        </section>
    }
}

#[component]
fn LockSection() -> impl IntoView {
    let ui = use_ui();
    let error = RwSignal::new(None::<String>);
    let lock = move |_| {
        error.set(None);
        spawn_local(async move {
            match ipc::lock().await {
                Ok(()) => {
                    ui.profile.set(None);
                    boot(ui).await;
                }
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="settings-lock-h">
            <h2 id="settings-lock-h">{move || ui.t(Key::LockTitle)}</h2>
            <p>{move || ui.t(Key::LockHint)}</p>
            <button type="button" class="secondary" data-testid="settings-lock" on:click=lock>
                {move || ui.t(Key::LockNow)}
            </button>
            <p class="form-error" aria-live="polite" data-testid="settings-lock-error">
                {move || error.get()}
            </p>
        </section>
    }
}

#[component]
fn ExportSection() -> impl IntoView {
    let ui = use_ui();
    let error = RwSignal::new(None::<String>);
    let files = RwSignal::new(Vec::<String>::new());
    let pending = RwSignal::new(false);
    let export = move |_| {
        if pending.get_untracked() {
            return;
        }
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let result = match ipc::choose_folder().await {
                Ok(Some(folder)) => ipc::export_all(&folder).await.map(Some),
                Ok(None) => Ok(None),
                Err(failure) => Err(failure),
            };
            match result {
                Ok(Some(summary)) => {
                    ui.say(fill(
                        ui.t(Key::ExportDone),
                        &[&summary.files.len().to_string()],
                    ));
                    files.set(summary.files);
                }
                Ok(None) => {}
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="settings-export-h">
            <h2 id="settings-export-h">{move || ui.t(Key::ExportTitle)}</h2>
            <p>{move || ui.t(Key::ExportHint)}</p>
            <button
                type="button"
                class="secondary"
                data-testid="settings-export"
                disabled=move || pending.get()
                on:click=export
            >
                {move || if pending.get() { ui.t(Key::Exporting) } else { ui.t(Key::ExportButton) }}
            </button>
            <p class="form-error" aria-live="polite" data-testid="settings-export-error">
                {move || error.get()}
            </p>
            <Show when=move || files.with(|f| !f.is_empty())>
                <ul class="file-list" data-testid="settings-export-files">
                    {move || {
                        files
                            .get()
                            .into_iter()
                            .map(|file| {
                                view! {
                                    <li>
                                        <code>{file}</code>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn DeleteSection() -> impl IntoView {
    let ui = use_ui();
    let asking = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let confirm_input = NodeRef::<html::Input>::new();
    Effect::new(move || {
        if let Some(input) = confirm_input.get() {
            let _ = input.focus();
        }
    });
    let pseudonym = move || {
        ui.profile
            .with(|p| p.as_ref().map(|p| p.pseudonym.clone()).unwrap_or_default())
    };
    let matches = move || typed.with(|t| t.trim() == pseudonym().trim());
    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        if !matches() {
            let mut found = FormErrors::default();
            found.field("confirm", Key::ErrConfirmPseudonym);
            errors.set(found);
            return;
        }
        let confirm = typed.get_untracked().trim().to_owned();
        pending.set(true);
        spawn_local(async move {
            match ipc::delete_everything(&confirm).await {
                Ok(()) => {
                    ui.profile.set(None);
                    boot(ui).await;
                }
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.form(ui.explain(&failure));
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel danger-zone" aria-labelledby="settings-delete-h">
            <h2 id="settings-delete-h">{move || ui.t(Key::DeleteEverythingTitle)}</h2>
            <p>{move || ui.t(Key::DeleteEverythingHint)}</p>
            <Show
                when=move || asking.get()
                fallback=move || {
                    view! {
                        <button
                            type="button"
                            class="danger"
                            data-testid="settings-delete"
                            on:click=move |_| asking.set(true)
                        >
                            {move || ui.t(Key::DeleteEverything)}
                        </button>
                    }
                }
            >
                <form class="form" novalidate on:submit=delete data-testid="settings-delete-form">
                    <div class="field">
                        <label for="settings-delete-confirm">
                            {move || fill(ui.t(Key::TypePseudonymToConfirm), &[&pseudonym()])}
                        </label>
                        <input
                            id="settings-delete-confirm"
                            data-testid="settings-delete-confirm"
                            type="text"
                            autocomplete="off"
                            node_ref=confirm_input
                            aria-invalid=invalid(errors, "confirm")
                            aria-describedby=described(errors, "confirm", "settings-delete-confirm")
                            bind:value=typed
                        />
                        <FieldError errors field="confirm" id="settings-delete-confirm" />
                    </div>
                    <div class="actions">
                        <button
                            type="submit"
                            class="danger"
                            data-testid="settings-delete-final"
                            disabled=move || pending.get() || !matches()
                        >
                            {move || ui.t(Key::DeleteEverythingFinal)}
                        </button>
                        <button
                            type="button"
                            class="secondary"
                            data-testid="settings-delete-cancel"
                            on:click=move |_| {
                                asking.set(false);
                                typed.set(String::new());
                                errors.set(FormErrors::default());
                            }
                        >
                            {move || ui.t(Key::KeepMyData)}
                        </button>
                        <FormError errors testid="settings-delete-error" />
                    </div>
                </form>
            </Show>
        </section>
    }
}
