//! The server's chain access: a connection (retried while the node starts), the client crate's
//! typed reads (one implementation of every storage read and of the committee rule for the
//! client, the servers and the tools), and `confirm_register` submissions with local nonces.

use std::time::Duration;

use codec::Encode;
use entropy_register_client::backend::{Call, Chain as _};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::{AccountId32, ConfirmRegisterArgs, VerifyingKey};
use entropy_register_subxt::{Included, SubxtChain, SubxtState};
use tokio::sync::Mutex;

pub use entropy_register_client::reads::ChainError;

/// The chain state at one block, read through the core's types.
pub type ChainAt = entropy_register_client::reads::State<SubxtState>;

/// A connection to the devnet node.
#[derive(Clone)]
pub struct Chain {
    inner: SubxtChain,
}

/// Which state to read: the latest finalized block or a block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The latest finalized block.
    Latest,
    /// A block number.
    Block(u32),
}

impl Chain {
    /// Connects to `url` (a loopback `ws://` URL is allowed), retrying for up to `wait`.
    pub async fn connect(url: &str, wait: Duration) -> Result<Self, ChainError> {
        let start = std::time::Instant::now();
        loop {
            match SubxtChain::connect(url).await {
                Ok(inner) => return Ok(Chain { inner }),
                Err(e) if start.elapsed() >= wait => {
                    return Err(ChainError::Unreachable(format!("cannot reach {url}: {e}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    }

    /// The subxt connection.
    pub fn subxt(&self) -> &SubxtChain {
        &self.inner
    }

    /// The latest finalized block number.
    pub async fn best_block(&self) -> Result<u32, ChainError> {
        Ok(self.at(At::Latest).await?.number())
    }

    /// The state at `at`, for several reads of one consistent state.
    pub async fn at(&self, at: At) -> Result<ChainAt, ChainError> {
        Ok(ChainAt::new(match at {
            At::Latest => self.inner.finalized().await?,
            At::Block(n) => self.inner.at(n).await?,
        }))
    }
}

/// Why a confirmation was not submitted.
#[derive(Debug, thiserror::Error)]
#[error("confirm_register failed: {0}")]
pub struct ConfirmError(pub String);

/// Submits `confirm_register` for a server: one submission at a time per server account with
/// locally tracked nonces (concurrent DKGs confirm in parallel without nonce clashes); a failed
/// submission makes the next one re-read the nonce from the node.
pub struct Confirmer {
    chain: Chain,
    signer: Sr25519Pair,
    next_nonce: Mutex<Option<u64>>,
}

impl Confirmer {
    /// A confirmer for `signer` (the server's TSS account).
    pub fn new(chain: Chain, signer: Sr25519Pair) -> Self {
        Confirmer {
            chain,
            signer,
            next_nonce: Mutex::new(None),
        }
    }

    /// Confirms `vk` for `account` as a member of `subgroup`; retries transient failures up to
    /// three times; returns the block it was included in.
    pub async fn confirm(
        &self,
        account: AccountId32,
        subgroup: u8,
        vk: VerifyingKey,
    ) -> Result<Included, ConfirmError> {
        let call = Call {
            pallet: "Registry",
            name: "confirm_register",
            args: ConfirmRegisterArgs {
                sig_req_account: account,
                signing_subgroup: subgroup,
                verifying_key: vk.to_bounded(),
            }
            .encode(),
        };
        let mut last = String::new();
        for attempt in 0..3 {
            let nonce = {
                let mut guard = self.next_nonce.lock().await;
                let n = match *guard {
                    Some(n) => n,
                    None => self
                        .chain
                        .inner
                        .account_nonce(&self.signer.account())
                        .await
                        .map_err(|e| ConfirmError(e.to_string()))?,
                };
                *guard = Some(n + 1);
                n
            };
            match self
                .chain
                .inner
                .submit_signed(&call, &self.signer, Some(nonce))
                .await
            {
                Ok(inc) => return Ok(inc),
                Err(e) => {
                    tracing::warn!(attempt, %account, "confirm_register failed: {e}");
                    *self.next_nonce.lock().await = None;
                    last = e;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Err(ConfirmError(last))
    }
}
