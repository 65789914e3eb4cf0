//! Peer contacts, their availability windows, and "who can I reach now".

use mutua_api::{ApiError, Contact, ContactForm, IdRequest, Reachable, UpdateContact};
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::with_store;

#[tauri::command]
pub async fn contacts<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Contact>, ApiError> {
    with_store(app, |m| {
        Ok(m.contacts()?.into_iter().map(convert::contact).collect())
    })
    .await
}

#[tauri::command]
pub async fn add_contact<R: Runtime>(
    app: AppHandle<R>,
    request: ContactForm,
) -> Result<Contact, ApiError> {
    with_store(app, move |m| {
        let contact = m.add_contact(convert::contact_fields(request)?)?;
        Ok(convert::contact(contact))
    })
    .await
}

#[tauri::command]
pub async fn update_contact<R: Runtime>(
    app: AppHandle<R>,
    request: UpdateContact,
) -> Result<Contact, ApiError> {
    with_store(app, move |m| {
        let contact = m.update_contact(&request.id, convert::contact_fields(request.form)?)?;
        Ok(convert::contact(contact))
    })
    .await
}

#[tauri::command]
pub async fn remove_contact<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<(), ApiError> {
    with_store(app, move |m| {
        m.remove_contact(&request.id)?;
        Ok(())
    })
    .await
}

/// Contacts inside one of their availability windows right now, the longest still open first,
/// with when their window closes on the viewer's clock.
#[tauri::command]
pub async fn reachable_now<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Reachable>, ApiError> {
    with_store(app, |m| {
        let viewer = convert::viewer_zone(m)?;
        let now = mutua_core::time::now();
        Ok(m.reachable_at(now)?
            .into_iter()
            .map(|r| convert::reachable(r, viewer))
            .collect())
    })
    .await
}
