//! # Staking extension (devnet subset)
//!
//! Who the threshold servers are and how they are grouped: `ThresholdServers` (stash →
//! `ServerInfo`), `ThresholdToStash`, `SigningGroups`, `ValidatorToSubgroup`, `IsValidatorSynced`,
//! all set at genesis; servers can change their endpoint and keys and declare themselves synced.
//! Full staking and sessions are out of scope for the devnet. Names, hashers and call indices
//! follow Entropy v0.2.0 (§2).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use entropy_register_core::committee::{select_committee, CommitteeBlock, CommitteeError};
use entropy_register_core::types::ServerInfo;

/// Subgroup (signing group) index.
pub type SubgroupId = u8;

#[polkadot_sdk::polkadot_sdk_frame::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use polkadot_sdk::polkadot_sdk_frame::prelude::*;
    use polkadot_sdk::sp_runtime::AccountId32;

    #[pallet::config]
    pub trait Config: polkadot_sdk::frame_system::Config<AccountId = AccountId32> {
        /// Longest endpoint (`host:port`) accepted.
        #[pallet::constant]
        type MaxEndpointLength: Get<u32>;
        /// Weights.
        type WeightInfo: WeightInfo;
    }

    #[pallet::pallet]
    #[pallet::without_storage_info]
    pub struct Pallet<T>(_);

    /// Stash → the server's on-chain record.
    #[pallet::storage]
    pub type ThresholdServers<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, ServerInfo, OptionQuery>;

    /// TSS account → stash.
    #[pallet::storage]
    pub type ThresholdToStash<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId, OptionQuery>;

    /// How many signing subgroups there are (`SigningGroups[0..count]`); a DKG committee has
    /// one server of each. Ours: v0.2.0 has the constant 2.
    #[pallet::storage]
    pub type SubgroupCount<T: Config> = StorageValue<_, u8, ValueQuery>;

    /// Subgroup → its members' stashes, in storage order.
    #[pallet::storage]
    pub type SigningGroups<T: Config> =
        StorageMap<_, Blake2_128Concat, SubgroupId, Vec<T::AccountId>, OptionQuery>;

    /// Stash → subgroup.
    #[pallet::storage]
    pub type ValidatorToSubgroup<T: Config> =
        StorageMap<_, Identity, T::AccountId, SubgroupId, OptionQuery>;

    /// Stash → whether its server declared itself synced.
    #[pallet::storage]
    pub type IsValidatorSynced<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, bool, ValueQuery>;

    #[pallet::genesis_config]
    #[derive(DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// `(stash, server info)` of every threshold server.
        pub threshold_servers: Vec<(T::AccountId, ServerInfo)>,
        /// Members of each subgroup, by stash, in order; all marked synced.
        pub signing_groups: Vec<(SubgroupId, Vec<T::AccountId>)>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            for (stash, info) in &self.threshold_servers {
                assert!(
                    info.endpoint.len() as u32 <= T::MaxEndpointLength::get(),
                    "genesis endpoint too long"
                );
                ThresholdToStash::<T>::insert(AccountId32::from(info.tss_account.0), stash);
                ThresholdServers::<T>::insert(stash, info);
            }
            let count = self.signing_groups.len();
            assert!(count <= u8::MAX as usize, "at most 255 signing subgroups");
            for (i, (group, _)) in self.signing_groups.iter().enumerate() {
                assert_eq!(*group as usize, i, "signing groups are numbered 0, 1, 2, …");
            }
            SubgroupCount::<T>::put(count as u8);
            for (group, members) in &self.signing_groups {
                for m in members {
                    assert!(
                        ThresholdServers::<T>::contains_key(m),
                        "signing group member without a server"
                    );
                    ValidatorToSubgroup::<T>::insert(m, group);
                    IsValidatorSynced::<T>::insert(m, true);
                }
                SigningGroups::<T>::insert(group, members);
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A server moved to a new endpoint. [stash, endpoint]
        EndpointChanged(T::AccountId, Vec<u8>),
        /// A server changed its TSS account or x25519 key. [stash, new info]
        ThresholdAccountChanged(T::AccountId, ServerInfo),
        /// A server declared its sync status. [stash, synced]
        ValidatorSyncStatus(T::AccountId, bool),
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The endpoint is longer than `MaxEndpointLength`.
        EndpointTooLong,
        /// The caller is not a threshold server's stash.
        NoThresholdServer,
        /// The caller is not a threshold server's TSS account.
        NoThresholdKey,
        /// That TSS account is already used by another server.
        TssAccountAlreadyExists,
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Changes the caller's (a stash) server endpoint.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::change_endpoint())]
        pub fn change_endpoint(origin: OriginFor<T>, endpoint: Vec<u8>) -> DispatchResult {
            let stash = ensure_signed(origin)?;
            ensure!(
                endpoint.len() as u32 <= T::MaxEndpointLength::get(),
                Error::<T>::EndpointTooLong
            );
            ThresholdServers::<T>::try_mutate(&stash, |info| -> DispatchResult {
                let info = info.as_mut().ok_or(Error::<T>::NoThresholdServer)?;
                info.endpoint = endpoint.clone();
                Ok(())
            })?;
            Self::deposit_event(Event::EndpointChanged(stash, endpoint));
            Ok(())
        }

        /// Changes the caller's (a stash) TSS account and x25519 key.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::change_threshold_accounts())]
        pub fn change_threshold_accounts(
            origin: OriginFor<T>,
            tss_account: T::AccountId,
            x25519_public_key: [u8; 32],
        ) -> DispatchResult {
            let stash = ensure_signed(origin)?;
            let mut info =
                ThresholdServers::<T>::get(&stash).ok_or(Error::<T>::NoThresholdServer)?;
            if let Some(owner) = ThresholdToStash::<T>::get(&tss_account) {
                ensure!(owner == stash, Error::<T>::TssAccountAlreadyExists);
            }
            ThresholdToStash::<T>::remove(AccountId32::from(info.tss_account.0));
            info.tss_account =
                entropy_register_core::types::AccountId32(tss_account.clone().into());
            info.x25519_public_key = x25519_public_key;
            ThresholdToStash::<T>::insert(&tss_account, &stash);
            ThresholdServers::<T>::insert(&stash, &info);
            Self::deposit_event(Event::ThresholdAccountChanged(stash, info));
            Ok(())
        }

        /// Sets the sync status of the caller's server (origin: its TSS account).
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::declare_synced())]
        pub fn declare_synced(origin: OriginFor<T>, synced: bool) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let stash = ThresholdToStash::<T>::get(&who).ok_or(Error::<T>::NoThresholdKey)?;
            IsValidatorSynced::<T>::insert(&stash, synced);
            Self::deposit_event(Event::ValidatorSyncStatus(stash, synced));
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// The DKG committee for committee block `block` (N+1), one server per subgroup in
        /// subgroup order, chosen with the core's rule from `SigningGroups` and
        /// `IsValidatorSynced`; the stash and its `ServerInfo` (`None` when
        /// `ThresholdServers` lacks the chosen stash).
        #[allow(clippy::type_complexity)]
        pub fn committee(
            block: CommitteeBlock,
        ) -> Result<Vec<(T::AccountId, Option<ServerInfo>)>, CommitteeError> {
            let members = select_committee(
                block,
                SubgroupCount::<T>::get(),
                SigningGroups::<T>::get,
                |stash| IsValidatorSynced::<T>::get(stash),
            )?;
            Ok(members
                .into_iter()
                .map(|m| {
                    let info = ThresholdServers::<T>::get(&m.stash);
                    (m.stash, info)
                })
                .collect())
        }
    }
}
