//! The space routes: open, the sync handshake, checkpoints and rekeys.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mutua_protocol::{
    Checkpoints, Envelope, ErrorCode, HaveEntry, OpenSpace, Rekey, Rekeys, SpaceId, SpaceInfo,
    SyncRequest, SyncResponse,
};
use serde::Deserialize;

use super::{Bearer, Postcard, parse_space};
use crate::AppState;
use crate::error::ApiError;
use crate::storage::{
    Access, NewEnvelope, Opened, Page, PageLimits, Selection, SpaceState, StorageError, Stream,
};

pub(super) async fn health(State(state): State<Arc<AppState>>) -> Response {
    let storage = state.storage.kind().name();
    let ok = matches!(
        tokio::time::timeout(Duration::from_secs(3), state.storage.ping()).await,
        Ok(Ok(()))
    );
    let (status, word) = if ok {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = serde_json::json!({
        "status": word,
        "version": mutua_protocol::VERSION,
        "storage": storage,
    });
    (status, Json(body)).into_response()
}

pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

fn info(state: &AppState, space: SpaceState) -> SpaceInfo {
    SpaceInfo {
        epoch: space.epoch,
        position: space.position,
        used_bytes: space.used_bytes,
        quota_bytes: state.limits.quota_bytes,
    }
}

/// The space's state if `token` is its current token; the right error otherwise.
pub(super) async fn authorize(
    state: &AppState,
    space: SpaceId,
    token: mutua_protocol::TokenHash,
) -> Result<SpaceState, ApiError> {
    match state.storage.access(space, token).await? {
        Access::Current(s) => Ok(s),
        Access::Revoked { epoch } => Err(StorageError::Revoked { epoch }.into()),
        Access::Unknown => Err(ApiError::unauthorized()),
        Access::NoSpace => Err(StorageError::NoSpace.into()),
    }
}

pub(super) async fn open_space(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
    Postcard(open): Postcard<OpenSpace>,
) -> Result<Postcard<SpaceInfo>, ApiError> {
    let space = parse_space(&space)?;
    if open.token_hash != token {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the bearer token does not hash to the credential offered",
        ));
    }
    let opened = state.storage.open_space(space, open.epoch, token).await?;
    let (Opened::Created(s) | Opened::Existing(s)) = opened;
    Ok(Postcard(info(&state, s)))
}

pub(super) async fn sync(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
    Postcard(request): Postcard<SyncRequest>,
) -> Result<Postcard<SyncResponse>, ApiError> {
    let space = parse_space(&space)?;
    let limits = &state.limits;
    if request.push.len() > limits.max_envelopes {
        return Err(ApiError::new(
            ErrorCode::TooManyEnvelopes,
            format!(
                "{} envelopes in one request; this relay takes at most {}",
                request.push.len(),
                limits.max_envelopes
            ),
        ));
    }
    if request.push.iter().any(|e| e.header().space != space) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "an envelope belongs to another space than the one in the URL",
        ));
    }
    authorize(&state, space, token).await?;

    let exclude: HashSet<_> = request
        .push
        .iter()
        .map(|e| (e.header().doc, e.header().device, e.header().seq))
        .collect();
    let mut stored = 0;
    if !request.push.is_empty() {
        let batch: Vec<NewEnvelope> = request.push.iter().map(NewEnvelope::from).collect();
        let pushed = state.storage.push(space, batch, limits.quota_bytes).await?;
        stored = pushed.stored;
        if pushed.stored > 0 {
            state.metrics.stored(u64::from(pushed.stored), pushed.bytes);
            state.notifier.publish(space, pushed.position);
        }
    }

    let page_limits = PageLimits {
        max_envelopes: match request.limit {
            0 => limits.page_default,
            n => n.min(limits.page_max),
        } as usize,
        max_bytes: limits.page_bytes,
        exclude,
    };
    let mut streams: Option<Vec<Stream>> = None;
    let page = match request.since {
        Some(after) => {
            state
                .storage
                .read(space, Selection::After(after), page_limits)
                .await?
        }
        None => {
            let (held, head) = state.storage.streams(space).await?;
            let have: HashMap<_, _> = request
                .have
                .iter()
                .map(|h| ((h.doc, h.device), h.seq))
                .collect();
            let lacking: Vec<_> = held
                .iter()
                .filter_map(|s| {
                    let seq = have.get(&(s.doc, s.device)).copied().unwrap_or(0);
                    (s.max_seq > seq).then_some((s.doc, s.device, seq))
                })
                .collect();
            streams = Some(held);
            if lacking.is_empty() {
                Page {
                    head,
                    ..Page::default()
                }
            } else {
                let selection = Selection::Streams {
                    streams: lacking,
                    up_to: head,
                };
                state.storage.read(space, selection, page_limits).await?
            }
        }
    };
    let position = match (page.more, page.envelopes.last()) {
        (true, Some(last)) => last.position,
        _ => page.head,
    };
    let vector = if request.want_vector {
        let held = match streams {
            Some(s) => s,
            None => state.storage.streams(space).await?.0,
        };
        Some(
            held.into_iter()
                .filter(|s| s.contiguous > 0)
                .map(|s| HaveEntry {
                    doc: s.doc,
                    device: s.device,
                    seq: s.contiguous,
                })
                .collect(),
        )
    } else {
        None
    };
    let envelopes = page
        .envelopes
        .iter()
        .map(|e| Envelope::from_bytes(&e.bytes))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ApiError::from(StorageError::Database(format!(
                "a stored envelope is corrupt: {e}"
            )))
        })?;
    Ok(Postcard(SyncResponse {
        stored,
        envelopes,
        more: page.more,
        position,
        vector,
    }))
}

pub(super) async fn put_checkpoint(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
    Postcard(envelope): Postcard<Envelope>,
) -> Result<Postcard<SpaceInfo>, ApiError> {
    let space = parse_space(&space)?;
    let header = *envelope.header();
    if header.space != space {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "the checkpoint belongs to another space than the one in the URL",
        ));
    }
    authorize(&state, space, token).await?;
    let s = state
        .storage
        .put_checkpoint(
            space,
            header.doc,
            header.epoch,
            envelope.to_bytes(),
            state.limits.quota_bytes,
        )
        .await?;
    Ok(Postcard(info(&state, s)))
}

pub(super) async fn checkpoints(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
) -> Result<Postcard<Checkpoints>, ApiError> {
    let space = parse_space(&space)?;
    authorize(&state, space, token).await?;
    let checkpoints = state
        .storage
        .checkpoints(space)
        .await?
        .iter()
        .map(|b| Envelope::from_bytes(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ApiError::from(StorageError::Database(format!(
                "a stored checkpoint is corrupt: {e}"
            )))
        })?;
    Ok(Postcard(Checkpoints { checkpoints }))
}

pub(super) async fn rekey(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
    Postcard(rekey): Postcard<Rekey>,
) -> Result<Postcard<SpaceInfo>, ApiError> {
    let space = parse_space(&space)?;
    let s = state.storage.rekey(space, token, rekey).await?;
    Ok(Postcard(info(&state, s)))
}

#[derive(Debug, Deserialize)]
pub(super) struct After {
    #[serde(default)]
    after: u32,
}

/// Any token the space ever had may read its rekeys: a member who was away during a rekey
/// fetches the sealed new key with the token it still holds.
pub(super) async fn rekeys(
    State(state): State<Arc<AppState>>,
    Path(space): Path<String>,
    Bearer(token): Bearer,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Postcard<Rekeys>, ApiError> {
    let space = parse_space(&space)?;
    let Query(After { after }) =
        query.map_err(|_| ApiError::new(ErrorCode::BadRequest, "`after` is an epoch number"))?;
    match state.storage.access(space, token).await? {
        Access::Current(_) | Access::Revoked { .. } => {}
        Access::Unknown => return Err(ApiError::unauthorized()),
        Access::NoSpace => return Err(StorageError::NoSpace.into()),
    }
    let rekeys = state.storage.rekeys(space, after).await?;
    Ok(Postcard(Rekeys { rekeys }))
}
