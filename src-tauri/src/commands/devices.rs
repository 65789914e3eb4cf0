//! Several devices of one member: pairing a new device by a code (or its QR code), waiting on
//! the new device until the other one answers, and the list of the member's devices.

use mutua_api::{ApiError, Device, PairingCode, PairingState, SetupPaired};
use mutua_core::sync::PairingStatus;
use mutua_core::{Error, Mutua, NewProtection};
use tauri::{AppHandle, Runtime};

use crate::state::{blocking, with_store};
use crate::sync::restart;

/// How many hex digits of a signing key tell devices apart on screen.
const FINGERPRINT: usize = 12;

/// First run on a new device: becomes another device of the member whose code this is. The
/// member's data arrives once the other device has answered (see `pairing_status`).
#[tauri::command]
pub async fn setup_paired<R: Runtime>(
    app: AppHandle<R>,
    request: SetupPaired,
) -> Result<PairingState, ApiError> {
    let handle = app.clone();
    let state = blocking(app, move |state| {
        let mut slot = state.slot();
        if slot.is_some() {
            return Err(Error::AlreadyInitialised(state.data_dir.display().to_string()).into());
        }
        let protection = match request.passphrase.as_deref() {
            Some(passphrase) => NewProtection::Passphrase(passphrase),
            None => NewProtection::Keychain,
        };
        let store = Mutua::init_paired(&state.data_dir, request.code.trim(), protection)?;
        let status = store.pairing_status()?;
        *slot = Some(store);
        Ok(convert(status).unwrap_or(PairingState::Paired))
    })
    .await?;
    restart(&handle);
    Ok(state)
}

#[tauri::command]
pub async fn pairing_status<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<PairingState>, ApiError> {
    with_store(app, |m| Ok(convert(m.pairing_status()?))).await
}

/// Gives up a pairing that cannot finish (refused, or the member chose to start over): the
/// store holds nothing of the member yet, so it is removed and the first run shows again.
#[tauri::command]
pub async fn cancel_pairing<R: Runtime>(app: AppHandle<R>) -> Result<(), ApiError> {
    blocking(app, |state| {
        let mut slot = state.slot();
        let store = slot.as_ref().ok_or_else(|| state.locked())?;
        if matches!(store.pairing_status()?, None | Some(PairingStatus::Paired)) {
            return Err(Error::Invalid(
                "this device is in use; to remove its data, use Delete everything".into(),
            )
            .into());
        }
        state.sync.stop();
        state.hub.stop_all();
        slot.take();
        Mutua::destroy(&state.data_dir)?;
        Ok(())
    })
    .await
}

/// On the device in use: a code (and QR code) for the new one.
#[tauri::command]
pub async fn create_pairing<R: Runtime>(app: AppHandle<R>) -> Result<PairingCode, ApiError> {
    let handle = app.clone();
    let code = with_store(app, |m| {
        let pairing = m.create_pairing()?;
        Ok(PairingCode {
            qr_svg: crate::qr::svg(&pairing.code)?,
            code: pairing.code,
            expires_at: pairing.expires_at,
        })
    })
    .await?;
    crate::sync::push_soon(&handle);
    Ok(code)
}

#[tauri::command]
pub async fn devices<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Device>, ApiError> {
    with_store(app, |m| {
        Ok(m.member_devices()?
            .into_iter()
            .map(|d| Device {
                fingerprint: d.signing_key.chars().take(FINGERPRINT).collect(),
                this_device: d.this_device,
                added_at: d.added_at,
            })
            .collect())
    })
    .await
}

fn convert(status: Option<PairingStatus>) -> Option<PairingState> {
    status.map(|s| match s {
        PairingStatus::Waiting { expires_at, .. } => PairingState::Waiting { expires_at },
        PairingStatus::Paired => PairingState::Paired,
        PairingStatus::Refused { reason } => PairingState::Refused { reason },
    })
}
