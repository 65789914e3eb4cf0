//! The calendar and meeting series: recurrence, cancellations and moved meetings.

use mutua_api::{
    AddSeries, ApiError, DateRange, IdRequest, MoveOccurrence, Occurrence, OccurrenceDate,
    SavedSeries, Series, UpdateSeries,
};
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::{with_store, with_store_shared};

/// Meetings of every current group on the viewer's days `from..=to`, in time order.
#[tauri::command]
pub async fn calendar<R: Runtime>(
    app: AppHandle<R>,
    request: DateRange,
) -> Result<Vec<Occurrence>, ApiError> {
    with_store(app, move |m| {
        let viewer = convert::viewer_zone(m)?;
        let (from, to) = convert::day_range(&request, viewer);
        let items = m.calendar(from, to)?;
        Ok(convert::occurrences(items, &m.series(None)?, viewer))
    })
    .await
}

#[tauri::command]
pub async fn add_series<R: Runtime>(
    app: AppHandle<R>,
    request: AddSeries,
) -> Result<SavedSeries, ApiError> {
    with_store_shared(app, move |m| {
        let saved = m.add_series(&request.group_id, convert::series_fields(request.form))?;
        Ok(convert::saved_series(saved))
    })
    .await
}

/// Replaces a series' details; cancellations and moves that still fit the new rule are kept.
#[tauri::command]
pub async fn update_series<R: Runtime>(
    app: AppHandle<R>,
    request: UpdateSeries,
) -> Result<SavedSeries, ApiError> {
    with_store_shared(app, move |m| {
        let saved = m.update_series(&request.id, convert::series_fields(request.form))?;
        Ok(convert::saved_series(saved))
    })
    .await
}

#[tauri::command]
pub async fn delete_series<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<(), ApiError> {
    with_store_shared(app, move |m| {
        m.delete_series(&request.id)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn cancel_occurrence<R: Runtime>(
    app: AppHandle<R>,
    request: OccurrenceDate,
) -> Result<Series, ApiError> {
    with_store_shared(app, move |m| {
        m.cancel_occurrence(&request.series_id, request.date)?;
        Ok(convert::series(m.find_series(&request.series_id)?))
    })
    .await
}

#[tauri::command]
pub async fn restore_occurrence<R: Runtime>(
    app: AppHandle<R>,
    request: OccurrenceDate,
) -> Result<Series, ApiError> {
    with_store_shared(app, move |m| {
        m.restore_occurrence(&request.series_id, request.date)?;
        Ok(convert::series(m.find_series(&request.series_id)?))
    })
    .await
}

/// Moves one meeting to a new local start (in the meeting's zone), keeping its length.
#[tauri::command]
pub async fn move_occurrence<R: Runtime>(
    app: AppHandle<R>,
    request: MoveOccurrence,
) -> Result<SavedSeries, ApiError> {
    with_store_shared(app, move |m| {
        let saved = m.move_occurrence(&request.series_id, request.original, request.to, None)?;
        Ok(convert::saved_series(saved))
    })
    .await
}
