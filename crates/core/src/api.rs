//! The threshold servers' HTTP API, written once for the servers and every client: the routes,
//! the URL of each, the success statuses, the error body `{code, message}` and every rejection
//! code with its HTTP status. A route string or a status mapping appears nowhere else.
//!
//! | route | body | answers |
//! |---|---|---|
//! | `POST /user/new` | SCALE [`OcwMessageDkg`](crate::types::OcwMessageDkg) | 200 accepted, 204 nothing to do, 421 not in the committee |
//! | `POST /user/receive_key` | JSON envelope of a [`UserRegistrationInfo`](crate::share_transfer::UserRegistrationInfo) | 200 stored |
//! | `POST /user/dealt_share` | JSON envelope of a [`DealtShare`](crate::client_dealt::DealtShare) | 200 + [`Receipt`](crate::verify::Receipt) |
//! | `POST /user/share_check` | JSON envelope of a [`ShareCheck`](crate::client_dealt::ShareCheck) | 200 + [`ShareCheckAnswer`](crate::client_dealt::ShareCheckAnswer) |
//! | `GET /user/receipt/{account}/{block}` | | 200 + [`Receipt`](crate::verify::Receipt) |
//! | `GET /user/key/{verifying_key}` | | 200 + [`KeyStatus`] |
//! | `GET /ws` | websocket (Noise XK) | |
//! | `GET /healthz` | | 200 + [`Health`] |
//! | `GET /version` | | 200 + [`Version`] |
//!
//! Every refusal is an [`ErrorBody`] with one of the [`ApiCode`]s, whose HTTP status is
//! [`ApiCode::status`].
//!
//! Without `std` only the routes and URL builders compile (the runtime's off-chain worker
//! posts to [`routes::USER_NEW`]).

use alloc::format;
use alloc::string::{String, ToString};

#[cfg(feature = "std")]
use crate::client_dealt::DealtShareRejection;
#[cfg(feature = "std")]
use crate::envelope::EnvelopeError;
use crate::new_user::{NewUserRejection, NewUserVerdict};
#[cfg(feature = "std")]
use crate::share_transfer::ReceiveKeyRejection;
use crate::types::{AccountId32, VerifyingKey};

/// Route patterns, as the server's router declares them (`{name}` = a path parameter).
pub mod routes {
    /// The off-chain worker's DKG request.
    pub const USER_NEW: &str = "/user/new";
    /// A subgroup peer forwards a key share.
    pub const RECEIVE_KEY: &str = "/user/receive_key";
    /// Client-dealt mode: a user's share for this server.
    pub const DEALT_SHARE: &str = "/user/dealt_share";
    /// Client-dealt mode: a subgroup peer's share comparison.
    pub const SHARE_CHECK: &str = "/user/share_check";
    /// A server's signed receipt for a registration.
    pub const RECEIPT: &str = "/user/receipt/{account}/{block}";
    /// Whether a server holds a usable share of a key.
    pub const KEY: &str = "/user/key/{verifying_key}";
    /// DKG connections (websocket, Noise XK).
    pub const WS: &str = "/ws";
    /// Readiness.
    pub const HEALTHZ: &str = "/healthz";
    /// Name and version.
    pub const VERSION: &str = "/version";
}

/// `http://{endpoint}{path}` for a server endpoint `host:port`.
pub fn url(endpoint: &str, path: &str) -> String {
    format!("http://{endpoint}{path}")
}

/// The websocket URL of a server's DKG endpoint.
pub fn ws_url(endpoint: &str) -> String {
    format!("ws://{endpoint}{}", routes::WS)
}

/// The URL of a server's receipt for the registration of `account` included in `block`.
pub fn receipt_url(endpoint: &str, account: &AccountId32, block: u32) -> String {
    url(
        endpoint,
        &routes::RECEIPT
            .replace("{account}", &account.to_ss58())
            .replace("{block}", &block.to_string()),
    )
}

/// The URL that tells whether a server holds a share of `vk`.
pub fn key_url(endpoint: &str, vk: &VerifyingKey) -> String {
    url(
        endpoint,
        &routes::KEY.replace("{verifying_key}", &vk.to_hex()),
    )
}

/// The success status of an answered `/user/new`.
pub fn new_user_status(verdict: &NewUserVerdict) -> u16 {
    match verdict {
        NewUserVerdict::NothingToDo => 204,
        NewUserVerdict::NotInCommittee => 421,
        NewUserVerdict::Accept { .. } => 200,
    }
}

macro_rules! api_codes {
    ($($(#[$doc:meta])* $name:ident = ($text:literal, $status:literal),)*) => {
        /// Every code a server answers a refusal with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ApiCode {
            $($(#[$doc])* $name,)*
        }

        impl ApiCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ApiCode] = &[$(ApiCode::$name,)*];

            /// The code as it travels in [`ErrorBody::code`].
            pub fn as_str(self) -> &'static str {
                match self { $(ApiCode::$name => $text,)* }
            }

            /// The HTTP status that carries it.
            pub fn status(self) -> u16 {
                match self { $(ApiCode::$name => $status,)* }
            }

            /// The code named `text` (`None` for a code this version does not know).
            pub fn parse(text: &str) -> Option<ApiCode> {
                match text { $($text => Some(ApiCode::$name),)* _ => None }
            }
        }
    };
}

api_codes! {
    /// The body does not decode.
    Malformed = ("Malformed", 400),
    /// `/user/new`: an account entry is not 32 bytes.
    BadAccount = ("BadAccount", 400),
    /// `/user/new`: the block was already served (replay).
    Repeated = ("Repeated", 409),
    /// `/user/new`: the block is outside the accepted window.
    Stale = ("Stale", 409),
    /// `/user/new`: the account list is not `Dkg[N]` on chain.
    NotVerifiable = ("NotVerifiable", 403),
    /// `/user/new`: the committee is not the one chosen on chain.
    CommitteeMismatch = ("CommitteeMismatch", 403),
    /// `/user/receive_key`: the key names one of the server's own secrets.
    ForbiddenKey = ("ForbiddenKey", 403),
    /// The value is not a key share.
    NotAKeyShare = ("NotAKeyShare", 400),
    /// `/user/receive_key`: the key is not the share's verifying key.
    KeyMismatch = ("KeyMismatch", 400),
    /// `/user/receive_key`: no account named.
    NoAccount = ("NoAccount", 400),
    /// `/user/receive_key`: proactive refresh is not part of registration.
    ProactiveRefresh = ("ProactiveRefresh", 403),
    /// This server is not a threshold server on chain.
    ReceiverNotOnChain = ("ReceiverNotOnChain", 403),
    /// The sender is not in this server's subgroup.
    NotInSubgroup = ("NotInSubgroup", 403),
    /// The account is registered already.
    AlreadyRegistered = ("AlreadyRegistered", 409),
    /// The account is not registering.
    NotRegistering = ("NotRegistering", 409),
    /// The envelope is not JSON of an `EncryptedSignedMessage`.
    BadJson = ("BadJson", 400),
    /// The envelope's HPKE fields have invalid sizes.
    HpkeInvalidInput = ("Hpke(InvalidInput)", 400),
    /// The envelope does not decrypt with this server's key (wrong recipient or tampered).
    HpkeOpen = ("Hpke(OpenError)", 400),
    /// The decrypted payload is not a `SignedMessage`.
    BadInnerJson = ("BadInnerJson", 400),
    /// The inner signature does not verify.
    BadSignature = ("BadSignature", 400),
    /// Client-dealt: the envelope is signed by another account than the registering one.
    SignedByAnother = ("SignedByAnother", 403),
    /// Client-dealt: the account registers with a DKG.
    NotClientDealt = ("NotClientDealt", 409),
    /// Client-dealt: no accepted share here yet.
    NoShareYet = ("NoShareYet", 409),
    /// Client-dealt: the share is for another subgroup.
    WrongSubgroup = ("WrongSubgroup", 421),
    /// Client-dealt: the share does not match the on-chain commitments.
    ShareMismatch = ("ShareMismatch", 422),
    /// This server has no subgroup on chain.
    ServerNotOnChain = ("ServerNotOnChain", 503),
    /// Client-dealt: a subgroup peer did not answer in time.
    PeerUnavailable = ("PeerUnavailable", 504),
    /// Client-dealt: a subgroup peer holds another share.
    PeerMismatch = ("PeerMismatch", 409),
    /// The server's `confirm_register` failed.
    ConfirmFailed = ("ConfirmFailed", 502),
    /// Client-dealt: the committee's test signature of the dealt key failed (a holder's share
    /// does not sign, or a committee peer did not take part in time); nothing was stored or
    /// confirmed.
    TestSignatureFailed = ("TestSignatureFailed", 502),
    /// A path parameter is not an account.
    InvalidAccount = ("InvalidAccount", 400),
    /// No receipt for that registration on this server.
    NoReceipt = ("NoReceipt", 404),
    /// A path parameter is not a verifying key.
    InvalidVerifyingKey = ("InvalidVerifyingKey", 400),
    /// No share of that key on this server.
    NoKeyShare = ("NoKeyShare", 404),
    /// The server cannot reach its chain node.
    ChainUnavailable = ("ChainUnavailable", 503),
    /// The server is at one of its bounds (open connections, `/user/new` requests waiting for
    /// finality); nothing was done: try again shortly.
    Busy = ("Busy", 503),
    /// The request body did not arrive within the server's body-read time; nothing was done.
    BodyTimeout = ("BodyTimeout", 408),
    /// The request body is larger than the server accepts; nothing was done.
    TooLarge = ("TooLarge", 413),
    /// Anything else that went wrong inside the server.
    Internal = ("Internal", 500),
}

/// A refusal: the code, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code.
    pub code: ApiCode,
    /// What happened.
    pub message: String,
}

impl ApiError {
    /// A refusal with `code`.
    pub fn new(code: ApiCode, message: impl ToString) -> Self {
        ApiError {
            code,
            message: message.to_string(),
        }
    }

    /// An `Internal` error.
    pub fn internal(message: impl ToString) -> Self {
        Self::new(ApiCode::Internal, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.as_str().to_string(),
            message: self.message.clone(),
        }
    }
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ApiError {}

/// The JSON body of every refusal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ErrorBody {
    /// One of [`ApiCode`] (a newer server may send a code this version does not know).
    pub code: String,
    /// A message for people.
    pub message: String,
}

impl ErrorBody {
    #[cfg(feature = "std")]
    /// Reads a refusal's body; a body that is not an `ErrorBody` becomes `{code: "", message:
    /// <the text>}`.
    pub fn parse(body: &[u8]) -> ErrorBody {
        serde_json::from_slice(body).unwrap_or_else(|_| ErrorBody {
            code: String::new(),
            message: String::from_utf8_lossy(body).into_owned(),
        })
    }

    /// The code, when this version knows it.
    pub fn api_code(&self) -> Option<ApiCode> {
        ApiCode::parse(&self.code)
    }
}

impl From<&NewUserRejection> for ApiCode {
    fn from(e: &NewUserRejection) -> Self {
        match e {
            NewUserRejection::Malformed(_) => ApiCode::Malformed,
            NewUserRejection::BadAccount { .. } => ApiCode::BadAccount,
            NewUserRejection::Repeated { .. } => ApiCode::Repeated,
            NewUserRejection::Stale { .. } => ApiCode::Stale,
            NewUserRejection::NotVerifiable { .. } => ApiCode::NotVerifiable,
            NewUserRejection::CommitteeMismatch { .. } => ApiCode::CommitteeMismatch,
        }
    }
}

#[cfg(feature = "std")]
impl From<&ReceiveKeyRejection> for ApiCode {
    fn from(e: &ReceiveKeyRejection) -> Self {
        match e {
            ReceiveKeyRejection::Malformed(_) => ApiCode::Malformed,
            ReceiveKeyRejection::ForbiddenKey => ApiCode::ForbiddenKey,
            ReceiveKeyRejection::NotAKeyShare(_) => ApiCode::NotAKeyShare,
            ReceiveKeyRejection::KeyMismatch { .. } => ApiCode::KeyMismatch,
            ReceiveKeyRejection::NoAccount => ApiCode::NoAccount,
            ReceiveKeyRejection::ProactiveRefresh => ApiCode::ProactiveRefresh,
            ReceiveKeyRejection::ReceiverNotOnChain => ApiCode::ReceiverNotOnChain,
            ReceiveKeyRejection::NotInSubgroup => ApiCode::NotInSubgroup,
            ReceiveKeyRejection::AlreadyRegistered => ApiCode::AlreadyRegistered,
            ReceiveKeyRejection::NotRegistering(_) => ApiCode::NotRegistering,
        }
    }
}

#[cfg(feature = "std")]
impl From<&DealtShareRejection> for ApiCode {
    fn from(e: &DealtShareRejection) -> Self {
        match e {
            DealtShareRejection::Malformed(_) => ApiCode::Malformed,
            DealtShareRejection::SignedByAnother { .. } => ApiCode::SignedByAnother,
            DealtShareRejection::NotRegistering(_) => ApiCode::NotRegistering,
            DealtShareRejection::NotClientDealt(_) => ApiCode::NotClientDealt,
            DealtShareRejection::ServerNotOnChain => ApiCode::ServerNotOnChain,
            DealtShareRejection::WrongSubgroup { .. } => ApiCode::WrongSubgroup,
            DealtShareRejection::NotAKeyShare(_) => ApiCode::NotAKeyShare,
            DealtShareRejection::ShareMismatch(_) => ApiCode::ShareMismatch,
            DealtShareRejection::NotInSubgroup(_) => ApiCode::NotInSubgroup,
            DealtShareRejection::NoShareYet(_) => ApiCode::NoShareYet,
        }
    }
}

#[cfg(feature = "std")]
impl From<&EnvelopeError> for ApiCode {
    fn from(e: &EnvelopeError) -> Self {
        match e {
            EnvelopeError::BadJson(_) => ApiCode::BadJson,
            EnvelopeError::HpkeInvalidInput | EnvelopeError::BadRecipientKey => {
                ApiCode::HpkeInvalidInput
            }
            EnvelopeError::HpkeOpen => ApiCode::HpkeOpen,
            EnvelopeError::BadInnerJson(_) => ApiCode::BadInnerJson,
            EnvelopeError::BadSignature => ApiCode::BadSignature,
        }
    }
}

macro_rules! refusal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError::new(ApiCode::from(&e), e)
            }
        }
    )*};
}
refusal_from!(NewUserRejection);
#[cfg(feature = "std")]
refusal_from!(ReceiveKeyRejection, DealtShareRejection, EnvelopeError);

/// `GET /user/key/{verifying_key}`: the server holds a usable share (never the share itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    /// The key (hex).
    pub verifying_key: String,
    /// The share's party index (its subgroup; the user is the last party in Private mode).
    pub party_index: u16,
    /// How many parties hold shares of the key.
    pub parties: u16,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Always `"ok"` (an unhealthy server answers `ChainUnavailable`).
    pub status: String,
    /// The server's TSS account (SS58).
    pub account: String,
    /// Its x25519 key (0x hex).
    pub x25519: String,
    /// The block its chain view is at.
    pub best_block: u32,
    /// DKG sessions waiting for parties.
    pub open_sessions: usize,
}

/// `GET /version`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Version {
    /// The server's crate name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The protocol it speaks.
    pub protocol: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ApiCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(ApiCode::parse(c.as_str()), Some(*c));
            assert!((400..600).contains(&c.status()), "{c:?}");
        }
        assert_eq!(ApiCode::parse("Nope"), None);
    }

    #[test]
    fn urls() {
        let a = AccountId32([1; 32]);
        assert_eq!(
            receipt_url("127.0.0.1:3001", &a, 7),
            format!("http://127.0.0.1:3001/user/receipt/{}/7", a.to_ss58())
        );
        assert_eq!(ws_url("h:1"), "ws://h:1/ws");
        assert_eq!(url("h:1", routes::USER_NEW), "http://h:1/user/new");
    }

    #[test]
    fn error_bodies() {
        let e = ApiError::from(NewUserRejection::Stale { block: 3, best: 9 });
        assert_eq!((e.status(), e.code), (409, ApiCode::Stale));
        let body = serde_json::to_vec(&e.body()).unwrap();
        let back = ErrorBody::parse(&body);
        assert_eq!(back.api_code(), Some(ApiCode::Stale));
        assert!(back.message.contains("block 3"));
        let junk = ErrorBody::parse(b"gateway timeout");
        assert_eq!(
            (junk.code.as_str(), junk.message.as_str()),
            ("", "gateway timeout")
        );
        assert_eq!(
            ApiCode::from(&EnvelopeError::HpkeOpen).as_str(),
            EnvelopeError::HpkeOpen.label()
        );
    }
}
