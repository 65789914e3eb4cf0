//! The meeting hub: host sync for the meeting, find hubs nearby, sync with one (see
//! `mutua_api::hub` for the table).

use std::time::Duration;

use mutua_api::{ApiError, HubStatus, JoinHub, NearbyHub};
use mutua_core::Error;
use mutua_core::sync::hub::HubAddress;
use tauri::{AppHandle, Runtime};

use crate::error::Failure;
use crate::state::blocking;

/// How long "Hubs nearby" listens.
const BROWSE: Duration = Duration::from_secs(3);

#[tauri::command]
pub async fn hub_status<R: Runtime>(app: AppHandle<R>) -> Result<HubStatus, ApiError> {
    blocking(app, |state| {
        if state.slot().is_none() {
            return Err(state.locked());
        }
        Ok(state.hub.status())
    })
    .await
}

#[tauri::command]
pub async fn start_hosting<R: Runtime>(app: AppHandle<R>) -> Result<HubStatus, ApiError> {
    let handle = app.clone();
    blocking(app, move |state| {
        if state.slot().is_none() {
            return Err(state.locked());
        }
        crate::hub::start_hosting(&handle)?;
        Ok(state.hub.status())
    })
    .await
}

#[tauri::command]
pub async fn stop_hosting<R: Runtime>(app: AppHandle<R>) -> Result<HubStatus, ApiError> {
    blocking(app, |state| {
        state.hub.stop_hosting();
        Ok(state.hub.status())
    })
    .await
}

#[tauri::command]
pub async fn find_hubs<R: Runtime>(app: AppHandle<R>) -> Result<Vec<NearbyHub>, ApiError> {
    blocking(app, |state| {
        if state.slot().is_none() {
            return Err(state.locked());
        }
        let found = mutua_hub::browse(BROWSE, &mutua_hub::MdnsOptions::from_env())
            .map_err(|e| Failure::Core(Error::RelayUnreachable(e.to_string())))?;
        // The device's own hub answers too; it is not one to join.
        let own = state.hub.status().hosting.map(|h| h.code);
        Ok(found
            .into_iter()
            .filter(|h| Some(&h.code) != own.as_ref())
            .map(|h| NearbyHub {
                address: h.address(),
                code: h.code,
            })
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn join_hub<R: Runtime>(
    app: AppHandle<R>,
    request: JoinHub,
) -> Result<HubStatus, ApiError> {
    let handle = app.clone();
    blocking(app, move |state| {
        if state.slot().is_none() {
            return Err(state.locked());
        }
        let mut address = HubAddress::parse(&request.address)?;
        if address.code.is_none() {
            address.code = request.code.filter(|c| !c.trim().is_empty());
        }
        crate::hub::join(&handle, address)?;
        Ok(state.hub.status())
    })
    .await
}

#[tauri::command]
pub async fn leave_hub<R: Runtime>(app: AppHandle<R>) -> Result<HubStatus, ApiError> {
    blocking(app, |state| {
        state.hub.leave();
        Ok(state.hub.status())
    })
    .await
}
