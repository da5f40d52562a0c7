//! # Registry
//!
//! Where registration is decided (§1): `register` from the signature-request account puts the
//! account in `Dkg[N]` and `Registering`; one `confirm_register` per subgroup with the same
//! verifying key moves it to `Registered[vk]`; a mismatch fails the registration. Storage,
//! events, errors and call indices follow Entropy v0.2.0; the types come from
//! `entropy-register-core`.
//!
//! Ours, beyond v0.2.0: `register_client_dealt` (call 5), the client-dealt flow. The user dealt
//! the key itself and publishes one commitment `x_i·G` per subgroup; the chain computes the key
//! they fix, refuses a key already registered, records the commitments in `ClientDealt[account]`
//! (with the inclusion block) and the key in `Registering[account].verifying_key`, and starts
//! no DKG. Servers check the shares the user sends them against the commitments and confirm with
//! `confirm_register` as in the DKG flow; on `AccountRegistered` the commitments move to
//! `DealtKeys[vk]`. The registration is recorded as `Public` (servers hold every share):
//! `KeyVisibility` keeps v0.2.0's two variants. `ValidateConfirmRegistered` keeps free confirmations that would
//! fail out of the transaction pool.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod validate;
pub mod weights;

pub use validate::ValidateConfirmRegistered;
pub use weights::WeightInfo;

#[polkadot_sdk::polkadot_sdk_frame::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use entropy_register_core::commitments::{ClientDealtRegistration, Commitments};
    use entropy_register_core::committee::{CommitteeBlock, CommitteeError};
    use entropy_register_core::types::{
        AccountId32 as CoreAccount, KeyVisibility, ProgramsData, RegisteredInfo,
        RegisteringDetails, ValidatorInfo, VerifyingKeyBytes, KEY_VERSION_NUMBER,
        MAX_MODIFIABLE_KEYS, VERIFYING_KEY_LENGTH,
    };
    use pallet_staking_extension::{ThresholdToStash, ValidatorToSubgroup};
    use polkadot_sdk::polkadot_sdk_frame::prelude::*;

    #[pallet::config]
    pub trait Config:
        polkadot_sdk::frame_system::Config
        + pallet_staking_extension::Config
        + pallet_programs::Config
    {
        /// Longest `program_config` accepted per program instance.
        #[pallet::constant]
        type MaxProgramConfigLength: Get<u32>;
        /// Weights.
        type WeightInfo: WeightInfo;
    }

    #[pallet::pallet]
    #[pallet::without_storage_info]
    pub struct Pallet<T>(_);

    /// Signature-request account → registration in progress.
    #[pallet::storage]
    pub type Registering<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, RegisteringDetails, OptionQuery>;

    /// Block N → SCALE(AccountId) of the accounts that called `register` in it.
    #[pallet::storage]
    pub type Dkg<T: Config> = StorageMap<_, Blake2_128Concat, u32, Vec<Vec<u8>>, ValueQuery>;

    /// Verifying key → registered account info.
    #[pallet::storage]
    pub type Registered<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifyingKeyBytes, RegisteredInfo, OptionQuery>;

    /// Program modification account → the keys it controls.
    #[pallet::storage]
    pub type ModifiableKeys<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<VerifyingKeyBytes, ConstU32<MAX_MODIFIABLE_KEYS>>,
        ValueQuery,
    >;

    /// Ours: signature-request account → the commitments of its client-dealt registration in
    /// progress and the block that included it.
    #[pallet::storage]
    pub type ClientDealt<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, ClientDealtRegistration, OptionQuery>;

    /// Ours: verifying key of a completed client-dealt registration → its commitments.
    #[pallet::storage]
    pub type DealtKeys<T: Config> =
        StorageMap<_, Blake2_128Concat, VerifyingKeyBytes, Commitments, OptionQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// An account asked to register (included in this block). [account]
        SignalRegister(T::AccountId),
        /// One subgroup confirmed (spelling as the reference). [account, subgroup, key]
        RecievedConfirmation(T::AccountId, u8, VerifyingKeyBytes),
        /// Every subgroup confirmed the same key: the account is registered. [account, key]
        AccountRegistered(T::AccountId, VerifyingKeyBytes),
        /// The subgroups confirmed different keys: the registration failed. [account]
        FailedRegistration(T::AccountId),
        /// The account withdrew its registration. [account]
        RegistrationCancelled(T::AccountId),
        /// A key's programs changed. [program modification account, new programs]
        ProgramInfoChanged(T::AccountId, ProgramsData),
        /// A key's program modification account changed. [old, new, key]
        ProgramModificationAccountChanged(T::AccountId, T::AccountId, VerifyingKeyBytes),
    }

    /// Errors, in the reference's order (indices are part of the wire format).
    /// `NoVerifyingKey` and `ProgramDoesNotExist` are kept only for that: no path returns them.
    #[pallet::error]
    pub enum Error<T> {
        /// The account is already registering.
        AlreadySubmitted,
        /// The signer is not a threshold server's TSS account.
        NoThresholdKey,
        /// The account is not registering.
        NotRegistering,
        /// No registered key with that verifying key.
        NotRegistered,
        /// The subgroup does not exist.
        InvalidSubgroup,
        /// The subgroup already confirmed.
        AlreadyConfirmed,
        /// The server is not in the subgroup it confirms for.
        NotInSigningGroup,
        /// A committee member has no `ThresholdServers` entry.
        IpAddressError,
        /// The server (or a signing group) has no subgroup on chain.
        SigningGroupError,
        /// A subgroup has no synced server.
        NoSyncedValidators,
        /// A program configuration is longer than `MaxProgramConfigLength`.
        MaxProgramLengthExceeded,
        /// Reserved (reference index 11).
        NoVerifyingKey,
        /// The caller is not the program modification account.
        NotAuthorized,
        /// Reserved (reference index 13).
        ProgramDoesNotExist,
        /// No program given, or a given program does not exist.
        NoProgramSet,
        /// The program modification account controls 25 keys already.
        TooManyModifiableKeys,
        /// The verifying key is not 33 bytes.
        MismatchedVerifyingKeyLength,
        /// Ours: the commitments of a client-dealt registration are not one valid point per
        /// subgroup, or they sum to no key.
        InvalidCommitments,
        /// Ours: the key a client-dealt registration commits to is already registered.
        KeyAlreadyRegistered,
    }

    fn core_account<T: Config>(a: &T::AccountId) -> CoreAccount {
        CoreAccount(*a.as_ref())
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Starts registering the caller (the signature-request account) with the given
        /// program modification account, access mode and 1–5 programs.
        #[pallet::call_index(0)]
        #[pallet::weight(<T as Config>::WeightInfo::register(programs_data.len() as u32))]
        pub fn register(
            origin: OriginFor<T>,
            program_modification_account: T::AccountId,
            key_visibility: KeyVisibility,
            programs_data: ProgramsData,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let block = Self::start_registration(
                &who,
                &program_modification_account,
                key_visibility,
                programs_data,
                None,
            )?;
            Dkg::<T>::append(block, who.encode());
            Self::deposit_event(Event::SignalRegister(who));
            Ok(())
        }

        /// Withdraws the caller's registration in progress.
        #[pallet::call_index(1)]
        #[pallet::weight(<T as Config>::WeightInfo::prune_registration())]
        pub fn prune_registration(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let details = Registering::<T>::get(&who).ok_or(Error::<T>::NotRegistering)?;
            pallet_programs::Pallet::<T>::remove_references(&Self::pointers(
                &details.programs_data,
            ));
            Self::end_registration(&who);
            Self::deposit_event(Event::RegistrationCancelled(who));
            Ok(())
        }

        /// Replaces a registered key's programs (origin: its program modification account).
        #[pallet::call_index(2)]
        #[pallet::weight(<T as Config>::WeightInfo::change_program_instance(new_program_instance.len() as u32))]
        pub fn change_program_instance(
            origin: OriginFor<T>,
            verifying_key: VerifyingKeyBytes,
            new_program_instance: ProgramsData,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut info = Registered::<T>::get(&verifying_key).ok_or(Error::<T>::NotRegistered)?;
            ensure!(
                info.program_modification_account == core_account::<T>(&who),
                Error::<T>::NotAuthorized
            );
            Self::check_programs(&new_program_instance)?;
            pallet_programs::Pallet::<T>::add_references(&Self::pointers(&new_program_instance))
                .map_err(|_| Error::<T>::NoProgramSet)?;
            pallet_programs::Pallet::<T>::remove_references(&Self::pointers(&info.programs_data));
            info.programs_data = new_program_instance.clone();
            Registered::<T>::insert(&verifying_key, info);
            Self::deposit_event(Event::ProgramInfoChanged(who, new_program_instance));
            Ok(())
        }

        /// Hands a registered key to another program modification account.
        #[pallet::call_index(3)]
        #[pallet::weight(<T as Config>::WeightInfo::change_program_modification_account())]
        pub fn change_program_modification_account(
            origin: OriginFor<T>,
            verifying_key: VerifyingKeyBytes,
            new_program_mod_account: T::AccountId,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut info = Registered::<T>::get(&verifying_key).ok_or(Error::<T>::NotRegistered)?;
            ensure!(
                info.program_modification_account == core_account::<T>(&who),
                Error::<T>::NotAuthorized
            );
            ModifiableKeys::<T>::mutate(&who, |keys| keys.retain(|k| k != &verifying_key));
            ModifiableKeys::<T>::try_mutate(&new_program_mod_account, |keys| {
                keys.try_push(verifying_key.clone())
            })
            .map_err(|_| Error::<T>::TooManyModifiableKeys)?;
            info.program_modification_account = core_account::<T>(&new_program_mod_account);
            Registered::<T>::insert(&verifying_key, info);
            Self::deposit_event(Event::ProgramModificationAccountChanged(
                who,
                new_program_mod_account,
                verifying_key,
            ));
            Ok(())
        }

        /// A committee server confirms the DKG of `sig_req_account` for its subgroup (free).
        #[pallet::call_index(4)]
        #[pallet::weight((<T as Config>::WeightInfo::confirm_register(), DispatchClass::Normal, Pays::No))]
        pub fn confirm_register(
            origin: OriginFor<T>,
            sig_req_account: T::AccountId,
            signing_subgroup: u8,
            verifying_key: VerifyingKeyBytes,
        ) -> DispatchResult {
            let ts_server_account = ensure_signed(origin)?;
            ensure!(
                verifying_key.len() as u32 == VERIFYING_KEY_LENGTH,
                Error::<T>::MismatchedVerifyingKeyLength
            );
            let stash =
                ThresholdToStash::<T>::get(&ts_server_account).ok_or(Error::<T>::NoThresholdKey)?;
            let mut details =
                Registering::<T>::get(&sig_req_account).ok_or(Error::<T>::NotRegistering)?;
            let subgroups = pallet_staking_extension::SubgroupCount::<T>::get() as usize;
            ensure!(
                (signing_subgroup as usize) < subgroups,
                Error::<T>::InvalidSubgroup
            );
            ensure!(
                !details.confirmations.contains(&signing_subgroup),
                Error::<T>::AlreadyConfirmed
            );
            let group =
                ValidatorToSubgroup::<T>::get(&stash).ok_or(Error::<T>::SigningGroupError)?;
            ensure!(group == signing_subgroup, Error::<T>::NotInSigningGroup);
            let stored = details
                .verifying_key
                .get_or_insert_with(|| verifying_key.clone())
                .clone();
            let dealt = ClientDealt::<T>::get(&sig_req_account);
            // A client-dealt key registered by someone else meanwhile is not overwritten.
            let taken = dealt.is_some()
                && details.confirmations.len() + 1 == subgroups
                && Registered::<T>::contains_key(&verifying_key);
            if stored != verifying_key || taken {
                Self::end_registration(&sig_req_account);
                Self::deposit_event(Event::FailedRegistration(sig_req_account));
                return Ok(());
            }
            if details.confirmations.len() + 1 == subgroups {
                let pma = T::AccountId::from(details.program_modification_account.0);
                ModifiableKeys::<T>::try_mutate(&pma, |keys| keys.try_push(verifying_key.clone()))
                    .map_err(|_| Error::<T>::TooManyModifiableKeys)?;
                Registered::<T>::insert(
                    &verifying_key,
                    RegisteredInfo {
                        key_visibility: details.key_visibility,
                        programs_data: details.programs_data,
                        program_modification_account: details.program_modification_account,
                        version_number: details.version_number,
                    },
                );
                if let Some(dealt) = dealt {
                    DealtKeys::<T>::insert(&verifying_key, dealt.commitments);
                }
                Self::end_registration(&sig_req_account);
                Self::deposit_event(Event::AccountRegistered(sig_req_account, verifying_key));
            } else {
                details.confirmations.push(signing_subgroup);
                Registering::<T>::insert(&sig_req_account, details);
                Self::deposit_event(Event::RecievedConfirmation(
                    sig_req_account,
                    signing_subgroup,
                    verifying_key,
                ));
            }
            Ok(())
        }

        /// Ours: starts a client-dealt registration of the caller. `commitments` holds one
        /// point `x_i·G` per subgroup of the shares the caller dealt; the key they fix is
        /// recorded now and every subgroup must confirm exactly it. No DKG is started.
        #[pallet::call_index(5)]
        #[pallet::weight(<T as Config>::WeightInfo::register(programs_data.len() as u32))]
        pub fn register_client_dealt(
            origin: OriginFor<T>,
            program_modification_account: T::AccountId,
            programs_data: ProgramsData,
            commitments: Commitments,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(
                commitments.points().len()
                    == pallet_staking_extension::SubgroupCount::<T>::get() as usize,
                Error::<T>::InvalidCommitments
            );
            let vk = commitments
                .verifying_key()
                .map_err(|_| Error::<T>::InvalidCommitments)?
                .to_bounded();
            ensure!(
                !Registered::<T>::contains_key(&vk),
                Error::<T>::KeyAlreadyRegistered
            );
            let block = Self::start_registration(
                &who,
                &program_modification_account,
                KeyVisibility::Public,
                programs_data,
                Some(vk),
            )?;
            ClientDealt::<T>::insert(
                &who,
                ClientDealtRegistration {
                    commitments,
                    inclusion_block: block,
                },
            );
            Self::deposit_event(Event::SignalRegister(who));
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// What both register calls do: refuse a second registration, check the programs and
        /// count the references, insert `Registering`. Returns the block number.
        fn start_registration(
            who: &T::AccountId,
            program_modification_account: &T::AccountId,
            key_visibility: KeyVisibility,
            programs_data: ProgramsData,
            verifying_key: Option<VerifyingKeyBytes>,
        ) -> Result<u32, DispatchError> {
            ensure!(
                !Registering::<T>::contains_key(who),
                Error::<T>::AlreadySubmitted
            );
            Self::check_programs(&programs_data)?;
            pallet_programs::Pallet::<T>::add_references(&Self::pointers(&programs_data))
                .map_err(|_| Error::<T>::NoProgramSet)?;
            Registering::<T>::insert(
                who,
                RegisteringDetails {
                    program_modification_account: core_account::<T>(program_modification_account),
                    confirmations: Vec::new(),
                    programs_data,
                    key_visibility,
                    verifying_key,
                    version_number: KEY_VERSION_NUMBER,
                },
            );
            Ok(frame_system::Pallet::<T>::block_number().saturated_into())
        }

        /// Removes a registration in progress (and its client-dealt record, if any).
        fn end_registration(who: &T::AccountId) {
            Registering::<T>::remove(who);
            ClientDealt::<T>::remove(who);
        }

        fn pointers(programs: &ProgramsData) -> Vec<H256> {
            programs.iter().map(|p| H256(p.program_pointer)).collect()
        }

        fn check_programs(programs: &ProgramsData) -> DispatchResult {
            ensure!(!programs.is_empty(), Error::<T>::NoProgramSet);
            ensure!(
                programs
                    .iter()
                    .all(|p| p.program_config.len() as u64
                        <= T::MaxProgramConfigLength::get() as u64),
                Error::<T>::MaxProgramLengthExceeded
            );
            Ok(())
        }

        /// The DKG committee for committee block `block` (N+1) as `ValidatorInfo`s, in
        /// subgroup order; errors as the reference's `get_validator_info`.
        pub fn dkg_committee(block: CommitteeBlock) -> Result<Vec<ValidatorInfo>, Error<T>> {
            let members =
                pallet_staking_extension::Pallet::<T>::committee(block).map_err(|e| match e {
                    CommitteeError::SigningGroupError { .. } | CommitteeError::NoSubgroups => {
                        Error::<T>::SigningGroupError
                    }
                    CommitteeError::NoSyncedValidators { .. } => Error::<T>::NoSyncedValidators,
                })?;
            members
                .into_iter()
                .map(|(_, info)| {
                    info.as_ref()
                        .map(ValidatorInfo::from)
                        .ok_or(Error::<T>::IpAddressError)
                })
                .collect()
        }
    }
}
