//! The HTTP face of the relay: routes, the postcard body and bearer token extractors, and the
//! middleware that rate-limits, counts and logs every request.
//!
//! Order of checks for a space route: rate limit (429), bearer token present (401), content type
//! (415), body size (413), body decodes (400), then the token against the database (401) and the
//! request's own rules.

mod routes;
mod wait;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use mutua_protocol::{CONTENT_TYPE, ErrorCode, SpaceId, Token, TokenHash};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;
use crate::rate::Key;

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/v1/health", get(routes::health))
        .route("/metrics", get(routes::metrics))
        .route("/v1/spaces/{space}", put(routes::open_space))
        .route("/v1/spaces/{space}/sync", post(routes::sync))
        .route(
            "/v1/spaces/{space}/checkpoints",
            put(routes::put_checkpoint).get(routes::checkpoints),
        )
        .route("/v1/spaces/{space}/rekey", post(routes::rekey))
        .route("/v1/spaces/{space}/rekeys", get(routes::rekeys))
        .route("/v1/wait", post(wait::wait))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(ErrorCode::NotFound, "this route does not take that method")
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Counts and logs every request: method, route template (never the space id), status,
/// duration and sizes. Never a token or a body.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let request_bytes = content_length(request.headers());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let response_bytes = response.body().size_hint().exact();
    state.metrics.request(&route, method.as_str(), status);
    tracing::info!(
        method = %method,
        route = %route,
        status,
        duration_ms = start.elapsed().as_secs_f64() * 1000.0,
        request_bytes,
        response_bytes,
        "request"
    );
    response
}

fn content_length(headers: &HeaderMap) -> u64 {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn rate_limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = client_ip(&state, &request) {
        keys.push(Key::Client(ip));
    }
    if let Some(space) = path_space(request.uri().path()) {
        keys.push(Key::Space(space));
    }
    if let Err(retry_after) = state.rate.check(&keys) {
        state.metrics.rate_limited();
        return ApiError::rate_limited(retry_after).into_response();
    }
    next.run(request).await
}

fn client_ip(state: &AppState, request: &Request) -> Option<IpAddr> {
    if let Some(name) = &state.limits.client_ip_header {
        let from_header = request
            .headers()
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if from_header.is_some() {
            return from_header;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The space of a `/v1/spaces/{space}/…` path.
fn path_space(path: &str) -> Option<SpaceId> {
    path.strip_prefix("/v1/spaces/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

pub(crate) fn parse_space(text: &str) -> Result<SpaceId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::NotFound,
            "no such space (a space id is 32 hex digits)",
        )
    })
}

/// The hash of the request's bearer token. The token itself goes no further than this.
pub(crate) struct Bearer(pub TokenHash);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Bearer, ApiError> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(Token::from_hex)
            .map(|token| Bearer(token.hash()))
            .ok_or_else(ApiError::unauthorized)
    }
}

/// A postcard body in, or out.
pub(crate) struct Postcard<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for Postcard<T> {
    type Rejection = ApiError;

    async fn from_request(
        request: Request,
        state: &Arc<AppState>,
    ) -> Result<Postcard<T>, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if content_type.as_deref() != Some(CONTENT_TYPE) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedVersion,
                format!("this relay takes bodies of type {CONTENT_TYPE}"),
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ErrorCode::BodyTooLarge,
                        format!(
                            "the body is larger than this relay accepts ({} bytes)",
                            state.limits.max_body_bytes
                        ),
                    )
                } else {
                    ApiError::new(ErrorCode::Malformed, "the body could not be read")
                }
            })?;
        mutua_protocol::decode(&bytes)
            .map(Postcard)
            .map_err(|e| ApiError::new(ErrorCode::Malformed, e.to_string()))
    }
}

impl<T: serde::Serialize> IntoResponse for Postcard<T> {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(mutua_protocol::encode(&self.0)));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_space_of_a_path() {
        let space = SpaceId([0xCD; 16]);
        assert_eq!(path_space(&format!("/v1/spaces/{space}/sync")), Some(space));
        assert_eq!(path_space(&format!("/v1/spaces/{space}")), Some(space));
        assert_eq!(path_space("/v1/wait"), None);
        assert_eq!(path_space("/v1/spaces/xyz/sync"), None);
    }
}
