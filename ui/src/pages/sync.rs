//! Sync in the window: the status line under the navigation, the sync settings, the invite
//! screen (a QR code and a code to copy), the join screen (paste a code or open a picture of
//! one), requests to join waiting for a facilitator, and removing a member.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mutua_api::{AnswerJoin, InviteCode, JoinOutcome, JoinRequest, SyncPhase, SyncSettings};

use crate::app::{Screen, Ui, use_ui};
use crate::components::{Confirm, FormError, FormErrors};
use crate::i18n::{Key, fill};
use crate::ipc;

/// How often the window asks the shell where sync stands (a local call; cheap).
const POLL: Duration = Duration::from_secs(2);

/// Keeps `ui.sync` fresh while the app is open, and makes the screens fetch again when a round
/// brought something new. Started once by the open app's frame.
pub fn poll_sync_status(ui: Ui) {
    let refresh = move || {
        spawn_local(async move {
            // Locked meanwhile: the frame goes away and this stops with it.
            let Ok(status) = ipc::sync_status().await else {
                return;
            };
            let before = ui.sync.with_untracked(|s| s.as_ref().map(|s| s.revision));
            if before.is_some_and(|r| r != status.revision) {
                ui.synced.update(|n| *n = n.wrapping_add(1));
            }
            ui.sync.set(Some(status));
        });
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(refresh, POLL) {
        on_cleanup(move || handle.clear());
    }
}

/// The one-line status under the navigation: off, syncing, up to date, or the trouble.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let ui = use_ui();
    let line = move || {
        let lang = ui.lang.get();
        ui.sync.with(|status| {
            let Some(status) = status else {
                return (String::new(), "off");
            };
            let t = |key| crate::i18n::text(key, lang);
            // At a meeting with no internet, the hub is what syncs: say how it goes rather
            // than "sync is off" or "relay unreachable".
            let relay_idle = status.relay.is_none()
                || matches!(status.phase, SyncPhase::Off | SyncPhase::Failed { .. });
            if let Some(hub) = status.hub.as_ref().filter(|_| relay_idle) {
                return crate::pages::hub::hub_line(hub, lang);
            }
            match &status.phase {
                _ if status.relay.is_none() => (t(Key::SyncOff).to_owned(), "off"),
                SyncPhase::Off => (t(Key::SyncOff).to_owned(), "off"),
                SyncPhase::Syncing { .. } => (
                    crate::pages::sync_line::syncing_line(&status.phase, lang),
                    "busy",
                ),
                SyncPhase::Listening => match &status.last_synced {
                    Some(at) => (
                        fill(t(Key::SyncedAt), &[&crate::i18n::time_ago(at, lang)]),
                        "ok",
                    ),
                    None => (t(Key::SyncListening).to_owned(), "ok"),
                },
                SyncPhase::Failed {
                    message,
                    retry_in_secs,
                } if *retry_in_secs > 0 => (
                    fill(t(Key::SyncRetrying), &[message, &retry_in_secs.to_string()]),
                    "trouble",
                ),
                SyncPhase::Failed { message, .. } => {
                    (fill(t(Key::SyncProblem), &[message]), "trouble")
                }
            }
        })
    };
    view! {
        <p
            class=move || format!("sync-badge sync-{}", line().1)
            data-testid="sync-status"
            data-state=move || line().1
            aria-live="polite"
        >
            {move || line().0}
        </p>
    }
}

/// Settings → Sync: the relay, "sync now", open groups admitting by themselves, notification
/// previews, and recent warnings.
#[component]
pub fn SyncSection() -> impl IntoView {
    let ui = use_ui();
    let relay = RwSignal::new(String::new());
    let auto_approve = RwSignal::new(false);
    let previews = RwSignal::new(false);
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    spawn_local(async move {
        match ipc::sync_settings().await {
            Ok(s) => {
                relay.set(s.relay.unwrap_or_default());
                auto_approve.set(s.auto_approve);
                previews.set(s.notification_previews);
            }
            Err(failure) => {
                let mut found = FormErrors::default();
                found.form(ui.explain(&failure));
                errors.set(found);
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let url = relay.get_untracked().trim().to_owned();
        let settings = SyncSettings {
            relay: (!url.is_empty()).then_some(url),
            auto_approve: auto_approve.get_untracked(),
            notification_previews: previews.get_untracked(),
        };
        errors.set(FormErrors::default());
        pending.set(true);
        spawn_local(async move {
            match ipc::set_sync_settings(&settings).await {
                Ok(saved) => {
                    relay.set(saved.relay.clone().unwrap_or_default());
                    ui.say(ui.t(if saved.relay.is_some() {
                        Key::SyncSettingsSaved
                    } else {
                        Key::SyncTurnedOff
                    }));
                }
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.place(ui.explain(&failure), &[("relay", &["relay", "url"])]);
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let sync_now = move |_| {
        spawn_local(async move {
            match ipc::sync_now().await {
                Ok(()) => ui.say(ui.t(Key::SyncStarted)),
                Err(failure) => ui.say(ui.explain(&failure)),
            }
        });
    };
    let events = move || {
        ui.sync
            .with(|s| s.as_ref().map(|s| s.events.clone()).unwrap_or_default())
    };
    view! {
        <section class="panel" aria-labelledby="settings-sync-h">
            <h2 id="settings-sync-h">{move || ui.t(Key::SyncTitle)}</h2>
            <p class="hint">{move || ui.t(Key::SyncHint)}</p>
            <form class="form" novalidate on:submit=submit data-testid="settings-sync-form">
                <div class="field">
                    <label for="settings-relay">{move || ui.t(Key::RelayUrl)}</label>
                    <p class="hint" id="settings-relay-hint">{move || ui.t(Key::RelayUrlHint)}</p>
                    <input
                        id="settings-relay"
                        data-testid="settings-relay"
                        type="url"
                        inputmode="url"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="https://relay.example.org"
                        aria-describedby="settings-relay-hint"
                        bind:value=relay
                    />
                    <crate::components::FieldError errors field="relay" id="settings-relay" />
                </div>
                <label class="choice">
                    <input
                        type="checkbox"
                        data-testid="settings-auto-approve"
                        bind:checked=auto_approve
                    />
                    <span>{move || ui.t(Key::AutoApproveLabel)}</span>
                </label>
                <label class="choice">
                    <input
                        type="checkbox"
                        data-testid="settings-notification-previews"
                        bind:checked=previews
                    />
                    <span>{move || ui.t(Key::NotificationPreviewsLabel)}</span>
                </label>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="settings-sync-save"
                        disabled=move || pending.get()
                    >
                        {move || ui.t(Key::SaveSync)}
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="settings-sync-now"
                        on:click=sync_now
                    >
                        {move || ui.t(Key::SyncNow)}
                    </button>
                    <FormError errors testid="settings-sync-error" />
                </div>
            </form>
            <SyncBadge />
            <crate::pages::sync_file::SyncFileLink />
            <Show when=move || !events().is_empty()>
                <h3>{move || ui.t(Key::SyncEvents)}</h3>
                <ul class="list" data-testid="sync-events">
                    {move || {
                        events()
                            .into_iter()
                            .map(|e| {
                                view! {
                                    <li class="list-item" data-kind=e.kind.clone()>
                                        <span>{e.detail}</span>
                                        <span class="muted">
                                            {move || crate::i18n::time_ago(&e.at, ui.lang.get())}
                                        </span>
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

/// A group's invite screen: choose in person or remote, then show the QR code and the code.
#[component]
pub fn InvitePage(group_id: String, group_name: String) -> impl IntoView {
    let ui = use_ui();
    let remote = RwSignal::new(false);
    let invite = RwSignal::new(None::<InviteCode>);
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let create = {
        let group_id = group_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            let group_id = group_id.clone();
            let remote = remote.get_untracked();
            pending.set(true);
            errors.set(FormErrors::default());
            spawn_local(async move {
                match ipc::create_invite(&group_id, remote).await {
                    Ok(code) => {
                        invite.set(Some(code));
                        ui.say(ui.t(Key::InviteReady));
                    }
                    Err(failure) => {
                        let mut found = FormErrors::default();
                        found.form(ui.explain(&failure));
                        errors.set(found);
                    }
                }
                pending.set(false);
            });
        }
    };
    let back = Screen::Group(group_id.clone());
    view! {
        <div class="page-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="invite-back"
                    on:click=move |_| ui.go(back.clone())
                >
                    {move || ui.t(Key::BackToGroup)}
                </button>
                <h1 tabindex="-1">{move || fill(ui.t(Key::InviteTitle), &[&group_name])}</h1>
            </div>
        </div>
        <section class="panel">
            <form class="form" novalidate on:submit=create data-testid="invite-form">
                <div class="field" role="radiogroup" aria-labelledby="invite-how">
                    <p class="label" id="invite-how">{move || ui.t(Key::InviteHow)}</p>
                    <label class="choice">
                        <input
                            type="radio"
                            name="invite-mode"
                            data-testid="invite-in-person"
                            prop:checked=move || !remote.get()
                            on:change=move |_| remote.set(false)
                        />
                        <span>
                            <strong>{move || ui.t(Key::InviteInPerson)}</strong>
                            " — "
                            {move || ui.t(Key::InviteInPersonHint)}
                        </span>
                    </label>
                    <label class="choice">
                        <input
                            type="radio"
                            name="invite-mode"
                            data-testid="invite-remote"
                            prop:checked=move || remote.get()
                            on:change=move |_| remote.set(true)
                        />
                        <span>
                            <strong>{move || ui.t(Key::InviteRemote)}</strong>
                            " — "
                            {move || ui.t(Key::InviteRemoteHint)}
                        </span>
                    </label>
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="invite-create"
                        disabled=move || pending.get()
                    >
                        {move || ui.t(Key::InviteCreate)}
                    </button>
                    <FormError errors testid="invite-error" />
                </div>
            </form>
        </section>
        {move || {
            invite
                .get()
                .map(|code| {
                    let expires = code.expires_at.clone();
                    view! {
                        <section class="panel invite-code" data-testid="invite-result">
                            <div class="qr" role="img" aria-label=move || ui.t(Key::InviteQrLabel)
                                data-testid="invite-qr" inner_html=code.qr_svg.clone()></div>
                            <label for="invite-code-text">{move || ui.t(Key::InviteCodeLabel)}</label>
                            <textarea
                                id="invite-code-text"
                                data-testid="invite-code"
                                readonly
                                rows="4"
                                spellcheck="false"
                                on:focus=|ev| {
                                    if let Some(t) = event_target::<web_sys::HtmlTextAreaElement>(&ev).into() {
                                        t.select();
                                    }
                                }
                                prop:value=code.code.clone()
                            ></textarea>
                            <p class="hint">
                                {move || {
                                    fill(
                                        ui.t(if code.remote { Key::InviteRemoteNote } else { Key::InviteInPersonNote }),
                                        &[&crate::i18n::datetime_text(&expires, ui.lang.get())],
                                    )
                                }}
                            </p>
                        </section>
                    }
                })
        }}
    }
}

/// "Join a group": paste a code (or open a picture of its QR code) and join.
#[component]
pub fn JoinPage() -> impl IntoView {
    let ui = use_ui();
    let code = RwSignal::new(String::new());
    let errors = RwSignal::new(FormErrors::default());
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<JoinOutcome>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let text = code.get_untracked().trim().to_owned();
        if text.is_empty() {
            let mut found = FormErrors::default();
            found.field("code", Key::ErrCodeEmpty);
            errors.set(found);
            return;
        }
        errors.set(FormErrors::default());
        pending.set(true);
        spawn_local(async move {
            match ipc::accept_invite(&text).await {
                Ok(joined) => {
                    let said = match &joined {
                        JoinOutcome::Joined { group_name, .. } => {
                            fill(ui.t(Key::JoinedGroup), &[group_name])
                        }
                        JoinOutcome::Requested { group_name } => {
                            fill(ui.t(Key::JoinRequested), &[group_name])
                        }
                    };
                    code.set(String::new());
                    outcome.set(Some(joined));
                    ui.changed();
                    ui.say(said);
                }
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.place(ui.explain(&failure), &[("code", &["code", "invitation"])]);
                    errors.set(found);
                }
            }
            pending.set(false);
        });
    };
    let open_picture = move |_| {
        errors.set(FormErrors::default());
        spawn_local(async move {
            match ipc::read_qr_image().await {
                Ok(Some(text)) => {
                    code.set(text);
                    ui.say(ui.t(Key::CodeReadFromPicture));
                }
                Ok(None) => {}
                Err(failure) => {
                    let mut found = FormErrors::default();
                    found.place(
                        ui.explain(&failure),
                        &[("code", &["picture", "qr", "code"])],
                    );
                    errors.set(found);
                }
            }
        });
    };
    view! {
        <div class="page-head">
            <div>
                <button
                    type="button"
                    class="link-button back"
                    data-testid="join-back"
                    on:click=move |_| ui.go(Screen::Groups)
                >
                    {move || ui.t(Key::BackToGroups)}
                </button>
                <h1 tabindex="-1">{move || ui.t(Key::JoinTitle)}</h1>
            </div>
        </div>
        <section class="panel">
            <form class="form" novalidate on:submit=submit data-testid="join-form">
                <div class="field">
                    <label for="join-code">{move || ui.t(Key::JoinCodeLabel)}</label>
                    <p class="hint" id="join-code-hint">{move || ui.t(Key::JoinCodeHint)}</p>
                    <textarea
                        id="join-code"
                        data-testid="join-code"
                        rows="4"
                        spellcheck="false"
                        autocomplete="off"
                        aria-invalid=crate::components::invalid(errors, "code")
                        aria-describedby=crate::components::described(errors, "code", "join-code")
                        bind:value=code
                    ></textarea>
                    <crate::components::FieldError errors field="code" id="join-code" />
                </div>
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        data-testid="join-submit"
                        disabled=move || pending.get()
                    >
                        {move || ui.t(Key::JoinButton)}
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        data-testid="join-open-picture"
                        on:click=open_picture
                    >
                        {move || ui.t(Key::OpenPicture)}
                    </button>
                    <FormError errors testid="join-error" />
                </div>
            </form>
        </section>
        {move || {
            outcome
                .get()
                .map(|joined| match joined {
                    JoinOutcome::Joined { group_id, group_name } => {
                        let screen = Screen::Group(group_id);
                        view! {
                            <section class="panel" data-testid="join-result">
                                <p>{move || fill(ui.t(Key::JoinedGroup), &[&group_name])}</p>
                                <button
                                    type="button"
                                    class="primary"
                                    data-testid="join-open-group"
                                    on:click=move |_| ui.go(screen.clone())
                                >
                                    {move || ui.t(Key::OpenGroup)}
                                </button>
                            </section>
                        }
                            .into_any()
                    }
                    JoinOutcome::Requested { group_name } => {
                        view! {
                            <section class="panel" data-testid="join-result">
                                <p>{move || fill(ui.t(Key::JoinRequested), &[&group_name])}</p>
                            </section>
                        }
                            .into_any()
                    }
                })
        }}
    }
}

/// Requests to join waiting for this member (a facilitator) to answer; hidden when none.
#[component]
pub fn JoinRequestsPanel() -> impl IntoView {
    let ui = use_ui();
    let requests = LocalResource::new(move || {
        ui.version.track();
        ui.synced.track();
        ipc::join_requests()
    });
    let pending = move || {
        requests
            .get()
            .and_then(Result::ok)
            .map(|list| {
                list.into_iter()
                    .filter(|r| r.state == "pending")
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <Show when=move || !pending().is_empty()>
            <section class="panel" aria-labelledby="join-requests-h" data-testid="join-requests">
                <h2 id="join-requests-h">{move || ui.t(Key::JoinRequestsTitle)}</h2>
                <ul class="list">
                    {move || pending().into_iter().map(|r| view! { <RequestItem request=r /> }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn RequestItem(request: JoinRequest) -> impl IntoView {
    let ui = use_ui();
    let answer = {
        let request = request.clone();
        move |approve: bool| {
            let answer = AnswerJoin {
                invite_id: request.invite_id.clone(),
                member_id: request.member_id.clone(),
                approve,
            };
            let name = request.pseudonym.clone();
            spawn_local(async move {
                match ipc::answer_join(&answer).await {
                    Ok(()) => {
                        ui.say(fill(
                            ui.t(if approve {
                                Key::RequestApproved
                            } else {
                                Key::RequestDeclined
                            }),
                            &[&name],
                        ));
                        ui.changed();
                    }
                    Err(failure) => ui.say(ui.explain(&failure)),
                }
            });
        }
    };
    let (approve, decline) = (answer.clone(), answer);
    let name = request.pseudonym.clone();
    view! {
        <li class="list-item" data-testid="join-request" data-name=name>
            <span>
                {move || {
                    fill(ui.t(Key::AsksToJoin), &[&request.pseudonym, &request.group_name])
                }}
            </span>
            <span class="actions">
                <button
                    type="button"
                    class="primary"
                    data-testid="join-request-approve"
                    on:click=move |_| approve(true)
                >
                    {move || ui.t(Key::Approve)}
                </button>
                <button
                    type="button"
                    class="secondary"
                    data-testid="join-request-decline"
                    on:click=move |_| decline(false)
                >
                    {move || ui.t(Key::Decline)}
                </button>
            </span>
        </li>
    }
}

/// "Remove from group" on a member's row, for facilitators and co-hosts, after a question.
#[component]
pub fn RemoveMemberButton(group_id: String, member_id: String, name: String) -> impl IntoView {
    let ui = use_ui();
    let said_name = name.clone();
    let remove = Callback::new(move |()| {
        let (group_id, member_id, name) = (group_id.clone(), member_id.clone(), said_name.clone());
        spawn_local(async move {
            match ipc::remove_member(&group_id, &member_id).await {
                Ok(()) => {
                    ui.say(fill(ui.t(Key::MemberRemoved), &[&name]));
                    ui.changed();
                }
                Err(failure) => ui.say(ui.explain(&failure)),
            }
        });
    });
    view! {
        <Confirm
            label=Key::RemoveMember
            question=Key::RemoveMemberQuestion
            yes=Key::YesRemove
            testid="member-remove"
            on_yes=remove
            danger=true
            name=name
        />
    }
}
