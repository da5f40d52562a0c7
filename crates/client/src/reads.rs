//! Typed chain reads, written once for the client, the servers and the tools: storage by the
//! core's keys and types, the committee by the core's rule, the registry's events and the
//! `confirm_register` extrinsics of a block. Independent reads of one state run concurrently.

use std::collections::HashMap;
use std::future::Future;

use codec::Decode;
use entropy_register_core::batch::decode_confirmations;
use entropy_register_core::commitments::{ClientDealtRegistration, Commitments};
use entropy_register_core::committee::{select_committee, CommitteeBlock, CommitteeError};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::storage;
use entropy_register_core::types::{
    AccountId32, ConfirmRegisterArgs, RegisteredInfo, RegisteringDetails, ServerInfo, VerifyingKey,
};
use entropy_register_core::verify::SeenConfirmation;

use crate::backend::{BlockRef, ChainState};
use crate::concurrency::all;

/// The `Registry` pallet's name.
pub const REGISTRY: &str = "Registry";
/// The `Utility` pallet's name (servers batch their confirmations in it).
pub const UTILITY: &str = "Utility";

/// Why a chain read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The node could not be reached or answered with an error.
    #[error("chain node: {0}")]
    Unreachable(String),
    /// A stored value does not decode as this client expects (another runtime version).
    #[error("{item} does not decode: {error}")]
    Decode {
        /// The storage item or event.
        item: &'static str,
        /// Why.
        error: String,
    },
    /// No committee can be formed from chain state.
    #[error("no committee: {0}")]
    Committee(#[from] CommitteeError),
    /// A stash chosen for the committee has no `ThresholdServers` record.
    #[error("committee stash {0} has no ThresholdServers entry")]
    NoServerRecord(AccountId32),
}

/// The chain state at one block, read through the core's types.
pub struct State<S> {
    inner: S,
}

impl<S: ChainState> State<S> {
    /// Wraps a backend's state.
    pub fn new(inner: S) -> Self {
        State { inner }
    }

    /// The backend's state.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The block.
    pub fn block(&self) -> BlockRef {
        self.inner.block()
    }

    /// The block number.
    pub fn number(&self) -> u32 {
        self.inner.block().number
    }

    /// A raw storage value.
    pub async fn raw(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, ChainError> {
        self.inner.storage(key).await
    }

    /// Reads and decodes a storage value named `item`.
    pub async fn get<T: Decode>(
        &self,
        item: &'static str,
        key: Vec<u8>,
    ) -> Result<Option<T>, ChainError> {
        match self.raw(key).await? {
            None => Ok(None),
            Some(v) => storage::decode_value(&v)
                .map(Some)
                .map_err(|error| ChainError::Decode { item, error }),
        }
    }

    /// Free balance (0 for an account that does not exist).
    pub async fn free_balance(&self, a: &AccountId32) -> Result<u128, ChainError> {
        match self.raw(storage::system_account(a)).await? {
            None => Ok(0),
            Some(v) => storage::free_balance(&v).ok_or(ChainError::Decode {
                item: "System.Account",
                error: "too short".into(),
            }),
        }
    }

    /// Whether a program is stored under `pointer`.
    pub async fn program_exists(&self, pointer: &[u8; 32]) -> Result<bool, ChainError> {
        Ok(self.raw(storage::program(pointer)).await?.is_some())
    }

    /// `Registry.Registering[account]`.
    pub fn registering<'a>(
        &'a self,
        a: &AccountId32,
    ) -> impl Future<Output = Result<Option<RegisteringDetails>, ChainError>> + 'a {
        self.get("Registering", storage::registering(a))
    }

    /// `Registry.Registering[account]` of each of `accounts`, in their order (one request
    /// where the backend can).
    pub async fn registering_many(
        &self,
        accounts: &[AccountId32],
    ) -> Result<Vec<Option<RegisteringDetails>>, ChainError> {
        let keys = accounts.iter().map(storage::registering).collect();
        self.inner
            .storage_many(keys)
            .await?
            .into_iter()
            .map(|v| {
                v.map(|v| {
                    storage::decode_value(&v).map_err(|error| ChainError::Decode {
                        item: "Registering",
                        error,
                    })
                })
                .transpose()
            })
            .collect()
    }

    /// `Registry.Registered[vk]`.
    pub fn registered<'a>(
        &'a self,
        vk: &VerifyingKey,
    ) -> impl Future<Output = Result<Option<RegisteredInfo>, ChainError>> + 'a {
        self.get("Registered", storage::registered(vk))
    }

    /// `Registry.ClientDealt[account]`: a client-dealt registration in progress.
    pub fn client_dealt<'a>(
        &'a self,
        a: &AccountId32,
    ) -> impl Future<Output = Result<Option<ClientDealtRegistration>, ChainError>> + 'a {
        self.get("ClientDealt", storage::client_dealt(a))
    }

    /// `Registry.DealtKeys[vk]`: the commitments of a registered client-dealt key.
    pub fn dealt_keys<'a>(
        &'a self,
        vk: &VerifyingKey,
    ) -> impl Future<Output = Result<Option<Commitments>, ChainError>> + 'a {
        self.get("DealtKeys", storage::dealt_keys(vk))
    }

    /// `Registry.Dkg[block]` (absent = empty).
    pub async fn dkg_accounts(&self, block: u32) -> Result<Vec<Vec<u8>>, ChainError> {
        Ok(self
            .get("Dkg", storage::dkg(block))
            .await?
            .unwrap_or_default())
    }

    /// `StakingExtension.SubgroupCount`: how many signing subgroups the chain has.
    pub async fn subgroup_count(&self) -> Result<u8, ChainError> {
        Ok(self
            .get("SubgroupCount", storage::subgroup_count())
            .await?
            .unwrap_or(0))
    }

    /// `StakingExtension.SigningGroups[g]` (absent = empty).
    pub async fn signing_group(&self, g: u8) -> Result<Vec<AccountId32>, ChainError> {
        Ok(self
            .get("SigningGroups", storage::signing_groups(g))
            .await?
            .unwrap_or_default())
    }

    /// Every subgroup's stashes, index = subgroup.
    pub async fn signing_groups(&self) -> Result<Vec<Vec<AccountId32>>, ChainError> {
        let count = self.subgroup_count().await?;
        all((0..count).map(|g| self.signing_group(g))).await
    }

    /// `StakingExtension.ThresholdServers[stash]`.
    pub fn server<'a>(
        &'a self,
        stash: &AccountId32,
    ) -> impl Future<Output = Result<Option<ServerInfo>, ChainError>> + 'a {
        self.get("ThresholdServers", storage::threshold_servers(stash))
    }

    /// The servers of subgroup `g` with their stashes, storage order.
    pub async fn subgroup_servers(
        &self,
        g: u8,
    ) -> Result<Vec<(AccountId32, ServerInfo)>, ChainError> {
        let stashes = self.signing_group(g).await?;
        let infos = all(stashes.iter().map(|s| self.server(s))).await?;
        Ok(stashes
            .into_iter()
            .zip(infos)
            .filter_map(|(s, i)| i.map(|i| (s, i)))
            .collect())
    }

    /// Every server of every subgroup with its stash, index = subgroup.
    pub async fn servers_by_subgroup(
        &self,
    ) -> Result<Vec<Vec<(AccountId32, ServerInfo)>>, ChainError> {
        let count = self.subgroup_count().await?;
        all((0..count).map(|g| self.subgroup_servers(g))).await
    }

    /// The subgroup of the server whose TSS account is `tss` (`None`: not a server).
    pub async fn subgroup_of_tss(&self, tss: &AccountId32) -> Result<Option<u8>, ChainError> {
        let Some(stash) = self
            .get::<AccountId32>("ThresholdToStash", storage::threshold_to_stash(tss))
            .await?
        else {
            return Ok(None);
        };
        self.get(
            "ValidatorToSubgroup",
            storage::validator_to_subgroup(&stash),
        )
        .await
    }

    /// The DKG committee for `block`, by the core's rule from this state: one server per
    /// subgroup, index = subgroup.
    pub async fn committee(&self, block: CommitteeBlock) -> Result<Vec<ServerInfo>, ChainError> {
        let groups = self.signing_groups().await?;
        let stashes: Vec<AccountId32> = groups.iter().flatten().copied().collect();
        let synced = all(stashes.iter().map(|s| async move {
            let v: Option<bool> = self
                .get("IsValidatorSynced", storage::is_validator_synced(s))
                .await?;
            Ok::<_, ChainError>((*s, v.unwrap_or(false)))
        }))
        .await?;
        let synced: HashMap<AccountId32, bool> = synced.into_iter().collect();
        let members = select_committee(
            block,
            groups.len() as u8,
            |g| groups.get(g as usize).cloned(),
            |s| synced.get(s).copied().unwrap_or(false),
        )?;
        let infos = all(members.iter().map(|m| self.server(&m.stash))).await?;
        members
            .iter()
            .zip(infos)
            .map(|(m, i)| i.ok_or(ChainError::NoServerRecord(m.stash)))
            .collect()
    }

    /// The block's `Registry` events (events of other layouts are skipped).
    pub async fn registry_events(&self) -> Result<Vec<RegistryEvent>, ChainError> {
        Ok(self
            .inner
            .events()
            .await?
            .iter()
            .filter(|e| e.pallet == REGISTRY)
            .filter_map(|e| RegistryEvent::from_fields(&e.name, &e.fields))
            .collect())
    }

    /// The block's `confirm_register` calls for `account`, with their signers: signed
    /// extrinsics of the call itself, and the calls inside a signed `Utility` batch
    /// (`entropy_register_core::batch`; the batch's signer is each call's origin).
    pub async fn confirmations(
        &self,
        account: &AccountId32,
    ) -> Result<Vec<SeenConfirmation>, ChainError> {
        let number = self.number();
        Ok(self
            .inner
            .extrinsics()
            .await?
            .iter()
            .flat_map(|x| {
                let calls = match (x.pallet.as_str(), x.call.as_str()) {
                    (REGISTRY, "confirm_register") => ConfirmRegisterArgs::decode(&mut &x.args[..])
                        .into_iter()
                        .collect(),
                    (UTILITY, "force_batch" | "batch" | "batch_all") => {
                        decode_confirmations(&x.args)
                    }
                    _ => Vec::new(),
                };
                let signer = x.address.as_deref().and_then(signer_of);
                calls.into_iter().filter_map(move |args| {
                    let signer = signer?;
                    (&args.sig_req_account == account).then(|| SeenConfirmation {
                        signer,
                        subgroup: args.signing_subgroup,
                        verifying_key: args.verifying_key.to_vec(),
                        block: number,
                    })
                })
            })
            .collect())
    }
}

/// The account of a signed extrinsic's address (`MultiAddress::Id`: 0x00 ‖ 32 bytes).
pub fn signer_of(address: &[u8]) -> Option<AccountId32> {
    match address {
        [0, rest @ ..] => rest.try_into().ok().map(AccountId32),
        _ => None,
    }
}
