//! The client's errors: one enum whose every variant has a stable [`Code`] (the `code` of the JS
//! error) and a message written for people. The binding adds the operation once.

use entropy_register_core::types::{AccountId32, MAX_PROGRAMS};

use crate::backend::{DispatchFailure, InvalidTx, TxError};
use crate::reads::ChainError;

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The stable error codes (the TypeScript `ErrorCode` union lists the same names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as JS sees it.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => stringify!($name),)* }
            }
        }
    };
}

codes! {
    /// The input is not valid (checked before anything is signed).
    InvalidInput,
    /// No program was given.
    NoProgramSet,
    /// More programs than a registration may name.
    TooManyPrograms,
    /// A program pointer is not stored on chain.
    UnknownProgram,
    /// The node runs a runtime this client does not understand.
    ChainVersionMismatch,
    /// The account cannot pay.
    InsufficientFunds,
    /// The account is already registering.
    AlreadySubmitted,
    /// The runtime or the pool refused the transaction, or it failed in its block.
    TxInvalid,
    /// The transaction left the pool without being included.
    TxDropped,
    /// The network reported a failed registration.
    RegistrationFailed,
    /// What the chain or a server answered does not verify.
    VerificationFailed,
    /// No outcome within the given number of blocks.
    Timeout,
    /// A result reported on a best block is not what the finalized chain holds: a
    /// reorganisation dropped it (`finality`).
    Reorged,
    /// Cancelled by the caller.
    Cancelled,
    /// The node or a server could not be reached.
    ServerUnreachable,
    /// The signer refused or failed.
    SignerFailed,
    /// `storeProgram`: the same program is already stored.
    ProgramExists,
    /// Client-dealt mode: a server refused the share sent to it.
    ShareRefused,
    /// Client-dealt mode: the dealt key is already registered.
    KeyAlreadyRegistered,
    /// JS only: the browser entry's `init()` has not completed.
    NotInitialized,
    /// A fault inside this package.
    Internal,
}

/// Why an operation did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is not valid.
    #[error("{0}")]
    InvalidInput(String),
    /// No program was given.
    #[error("a registration needs at least one program")]
    NoProgramSet,
    /// Too many programs.
    #[error("{given} programs given; a registration names at most {MAX_PROGRAMS}")]
    TooManyPrograms {
        /// How many were given.
        given: usize,
    },
    /// A program pointer is not stored on chain.
    #[error("no program is stored under {0} on this chain")]
    UnknownProgram(String),
    /// The runtime is not one this client speaks.
    #[error("{0}")]
    ChainVersionMismatch(String),
    /// The account cannot pay.
    #[error("{}", funds_message(.account, *.free, *.needed))]
    InsufficientFunds {
        /// The account.
        account: AccountId32,
        /// Its free balance (`None`: the runtime said so without a figure).
        free: Option<u128>,
        /// What it needs (0: at least the fee).
        needed: u128,
    },
    /// The account is already registering.
    #[error("{0} is already registering")]
    AlreadySubmitted(AccountId32),
    /// The transaction was refused or failed.
    #[error("the transaction failed: {0}")]
    TxInvalid(String),
    /// The transaction left the pool.
    #[error("the transaction left the pool: {0}")]
    TxDropped(String),
    /// The network reported a failed registration.
    #[error("{0}")]
    RegistrationFailed(String),
    /// Something does not verify.
    #[error("{0}")]
    VerificationFailed(String),
    /// No outcome in time.
    #[error("not registered within {blocks} blocks after block {after}")]
    Timeout {
        /// The inclusion block.
        after: u32,
        /// How many blocks were waited for.
        blocks: u32,
    },
    /// A result reported on a best block (`WaitFor::InBlock`) was dropped by a reorganisation:
    /// the finalized chain holds another key for the account, or none.
    #[error("a reorganisation dropped this result: {0}")]
    Reorged(String),
    /// Cancelled by the caller.
    #[error(
        "cancelled by the caller (the transaction may still complete on chain; status() tells)"
    )]
    Cancelled,
    /// A node or server could not be reached.
    #[error("{0}")]
    ServerUnreachable(String),
    /// The signer failed.
    #[error("{0}")]
    SignerFailed(String),
    /// `storeProgram`: already stored.
    #[error("a program is already stored under {0}; register with that pointer")]
    ProgramExists(String),
    /// A server refused a dealt share.
    #[error("{server} refused its share (HTTP {status}): {code}: {message}")]
    ShareRefused {
        /// The server's endpoint.
        server: String,
        /// The HTTP status.
        status: u16,
        /// The server's code (see `entropy_register_core::api::ApiCode`).
        code: String,
        /// The server's message.
        message: String,
    },
    /// The dealt key is already registered.
    #[error("this key is already registered")]
    KeyAlreadyRegistered,
}

fn funds_message(account: &AccountId32, free: Option<u128>, needed: u128) -> String {
    match free {
        Some(0) | None if needed == 0 => {
            format!("{account} has no funds to pay the transaction fee")
        }
        None => format!("{account} cannot pay {needed} and the fee"),
        Some(0) => format!("{account} has no funds"),
        Some(f) => format!("{account} holds {f}, less than the {needed} needed"),
    }
}

impl Error {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            Error::InvalidInput(_) => Code::InvalidInput,
            Error::NoProgramSet => Code::NoProgramSet,
            Error::TooManyPrograms { .. } => Code::TooManyPrograms,
            Error::UnknownProgram(_) => Code::UnknownProgram,
            Error::ChainVersionMismatch(_) => Code::ChainVersionMismatch,
            Error::InsufficientFunds { .. } => Code::InsufficientFunds,
            Error::AlreadySubmitted(_) => Code::AlreadySubmitted,
            Error::TxInvalid(_) => Code::TxInvalid,
            Error::TxDropped(_) => Code::TxDropped,
            Error::RegistrationFailed(_) => Code::RegistrationFailed,
            Error::VerificationFailed(_) => Code::VerificationFailed,
            Error::Timeout { .. } => Code::Timeout,
            Error::Reorged(_) => Code::Reorged,
            Error::Cancelled => Code::Cancelled,
            Error::ServerUnreachable(_) => Code::ServerUnreachable,
            Error::SignerFailed(_) => Code::SignerFailed,
            Error::ProgramExists(_) => Code::ProgramExists,
            Error::ShareRefused { .. } => Code::ShareRefused,
            Error::KeyAlreadyRegistered => Code::KeyAlreadyRegistered,
        }
    }

    /// A transaction of `account` that was refused before entering the pool.
    pub fn from_tx(account: AccountId32, e: TxError) -> Self {
        match e {
            TxError::Invalid(InvalidTx::Payment) => Error::InsufficientFunds {
                account,
                free: None,
                needed: 0,
            },
            TxError::Invalid(i) => Error::TxInvalid(i.to_string()),
            TxError::Unknown(m) => Error::TxInvalid(m),
            TxError::Signer(m) => Error::SignerFailed(m),
            TxError::Incompatible(m) => Error::ChainVersionMismatch(m),
            TxError::Unreachable(m) => Error::ServerUnreachable(format!("chain node: {m}")),
        }
    }

    /// A transaction of `account` that failed in its block.
    pub fn from_dispatch(account: AccountId32, e: DispatchFailure) -> Self {
        match &e {
            DispatchFailure::Module { pallet, error } => match (pallet.as_str(), error.as_str()) {
                ("Registry", "AlreadySubmitted") => Error::AlreadySubmitted(account),
                ("Registry", "KeyAlreadyRegistered") => Error::KeyAlreadyRegistered,
                ("Balances", "InsufficientBalance") | ("Balances", "Expendability") => {
                    Error::InsufficientFunds {
                        account,
                        free: None,
                        needed: 0,
                    }
                }
                _ => Error::TxInvalid(e.to_string()),
            },
            DispatchFailure::Token(t) if t == "FundsUnavailable" || t == "NotExpendable" => {
                Error::InsufficientFunds {
                    account,
                    free: None,
                    needed: 0,
                }
            }
            _ => Error::TxInvalid(e.to_string()),
        }
    }
}

impl From<ChainError> for Error {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Unreachable(m) => Error::ServerUnreachable(format!("chain node: {m}")),
            ChainError::Decode { .. } => Error::ChainVersionMismatch(e.to_string()),
            ChainError::Committee(_) | ChainError::NoServerRecord(_) => {
                Error::VerificationFailed(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TypeScript list and this one cannot drift: every code is in `js/src/types.ts`'s
    /// `ERROR_CODES` (whence its `ErrorCode` type), and that list holds nothing else.
    #[test]
    fn codes_match_the_typescript_list() {
        let ts = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../js/src/types.ts"
        ))
        .expect("js/src/types.ts");
        let start = ts
            .find("export const ERROR_CODES = [")
            .expect("an ERROR_CODES list");
        let end = ts[start..].find("] as const").expect("] as const ends it");
        let mut in_ts: Vec<&str> = ts[start..start + end]
            .split('"')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        let mut in_rust: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        in_ts.sort_unstable();
        in_rust.sort_unstable();
        assert_eq!(in_ts, in_rust);
    }

    #[test]
    fn typed_classification() {
        let a = AccountId32([1; 32]);
        let module = |p: &str, e: &str| DispatchFailure::Module {
            pallet: p.into(),
            error: e.into(),
        };
        assert_eq!(
            Error::from_dispatch(a, module("Registry", "AlreadySubmitted")).code(),
            Code::AlreadySubmitted
        );
        assert_eq!(
            Error::from_dispatch(a, module("Registry", "KeyAlreadyRegistered")).code(),
            Code::KeyAlreadyRegistered
        );
        assert_eq!(
            Error::from_dispatch(a, module("Registry", "NotRegistering")).code(),
            Code::TxInvalid
        );
        assert_eq!(
            Error::from_dispatch(a, DispatchFailure::Token("FundsUnavailable".into())).code(),
            Code::InsufficientFunds
        );
        assert_eq!(
            Error::from_tx(a, TxError::Invalid(InvalidTx::Payment)).code(),
            Code::InsufficientFunds
        );
        assert_eq!(
            Error::from_tx(a, TxError::Invalid(InvalidTx::Stale)).code(),
            Code::TxInvalid
        );
        assert_eq!(
            Error::from(ChainError::Decode {
                item: "Registered",
                error: "x".into()
            })
            .code(),
            Code::ChainVersionMismatch
        );
    }
}
