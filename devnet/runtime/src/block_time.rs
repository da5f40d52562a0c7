//! # BlockTime: the slot duration, set at genesis
//!
//! Aura reads its slot duration through a `Get<u64>`; a constant would fix one block time per
//! runtime build. This pallet keeps it in storage, written once by the genesis config, so that
//! one runtime serves `./run` (2 s slots) and the tests (1 s slots): the node's chain ids
//! `dev-<ms>ms` choose it. It has no calls: the slot duration of a running chain never changes.
#![allow(missing_docs)]

pub use pallet::*;

/// The slot duration when genesis sets none, in milliseconds.
pub const DEFAULT_SLOT_MS: u64 = 2_000;
/// The shortest slot duration genesis accepts, in milliseconds: block production and GRANDPA
/// gossip need some hundreds of milliseconds per round on a 2-core machine.
pub const MIN_SLOT_MS: u64 = 500;

#[polkadot_sdk::polkadot_sdk_frame::pallet]
pub mod pallet {
    use super::*;
    use polkadot_sdk::polkadot_sdk_frame::prelude::*;

    #[pallet::config]
    pub trait Config: polkadot_sdk::frame_system::Config {}

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// The slot duration in milliseconds.
    #[pallet::storage]
    pub type SlotMs<T> = StorageValue<_, u64, ValueQuery, DefaultSlot>;

    /// [`DEFAULT_SLOT_MS`] as a storage default.
    pub struct DefaultSlot;
    impl Get<u64> for DefaultSlot {
        fn get() -> u64 {
            DEFAULT_SLOT_MS
        }
    }

    /// Genesis: the slot duration.
    #[pallet::genesis_config]
    #[derive(polkadot_sdk::frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Milliseconds per slot (≥ [`MIN_SLOT_MS`]); 0 means [`DEFAULT_SLOT_MS`].
        pub slot_ms: u64,
        #[serde(skip)]
        pub _config: core::marker::PhantomData<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            let ms = if self.slot_ms == 0 {
                DEFAULT_SLOT_MS
            } else {
                self.slot_ms
            };
            assert!(
                ms >= MIN_SLOT_MS,
                "slot_ms {ms} is below the minimum of {MIN_SLOT_MS} ms"
            );
            SlotMs::<T>::put(ms);
        }
    }
}

/// Aura's `SlotDuration`: the stored slot duration.
pub struct SlotDuration<T>(core::marker::PhantomData<T>);

impl<T: Config> polkadot_sdk::frame_support::traits::Get<u64> for SlotDuration<T> {
    fn get() -> u64 {
        SlotMs::<T>::get()
    }
}
