//! # Programs
//!
//! Stores the programs registrations point to. A program's pointer is
//! `BlakeTwo256(bytecode ‖ configuration_schema ‖ auxiliary_data_schema ‖ oracle_data_pointer)`
//! (the core's `program_pointer`, §1.9); its deployer pays a deposit per stored byte, and a
//! reference counter (kept by the registry) stops a program in use from being removed. A
//! genesis program lets a fresh devnet register at once.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

#[polkadot_sdk::polkadot_sdk_frame::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use polkadot_sdk::frame_support::traits::{Currency, ReservableCurrency};
    use polkadot_sdk::polkadot_sdk_frame::prelude::*;

    /// Balance type of the deposit currency.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Currency<<T as frame_system::Config>::AccountId>>::Balance;

    /// A stored program (`Programs[pointer]`), field order as the reference.
    #[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
    pub struct ProgramInfo<AccountId> {
        /// The program bytecode.
        pub bytecode: Vec<u8>,
        /// Schema of its configuration.
        pub configuration_schema: Vec<u8>,
        /// Schema of its auxiliary data.
        pub auxiliary_data_schema: Vec<u8>,
        /// Oracle data pointer.
        pub oracle_data_pointer: Vec<u8>,
        /// Who stored it (and paid the deposit).
        pub deployer: AccountId,
        /// How many registrations use it.
        pub ref_counter: u128,
    }

    impl<AccountId> ProgramInfo<AccountId> {
        /// Stored bytes the deposit is charged for.
        pub fn stored_len(&self) -> usize {
            self.bytecode.len()
                + self.configuration_schema.len()
                + self.auxiliary_data_schema.len()
                + self.oracle_data_pointer.len()
        }
    }

    #[pallet::config]
    pub trait Config: polkadot_sdk::frame_system::Config {
        /// Currency of the storage deposit.
        type Currency: ReservableCurrency<Self::AccountId>;
        /// Most bytes one program may store (all four parts together).
        #[pallet::constant]
        type MaxBytecodeLength: Get<u32>;
        /// Deposit per stored byte.
        #[pallet::constant]
        type ProgramDepositPerByte: Get<BalanceOf<Self>>;
        /// Most programs one account may own.
        #[pallet::constant]
        type MaxOwnedPrograms: Get<u32>;
        /// Weights.
        type WeightInfo: WeightInfo;
    }

    #[pallet::pallet]
    #[pallet::without_storage_info]
    pub struct Pallet<T>(_);

    /// Pointer → program.
    #[pallet::storage]
    pub type Programs<T: Config> =
        StorageMap<_, Blake2_128Concat, H256, ProgramInfo<T::AccountId>, OptionQuery>;

    /// Deployer → pointers of its programs.
    #[pallet::storage]
    pub type OwnedPrograms<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<H256, T::MaxOwnedPrograms>,
        ValueQuery,
    >;

    #[pallet::genesis_config]
    #[derive(DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Programs present from genesis: `(pointer, bytecode, deployer)`, stored under the
        /// given pointer with empty schemas and no deposit.
        pub programs: Vec<(H256, Vec<u8>, T::AccountId)>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            for (pointer, bytecode, deployer) in &self.programs {
                let info = ProgramInfo {
                    bytecode: bytecode.clone(),
                    configuration_schema: Vec::new(),
                    auxiliary_data_schema: Vec::new(),
                    oracle_data_pointer: Vec::new(),
                    deployer: deployer.clone(),
                    ref_counter: 0,
                };
                Programs::<T>::insert(pointer, info);
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A program was stored.
        ProgramCreated {
            /// Who stored it.
            deployer: T::AccountId,
            /// Its pointer.
            program_hash: H256,
            /// Configuration schema.
            configuration_schema: Vec<u8>,
            /// Auxiliary data schema.
            auxiliary_data_schema: Vec<u8>,
            /// Oracle data pointer.
            oracle_data_pointer: Vec<u8>,
        },
        /// A program was removed.
        ProgramRemoved {
            /// Who removed it.
            deployer: T::AccountId,
            /// Its pointer.
            old_program_hash: H256,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A program with the same pointer exists.
        ProgramAlreadySet,
        /// The account owns `MaxOwnedPrograms` programs already.
        TooManyProgramsOwned,
        /// No program under that pointer.
        NoProgramDefinedForAccount,
        /// Only the deployer may remove a program.
        NotAuthorized,
        /// The program is used by registrations.
        ProgramInUse,
        /// The program is larger than `MaxBytecodeLength`.
        ProgramLengthExceeded,
        /// The deployer cannot pay the deposit.
        InsufficientDeposit,
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Stores a program; reserves `ProgramDepositPerByte` for each stored byte.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::set_program())]
        pub fn set_program(
            origin: OriginFor<T>,
            bytecode: Vec<u8>,
            configuration_schema: Vec<u8>,
            auxiliary_data_schema: Vec<u8>,
            oracle_data_pointer: Vec<u8>,
        ) -> DispatchResult {
            let deployer = ensure_signed(origin)?;
            let info = ProgramInfo {
                bytecode,
                configuration_schema,
                auxiliary_data_schema,
                oracle_data_pointer,
                deployer: deployer.clone(),
                ref_counter: 0,
            };
            let len = info.stored_len();
            ensure!(
                len as u64 <= T::MaxBytecodeLength::get() as u64,
                Error::<T>::ProgramLengthExceeded
            );
            let program_hash = H256(entropy_register_core::hashing::program_pointer(
                &info.bytecode,
                &info.configuration_schema,
                &info.auxiliary_data_schema,
                &info.oracle_data_pointer,
            ));
            ensure!(
                !Programs::<T>::contains_key(program_hash),
                Error::<T>::ProgramAlreadySet
            );
            OwnedPrograms::<T>::try_mutate(&deployer, |owned| owned.try_push(program_hash))
                .map_err(|_| Error::<T>::TooManyProgramsOwned)?;
            let deposit = Self::deposit_for(len);
            T::Currency::reserve(&deployer, deposit)
                .map_err(|_| Error::<T>::InsufficientDeposit)?;
            Self::deposit_event(Event::ProgramCreated {
                deployer,
                program_hash,
                configuration_schema: info.configuration_schema.clone(),
                auxiliary_data_schema: info.auxiliary_data_schema.clone(),
                oracle_data_pointer: info.oracle_data_pointer.clone(),
            });
            Programs::<T>::insert(program_hash, info);
            Ok(())
        }

        /// Removes an unused program of the caller and returns its deposit.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::remove_program())]
        pub fn remove_program(origin: OriginFor<T>, program_hash: H256) -> DispatchResult {
            let deployer = ensure_signed(origin)?;
            let info =
                Programs::<T>::get(program_hash).ok_or(Error::<T>::NoProgramDefinedForAccount)?;
            ensure!(info.deployer == deployer, Error::<T>::NotAuthorized);
            ensure!(info.ref_counter == 0, Error::<T>::ProgramInUse);
            OwnedPrograms::<T>::mutate(&deployer, |owned| owned.retain(|h| *h != program_hash));
            T::Currency::unreserve(&deployer, Self::deposit_for(info.stored_len()));
            Programs::<T>::remove(program_hash);
            Self::deposit_event(Event::ProgramRemoved {
                deployer,
                old_program_hash: program_hash,
            });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        fn deposit_for(len: usize) -> BalanceOf<T> {
            T::ProgramDepositPerByte::get().saturating_mul((len as u32).into())
        }

        /// Whether a program exists.
        pub fn exists(pointer: &H256) -> bool {
            Programs::<T>::contains_key(pointer)
        }

        /// Adds one reference to each program (saturating); fails without change if any is
        /// missing.
        pub fn add_references(pointers: &[H256]) -> Result<(), H256> {
            if let Some(missing) = pointers.iter().find(|p| !Self::exists(p)) {
                return Err(*missing);
            }
            for p in pointers {
                Programs::<T>::mutate(p, |i| {
                    if let Some(i) = i {
                        i.ref_counter = i.ref_counter.saturating_add(1)
                    }
                });
            }
            Ok(())
        }

        /// Removes one reference from each existing program (saturating).
        pub fn remove_references(pointers: &[H256]) {
            for p in pointers {
                Programs::<T>::mutate(p, |i| {
                    if let Some(i) = i {
                        i.ref_counter = i.ref_counter.saturating_sub(1)
                    }
                });
            }
        }
    }
}
