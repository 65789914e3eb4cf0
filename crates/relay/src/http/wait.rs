//! `POST /v1/wait`: hold the request until one of the listed spaces moves past the position
//! the device knows, or until the timeout (then `changed` is empty), or until the relay shuts
//! down (also empty, so the device simply asks again elsewhere or later).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use futures_util::future::select_all;
use mutua_protocol::{ErrorCode, WaitRequest, WaitResponse};
use tokio::time::Instant;

use super::Postcard;
use super::routes::authorize;
use crate::AppState;
use crate::error::ApiError;
use crate::notify::POLL_WHILE_DEGRADED;

pub(super) async fn wait(
    State(state): State<Arc<AppState>>,
    Postcard(request): Postcard<WaitRequest>,
) -> Result<Postcard<WaitResponse>, ApiError> {
    let limits = &state.limits;
    if request.spaces.is_empty() || request.spaces.len() > limits.wait_max_spaces {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("a wait names 1 to {} spaces", limits.wait_max_spaces),
        ));
    }
    for w in &request.spaces {
        authorize(&state, w.space, w.token.hash()).await?;
    }
    let timeout = match request.timeout_ms {
        0 => limits.wait_default,
        ms => Duration::from_millis(u64::from(ms)).min(limits.wait_max),
    };
    let deadline = Instant::now() + timeout;
    let _open = state.metrics.long_poll();
    let mut shutdown = state.shutdown.subscribe();
    let mut degraded = state.notifier.degraded_changes();
    // Subscribe first, then read: a push that lands in between still wakes us.
    let mut receivers: Vec<_> = request
        .spaces
        .iter()
        .map(|w| state.notifier.subscribe(w.space, 0))
        .collect();
    let spaces: Vec<_> = request.spaces.iter().map(|w| w.space).collect();
    let mut check_database = true;
    loop {
        if *shutdown.borrow() {
            return Ok(Postcard(WaitResponse::default()));
        }
        if check_database {
            for (space, head) in state.storage.heads(&spaces).await? {
                state.notifier.publish(space, head);
            }
        }
        let changed: Vec<_> = request
            .spaces
            .iter()
            .zip(receivers.iter_mut())
            .filter_map(|(w, rx)| {
                let position = *rx.borrow_and_update();
                (position > w.since).then_some((w.space, position))
            })
            .collect();
        if !changed.is_empty() {
            return Ok(Postcard(WaitResponse { changed }));
        }
        let poll = if state.notifier.is_degraded() {
            POLL_WHILE_DEGRADED
        } else {
            timeout
        };
        let any_moved = select_all(receivers.iter_mut().map(|rx| Box::pin(rx.changed())));
        check_database = tokio::select! {
            _ = any_moved => false,
            _ = degraded.changed() => true,
            _ = tokio::time::sleep(poll) => true,
            _ = shutdown.changed() => false,
            _ = tokio::time::sleep_until(deadline) => {
                return Ok(Postcard(WaitResponse::default()));
            }
        };
    }
}
