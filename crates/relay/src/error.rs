//! Every failure the relay answers, as the protocol's JSON [`ErrorBody`], mapped in one place.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mutua_protocol::{ErrorBody, ErrorCode};

use crate::storage::StorageError;

#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::from_u16(code.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body: ErrorBody::new(code, message),
        }
    }

    /// The same body under another status (405 has no code of its own).
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(
            ErrorCode::RateLimited,
            format!("too many requests; try again in {retry_after_secs} s"),
        );
        e.body.retry_after_secs = Some(retry_after_secs);
        e
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            ErrorCode::Unauthorized,
            "this request needs `Authorization: Bearer <token>` with a token of this space",
        )
    }

    pub fn code(&self) -> ErrorCode {
        self.body.code
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        match e {
            StorageError::NoSpace => ApiError::new(ErrorCode::NotFound, "no such space"),
            StorageError::Conflict => ApiError::new(ErrorCode::Conflict, e.to_string()),
            StorageError::Revoked { epoch } => {
                let mut err = ApiError::new(
                    ErrorCode::TokenRevoked,
                    format!("this token belongs to an older epoch; the space is at epoch {epoch}"),
                );
                err.body.epoch = Some(epoch);
                err
            }
            StorageError::NotCurrent => ApiError::unauthorized(),
            StorageError::EpochAhead { .. } | StorageError::SeqTooLarge => {
                ApiError::new(ErrorCode::BadRequest, e.to_string())
            }
            StorageError::QuotaExceeded { .. } => {
                ApiError::new(ErrorCode::QuotaExceeded, format!("{e}; nothing was stored"))
            }
            StorageError::EpochNotNext { .. } => ApiError::new(ErrorCode::Conflict, e.to_string()),
            StorageError::Unavailable(ref why) => {
                tracing::error!(error = %why, "database unavailable");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the relay's database is unreachable; try again later",
                )
            }
            StorageError::Database(_) | StorageError::SchemaTooNew { .. } => {
                tracing::error!(error = %e, "database error");
                ApiError::new(ErrorCode::Internal, "the relay failed; nothing was stored")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = self.body.retry_after_secs;
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = retry
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
