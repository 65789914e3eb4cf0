//! Several devices of one member: on a new device, the first run can start from a pairing code
//! shown by the member's other device (then a waiting screen until that device answers); on a
//! device in use, Settings → Devices lists the member's devices and shows a pairing code.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{PairingCode, PairingState, SetupPaired};

use crate::app::{Mark, Phase, boot, use_ui};
use crate::components::{FieldError, FormError, FormErrors, Msg, described, invalid};
use crate::i18n::{Key, fill};
use crate::ipc;
use crate::pages::first_run::MIN_PASSPHRASE;

/// How often the waiting screen asks whether the other device answered.
const POLL: Duration = Duration::from_secs(2);

/// On the first-run screen: "I already use Mutua on another device".
#[component]
pub fn PairFromOtherDevice() -> impl IntoView {
    let ui = use_ui();
    let code = RwSignal::new(String::new());
    let passphrase = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let mut found = FormErrors::default();
        let text = code.get_untracked().trim().to_owned();
        if text.is_empty() {
            found.field("code", Key::ErrPairCodeEmpty);
        }
        let first = passphrase.get_untracked();
        if first.chars().count() < MIN_PASSPHRASE {
            found.field(
                "passphrase",
                Msg::Fill(Key::ErrPassphraseShort, vec![MIN_PASSPHRASE.to_string()]),
            );
        } else if first != again.get_untracked() {
            found.field("again", Key::ErrPassphraseMismatch);
        }
        errors.set(found.clone());
        if !found.is_empty() {
            return;
        }
        let request = SetupPaired {
            code: text,
            passphrase: Some(first),
        };
        pending.set(true);
        spawn_local(async move {
            match ipc::setup_paired(&request).await {
                Ok(_) => ui.phase.set(Phase::Pairing),
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.place(
                        ui.explain(&failure),
                        &[
                            ("code", &["code", "pairing"]),
                            ("passphrase", &["passphrase"]),
                        ],
                    );
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let open_picture = move |_| {
        spawn_local(async move {
            match ipc::read_qr_image().await {
                Ok(Some(text)) => code.set(text),
                Ok(None) => {}
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.field("code", failure.message);
                    errors.set(found);
                }
            }
        });
    };
    view! {
        <details class="pair-first-run" data-testid="pair-from-other">
            <summary>{move || ui.t(Key::PairFromOther)}</summary>
            <p class="hint">{move || ui.t(Key::PairFromOtherHint)}</p>
            <form class="form" novalidate on:submit=submit data-testid="pair-form">
                <div class="field">
                    <label for="pair-code">{move || ui.t(Key::PairCodeLabel)}</label>
                    <textarea
                        id="pair-code"
                        data-testid="pair-code"
                        rows="3"
                        spellcheck="false"
                        aria-invalid=invalid(errors, "code")
                        aria-describedby=described(errors, "code", "pair-code")
                        bind:value=code
                    ></textarea>
                    <FieldError errors field="code" id="pair-code" />
                    <button
                        type="button"
                        class="secondary"
                        data-testid="pair-open-picture"
                        on:click=open_picture
                    >
                        {move || ui.t(Key::OpenPicture)}
                    </button>
                </div>
                <div class="field">
                    <label for="pair-passphrase">{move || ui.t(Key::PairPassphrase)}</label>
                    <input
                        id="pair-passphrase"
                        data-testid="pair-passphrase"
                        type="password"
                        autocomplete="new-password"
                        aria-invalid=invalid(errors, "passphrase")
                        aria-describedby=described(errors, "passphrase", "pair-passphrase")
                        bind:value=passphrase
                    />
                    <FieldError errors field="passphrase" id="pair-passphrase" />
                </div>
                <div class="field">
                    <label for="pair-again">{move || ui.t(Key::PairPassphraseAgain)}</label>
                    <input
                        id="pair-again"
                        data-testid="pair-again"
                        type="password"
                        autocomplete="new-password"
                        aria-invalid=invalid(errors, "again")
                        aria-describedby=described(errors, "again", "pair-again")
                        bind:value=again
                    />
                    <FieldError errors field="again" id="pair-again" />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="pair-submit"
                        disabled=move || pending.get()
                    >
                        {move || ui.t(Key::PairSubmit)}
                    </button>
                    <FormError errors testid="pair-error" />
                </div>
            </form>
        </details>
    }
}

/// The new device's waiting screen, until the other device answers (or refuses).
#[component]
pub fn PairingPage() -> impl IntoView {
    let ui = use_ui();
    let state = RwSignal::new(None::<PairingState>);
    let check = move || {
        spawn_local(async move {
            match ipc::pairing_status().await {
                Ok(Some(PairingState::Paired)) | Ok(None) => boot(ui).await,
                Ok(Some(now)) => state.set(Some(now)),
                Err(_) => {}
            }
        });
    };
    check();
    if let Ok(handle) = set_interval_with_handle(check, POLL) {
        on_cleanup(move || handle.clear());
    }
    let start_over = move |_| {
        spawn_local(async move {
            match ipc::cancel_pairing().await {
                Ok(()) => boot(ui).await,
                Err(failure) => ui.say(ui.explain(&failure)),
            }
        });
    };
    view! {
        <main id="main" class="center-page">
            <div class="card welcome" data-testid="pairing-wait">
                <div class="welcome-mark">
                    <Mark size=56 />
                </div>
                <h1 tabindex="-1">{move || ui.t(Key::PairingTitle)}</h1>
                <p class="lede" aria-live="polite" data-testid="pairing-state">
                    {move || match state.get() {
                        None | Some(PairingState::Paired) => ui.t(Key::Loading).to_owned(),
                        Some(PairingState::Waiting { expires_at }) => {
                            fill(
                                ui.t(Key::PairingWaiting),
                                &[&crate::i18n::datetime_text(&expires_at, ui.lang.get())],
                            )
                        }
                        Some(PairingState::Refused { reason }) => {
                            fill(ui.t(Key::PairingRefused), &[&reason])
                        }
                    }}
                </p>
                <p class="status" role="status" aria-live="polite" data-testid="status">
                    {move || ui.status.get()}
                </p>
                <button
                    type="button"
                    class="secondary"
                    data-testid="pairing-start-over"
                    on:click=start_over
                >
                    {move || ui.t(Key::PairingStartOver)}
                </button>
            </div>
        </main>
    }
}

/// Settings → Devices: this member's devices, and a code to pair another one.
#[component]
pub fn DevicesSection() -> impl IntoView {
    let ui = use_ui();
    let devices = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ipc::devices()
    });
    let code = RwSignal::new(None::<PairingCode>);
    let error = RwSignal::new(None::<String>);
    let pair = move |_| {
        error.set(None);
        spawn_local(async move {
            match ipc::create_pairing().await {
                Ok(made) => {
                    code.set(Some(made));
                    ui.say(ui.t(Key::PairCodeReady));
                }
                Err(failure) => error.set(Some(ui.explain(&failure))),
            }
        });
    };
    view! {
        <section class="panel" aria-labelledby="settings-devices-h">
            <h2 id="settings-devices-h">{move || ui.t(Key::DevicesTitle)}</h2>
            <p class="hint">{move || ui.t(Key::DevicesHint)}</p>
            <ul class="list" data-testid="devices-list">
                {move || {
                    devices
                        .get()
                        .and_then(Result::ok)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|d| {
                            view! {
                                <li class="list-item" data-testid="device-item">
                                    <code>{d.fingerprint}</code>
                                    {d
                                        .this_device
                                        .then(|| {
                                            view! {
                                                <span class="badge">
                                                    {move || ui.t(Key::ThisDevice)}
                                                </span>
                                            }
                                        })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <button type="button" class="secondary" data-testid="devices-pair" on:click=pair>
                {move || ui.t(Key::PairNewDevice)}
            </button>
            <p class="form-error" aria-live="polite" data-testid="devices-error">
                {move || error.get()}
            </p>
            {move || {
                code.get()
                    .map(|made| {
                        view! {
                            <div class="invite-code" data-testid="pair-result">
                                <div
                                    class="qr"
                                    role="img"
                                    aria-label=move || ui.t(Key::PairQrLabel)
                                    data-testid="pair-qr"
                                    inner_html=made.qr_svg.clone()
                                ></div>
                                <textarea
                                    data-testid="pair-code-text"
                                    aria-label=move || ui.t(Key::PairCodeLabel)
                                    readonly
                                    rows="3"
                                    prop:value=made.code.clone()
                                ></textarea>
                                <p class="hint">
                                    {move || {
                                        fill(
                                            ui.t(Key::PairCodeNote),
                                            &[&crate::i18n::datetime_text(&made.expires_at, ui.lang.get())],
                                        )
                                    }}
                                </p>
                            </div>
                        }
                    })
            }}
        </section>
    }
}
