//! First run: a pseudonym (first name and initial), how the data is protected, the language
//! and the member's time zone.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::SetupRequest;

use crate::app::{Mark, Phase, Screen, use_ui};
use crate::clock;
use crate::components::{FieldError, FormError, FormErrors, Msg, ZoneSelect, described, invalid};
use crate::i18n::{Key, Lang, fill};
use crate::ipc;

pub const MIN_PASSPHRASE: usize = 8;

#[component]
pub fn FirstRunPage(keychain_available: bool) -> impl IntoView {
    let ui = use_ui();
    let pseudonym = RwSignal::new(String::new());
    let use_keychain = RwSignal::new(keychain_available);
    let passphrase = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let zone = RwSignal::new(clock::system_time_zone().unwrap_or_else(|| "UTC".to_owned()));
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let lang = ui.lang.get_untracked();
        let mut found = FormErrors::default();
        let name = pseudonym.get_untracked().trim().to_owned();
        if name.is_empty() {
            found.field("pseudonym", Key::ErrPseudonymEmpty);
        }
        let secret = if use_keychain.get_untracked() {
            None
        } else {
            let first = passphrase.get_untracked();
            if first.chars().count() < MIN_PASSPHRASE {
                found.field(
                    "passphrase",
                    Msg::Fill(Key::ErrPassphraseShort, vec![MIN_PASSPHRASE.to_string()]),
                );
            } else if first != again.get_untracked() {
                found.field("again", Key::ErrPassphraseMismatch);
            }
            Some(first)
        };
        errors.set(found.clone());
        if !found.is_empty() {
            return;
        }
        let request = SetupRequest {
            pseudonym: name,
            passphrase: secret,
            language: Some(lang.code().to_owned()),
            time_zone: Some(zone.get_untracked()),
        };
        pending.set(true);
        spawn_local(async move {
            match ipc::setup(&request).await {
                Ok(profile) => {
                    let name = profile.pseudonym.clone();
                    ui.use_profile(profile);
                    ui.phase.set(Phase::Open);
                    ui.go(Screen::Today);
                    ui.say(fill(ui.t(Key::WelcomeSaid), &[&name]));
                }
                Err(error) => {
                    let message = ui.explain(&error);
                    let mut found = FormErrors::default();
                    found.place(
                        message,
                        &[
                            ("passphrase", &["passphrase", "contraseña"]),
                            ("pseudonym", &["name", "pseudonym"]),
                            ("zone", &["zone"]),
                        ],
                    );
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };

    view! {
        <main id="main" class="center-page">
            <div class="card welcome">
                <div class="welcome-mark">
                    <Mark size=56 />
                </div>
                <h1 tabindex="-1">{move || ui.t(Key::WelcomeTitle)}</h1>
                <p class="lede">{move || ui.t(Key::WelcomeLede)}</p>
                <form class="form" on:submit=submit novalidate data-testid="setup-form">
                    <div class="field">
                        <label for="setup-language">{move || ui.t(Key::Language)}</label>
                        <LanguageSelect
                            id="setup-language"
                            on_change=Callback::new(move |lang: Lang| ui.lang.set(lang))
                        />
                    </div>
                    <div class="field">
                        <label for="setup-pseudonym">{move || ui.t(Key::Pseudonym)}</label>
                        <p class="hint" id="setup-pseudonym-hint">
                            {move || ui.t(Key::PseudonymNorm)}
                        </p>
                        <input
                            id="setup-pseudonym"
                            data-testid="setup-pseudonym"
                            type="text"
                            autocomplete="off"
                            maxlength="40"
                            placeholder=move || ui.t(Key::PseudonymExample)
                            aria-describedby=move || {
                                let mut ids = "setup-pseudonym-hint".to_owned();
                                if errors.with(|e| e.has("pseudonym")) {
                                    ids.push_str(" setup-pseudonym-error");
                                }
                                ids
                            }
                            aria-invalid=invalid(errors, "pseudonym")
                            bind:value=pseudonym
                        />
                        <FieldError errors field="pseudonym" id="setup-pseudonym" />
                    </div>
                    <fieldset class="field">
                        <legend>{move || ui.t(Key::ProtectTitle)}</legend>
                        <p class="hint">
                            {move || {
                                ui.t(
                                    if keychain_available {
                                        Key::ProtectHint
                                    } else {
                                        Key::ProtectHintPassphrase
                                    },
                                )
                            }}
                        </p>
                        <Show when=move || keychain_available>
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="protection"
                                    data-testid="setup-protection-keychain"
                                    prop:checked=move || use_keychain.get()
                                    on:change=move |_| use_keychain.set(true)
                                />
                                <span>{move || ui.t(Key::ProtectKeychain)}</span>
                            </label>
                        </Show>
                        <Show when=move || keychain_available>
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="protection"
                                    data-testid="setup-protection-passphrase"
                                    prop:checked=move || !use_keychain.get()
                                    on:change=move |_| use_keychain.set(false)
                                />
                                <span>{move || ui.t(Key::ProtectPassphrase)}</span>
                            </label>
                        </Show>
                        <Show when=move || !use_keychain.get()>
                            <div class="field">
                                <label for="setup-passphrase">
                                    {move || ui.t(Key::Passphrase)}
                                </label>
                                <p class="hint" id="setup-passphrase-hint">
                                    {move || {
                                        fill(
                                            ui.t(Key::PassphraseHint),
                                            &[&MIN_PASSPHRASE.to_string()],
                                        )
                                    }}
                                </p>
                                <input
                                    id="setup-passphrase"
                                    data-testid="setup-passphrase"
                                    type="password"
                                    autocomplete="new-password"
                                    aria-invalid=invalid(errors, "passphrase")
                                    aria-describedby=move || {
                                        let mut ids = "setup-passphrase-hint".to_owned();
                                        if errors.with(|e| e.has("passphrase")) {
                                            ids.push_str(" setup-passphrase-error");
                                        }
                                        ids
                                    }
                                    bind:value=passphrase
                                />
                                <FieldError errors field="passphrase" id="setup-passphrase" />
                            </div>
                            <div class="field">
                                <label for="setup-passphrase-again">
                                    {move || ui.t(Key::PassphraseAgain)}
                                </label>
                                <input
                                    id="setup-passphrase-again"
                                    data-testid="setup-passphrase-again"
                                    type="password"
                                    autocomplete="new-password"
                                    aria-invalid=invalid(errors, "again")
                                    aria-describedby=described(
                                        errors,
                                        "again",
                                        "setup-passphrase-again",
                                    )
                                    bind:value=again
                                />
                                <FieldError errors field="again" id="setup-passphrase-again" />
                            </div>
                        </Show>
                    </fieldset>
                    <div class="field">
                        <label for="setup-time-zone">{move || ui.t(Key::TimeZone)}</label>
                        <p class="hint">{move || ui.t(Key::TimeZoneHint)}</p>
                        <ZoneSelect id="setup-time-zone" value=zone errors field="zone" />
                        <FieldError errors field="zone" id="setup-time-zone" />
                    </div>
                    <div class="actions">
                        <button
                            type="submit"
                            class="primary"
                            data-testid="setup-submit"
                            disabled=move || pending.get()
                        >
                            {move || {
                                if pending.get() { ui.t(Key::SettingUp) } else { ui.t(Key::Start) }
                            }}
                        </button>
                        <FormError errors testid="setup-error" />
                    </div>
                </form>
                <crate::pages::devices::PairFromOtherDevice />
            </div>
        </main>
    }
}

/// English / Español, each named in its own language.
#[component]
pub fn LanguageSelect(id: &'static str, on_change: Callback<Lang>) -> impl IntoView {
    let ui = use_ui();
    view! {
        <select
            id=id
            data-testid=id
            on:change=move |ev| on_change.run(Lang::from_code(&event_target_value(&ev)))
        >
            {Lang::ALL
                .into_iter()
                .map(|lang| {
                    view! {
                        <option
                            value=lang.code()
                            lang=lang.code()
                            prop:selected=move || ui.lang.get() == lang
                        >
                            {lang.own_name()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
