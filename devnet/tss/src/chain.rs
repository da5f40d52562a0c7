//! The server's (and the launcher's and tests') view of the devnet chain: typed storage reads by
//! the core's storage keys, and signed `Registry` calls whose arguments the core encodes.

use std::time::Duration;

use codec::{Decode, Encode};
use entropy_register_core::commitments::{ClientDealtRegistration, Commitments};
use entropy_register_core::committee::{select_committee, CommitteeBlock};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::storage;
use entropy_register_core::types::{
    AccountId32, ConfirmRegisterArgs, RegisterArgs, RegisterClientDealtArgs, RegisteredInfo,
    RegisteringDetails, ServerInfo, TransferArgs, ValidatorInfo, VerifyingKey,
};
use entropy_register_subxt::{DevnetConfig, PairSigner, RawCall};
use subxt::config::DefaultExtrinsicParamsBuilder;
use subxt::OnlineClient;
use tokio::sync::Mutex;

/// Errors talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node cannot be reached or answered with an RPC error.
    #[error("chain RPC error: {0}")]
    Rpc(String),
    /// A storage value does not decode as the expected type.
    #[error("storage value {0} does not decode: {1}")]
    Decode(&'static str, String),
    /// A transaction was rejected by the pool or failed in its block.
    #[error("transaction {call} failed: {reason}")]
    Transaction {
        /// The call.
        call: &'static str,
        /// Why.
        reason: String,
    },
    /// The committee cannot be computed from chain state.
    #[error("committee: {0}")]
    Committee(String),
}

fn rpc<E: std::fmt::Display>(e: E) -> ChainError {
    ChainError::Rpc(e.to_string())
}

/// A connection to the devnet node.
#[derive(Clone)]
pub struct Chain {
    api: OnlineClient<DevnetConfig>,
}

/// Which state to read: the latest (finalized = best on the devnet) or a block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The latest finalized block.
    Latest,
    /// A block number.
    Block(u32),
}

/// The outcome of an included transaction: its block and the names of its events.
#[derive(Debug, Clone)]
pub struct Included {
    /// Block number it was included in.
    pub block: u32,
    /// `Pallet.Event` names emitted by the extrinsic.
    pub events: Vec<String>,
}

impl Chain {
    /// Connects to `url` (a loopback `ws://` URL is allowed), retrying for up to `wait`.
    pub async fn connect(url: &str, wait: Duration) -> Result<Self, ChainError> {
        let start = std::time::Instant::now();
        loop {
            match Self::legacy(url).await {
                Ok(api) => return Ok(Chain { api }),
                Err(e) if start.elapsed() >= wait => {
                    return Err(ChainError::Rpc(format!("cannot reach {url}: {e}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    }

    /// A client on the request/response ("legacy") RPC methods: the default `chainHead`
    /// backend unpins blocks under load and then fails to find their headers.
    async fn legacy(url: &str) -> Result<OnlineClient<DevnetConfig>, String> {
        let rpc = subxt::rpcs::RpcClient::from_insecure_url(url)
            .await
            .map_err(|e| e.to_string())?;
        let backend = subxt::backend::LegacyBackend::<DevnetConfig>::builder().build(rpc);
        OnlineClient::from_backend(std::sync::Arc::new(backend))
            .await
            .map_err(|e| e.to_string())
    }

    /// The latest (finalized) block number.
    pub async fn best_block(&self) -> Result<u32, ChainError> {
        let b = self.api.at_current_block().await.map_err(rpc)?;
        Ok(b.block_number() as u32)
    }

    /// A view of the state at `at`, for several reads of one consistent state.
    pub async fn at(&self, at: At) -> Result<ChainAt, ChainError> {
        let block = match at {
            At::Latest => self.api.at_current_block().await.map_err(rpc)?,
            At::Block(n) => self.api.at_block(n as u64).await.map_err(rpc)?,
        };
        Ok(ChainAt { block })
    }

    /// The free balance of an account (0 if it does not exist).
    pub async fn free_balance(&self, account: &AccountId32) -> Result<u128, ChainError> {
        Ok(self
            .at(At::Latest)
            .await?
            .raw(storage::system_account(account))
            .await?
            .and_then(|v| storage::free_balance(&v))
            .unwrap_or(0))
    }

    /// The signer's next nonce as the node sees it (pool included).
    pub async fn account_nonce(&self, account: &AccountId32) -> Result<u64, ChainError> {
        self.api
            .tx()
            .await
            .map_err(rpc)?
            .account_nonce(&subxt::utils::AccountId32(account.0))
            .await
            .map_err(rpc)
    }

    /// Signs `Registry.<call>(args)` with `signer` (explicit `nonce` if given), submits it and
    /// waits until it is in a finalized block and succeeded.
    async fn submit(
        &self,
        (pallet, call): (&'static str, &'static str),
        args: Vec<u8>,
        signer: &Sr25519Pair,
        nonce: Option<u64>,
    ) -> Result<Included, ChainError> {
        let payload = RawCall::new(pallet, call, args);
        let fail = |reason: String| ChainError::Transaction { call, reason };
        let mut params = DefaultExtrinsicParamsBuilder::<DevnetConfig>::new().mortal(32);
        if let Some(n) = nonce {
            params = params.nonce(n);
        }
        let progress = self
            .api
            .tx()
            .await
            .map_err(rpc)?
            .sign_and_submit_then_watch(&payload, &PairSigner(signer), params.build())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let in_block = progress
            .wait_for_finalized()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let hash = in_block.block_hash();
        let events = in_block
            .wait_for_success()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let names = events
            .iter()
            .flatten()
            .map(|e| format!("{}.{}", e.pallet_name(), e.event_name()))
            .collect();
        let block = self.api.at_block(hash).await.map_err(rpc)?.block_number() as u32;
        Ok(Included {
            block,
            events: names,
        })
    }

    /// `Registry.register` signed by the signature-request account.
    pub async fn register(
        &self,
        signer: &Sr25519Pair,
        args: &RegisterArgs,
    ) -> Result<Included, ChainError> {
        self.submit(("Registry", "register"), args.encode(), signer, None)
            .await
    }

    /// `Registry.register_client_dealt` signed by the signature-request account.
    pub async fn register_client_dealt(
        &self,
        signer: &Sr25519Pair,
        args: &RegisterClientDealtArgs,
    ) -> Result<Included, ChainError> {
        self.submit(
            ("Registry", "register_client_dealt"),
            args.encode(),
            signer,
            None,
        )
        .await
    }

    /// `Balances.transfer_keep_alive(to, amount)` signed by `from`, with an explicit nonce if
    /// given (to put many transfers in one block).
    pub async fn transfer(
        &self,
        from: &Sr25519Pair,
        to: &AccountId32,
        amount: u128,
        nonce: Option<u64>,
    ) -> Result<Included, ChainError> {
        let args = TransferArgs { dest: *to, amount }.encode();
        self.submit(("Balances", "transfer_keep_alive"), args, from, nonce)
            .await
    }

    /// Transfers `amount` from `from` to each of `to`, all submitted at once with consecutive
    /// nonces (so they share a block), and waits for all of them.
    pub async fn fund(
        &self,
        from: &Sr25519Pair,
        to: &[AccountId32],
        amount: u128,
    ) -> Result<(), ChainError> {
        let nonce = self.account_nonce(&from.account()).await?;
        let transfers = to.iter().enumerate().map(|(i, a)| {
            let chain = self.clone();
            let from = from.clone();
            let a = *a;
            tokio::spawn(async move {
                chain
                    .transfer(&from, &a, amount, Some(nonce + i as u64))
                    .await
            })
        });
        for t in futures::future::join_all(transfers).await {
            t.map_err(|e| ChainError::Rpc(e.to_string()))??;
        }
        Ok(())
    }

    /// The `Registry` events of block `block`.
    pub async fn registry_events(&self, block: u32) -> Result<Vec<RegistryEvent>, ChainError> {
        let at = self.api.at_block(block as u64).await.map_err(rpc)?;
        let events = at.events().fetch().await.map_err(rpc)?;
        Ok(events
            .iter()
            .flatten()
            .filter(|e| e.pallet_name() == "Registry")
            .filter_map(|e| RegistryEvent::from_fields(e.event_name(), e.field_bytes()))
            .collect())
    }

    /// Waits (up to `max_blocks` after `from`) for the block in which `account` is registered;
    /// returns that block and the verifying key, or the failure event.
    pub async fn wait_registered(
        &self,
        account: &AccountId32,
        from: u32,
        max_blocks: u32,
    ) -> Result<Registration, ChainError> {
        let mut next = from;
        while next <= from + max_blocks {
            if self.best_block().await? < next {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            for e in self.registry_events(next).await? {
                match e {
                    RegistryEvent::AccountRegistered(a, vk) if a == *account => {
                        let vk = VerifyingKey::from_bytes(&vk)
                            .map_err(|e| ChainError::Decode("AccountRegistered", e.to_string()))?;
                        return Ok(Registration::Registered { block: next, vk });
                    }
                    RegistryEvent::FailedRegistration(a) if a == *account => {
                        return Ok(Registration::Failed { block: next });
                    }
                    _ => {}
                }
            }
            next += 1;
        }
        Ok(Registration::TimedOut {
            last_block: next - 1,
        })
    }
}

/// The chain state at one block.
pub struct ChainAt {
    block: subxt::client::ClientAtBlock<
        DevnetConfig,
        subxt::client::OnlineClientAtBlockImpl<DevnetConfig>,
    >,
}

impl ChainAt {
    /// The block number.
    pub fn number(&self) -> u32 {
        self.block.block_number() as u32
    }

    /// Raw storage value (`None` if absent).
    pub async fn raw(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, ChainError> {
        match self.block.storage().fetch_raw(key).await {
            Ok(v) => Ok(Some(v)),
            Err(subxt::error::StorageError::NoValueFound) => Ok(None),
            Err(e) => Err(rpc(e)),
        }
    }

    /// Reads and decodes a storage value.
    pub async fn get<T: Decode>(
        &self,
        name: &'static str,
        key: Vec<u8>,
    ) -> Result<Option<T>, ChainError> {
        match self.raw(key).await? {
            None => Ok(None),
            Some(v) => T::decode(&mut &v[..])
                .map(Some)
                .map_err(|e| ChainError::Decode(name, e.to_string())),
        }
    }

    /// `Registry::Registering[account]`.
    pub async fn registering(
        &self,
        account: &AccountId32,
    ) -> Result<Option<RegisteringDetails>, ChainError> {
        self.get("Registering", storage::registering(account)).await
    }

    /// `Registry::Registered[vk]`.
    pub async fn registered(
        &self,
        vk: &VerifyingKey,
    ) -> Result<Option<RegisteredInfo>, ChainError> {
        self.get("Registered", storage::registered(vk)).await
    }

    /// `Registry::ClientDealt[account]`: a client-dealt registration in progress.
    pub async fn client_dealt(
        &self,
        account: &AccountId32,
    ) -> Result<Option<ClientDealtRegistration>, ChainError> {
        self.get("ClientDealt", storage::client_dealt(account))
            .await
    }

    /// `Registry::DealtKeys[vk]`: the commitments of a registered client-dealt key.
    pub async fn dealt_keys(&self, vk: &VerifyingKey) -> Result<Option<Commitments>, ChainError> {
        self.get("DealtKeys", storage::dealt_keys(vk)).await
    }

    /// `Registry::Dkg[block]` (absent = empty).
    pub async fn dkg_accounts(&self, block: u32) -> Result<Vec<Vec<u8>>, ChainError> {
        Ok(self
            .get("Dkg", storage::dkg(block))
            .await?
            .unwrap_or_default())
    }

    /// `StakingExtension::ThresholdServers[stash]`.
    pub async fn server(&self, stash: &AccountId32) -> Result<Option<ServerInfo>, ChainError> {
        self.get("ThresholdServers", storage::threshold_servers(stash))
            .await
    }

    /// `StakingExtension::SigningGroups[g]`.
    pub async fn signing_group(&self, g: u8) -> Result<Option<Vec<AccountId32>>, ChainError> {
        self.get("SigningGroups", storage::signing_groups(g)).await
    }

    /// The servers of subgroup `g` (`SigningGroups[g]` → `ThresholdServers`), storage order.
    pub async fn subgroup_servers(&self, g: u8) -> Result<Vec<ServerInfo>, ChainError> {
        let stashes = self.signing_group(g).await?.unwrap_or_default();
        Ok(
            futures::future::try_join_all(stashes.iter().map(|s| self.server(s)))
                .await?
                .into_iter()
                .flatten()
                .collect(),
        )
    }

    /// The subgroup of the server whose TSS account is `tss` (`None` if it is not a server).
    pub async fn subgroup_of_tss(&self, tss: &AccountId32) -> Result<Option<u8>, ChainError> {
        let stash: Option<AccountId32> = self
            .get("ThresholdToStash", storage::threshold_to_stash(tss))
            .await?;
        let Some(stash) = stash else {
            return Ok(None);
        };
        self.get(
            "ValidatorToSubgroup",
            storage::validator_to_subgroup(&stash),
        )
        .await
    }

    /// The DKG committee for `block`, computed with the core's rule from this state.
    pub async fn committee(&self, block: CommitteeBlock) -> Result<Vec<ValidatorInfo>, ChainError> {
        let (g0, g1) = futures::join!(self.signing_group(0), self.signing_group(1));
        let groups = [g0?, g1?];
        let stashes: Vec<AccountId32> = groups.iter().flatten().flatten().copied().collect();
        let synced = futures::future::try_join_all(stashes.iter().map(|stash| async move {
            let s: Option<bool> = self
                .get("IsValidatorSynced", storage::is_validator_synced(stash))
                .await?;
            Ok::<_, ChainError>((*stash, s.unwrap_or(false)))
        }))
        .await?;
        let synced: std::collections::HashMap<_, _> = synced.into_iter().collect();
        let members = select_committee(
            block,
            |g| groups.get(g as usize).cloned().flatten(),
            |s| synced.get(s).copied().unwrap_or(false),
        )
        .map_err(|e| ChainError::Committee(e.to_string()))?;
        let infos =
            futures::future::try_join_all(members.iter().map(|m| self.server(&m.stash))).await?;
        members
            .iter()
            .zip(infos)
            .map(|(m, info)| {
                info.map(|i| ValidatorInfo::from(&i)).ok_or_else(|| {
                    ChainError::Committee(format!(
                        "stash {} has no ThresholdServers entry",
                        m.stash
                    ))
                })
            })
            .collect()
    }
}

/// How a registration ended, as the chain's events tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// `AccountRegistered` in `block`.
    Registered {
        /// The block.
        block: u32,
        /// The verifying key.
        vk: VerifyingKey,
    },
    /// `FailedRegistration` in `block`.
    Failed {
        /// The block.
        block: u32,
    },
    /// Neither within the blocks waited for.
    TimedOut {
        /// The last block looked at.
        last_block: u32,
    },
}

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
    ) -> Result<Included, ChainError> {
        let args = ConfirmRegisterArgs {
            sig_req_account: account,
            signing_subgroup: subgroup,
            verifying_key: vk.to_bounded(),
        };
        let mut last = None;
        for attempt in 0..3 {
            let nonce = {
                let mut guard = self.next_nonce.lock().await;
                let n = match *guard {
                    Some(n) => n,
                    None => self.chain.account_nonce(&self.signer.account()).await?,
                };
                *guard = Some(n + 1);
                n
            };
            match self
                .chain
                .submit(
                    ("Registry", "confirm_register"),
                    args.encode(),
                    &self.signer,
                    Some(nonce),
                )
                .await
            {
                Ok(inc) => return Ok(inc),
                Err(e) => {
                    tracing::warn!(attempt, %account, "confirm_register failed: {e}");
                    *self.next_nonce.lock().await = None;
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Err(last.expect("three attempts ran"))
    }
}
