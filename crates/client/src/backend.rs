//! The IO the client needs, as small traits: the chain ([`Chain`], [`ChainState`]), the servers'
//! HTTP ([`Http`]), websockets for the user's DKG party ([`Websocket`]), a clock ([`Clock`]) and
//! whoever signs transactions ([`PayloadSigner`]). The browser/Node binding implements them with
//! subxt (web), `fetch` and `WebSocket`; the native tools with subxt (native), reqwest,
//! tokio-tungstenite and tokio. No trait asks for `Send`, so single-threaded wasm fits.

use std::pin::Pin;

use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::AccountId32;
use futures::future::LocalBoxFuture;
use futures::stream::LocalBoxStream;

use crate::reads::ChainError;

/// Which blocks count as an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitFor {
    /// Best blocks: faster, but a fork may still drop them.
    InBlock,
    /// Finalized blocks.
    #[default]
    Finalized,
}

/// A block: its number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// Number.
    pub number: u32,
    /// Hash.
    pub hash: [u8; 32],
}

/// A call whose arguments the core already SCALE-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Pallet name.
    pub pallet: &'static str,
    /// Call name.
    pub name: &'static str,
    /// The SCALE encoding of the call's fields, in order.
    pub args: Vec<u8>,
}

/// One event of a block, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// Pallet name.
    pub pallet: String,
    /// Event name.
    pub name: String,
    /// SCALE of the event's fields.
    pub fields: Vec<u8>,
}

/// One extrinsic of a block, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawExtrinsic {
    /// Pallet name.
    pub pallet: String,
    /// Call name.
    pub call: String,
    /// SCALE of the signer's address (`None`: unsigned).
    pub address: Option<Vec<u8>>,
    /// SCALE of the call's fields.
    pub args: Vec<u8>,
}

/// Why a transaction was refused before it entered the pool (the runtime's typed
/// `InvalidTransaction`), or could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The runtime refused it as invalid.
    #[error("the runtime refused the transaction: {0}")]
    Invalid(InvalidTx),
    /// The runtime could not validate it (e.g. a lookup failed).
    #[error("the runtime could not validate the transaction: {0}")]
    Unknown(String),
    /// The signer failed or its signature does not verify.
    #[error("{0}")]
    Signer(String),
    /// The runtime has no such call (or another layout).
    #[error("{0}")]
    Incompatible(String),
    /// The node could not be reached.
    #[error("chain node: {0}")]
    Unreachable(String),
}

/// The runtime's `InvalidTransaction` reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTx {
    /// The call is not expected.
    #[error("the call is not expected")]
    Call,
    /// The account cannot pay the fees.
    #[error("the account cannot pay the fees")]
    Payment,
    /// Not valid yet (nonce too high).
    #[error("not valid yet (nonce too high)")]
    Future,
    /// Outdated (nonce too low).
    #[error("outdated (nonce too low)")]
    Stale,
    /// A bad signature or proof.
    #[error("bad signature")]
    BadProof,
    /// The mortality era's birth block is too old.
    #[error("the birth block is too old")]
    AncientBirthBlock,
    /// The block has no room left.
    #[error("the block has no room left for it")]
    ExhaustsResources,
    /// The signer is disabled or invalid.
    #[error("the signer is not allowed")]
    BadSigner,
    /// A runtime-specific reason.
    #[error("custom reason {0}")]
    Custom(u8),
    /// Another reason.
    #[error("another reason")]
    Other,
}

/// Why an included transaction failed (the runtime's typed `DispatchError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchFailure {
    /// A pallet's error.
    #[error("{pallet}::{error}")]
    Module {
        /// Pallet name.
        pallet: String,
        /// Error variant name.
        error: String,
    },
    /// A token error such as `FundsUnavailable`.
    #[error("token error: {0}")]
    Token(String),
    /// Any other dispatch error.
    #[error("{0}")]
    Other(String),
}

/// A step of a submitted transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// In a best block, with its dispatch outcome there.
    InBestBlock {
        /// The block.
        block: BlockRef,
        /// Success or why it failed.
        outcome: Result<(), DispatchFailure>,
    },
    /// The best block that held it was abandoned by a reorganisation.
    Retracted,
    /// In a finalized block, with its dispatch outcome there.
    Finalized {
        /// The block.
        block: BlockRef,
        /// Success or why it failed.
        outcome: Result<(), DispatchFailure>,
    },
    /// It left the pool without being included.
    Dropped(String),
    /// The pool declared it invalid after accepting it.
    Invalid(String),
}

/// A stream of block numbers.
pub type Blocks = LocalBoxStream<'static, Result<u32, ChainError>>;
/// A submitted transaction's progress.
pub type TxProgress = LocalBoxStream<'static, Result<TxStatus, ChainError>>;

/// A connection to a node.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The state at one block.
    type State: ChainState;
    /// The state at the latest finalized block.
    async fn finalized(&self) -> Result<Self::State, ChainError>;
    /// The state at block `number` of the chain the node follows.
    async fn at(&self, number: u32) -> Result<Self::State, ChainError>;
    /// Block numbers after `after`, in order and without gaps: best blocks or finalized ones.
    async fn follow(&self, after: u32, which: WaitFor) -> Result<Blocks, ChainError>;
    /// The `(pallet index, call index)` of `pallet.call` in the runtime (`None`: no such call).
    async fn call_index(&self, pallet: &str, call: &str) -> Result<Option<(u8, u8)>, ChainError>;
    /// Has `signer` sign `call`, checks it with the runtime and submits it.
    async fn submit(&self, call: &Call, signer: &dyn PayloadSigner) -> Result<TxProgress, TxError>;
}

/// The state at one block.
#[allow(async_fn_in_trait)]
pub trait ChainState {
    /// The block.
    fn block(&self) -> BlockRef;
    /// A raw storage value (`None`: absent).
    async fn storage(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, ChainError>;
    /// Several raw storage values, in the order of `keys`. A backend that can asks for them in
    /// one request; by default they are read one after the other.
    async fn storage_many(&self, keys: Vec<Vec<u8>>) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.storage(key).await?);
        }
        Ok(values)
    }
    /// The block's events.
    async fn events(&self) -> Result<Vec<RawEvent>, ChainError>;
    /// The block's extrinsics.
    async fn extrinsics(&self) -> Result<Vec<RawExtrinsic>, ChainError>;
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

/// HTTP to the threshold servers. An `Err` means no answer (the text says why).
#[allow(async_fn_in_trait)]
pub trait Http {
    /// `GET url`.
    async fn get(&self, url: &str) -> Result<HttpResponse, String>;
    /// `POST url` with a JSON body.
    async fn post_json(&self, url: &str, body: String) -> Result<HttpResponse, String>;
}

/// Binary frames to send on a websocket.
pub type FrameSink = Pin<Box<dyn futures::Sink<Vec<u8>, Error = String>>>;
/// Binary frames received on a websocket (a text frame is an `Err`; the end = closed).
pub type FrameStream = LocalBoxStream<'static, Result<Vec<u8>, String>>;

/// Websocket connections (the user's DKG party dials every committee server).
#[allow(async_fn_in_trait)]
pub trait Websocket {
    /// Opens `url`.
    async fn connect(&self, url: &str) -> Result<(FrameSink, FrameStream), String>;
}

/// Time.
#[allow(async_fn_in_trait)]
pub trait Clock {
    /// Resolves after `ms` milliseconds.
    async fn sleep(&self, ms: u32);
}

/// A shared reference to an IO implementation is one too.
impl<T: Http> Http for &T {
    async fn get(&self, url: &str) -> Result<HttpResponse, String> {
        (**self).get(url).await
    }
    async fn post_json(&self, url: &str, body: String) -> Result<HttpResponse, String> {
        (**self).post_json(url, body).await
    }
}
impl<T: Websocket> Websocket for &T {
    async fn connect(&self, url: &str) -> Result<(FrameSink, FrameStream), String> {
        (**self).connect(url).await
    }
}
impl<T: Clock> Clock for &T {
    async fn sleep(&self, ms: u32) {
        (**self).sleep(ms).await
    }
}

/// The parts a (v4, signed) transaction's signing payload is made of: what a wallet shows its
/// user and rebuilds the payload from (the fields of polkadot-js's `SignerPayloadJSON`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxFields {
    /// The call: pallet index, call index, SCALE arguments.
    pub call: Vec<u8>,
    /// The account's nonce.
    pub nonce: u64,
    /// The SCALE-encoded era (mortality).
    pub era: Vec<u8>,
    /// The tip.
    pub tip: u128,
    /// The block the era counts from (the genesis hash for an immortal transaction).
    pub block_hash: [u8; 32],
    /// That block's number.
    pub block_number: u32,
    /// The chain's genesis hash.
    pub genesis_hash: [u8; 32],
    /// The runtime's `spec_version`.
    pub spec_version: u32,
    /// The runtime's `transaction_version`.
    pub transaction_version: u32,
    /// The runtime's transaction extensions, by name, in order.
    pub extensions: Vec<String>,
    /// The extrinsic format version (4).
    pub version: u8,
}

/// One transaction to sign: the bytes the signature must cover, and the fields they were
/// built from (for a wallet that rebuilds and shows them).
#[derive(Debug, Clone, Copy)]
pub struct TxToSign<'a> {
    /// The signing payload (already hashed by the chain's rule when longer than 256 bytes).
    pub payload: &'a [u8],
    /// Its fields.
    pub fields: &'a TxFields,
}

/// Whoever signs transactions for an account: a key held here, or a wallet.
pub trait PayloadSigner {
    /// The account.
    fn account(&self) -> AccountId32;
    /// An sr25519 signature of `tx.payload`.
    fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>>;
}

impl PayloadSigner for Sr25519Pair {
    fn account(&self) -> AccountId32 {
        Sr25519Pair::account(self)
    }
    fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
        let sig = Sr25519Pair::sign(self, tx.payload);
        Box::pin(async move { Ok(sig) })
    }
}
