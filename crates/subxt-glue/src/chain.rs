//! The client's chain traits ([`entropy_register_client::backend::Chain`],
//! [`ChainState`]) over subxt, for the browser/Node binding (subxt `web`) and the native tools
//! and servers (subxt `native`) alike. subxt's typed errors are mapped to the client's: the
//! runtime's `InvalidTransaction` (from `TaggedTransactionQueue_validate_transaction`) and
//! `DispatchError` (pallet and variant names from the metadata), never by text.

use entropy_register_client::backend::{
    BlockRef, Blocks, Call, Chain, ChainState, DispatchFailure, InvalidTx, PayloadSigner, RawEvent,
    RawExtrinsic, TxError, TxFields, TxProgress, TxStatus, TxToSign, WaitFor,
};
use entropy_register_client::reads::{ChainError, UTILITY};
use futures::StreamExt;
use subxt::config::DefaultExtrinsicParamsBuilder;
use subxt::events::Phase;
use subxt::ext::codec::Encode;
use subxt::metadata::ArcMetadata;
use subxt::transactions::{TransactionInvalid, TransactionStatus, ValidationResult};
use subxt::utils::Era;
use subxt::utils::MultiSignature;
use subxt::OnlineClient;

use crate::kept::{Applied, KeptBlock, KeptBlocks};
use crate::{DevnetConfig, RawCall};

type H256 = subxt::config::substrate::H256;

type AtBlock = subxt::client::ClientAtBlock<
    DevnetConfig,
    subxt::client::OnlineClientAtBlockImpl<DevnetConfig>,
>;

/// The author RPC's error codes for a pool's answer (`1010` invalid … `1020` future
/// transaction; `1013`: already imported).
pub const POOL_ERROR_CODES: std::ops::RangeInclusive<i32> = 1010..=1020;

/// Why a node did not take a signed extrinsic into its pool (the servers' and tools' own
/// submissions; the client's flow has [`TxError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The pool answered with a refusal: the author RPC's error `code` (in
    /// [`POOL_ERROR_CODES`]) and its reason.
    #[error("the transaction pool refused it: {message} ({code})")]
    Pool {
        /// The JSON-RPC error code.
        code: i32,
        /// The pool's message and reason (e.g. "Transaction is outdated").
        message: String,
    },
    /// The pool reported it invalid or dropped right away, in its status stream.
    #[error("the transaction pool refused it: {0}")]
    Status(String),
    /// It was not signed or did not reach a pool (connection, metadata, another RPC error).
    #[error("{0}")]
    Failed(String),
}

impl SubmitError {
    /// The author RPC's "Transaction Already Imported".
    pub const ALREADY_IMPORTED: i32 = 1013;

    /// Whether the node's pool answered (a refusal, or "already imported"), as opposed to a
    /// failed connection or request.
    pub fn pool_answered(&self) -> bool {
        !matches!(self, SubmitError::Failed(_))
    }

    /// Whether the pool already holds this very transaction.
    pub fn already_imported(&self) -> bool {
        matches!(self, SubmitError::Pool { code, .. } if *code == Self::ALREADY_IMPORTED)
    }
}

impl From<subxt::error::ExtrinsicError> for SubmitError {
    fn from(e: subxt::error::ExtrinsicError) -> Self {
        use subxt::error::{BackendError, ExtrinsicError, RpcError, TransactionStatusError};
        match e {
            ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(
                RpcError::ClientError(subxt::rpcs::Error::User(u)),
            )) if POOL_ERROR_CODES.contains(&u.code) => SubmitError::Pool {
                code: u.code,
                // The reason ("Transaction is outdated", "Priority is too low") is in `data`.
                message: match &u.data {
                    Some(d) => format!("{}: {}", u.message, d.get()),
                    None => u.message.clone(),
                },
            },
            ExtrinsicError::TransactionStatusError(
                TransactionStatusError::Invalid(m) | TransactionStatusError::Dropped(m),
            ) => SubmitError::Status(m),
            e => SubmitError::Failed(format!("{e} ({e:?})")),
        }
    }
}

/// How many blocks a transaction stays valid for (subxt's and most wallets' default order).
const MORTAL_BLOCKS: u64 = 32;

/// The account's next nonce as the node's pool sees it (`system_accountNextIndex`: the chain's
/// nonce plus the account's ready transactions), so that a transaction sent while others of
/// the same account wait in the pool does not reuse their nonce (the runtime API reads the
/// best block only).
async fn next_index(
    rpc: &subxt::rpcs::RpcClient,
    account: &entropy_register_core::types::AccountId32,
) -> Result<u64, ChainError> {
    rpc.request(
        "system_accountNextIndex",
        subxt::rpcs::rpc_params![account.to_ss58()],
    )
    .await
    .map_err(unreachable)
}

/// A JSON header's block number (`"number": "0x1a"`).
fn header_number(header: &serde_json::Value) -> Result<u32, ChainError> {
    header
        .get("number")
        .and_then(|n| n.as_str())
        .and_then(|n| u32::from_str_radix(n.strip_prefix("0x")?, 16).ok())
        .ok_or_else(|| unreachable(format!("a header without a block number: {header}")))
}

/// Most keys asked for in one `state_queryStorageAt` request.
pub const MAX_KEYS_PER_QUERY: usize = 256;

/// `0x`-prefixed lowercase hex (the core's).
fn to_hex(bytes: &[u8]) -> String {
    entropy_register_core::hex::encode_0x(bytes)
}

/// The bytes of `0x`-prefixed hex, as the node writes them (`None`: not such hex; the prefix
/// is required).
fn from_hex(s: &str) -> Option<Vec<u8>> {
    s.starts_with("0x")
        .then(|| entropy_register_core::hex::decode(s).ok())
        .flatten()
}

fn unreachable(e: impl std::fmt::Display) -> ChainError {
    ChainError::Unreachable(e.to_string())
}

/// A connection to a node, on subxt's request/response RPC methods (the `chainHead` backend
/// unpins blocks under load and then fails to find their headers).
#[derive(Clone)]
pub struct SubxtChain {
    api: OnlineClient<DevnetConfig>,
    rpc: subxt::rpcs::RpcClient,
    /// What was read at each block, by hash, shared by every reader of this connection
    /// ([`crate::kept`]).
    kept: std::sync::Arc<KeptBlocks<AtBlock>>,
}

/// The state at one block.
pub struct SubxtState {
    at: AtBlock,
    /// What this connection read at the block before.
    kept: std::sync::Arc<KeptBlock<AtBlock>>,
    /// The connection, for requests subxt has no call for.
    rpc: subxt::rpcs::RpcClient,
}

impl SubxtChain {
    /// Connects to `url` (`ws://` or `wss://`; loopback `ws://` allowed).
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
            .await
            .map_err(unreachable)?;
        let backend = subxt::backend::LegacyBackend::<DevnetConfig>::builder().build(rpc.clone());
        let api = OnlineClient::from_backend(std::sync::Arc::new(backend))
            .await
            .map_err(unreachable)?;
        Ok(SubxtChain {
            api,
            rpc,
            kept: Default::default(),
        })
    }

    /// The subxt client (for what the client's traits do not cover, e.g. the servers'
    /// explicit-nonce submissions).
    pub fn api(&self) -> &OnlineClient<DevnetConfig> {
        &self.api
    }
}

fn block_ref(at: &AtBlock) -> BlockRef {
    BlockRef {
        number: at.block_number() as u32,
        hash: at.block_hash().0,
    }
}

impl SubxtState {
    /// Each extrinsic of this block with its hash and events ([`Applied`]): the body and the
    /// events are read once per block on this connection, for every transaction followed there.
    async fn applied(&self) -> Result<std::sync::Arc<Vec<Applied>>, ChainError> {
        self.kept
            .applied
            .get_or_fetch(|| async {
                let hash = self.at.block_hash();
                let events = self.at.events();
                let (block, events) = futures::join!(
                    self.rpc.request::<serde_json::Value>(
                        "chain_getBlock",
                        subxt::rpcs::rpc_params![hash]
                    ),
                    events.fetch()
                );
                let block = block.map_err(unreachable)?;
                let body = block["block"]["extrinsics"].as_array().ok_or_else(|| {
                    unreachable(format!("the node has no body for block {hash:?}"))
                })?;
                let mut applied = body
                    .iter()
                    .map(|x| {
                        let bytes = x.as_str().and_then(from_hex).ok_or(ChainError::Decode {
                            item: "block body",
                            error: format!("an extrinsic is not 0x-prefixed hex: {x}"),
                        })?;
                        Ok(Applied {
                            hash: entropy_register_core::hashing::blake2_256(&bytes),
                            events: Vec::new(),
                        })
                    })
                    .collect::<Result<Vec<_>, ChainError>>()?;
                for e in events.map_err(unreachable)?.iter() {
                    // An event that does not decode could be a failure: never skipped.
                    let e = e.map_err(|e| ChainError::Decode {
                        item: "System.Events",
                        error: e.to_string(),
                    })?;
                    if let Phase::ApplyExtrinsic(i) = e.phase() {
                        if let Some(a) = applied.get_mut(i as usize) {
                            a.events.push(RawEvent {
                                pallet: e.pallet_name().to_string(),
                                name: e.event_name().to_string(),
                                fields: e.field_bytes().to_vec(),
                            });
                        }
                    }
                }
                Ok(std::sync::Arc::new(applied))
            })
            .await
    }

    /// The events the transaction `tx` (its hash) emitted in this block.
    async fn events_of(&self, tx: [u8; 32]) -> Result<Vec<RawEvent>, ChainError> {
        self.applied()
            .await?
            .iter()
            .find(|a| a.hash == tx)
            .map(|a| a.events.clone())
            .ok_or_else(|| {
                unreachable(format!(
                    "transaction {} is not in block {}",
                    to_hex(&tx),
                    self.at.block_number()
                ))
            })
    }
}

impl ChainState for SubxtState {
    fn block(&self) -> BlockRef {
        block_ref(&self.at)
    }

    async fn storage(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, ChainError> {
        if let Some(kept) = self.kept.read(&key) {
            return Ok(kept);
        }
        let value = match self.at.storage().fetch_raw(key.clone()).await {
            Ok(v) => Some(v),
            Err(subxt::error::StorageError::NoValueFound) => None,
            Err(e) => return Err(unreachable(e)),
        };
        self.kept.keep_read(key, value.clone());
        Ok(value)
    }

    async fn storage_many(&self, keys: Vec<Vec<u8>>) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        let values: Vec<Option<Option<Vec<u8>>>> = keys.iter().map(|k| self.kept.read(k)).collect();
        let missing: Vec<&Vec<u8>> = keys
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k)
            .collect();
        let mut read = std::collections::HashMap::new();
        for chunk in missing.chunks(MAX_KEYS_PER_QUERY) {
            let hexes: Vec<String> = chunk.iter().map(|k| to_hex(k)).collect();
            // `[{ block, changes: [[key, value or null], …] }]`
            let sets: serde_json::Value = self
                .rpc
                .request(
                    "state_queryStorageAt",
                    subxt::rpcs::rpc_params![hexes, self.at.block_hash()],
                )
                .await
                .map_err(unreachable)?;
            let changes = sets
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|set| set.get("changes")?.as_array())
                .flatten();
            for change in changes {
                let (Some(key), Some(value)) = (change.get(0), change.get(1)) else {
                    return Err(unreachable(format!("a malformed storage answer: {change}")));
                };
                let key = key.as_str().and_then(from_hex);
                let value = match value {
                    serde_json::Value::Null => Some(None),
                    v => v.as_str().and_then(from_hex).map(Some),
                };
                match (key, value) {
                    (Some(k), Some(v)) => read.insert(k, v),
                    _ => return Err(unreachable(format!("a malformed storage answer: {change}"))),
                };
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for (key, kept) in keys.into_iter().zip(values) {
            out.push(match kept {
                Some(v) => v,
                None => match read.remove(&key) {
                    Some(v) => {
                        self.kept.keep_read(key, v.clone());
                        v
                    }
                    // A key the node left out of its answer is read on its own.
                    None => self.storage(key).await?,
                },
            });
        }
        Ok(out)
    }

    async fn events(&self) -> Result<Vec<RawEvent>, ChainError> {
        self.kept
            .events
            .get_or_fetch(|| async {
                let events = self.at.events().fetch().await.map_err(unreachable)?;
                Ok(events
                    .iter()
                    .flatten()
                    .map(|e| RawEvent {
                        pallet: e.pallet_name().to_string(),
                        name: e.event_name().to_string(),
                        fields: e.field_bytes().to_vec(),
                    })
                    .collect())
            })
            .await
    }

    async fn extrinsics(&self) -> Result<Vec<RawExtrinsic>, ChainError> {
        self.kept
            .extrinsics
            .get_or_fetch(|| async {
                let xts = self.at.extrinsics().fetch().await.map_err(unreachable)?;
                Ok(xts
                    .iter()
                    .flatten()
                    .map(|x| RawExtrinsic {
                        pallet: x.pallet_name().to_string(),
                        call: x.call_name().to_string(),
                        address: x.address_bytes().map(|a| a.to_vec()),
                        args: x.call_data_field_bytes().to_vec(),
                    })
                    .collect())
            })
            .await
    }
}

/// The runtime's refusal, typed.
fn invalid(i: TransactionInvalid) -> InvalidTx {
    match i {
        TransactionInvalid::Call => InvalidTx::Call,
        TransactionInvalid::Payment => InvalidTx::Payment,
        TransactionInvalid::Future => InvalidTx::Future,
        TransactionInvalid::Stale => InvalidTx::Stale,
        TransactionInvalid::BadProof => InvalidTx::BadProof,
        TransactionInvalid::AncientBirthBlock => InvalidTx::AncientBirthBlock,
        TransactionInvalid::ExhaustsResources => InvalidTx::ExhaustsResources,
        TransactionInvalid::BadSigner => InvalidTx::BadSigner,
        TransactionInvalid::Custom(c) => InvalidTx::Custom(c),
        _ => InvalidTx::Other,
    }
}

/// A dispatch error, typed by its metadata names.
pub fn dispatch_failure(e: &subxt::error::DispatchError) -> DispatchFailure {
    use subxt::error::DispatchError as D;
    match e {
        D::Module(m) => match m.details() {
            Ok(d) => DispatchFailure::Module {
                pallet: d.pallet.name().to_string(),
                error: d.variant.name.clone(),
            },
            Err(_) => DispatchFailure::Other(m.to_string()),
        },
        D::Token(t) => DispatchFailure::Token(format!("{t:?}")),
        other => DispatchFailure::Other(other.to_string()),
    }
}

/// A transaction's outcome from the events it emitted: `System.ExtrinsicFailed` carries its
/// `DispatchError`.
fn outcome_of(events: &[RawEvent], metadata: &ArcMetadata) -> Result<(), DispatchFailure> {
    match events
        .iter()
        .find(|e| e.pallet == "System" && e.name == "ExtrinsicFailed")
    {
        None => Ok(()),
        Some(e) => Err(decode_dispatch(&e.fields, metadata)),
    }
}

/// A `DispatchError` at the start of an event's fields, typed by the metadata's names.
fn decode_dispatch(fields: &[u8], metadata: &ArcMetadata) -> DispatchFailure {
    subxt::error::DispatchError::decode_from(fields, metadata.clone()).map_or_else(
        |d| DispatchFailure::Other(d.to_string()),
        |d| dispatch_failure(&d),
    )
}

impl Chain for SubxtChain {
    type State = SubxtState;

    async fn finalized(&self) -> Result<SubxtState, ChainError> {
        self.current_state().await.map_err(unreachable)
    }

    async fn at(&self, number: u32) -> Result<SubxtState, ChainError> {
        // The number's block may change until it is final: its hash is asked every time,
        // what was read at that hash is kept.
        let hash: Option<H256> = self
            .rpc
            .request("chain_getBlockHash", subxt::rpcs::rpc_params![number])
            .await
            .map_err(unreachable)?;
        let hash = hash.ok_or_else(|| unreachable(format!("the node has no block {number}")))?;
        let kept = self.kept.block(hash.0);
        let at = kept
            .at
            .get_or_fetch(|| self.api.at_block_hash_and_number(hash, u64::from(number)))
            .await
            .map_err(unreachable)?;
        Ok(SubxtState {
            at,
            kept,
            rpc: self.rpc.clone(),
        })
    }

    async fn follow(&self, after: u32, which: WaitFor) -> Result<Blocks, ChainError> {
        let headers = self.head_numbers(which).await?;
        let mut next = after + 1;
        Ok(Box::pin(
            headers
                .map(move |n| match n {
                    Ok(n) => {
                        let from = next;
                        next = next.max(n + 1);
                        (from..=n).map(Ok).collect::<Vec<_>>()
                    }
                    Err(e) => vec![Err(e)],
                })
                .flat_map(futures::stream::iter),
        ))
    }

    async fn call_index(&self, pallet: &str, call: &str) -> Result<Option<(u8, u8)>, ChainError> {
        let at = self.current().await.map_err(unreachable)?;
        let md = at.metadata();
        Ok(md.pallet_by_name(pallet).and_then(|p| {
            p.call_variant_by_name(call)
                .map(|v| (p.call_index(), v.index))
        }))
    }

    async fn submit(&self, call: &Call, signer: &dyn PayloadSigner) -> Result<TxProgress, TxError> {
        let payload = RawCall::new(call.pallet, call.name, call.args.clone());
        let incompatible = |e: subxt::error::ExtrinsicError| TxError::Incompatible(e.to_string());
        let at = self
            .current()
            .await
            .map_err(|e| TxError::Unreachable(e.to_string()))?;
        let tx = at.tx();
        let account = signer.account();
        let id = subxt::utils::AccountId32(account.0);
        // The parameters are set here, not left to subxt, so that a wallet can be shown the
        // same fields the payload is made of.
        let nonce = next_index(&self.rpc, &account)
            .await
            .map_err(|e| TxError::Unreachable(e.to_string()))?;
        let (block_number, block_hash) = (at.block_number(), at.block_hash());
        let params = DefaultExtrinsicParamsBuilder::<DevnetConfig>::new()
            .nonce(nonce)
            .mortal_from_unchecked(MORTAL_BLOCKS, block_number, block_hash)
            .build();
        let mut signable = tx
            .create_v4_signable_offline(&payload, params)
            .map_err(incompatible)?;
        let signer_payload = signable.signer_payload().map_err(incompatible)?;
        let metadata = at.metadata();
        let fields = TxFields {
            call: tx.call_data(&payload).map_err(incompatible)?,
            nonce,
            era: Era::mortal(MORTAL_BLOCKS, block_number).encode(),
            tip: 0,
            block_hash: block_hash.0,
            block_number: block_number as u32,
            genesis_hash: self.api.genesis_hash().0,
            spec_version: at.spec_version(),
            transaction_version: at.transaction_version(),
            extensions: metadata
                .extrinsic()
                .transaction_extensions_by_version(0)
                .map(|e| e.map(|x| x.identifier().to_owned()).collect())
                .unwrap_or_default(),
            version: 4,
        };
        let signature = signer
            .sign(TxToSign {
                payload: &signer_payload,
                fields: &fields,
            })
            .await
            .map_err(TxError::Signer)?;
        let submittable = signable
            .sign_with_account_and_signature(&id, &MultiSignature::Sr25519(signature))
            .map_err(incompatible)?;
        match submittable
            .validate()
            .await
            .map_err(|e| TxError::Unreachable(e.to_string()))?
        {
            ValidationResult::Valid(_) => {}
            ValidationResult::Invalid(i) => return Err(TxError::Invalid(invalid(i))),
            ValidationResult::Unknown(u) => return Err(TxError::Unknown(format!("{u:?}"))),
        }
        let progress = submittable
            .submit_and_watch()
            .await
            .map_err(|e| TxError::Unreachable(e.to_string()))?;
        let chain = self.clone();
        Ok(Box::pin(progress.filter_map(move |s| {
            let chain = chain.clone();
            async move {
                let status = match s {
                    Err(e) => return Some(Err(unreachable(e))),
                    Ok(s) => s,
                };
                let (in_block, finalized) = match status {
                    TransactionStatus::InBestBlock(b) => (b, false),
                    TransactionStatus::InFinalizedBlock(b) => (b, true),
                    other => {
                        return match other {
                            TransactionStatus::NoLongerInBestBlock => Some(Ok(TxStatus::Retracted)),
                            TransactionStatus::Dropped { message } => {
                                Some(Ok(TxStatus::Dropped(message)))
                            }
                            TransactionStatus::Invalid { message }
                            | TransactionStatus::Error { message } => {
                                Some(Ok(TxStatus::Invalid(message)))
                            }
                            _ => None,
                        }
                    }
                };
                // The block's body and events are read once for every transaction this
                // connection follows there ([`crate::kept`]).
                let included = async {
                    let state = chain
                        .at_hash(in_block.block_hash())
                        .await
                        .map_err(unreachable)?;
                    let events = state.events_of(in_block.extrinsic_hash().0).await?;
                    let outcome = outcome_of(&events, &state.at.metadata());
                    Ok::<_, ChainError>((state.block(), outcome))
                };
                Some(match (included.await, finalized) {
                    (Ok((block, outcome)), true) => Ok(TxStatus::Finalized { block, outcome }),
                    (Ok((block, outcome)), false) => Ok(TxStatus::InBestBlock { block, outcome }),
                    // A best block that a reorganisation abandoned can be pruned before it is
                    // read ("state already discarded"): the transaction is no longer in a best
                    // block; the pool includes it again and its final block is reported.
                    (Err(_), false) => Ok(TxStatus::Retracted),
                    (Err(e), true) => Err(e),
                })
            }
        })))
    }
}

/// An included, successful transaction: its block and the `Pallet.Event` names it emitted.
#[derive(Debug, Clone)]
pub struct Included {
    /// Block number.
    pub block: u32,
    /// `Pallet.Event` names.
    pub events: Vec<String>,
    /// For a `Utility` batch, each call's outcome in order (its `ItemCompleted` or
    /// `ItemFailed` event); empty for any other transaction.
    pub items: Vec<Result<(), DispatchFailure>>,
}

impl SubxtChain {
    /// The finalized head's client (state, metadata, transactions). subxt's `at_current_block`
    /// costs three requests, one of them a runtime call (`Core_version`, to pick the block's
    /// metadata); here only the finalized head's hash is asked for when that block was read
    /// before, and what was read at it is kept ([`crate::kept`]). Measured on the devnet: a
    /// server taking 100 forwarded shares spent ~0.8 s of each ~1.7 s request in
    /// `at_current_block`, its node busy answering those runtime calls.
    async fn current(&self) -> Result<AtBlock, subxt::error::Error> {
        Ok(self.current_state().await?.at)
    }

    /// [`SubxtChain::current`] with what was already read at that block.
    async fn current_state(&self) -> Result<SubxtState, subxt::error::Error> {
        let hash: H256 = self
            .rpc
            .request("chain_getFinalizedHead", subxt::rpcs::rpc_params![])
            .await?;
        self.at_hash(hash).await
    }

    /// The state at block `hash`, with what this connection already read there.
    async fn at_hash(&self, hash: H256) -> Result<SubxtState, subxt::error::Error> {
        let kept = self.kept.block(hash.0);
        let at = kept.at.get_or_fetch(|| self.api.at_block(hash)).await?;
        Ok(SubxtState {
            at,
            kept,
            rpc: self.rpc.clone(),
        })
    }

    /// The numbers of the headers the node announces, as it announces them: each new best block
    /// (`WaitFor::InBlock`; after a reorganisation a number can repeat or go back) or each newly
    /// finalized block (`WaitFor::Finalized`). The node's header subscription itself: subxt's
    /// block streams first read the finalized head's runtime version (a runtime call) for every
    /// new stream, one per registration followed. Ends when the connection does.
    pub async fn head_numbers(
        &self,
        which: WaitFor,
    ) -> Result<impl futures::Stream<Item = Result<u32, ChainError>>, ChainError> {
        let (subscribe, unsubscribe) = match which {
            WaitFor::InBlock => ("chain_subscribeNewHeads", "chain_unsubscribeNewHeads"),
            WaitFor::Finalized => (
                "chain_subscribeFinalizedHeads",
                "chain_unsubscribeFinalizedHeads",
            ),
        };
        let headers = self
            .rpc
            .subscribe::<serde_json::Value>(subscribe, subxt::rpcs::rpc_params![], unsubscribe)
            .await
            .map_err(unreachable)?;
        Ok(headers.map(|h| h.map_err(unreachable).and_then(|h| header_number(&h))))
    }

    /// The number of the node's best block (`chain_getHeader`; not necessarily final).
    pub async fn best_number(&self) -> Result<u32, ChainError> {
        let header: serde_json::Value = self
            .rpc
            .request("chain_getHeader", subxt::rpcs::rpc_params![])
            .await
            .map_err(unreachable)?;
        header_number(&header)
    }

    /// The account's next nonce as the node sees it (pool included).
    pub async fn account_nonce(
        &self,
        account: &entropy_register_core::types::AccountId32,
    ) -> Result<u64, ChainError> {
        next_index(&self.rpc, account).await
    }

    /// Signs `call` with `signer` (an explicit `nonce` when given, so that one account can have
    /// many transactions in one block), submits it and waits until it succeeded in a finalized
    /// block. For the servers' confirmations and the tools' funding; the client's flow uses
    /// [`Chain::submit`].
    ///
    /// The transaction is immortal: its signature covers the genesis hash only, not a block the
    /// submitting node chose. A mortal one is checked against the hash each validating node has
    /// at its birth number, and a node behind the submitting one (or on another fork) refuses it
    /// as "bad signature" or "ancient birth block" (seen for a server's confirmations at 500
    /// registrations). The nonce is its replay protection; these accounts are never reaped.
    pub async fn submit_signed(
        &self,
        call: &Call,
        signer: &entropy_register_core::keys::Sr25519Pair,
        nonce: Option<u64>,
    ) -> Result<Included, String> {
        self.submit_signed_then(call, signer, nonce)
            .await
            .map_err(|e| e.to_string())?
            .await
    }

    /// [`SubxtChain::submit_signed`] in two steps: this returns once the node's pool took the
    /// transaction, with a future that waits until it succeeded in a finalized block. One
    /// account's transactions submitted one after the other in nonce order reach the pool
    /// without a gap (submitted all at once, a later nonce can arrive first and wait in the
    /// pool's future queue, where the fork-aware pool dropped some when finality followed the
    /// best block closely).
    pub async fn submit_signed_then(
        &self,
        call: &Call,
        signer: &entropy_register_core::keys::Sr25519Pair,
        nonce: Option<u64>,
    ) -> Result<impl std::future::Future<Output = Result<Included, String>> + '_, SubmitError> {
        let signed = self
            .sign_immortal(call, signer, nonce)
            .await
            .map_err(SubmitError::Failed)?;
        self.submit_encoded_then(signed).await
    }

    /// The signed extrinsic of `call`, immortal (its signature covers the genesis hash only),
    /// with `nonce` or, without one, the pool's next nonce for `signer`: bytes to hand to one
    /// node or several ([`SubxtChain::submit_encoded_then`], [`SubxtChain::submit_encoded`]).
    pub async fn sign_immortal(
        &self,
        call: &Call,
        signer: &entropy_register_core::keys::Sr25519Pair,
        nonce: Option<u64>,
    ) -> Result<Vec<u8>, String> {
        let payload = RawCall::new(call.pallet, call.name, call.args.clone());
        let mut params = DefaultExtrinsicParamsBuilder::<DevnetConfig>::new().immortal();
        if let Some(n) = nonce {
            params = params.nonce(n);
        }
        Ok(self
            .current()
            .await
            .map_err(|e| e.to_string())?
            .tx()
            .create_signed(&payload, &crate::PairSigner(signer), params.build())
            .await
            .map_err(|e| e.to_string())?
            .into_encoded())
    }

    /// Hands a signed extrinsic to this node's pool and returns once the pool took it; the
    /// transaction is not followed (another node it was also handed to follows it).
    pub async fn submit_encoded(&self, signed: Vec<u8>) -> Result<(), SubmitError> {
        self.transaction(signed)
            .await?
            .submit()
            .await
            .map(|_| ())
            .map_err(SubmitError::from)
    }

    /// A signed extrinsic's bytes as a transaction of this node's client.
    async fn transaction(
        &self,
        signed: Vec<u8>,
    ) -> Result<
        subxt::transactions::SubmittableTransaction<
            DevnetConfig,
            subxt::client::OnlineClientAtBlockImpl<DevnetConfig>,
        >,
        SubmitError,
    > {
        Ok(self
            .current()
            .await
            .map_err(|e| SubmitError::Failed(e.to_string()))?
            .tx()
            .from_bytes(signed))
    }

    /// [`SubxtChain::submit_signed_then`] for a signed extrinsic
    /// ([`SubxtChain::sign_immortal`]).
    pub async fn submit_encoded_then(
        &self,
        signed: Vec<u8>,
    ) -> Result<impl std::future::Future<Output = Result<Included, String>> + '_, SubmitError> {
        let progress = self
            .transaction(signed)
            .await?
            .submit_and_watch()
            .await
            .map_err(SubmitError::from)?;
        Ok(async move {
            let in_block = progress
                .wait_for_finalized()
                .await
                .map_err(|e| e.to_string())?;
            let state = self
                .at_hash(in_block.block_hash())
                .await
                .map_err(|e| e.to_string())?;
            let events = state
                .events_of(in_block.extrinsic_hash().0)
                .await
                .map_err(|e| e.to_string())?;
            let metadata = state.at.metadata();
            outcome_of(&events, &metadata).map_err(|d| d.to_string())?;
            let mut names = Vec::new();
            let mut items = Vec::new();
            for e in &events {
                match (e.pallet.as_str(), e.name.as_str()) {
                    (UTILITY, "ItemCompleted") => items.push(Ok(())),
                    // The event's only field is the call's `DispatchError`.
                    (UTILITY, "ItemFailed") => {
                        items.push(Err(decode_dispatch(&e.fields, &metadata)))
                    }
                    _ => {}
                }
                names.push(format!("{}.{}", e.pallet, e.name));
            }
            Ok(Included {
                block: state.block().number,
                events: names,
                items,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{from_hex, header_number, outcome_of, to_hex, ArcMetadata, SubmitError};
    use entropy_register_client::backend::{DispatchFailure, RawEvent};
    use subxt::ext::codec::Decode;

    /// The runtime metadata the clients compile against.
    fn devnet_metadata() -> ArcMetadata {
        let bytes = include_bytes!("../../../devnet/metadata/devnet.scale");
        std::sync::Arc::new(subxt::Metadata::decode(&mut &bytes[..]).expect("devnet metadata"))
    }

    fn event(pallet: &str, name: &str, fields: Vec<u8>) -> RawEvent {
        RawEvent {
            pallet: pallet.into(),
            name: name.into(),
            fields,
        }
    }

    #[test]
    fn a_transaction_outcome_is_read_from_its_own_events() {
        let md = devnet_metadata();
        let registry = md.pallet_by_name("Registry").unwrap();
        let (index, variant) = registry
            .error_variants()
            .unwrap()
            .iter()
            .find(|v| v.name == "AlreadySubmitted")
            .map(|v| (registry.error_index(), v.index))
            .unwrap();
        // `DispatchError::Module(ModuleError { index, error: [variant, 0, 0, 0] })` (variant 3),
        // followed by the event's `DispatchInfo`, which the decoding leaves alone.
        let module_error = vec![3, index, variant, 0, 0, 0, 0xaa, 0xbb];
        let ok = [event("System", "ExtrinsicSuccess", vec![1, 2])];
        assert_eq!(outcome_of(&ok, &md), Ok(()));
        assert_eq!(outcome_of(&[], &md), Ok(()), "no events: nothing failed");
        let failed = [
            event("Balances", "Withdraw", vec![]),
            event("System", "ExtrinsicFailed", module_error),
        ];
        assert_eq!(
            outcome_of(&failed, &md),
            Err(DispatchFailure::Module {
                pallet: "Registry".into(),
                error: "AlreadySubmitted".into()
            })
        );
        // `DispatchError::BadOrigin` (variant 2).
        let bad_origin = [event("System", "ExtrinsicFailed", vec![2])];
        assert!(
            matches!(outcome_of(&bad_origin, &md), Err(DispatchFailure::Other(_))),
            "{:?}",
            outcome_of(&bad_origin, &md)
        );
        // A failure whose error does not decode is still a failure.
        let garbled = [event("System", "ExtrinsicFailed", vec![0xff])];
        assert!(outcome_of(&garbled, &md).is_err());
    }

    #[test]
    fn hex_both_ways() {
        assert_eq!(to_hex(&[0x00, 0xab, 0x7f]), "0x00ab7f");
        assert_eq!(from_hex("0x00ab7f"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(from_hex("0x00AB7F"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(from_hex("0x"), Some(vec![]));
        assert_eq!(from_hex("00ab"), None, "no prefix");
        assert_eq!(from_hex("0xabc"), None, "odd length");
        assert_eq!(from_hex("0xzz"), None, "not hex");
        assert_eq!(from_hex("0x+1"), None, "a sign is not a digit");
        assert_eq!(from_hex("0x0xab"), None, "one prefix");
    }
    use subxt::error::{BackendError, ExtrinsicError, RpcError, TransactionStatusError};

    fn rpc(code: i32, data: Option<&str>) -> ExtrinsicError {
        let user = subxt::rpcs::UserError {
            code,
            message: "Transaction Already Imported".into(),
            data: data.map(|d| serde_json::value::RawValue::from_string(d.into()).unwrap()),
        };
        ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
            subxt::rpcs::Error::User(user),
        )))
    }

    #[test]
    fn a_header_number_is_read_from_its_hex() {
        let n = |v: serde_json::Value| header_number(&v).ok();
        assert_eq!(
            n(serde_json::json!({"number": "0x1a", "parentHash": "0x00"})),
            Some(26)
        );
        assert_eq!(n(serde_json::json!({"number": "0x0"})), Some(0));
        assert_eq!(n(serde_json::json!({"number": "26"})), None);
        assert_eq!(n(serde_json::json!({"number": 26})), None);
        assert_eq!(n(serde_json::json!({"number": "0xzz"})), None);
        assert_eq!(n(serde_json::json!({})), None);
    }

    #[test]
    fn a_pools_answer_is_told_from_a_failed_request() {
        let imported = SubmitError::from(rpc(1013, None));
        assert!(imported.pool_answered() && imported.already_imported());
        assert_eq!(
            imported.to_string(),
            "the transaction pool refused it: Transaction Already Imported (1013)"
        );
        let outdated = SubmitError::from(rpc(1010, Some("\"Transaction is outdated\"")));
        assert!(outdated.pool_answered() && !outdated.already_imported());
        assert!(
            outdated.to_string().contains("Transaction is outdated"),
            "{outdated}"
        );
        let dropped = SubmitError::from(ExtrinsicError::TransactionStatusError(
            TransactionStatusError::Dropped("limit".into()),
        ));
        assert!(dropped.pool_answered() && !dropped.already_imported());
        // Another RPC error (not a pool's code) and a broken connection are failures.
        for e in [
            rpc(-32601, None),
            ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(
                RpcError::SubscriptionDropped,
            )),
            ExtrinsicError::TransactionStatusError(TransactionStatusError::Error("x".into())),
        ] {
            let e = SubmitError::from(e);
            assert!(!e.pool_answered() && !e.already_imported(), "{e}");
        }
    }
}
