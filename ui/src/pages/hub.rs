//! "Meeting hub": a meeting with no internet. One device hosts sync for the room (its code,
//! address and QR code, how many devices synced); everyone else picks it from "Hubs nearby" or
//! types its address, and stays in step with it live. The status says in words what happened
//! ("Synced with Hub 4821 just now: 14 received, 3 sent").

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{HubPhase, HubStatus, HubSummary, NearbyHub};

use crate::app::{Screen, use_ui};
use crate::components::{FormError, FormErrors};
use crate::i18n::{Key, Lang, fill, text, time_ago};
use crate::ipc;

/// How often the screen asks the shell where the hub stands (a local call; cheap).
const POLL: Duration = Duration::from_secs(2);

/// The status line's words for a hub session: the host says it hosts (unless its own rounds
/// are in trouble); a member who joined sees how the last round went.
pub fn hub_line(hub: &HubSummary, lang: Lang) -> (String, &'static str) {
    let (words, state) = phase_words(&hub.phase, hub.code.as_deref(), lang);
    match &hub.code {
        Some(code) if hub.hosting && state != "trouble" => {
            (fill(text(Key::HubHostingLine, lang), &[code]), state)
        }
        _ => (words, state),
    }
}

/// A round's status in words, for the host's own data or for the hub joined.
fn phase_words(phase: &HubPhase, code: Option<&str>, lang: Lang) -> (String, &'static str) {
    let t = |key| text(key, lang);
    let hub = code.map_or_else(
        || t(Key::HubUnnamed).to_owned(),
        |c| fill(t(Key::HubName), &[c]),
    );
    match phase {
        HubPhase::Connecting => (fill(t(Key::HubConnecting), &[&hub]), "busy"),
        HubPhase::Syncing { received, sent } => (
            fill(
                t(Key::HubSyncing),
                &[&hub, &received.to_string(), &sent.to_string()],
            ),
            "busy",
        ),
        HubPhase::Synced { at, received, sent } => (
            fill(
                t(Key::HubSynced),
                &[
                    &hub,
                    &time_ago(at, lang),
                    &received.to_string(),
                    &sent.to_string(),
                ],
            ),
            "ok",
        ),
        HubPhase::Failed {
            message,
            retry_in_secs,
        } if *retry_in_secs > 0 => (
            fill(
                t(Key::HubRetrying),
                &[&hub, message, &retry_in_secs.to_string()],
            ),
            "trouble",
        ),
        HubPhase::Failed { message, .. } => (fill(t(Key::HubProblem), &[&hub, message]), "trouble"),
    }
}

/// The button in Settings → Sync that opens this screen.
#[component]
pub fn HubEntry() -> impl IntoView {
    let ui = use_ui();
    view! {
        <section class="panel" aria-labelledby="settings-hub-h">
            <h2 id="settings-hub-h">{move || ui.t(Key::HubTitle)}</h2>
            <p class="hint">{move || ui.t(Key::HubEntryHint)}</p>
            <button
                type="button"
                class="secondary"
                data-testid="settings-hub"
                on:click=move |_| ui.go(Screen::Hub)
            >
                {move || ui.t(Key::HubOpen)}
            </button>
        </section>
    }
}

#[component]
pub fn HubPage() -> impl IntoView {
    let ui = use_ui();
    let status = RwSignal::new(None::<HubStatus>);
    let host_errors = RwSignal::new(FormErrors::default());
    let join_errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let nearby = RwSignal::new(None::<Vec<NearbyHub>>);
    let looking = RwSignal::new(false);
    let address = RwSignal::new(String::new());

    let refresh = move || {
        spawn_local(async move {
            if let Ok(s) = ipc::hub_status().await {
                status.set(Some(s));
            }
        });
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(refresh, POLL) {
        on_cleanup(move || handle.clear());
    }

    let hosting = move || status.with(|s| s.as_ref().and_then(|s| s.hosting.clone()));
    let joined = move || status.with(|s| s.as_ref().and_then(|s| s.joined.clone()));

    let toggle_hosting = move |_| {
        if pending.get_untracked() {
            return;
        }
        let on = hosting().is_none();
        pending.set(true);
        host_errors.set(FormErrors::default());
        spawn_local(async move {
            let result = if on {
                ipc::start_hosting().await
            } else {
                ipc::stop_hosting().await
            };
            match result {
                Ok(s) => {
                    match (&s.hosting, on) {
                        (Some(h), true) => ui.say(fill(ui.t(Key::HubHostingStarted), &[&h.code])),
                        _ => ui.say(ui.t(Key::HubHostingStopped)),
                    }
                    status.set(Some(s));
                }
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.form(ui.explain(&failure));
                    host_errors.set(found);
                }
            }
            pending.set(false);
        });
    };

    let look = move |_| {
        if looking.get_untracked() {
            return;
        }
        looking.set(true);
        ui.say(ui.t(Key::HubLooking));
        spawn_local(async move {
            match ipc::find_hubs().await {
                Ok(found) => {
                    ui.say(match found.len() {
                        0 => ui.t(Key::HubNoneFound).to_owned(),
                        n => fill(ui.t(Key::HubFound), &[&n.to_string()]),
                    });
                    nearby.set(Some(found));
                }
                Err(failure) => ui.say(ui.explain(&failure)),
            }
            looking.set(false);
        });
    };

    let join = move |address: String, code: Option<String>| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        join_errors.set(FormErrors::default());
        ui.say(ui.t(Key::HubJoining));
        spawn_local(async move {
            match ipc::join_hub(&address, code).await {
                Ok(s) => {
                    if let Some(j) = &s.joined {
                        ui.say(fill(
                            ui.t(Key::HubJoined),
                            &[j.code.as_deref().unwrap_or("")],
                        ));
                    }
                    status.set(Some(s));
                }
                Err(failure) => {
                    let explained = ui.explain(&failure);
                    // The status line said "Reaching the hub…": it says what happened instead.
                    ui.say(explained.clone());
                    let mut found = FormErrors::default();
                    found.place(
                        explained,
                        &[("hub-address", &["hub address", "port", "address"])],
                    );
                    join_errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let submit_address = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = address.get_untracked().trim().to_owned();
        if typed.is_empty() {
            let mut found = FormErrors::default();
            found.field("hub-address", Key::HubAddressMissing);
            join_errors.set(found);
            return;
        }
        join(typed, None);
    };
    let leave = move |_| {
        spawn_local(async move {
            if let Ok(s) = ipc::leave_hub().await {
                ui.say(ui.t(Key::HubLeft));
                status.set(Some(s));
            }
        });
    };

    view! {
        <div class="page-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="hub-back"
                    on:click=move |_| ui.go(Screen::Settings)
                >
                    {move || ui.t(Key::BackToSettings)}
                </button>
                <h1 tabindex="-1" data-testid="hub-title">{move || ui.t(Key::HubTitle)}</h1>
            </div>
        </div>
        <p class="hint">{move || ui.t(Key::HubIntro)}</p>

        <section class="panel" aria-labelledby="hub-host-h" data-testid="hub-host">
            <h2 id="hub-host-h">{move || ui.t(Key::HubHostTitle)}</h2>
            <label class="choice switch">
                <input
                    type="checkbox"
                    role="switch"
                    data-testid="hub-host-switch"
                    prop:checked=move || hosting().is_some()
                    disabled=move || pending.get()
                    on:change=toggle_hosting
                />
                <span>{move || ui.t(Key::HubHostSwitch)}</span>
            </label>
            <FormError errors=host_errors testid="hub-host-error" />
            {move || {
                hosting()
                    .map(|h| {
                        let lang = ui.lang.get();
                        let first = h.addresses.first().cloned();
                        let (words, state) = phase_words(&h.phase, Some(&h.code), lang);
                        view! {
                            <div class="hub-hosting" data-testid="hub-hosting">
                                <p class="hub-code" data-testid="hub-code" data-code=h.code.clone()>
                                    {fill(text(Key::HubName, lang), &[&h.code])}
                                </p>
                                {match first {
                                    Some(a) => {
                                        view! {
                                            <p>
                                                {text(Key::HubAddressIs, lang)} " "
                                                <strong data-testid="hub-address-shown">{a}</strong>
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    None => {
                                        view! {
                                            <p data-testid="hub-no-network">
                                                {text(Key::HubNoNetwork, lang)}
                                            </p>
                                        }
                                            .into_any()
                                    }
                                }}
                                {h
                                    .qr_svg
                                    .clone()
                                    .map(|svg| {
                                        view! {
                                            <div
                                                class="qr"
                                                role="img"
                                                aria-label=text(Key::HubQrLabel, lang)
                                                data-testid="hub-qr"
                                                inner_html=svg
                                            ></div>
                                        }
                                    })}
                                <p class="hint" data-testid="hub-announced">
                                    {if h.announced {
                                        text(Key::HubAnnounced, lang).to_owned()
                                    } else {
                                        text(Key::HubNotAnnounced, lang).to_owned()
                                    }}
                                </p>
                                <p data-testid="hub-devices" data-count=h.devices_synced>
                                    {fill(
                                        text(Key::HubDevicesSynced, lang),
                                        &[&h.devices_synced.to_string()],
                                    )}
                                </p>
                                <p
                                    class=format!("sync-badge sync-{state}")
                                    data-testid="hub-own-status"
                                    data-state=state
                                    aria-live="polite"
                                >
                                    {words}
                                </p>
                            </div>
                        }
                    })
            }}
        </section>

        <section class="panel" aria-labelledby="hub-nearby-h">
            <h2 id="hub-nearby-h">{move || ui.t(Key::HubNearbyTitle)}</h2>
            {move || {
                joined()
                    .map(|j| {
                        let lang = ui.lang.get();
                        let (words, state) = phase_words(&j.phase, j.code.as_deref(), lang);
                        view! {
                            <div class="hub-joined" data-testid="hub-joined" data-address=j.address.clone()>
                                <p
                                    class=format!("sync-badge sync-{state}")
                                    data-testid="hub-status"
                                    data-state=state
                                    aria-live="polite"
                                >
                                    {words}
                                </p>
                                <button
                                    type="button"
                                    class="secondary"
                                    data-testid="hub-leave"
                                    on:click=leave
                                >
                                    {text(Key::HubLeave, lang)}
                                </button>
                            </div>
                        }
                    })
            }}
            <button
                type="button"
                class="secondary"
                data-testid="hub-find"
                aria-busy=move || looking.get().to_string()
                disabled=move || looking.get()
                on:click=look
            >
                {move || ui.t(if looking.get() { Key::HubLooking } else { Key::HubFind })}
            </button>
            {move || {
                nearby
                    .get()
                    .map(|found| {
                        if found.is_empty() {
                            view! {
                                <p class="hint" data-testid="hub-nearby-empty">
                                    {move || ui.t(Key::HubNoneFound)}
                                </p>
                            }
                                .into_any()
                        } else {
                            view! {
                                <ul class="list" data-testid="hub-nearby">
                                    {found
                                        .into_iter()
                                        .map(|h| {
                                            let (address, code) = (h.address.clone(), h.code.clone());
                                            let shown = h.code.clone();
                                            view! {
                                                <li
                                                    class="list-item"
                                                    data-testid="hub-nearby-item"
                                                    data-code=h.code.clone()
                                                    data-address=h.address.clone()
                                                >
                                                    <span>
                                                        <strong>
                                                            {move || fill(ui.t(Key::HubName), &[&shown])}
                                                        </strong>
                                                        " · "
                                                        {h.address.clone()}
                                                    </span>
                                                    {move || {
                                                        let this_one = joined()
                                                            .is_some_and(|j| j.address == address);
                                                        if this_one {
                                                            view! {
                                                                <span class="hint" data-testid="hub-nearby-current">
                                                                    {ui.t(Key::HubThisOne)}
                                                                </span>
                                                            }
                                                                .into_any()
                                                        } else {
                                                            let (address, code) = (address.clone(), code.clone());
                                                            view! {
                                                                <button
                                                                    type="button"
                                                                    class="primary"
                                                                    data-testid="hub-nearby-sync"
                                                                    disabled=move || pending.get()
                                                                    on:click=move |_| join(address.clone(), Some(code.clone()))
                                                                >
                                                                    {ui.t(Key::HubSyncWithThis)}
                                                                </button>
                                                            }
                                                                .into_any()
                                                        }
                                                    }}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
            <form class="form" novalidate on:submit=submit_address data-testid="hub-address-form">
                <div class="field">
                    <label for="hub-address">{move || ui.t(Key::HubAddressLabel)}</label>
                    <p class="hint" id="hub-address-hint">{move || ui.t(Key::HubAddressHint)}</p>
                    <input
                        id="hub-address"
                        data-testid="hub-address"
                        type="text"
                        inputmode="url"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="192.168.1.20:8788"
                        aria-describedby="hub-address-hint"
                        bind:value=address
                    />
                    <crate::components::FieldError errors=join_errors field="hub-address" id="hub-address" />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="hub-address-submit"
                        disabled=move || pending.get()
                    >
                        {move || ui.t(Key::HubSyncWithThis)}
                    </button>
                    <FormError errors=join_errors testid="hub-join-error" />
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(hosting: bool, phase: HubPhase) -> HubSummary {
        HubSummary {
            code: Some("4821".into()),
            hosting,
            phase,
        }
    }

    #[test]
    fn the_status_line_names_the_hub_in_both_languages() {
        let host = session(
            true,
            HubPhase::Syncing {
                received: 3,
                sent: 1,
            },
        );
        assert_eq!(
            hub_line(&host, Lang::En),
            ("Hosting Hub 4821 for this meeting.".to_owned(), "busy")
        );
        assert_eq!(
            hub_line(&host, Lang::Es).0,
            "Compartiendo el punto 4821 en esta reunión."
        );
        let guest = session(
            false,
            HubPhase::Syncing {
                received: 3,
                sent: 1,
            },
        );
        assert_eq!(
            hub_line(&guest, Lang::En),
            (
                "Syncing with Hub 4821: 3 received, 1 sent…".to_owned(),
                "busy"
            )
        );
        let unanswered = HubSummary {
            code: None,
            ..session(false, HubPhase::Connecting)
        };
        assert_eq!(hub_line(&unanswered, Lang::En).0, "Reaching the hub…");
    }

    #[test]
    fn a_host_in_trouble_says_what_went_wrong() {
        let failed = HubPhase::Failed {
            message: "The disk is full.".into(),
            retry_in_secs: 0,
        };
        assert_eq!(
            hub_line(&session(true, failed), Lang::En),
            (
                "Not synced with Hub 4821: The disk is full.".to_owned(),
                "trouble"
            )
        );
    }
}
