//! The unlock screen: the passphrase, or one button when the OS keychain holds the key.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{ErrorKind, Protection, UnlockRequest};

use crate::app::{Mark, Phase, Screen, use_ui};
use crate::components::{FieldError, FormError, FormErrors, described, invalid};
use crate::i18n::Key;
use crate::ipc;

#[component]
pub fn UnlockPage(protection: Option<Protection>) -> impl IntoView {
    let ui = use_ui();
    let passphrase = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let keychain = protection == Some(Protection::Keychain);

    let open = move |secret: Option<String>| {
        if pending.get_untracked() {
            return;
        }
        let lang = ui.lang.get_untracked();
        if let Some(secret) = &secret
            && secret.is_empty()
        {
            let mut found = FormErrors::default();
            found.field("passphrase", Key::ErrPassphraseEmpty);
            errors.set(found);
            return;
        }
        errors.set(FormErrors::default());
        pending.set(true);
        spawn_local(async move {
            match ipc::unlock(&UnlockRequest { passphrase: secret }).await {
                // A new device still pairing has no profile yet: `boot` shows the waiting screen.
                Ok(profile) if profile.pseudonym.is_empty() => crate::app::boot(ui).await,
                Ok(profile) => {
                    ui.use_profile(profile);
                    ui.screen.set(Screen::Today);
                    ui.phase.set(Phase::Open);
                    ui.say(ui.t(Key::Unlocked));
                }
                Err(error) => {
                    let mut found = FormErrors::default();
                    if error.kind == ErrorKind::WrongPassphrase {
                        found.field("passphrase", Key::ErrWrongPassphrase);
                    } else {
                        found.form(crate::i18n::error_text(&error, lang));
                    }
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
                <h1 tabindex="-1">{move || ui.t(Key::UnlockTitle)}</h1>
                <p class="lede">{move || ui.t(Key::UnlockLede)}</p>
                {if keychain {
                    view! {
                        <div class="actions">
                            <button
                                type="button"
                                class="primary"
                                data-testid="unlock-keychain"
                                disabled=move || pending.get()
                                on:click=move |_| open(None)
                            >
                                {move || {
                                    if pending.get() { ui.t(Key::Opening) } else { ui.t(Key::Open) }
                                }}
                            </button>
                            <FormError errors testid="unlock-error" />
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <form
                            class="form"
                            novalidate
                            data-testid="unlock-form"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                open(Some(passphrase.get_untracked()));
                            }
                        >
                            <div class="field">
                                <label for="unlock-passphrase">
                                    {move || ui.t(Key::Passphrase)}
                                </label>
                                <input
                                    id="unlock-passphrase"
                                    data-testid="unlock-passphrase"
                                    type="password"
                                    autocomplete="current-password"
                                    autofocus
                                    aria-invalid=invalid(errors, "passphrase")
                                    aria-describedby=described(
                                        errors,
                                        "passphrase",
                                        "unlock-passphrase",
                                    )
                                    bind:value=passphrase
                                />
                                <FieldError errors field="passphrase" id="unlock-passphrase" />
                            </div>
                            <div class="actions">
                                <button
                                    type="submit"
                                    class="primary"
                                    data-testid="unlock-submit"
                                    disabled=move || pending.get()
                                >
                                    {move || {
                                        if pending.get() {
                                            ui.t(Key::Opening)
                                        } else {
                                            ui.t(Key::Unlock)
                                        }
                                    }}
                                </button>
                                <FormError errors testid="unlock-error" />
                            </div>
                        </form>
                    }
                        .into_any()
                }}
            </div>
        </main>
    }
}
