//! Sync status and settings, invitations (create, accept, read from a picture), requests to
//! join, and removing a member.

use mutua_api::{
    AcceptInvite, AnswerJoin, ApiError, CreateInvite, InviteCode, JoinOutcome, JoinRequest,
    RemoveMember, SyncEvent, SyncSettings, SyncStatus,
};
use mutua_core::Error;
use mutua_core::sync::{InviteMode, Joined};
use tauri::{AppHandle, Manager, Runtime, Window};
use tauri_plugin_dialog::DialogExt;

use crate::error::Failure;
use crate::state::{blocking, with_store};
use crate::sync::{ShellSettings, push_soon, restart};

/// How many recent warnings and notices the status carries.
const STATUS_EVENTS: usize = 10;

#[tauri::command]
pub async fn sync_status<R: Runtime>(app: AppHandle<R>) -> Result<SyncStatus, ApiError> {
    blocking(app, |state| {
        let slot = state.slot();
        let store = slot.as_ref().ok_or_else(|| state.locked())?;
        Ok(SyncStatus {
            relay: store.relay_url()?,
            phase: state.sync.phase(),
            last_synced: store.last_synced()?,
            held: u32::try_from(store.held_envelopes()?).unwrap_or(u32::MAX),
            events: store
                .sync_events(STATUS_EVENTS)?
                .into_iter()
                .map(|e| SyncEvent {
                    at: e.at,
                    group_id: e.group_id,
                    kind: e.kind,
                    detail: e.detail,
                })
                .collect(),
            revision: state.sync.revision(),
            hub: state.hub.status().summary(),
        })
    })
    .await
}

#[tauri::command]
pub async fn sync_settings<R: Runtime>(app: AppHandle<R>) -> Result<SyncSettings, ApiError> {
    blocking(app, |state| {
        let slot = state.slot();
        let store = slot.as_ref().ok_or_else(|| state.locked())?;
        Ok(crate::sync::settings(store, &state.data_dir)?)
    })
    .await
}

/// Saves the settings; a new or cleared relay restarts (or stops) background sync.
#[tauri::command]
pub async fn set_sync_settings<R: Runtime>(
    app: AppHandle<R>,
    request: SyncSettings,
) -> Result<SyncSettings, ApiError> {
    let handle = app.clone();
    let (saved, relay_changed) = blocking(app, move |state| {
        let slot = state.slot();
        let store = slot.as_ref().ok_or_else(|| state.locked())?;
        let before = store.relay_url()?;
        store.set_relay_url(request.relay.as_deref())?;
        store.set_auto_approve(request.auto_approve)?;
        ShellSettings {
            notification_previews: request.notification_previews,
        }
        .save(&state.data_dir)
        .map_err(|e| Error::Io {
            path: state.data_dir.display().to_string(),
            source: e,
        })?;
        let saved = crate::sync::settings(store, &state.data_dir)?;
        let changed = saved.relay != before;
        Ok((saved, changed))
    })
    .await?;
    if relay_changed
        || handle.state::<crate::state::AppState>().sync.phase() == mutua_api::SyncPhase::Off
    {
        restart(&handle);
    }
    Ok(saved)
}

/// "Sync now": a round at once (and the background worker started if it was not).
#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>) -> Result<(), ApiError> {
    let handle = app.clone();
    let relay = with_store(app, |m| Ok(m.relay_url()?)).await?;
    if relay.is_none() {
        return Err(ApiError::new(
            mutua_api::ErrorKind::InvalidInput,
            "Add a relay in Settings to sync.",
        ));
    }
    let state = handle.state::<crate::state::AppState>();
    if state.sync.phase() == mutua_api::SyncPhase::Off {
        restart(&handle);
    } else {
        push_soon(&handle);
    }
    Ok(())
}

#[tauri::command]
pub async fn create_invite<R: Runtime>(
    app: AppHandle<R>,
    request: CreateInvite,
) -> Result<InviteCode, ApiError> {
    let handle = app.clone();
    let invite = with_store(app, move |m| {
        let mode = if request.remote {
            InviteMode::Remote
        } else {
            InviteMode::InPerson
        };
        let invitation = m.create_invite(&request.group_id, mode)?;
        Ok(InviteCode {
            qr_svg: crate::qr::svg(&invitation.code)?,
            group_id: invitation.group_id,
            group_name: invitation.group_name,
            remote: request.remote,
            code: invitation.code,
            expires_at: invitation.expires_at,
        })
    })
    .await?;
    // A remote invitation opens its exchange on the relay with the next round.
    push_soon(&handle);
    Ok(invite)
}

#[tauri::command]
pub async fn accept_invite<R: Runtime>(
    app: AppHandle<R>,
    request: AcceptInvite,
) -> Result<JoinOutcome, ApiError> {
    let handle = app.clone();
    let joined = with_store(app, move |m| Ok(m.accept_invite(request.code.trim())?)).await?;
    // The code may have brought the relay; either way the group (or the request) syncs now.
    restart(&handle);
    Ok(match joined {
        Joined::Joined {
            group_id,
            group_name,
        } => JoinOutcome::Joined {
            group_id,
            group_name,
        },
        Joined::Requested { group_name, .. } => JoinOutcome::Requested { group_name },
    })
}

/// Opens a picture (a photo or screenshot of a QR code) and reads the Mutua code in it.
#[tauri::command]
pub async fn read_qr_image<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
) -> Result<Option<String>, ApiError> {
    blocking(app.clone(), move |_| {
        let mut dialog = app
            .dialog()
            .file()
            .add_filter("Pictures", &["png", "jpg", "jpeg"]);
        #[cfg(desktop)]
        {
            dialog = dialog.set_parent(&window);
        }
        #[cfg(not(desktop))]
        let _ = &window;
        let Some(chosen) = dialog.blocking_pick_file() else {
            return Ok(None);
        };
        let path = chosen
            .into_path()
            .map_err(|_| Error::Invalid("that picture cannot be opened here".into()))?;
        let code = crate::qr::read_file(&path)?;
        Ok::<_, Failure>(Some(code))
    })
    .await
}

#[tauri::command]
pub async fn join_requests<R: Runtime>(app: AppHandle<R>) -> Result<Vec<JoinRequest>, ApiError> {
    with_store(app, |m| {
        Ok(m.join_requests()?
            .into_iter()
            .map(|r| JoinRequest {
                invite_id: r.invite_id,
                group_id: r.group_id,
                group_name: r.group_name,
                member_id: r.member_id,
                pseudonym: r.pseudonym,
                state: r.state,
                received_at: r.received_at,
            })
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn answer_join<R: Runtime>(
    app: AppHandle<R>,
    request: AnswerJoin,
) -> Result<(), ApiError> {
    let handle = app.clone();
    with_store(app, move |m| {
        if request.approve {
            m.approve_join(&request.invite_id, &request.member_id)?;
        } else {
            m.decline_join(&request.invite_id, &request.member_id)?;
        }
        Ok(())
    })
    .await?;
    push_soon(&handle);
    Ok(())
}

/// Removes a member (facilitators and co-hosts): everybody else gets a new key with the next
/// round, and the removed device cannot read anything sent after it.
#[tauri::command]
pub async fn remove_member<R: Runtime>(
    app: AppHandle<R>,
    request: RemoveMember,
) -> Result<(), ApiError> {
    let handle = app.clone();
    with_store(app, move |m| {
        m.remove_member(&request.group_id, &request.member_id)?;
        Ok(())
    })
    .await?;
    push_soon(&handle);
    Ok(())
}
