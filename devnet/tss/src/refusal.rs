//! A refusal as an HTTP answer: the core's status for its code (`entropy_register_core::api`)
//! and the `{code, message}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use entropy_register_core::api::{ApiCode, ApiError};

/// A refusal as an HTTP answer: the core's status for its code and the `{code, message}` body.
pub struct Refusal(pub ApiError);

impl Refusal {
    /// A refusal with `code`.
    pub fn new(code: ApiCode, message: impl ToString) -> Self {
        Refusal(ApiError::new(code, message))
    }
    /// An `Internal` refusal.
    pub fn internal(message: impl ToString) -> Self {
        Refusal(ApiError::internal(message))
    }
    /// The message for people.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

macro_rules! refusal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Refusal {
            fn from(e: $t) -> Self {
                Refusal(e.into())
            }
        }
    )*};
}
refusal_from!(
    entropy_register_core::new_user::NewUserRejection,
    entropy_register_core::share_transfer::ReceiveKeyRejection,
    entropy_register_core::client_dealt::DealtShareRejection,
    entropy_register_core::envelope::EnvelopeError
);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.body())).into_response()
    }
}
