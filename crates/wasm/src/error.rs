//! Client errors: one enum, each variant with a stable `code` the JS side can switch on, a
//! message written for people, and the operation that failed.

use std::fmt;

/// Stable error codes (the `code` property of the JS error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The input is not valid (checked before anything is signed).
    InvalidInput,
    /// No program was given.
    NoProgramSet,
    /// More than five programs.
    TooManyPrograms,
    /// A program pointer is not stored on chain.
    UnknownProgram,
    /// The node runs a runtime this client does not understand.
    ChainVersionMismatch,
    /// The account cannot pay for the transaction.
    InsufficientFunds,
    /// The account is already registering.
    AlreadySubmitted,
    /// The transaction pool refused the transaction.
    TxInvalid,
    /// The transaction left the pool without being included.
    TxDropped,
    /// The network reported a failed registration.
    RegistrationFailed,
    /// What the chain or a server answered does not verify.
    VerificationFailed,
    /// No outcome within the given number of blocks.
    Timeout,
    /// Cancelled through the AbortSignal.
    Cancelled,
    /// The node or a server could not be reached.
    ServerUnreachable,
    /// The external signer refused or failed.
    SignerFailed,
    /// `storeProgram`: the same program is already stored.
    ProgramExists,
    /// Client-dealt mode: a server refused the share sent to it.
    ShareRefused,
    /// Client-dealt mode: the dealt key is already registered.
    KeyAlreadyRegistered,
}

impl Code {
    /// The code as a string.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "InvalidInput",
            Code::NoProgramSet => "NoProgramSet",
            Code::TooManyPrograms => "TooManyPrograms",
            Code::UnknownProgram => "UnknownProgram",
            Code::ChainVersionMismatch => "ChainVersionMismatch",
            Code::InsufficientFunds => "InsufficientFunds",
            Code::AlreadySubmitted => "AlreadySubmitted",
            Code::TxInvalid => "TxInvalid",
            Code::TxDropped => "TxDropped",
            Code::RegistrationFailed => "RegistrationFailed",
            Code::VerificationFailed => "VerificationFailed",
            Code::Timeout => "Timeout",
            Code::Cancelled => "Cancelled",
            Code::ServerUnreachable => "ServerUnreachable",
            Code::SignerFailed => "SignerFailed",
            Code::ProgramExists => "ProgramExists",
            Code::ShareRefused => "ShareRefused",
            Code::KeyAlreadyRegistered => "KeyAlreadyRegistered",
        }
    }
}

/// An error of one client operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// The stable code.
    pub code: Code,
    /// What happened, for a person.
    pub message: String,
    /// The operation (`connect`, `register`, …).
    pub operation: &'static str,
}

impl ClientError {
    /// A new error.
    pub fn new(code: Code, operation: &'static str, message: impl Into<String>) -> Self {
        ClientError {
            code,
            message: message.into(),
            operation,
        }
    }
}

impl ClientError {
    /// The same error, reported for operation `op`.
    pub fn during(mut self, op: &'static str) -> Self {
        self.operation = op;
        self
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl std::error::Error for ClientError {}

#[cfg(target_arch = "wasm32")]
impl From<ClientError> for wasm_bindgen::JsValue {
    /// A JS `Error` whose message is the text, with `code` and `operation` properties.
    fn from(e: ClientError) -> Self {
        let err = js_sys::Error::new(&e.message);
        err.set_name("EntropyRegisterError");
        let obj: &wasm_bindgen::JsValue = err.as_ref();
        let _ = js_sys::Reflect::set(obj, &"code".into(), &e.code.as_str().into());
        let _ = js_sys::Reflect::set(obj, &"operation".into(), &e.operation.into());
        err.into()
    }
}

/// Maps a dispatch or pool error text of the `register` call to a code.
pub fn classify_tx_error(text: &str) -> Code {
    let t = text.to_ascii_lowercase();
    if t.contains("alreadysubmitted") {
        Code::AlreadySubmitted
    } else if t.contains("keyalreadyregistered") {
        Code::KeyAlreadyRegistered
    } else if t.contains("inability to pay") || t.contains("payment") || t.contains("funds") {
        Code::InsufficientFunds
    } else if t.contains("dropped") || t.contains("usurped") || t.contains("retracted") {
        Code::TxDropped
    } else {
        Code::TxInvalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_classification() {
        assert_eq!(Code::InsufficientFunds.as_str(), "InsufficientFunds");
        assert_eq!(
            classify_tx_error("Module error: Registry::AlreadySubmitted"),
            Code::AlreadySubmitted
        );
        assert_eq!(
            classify_tx_error("Invalid Transaction (1010): Inability to pay some fees"),
            Code::InsufficientFunds
        );
        assert_eq!(
            classify_tx_error("transaction was dropped"),
            Code::TxDropped
        );
        assert_eq!(classify_tx_error("bad proof"), Code::TxInvalid);
        let e = ClientError::new(Code::Timeout, "register", "no outcome");
        assert_eq!(e.to_string(), "register: no outcome");
    }
}
