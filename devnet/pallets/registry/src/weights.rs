//! Weights of the registry calls. Hand-estimated from their storage accesses (per program
//! where it matters) plus a fixed compute term; no benchmark run yet.

use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;

/// Weight functions of this pallet.
pub trait WeightInfo {
    /// `register` with `p` programs.
    fn register(p: u32) -> Weight;
    /// `prune_registration`.
    fn prune_registration() -> Weight;
    /// `change_program_instance` with `p` new programs.
    fn change_program_instance(p: u32) -> Weight;
    /// `change_program_modification_account`.
    fn change_program_modification_account() -> Weight;
    /// `confirm_register` (worst path: the last confirmation).
    fn confirm_register() -> Weight;
}

/// Estimates for a runtime on ParityDB.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn register(p: u32) -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(Weight::from_parts(8_000_000, 2_000).saturating_mul(p as u64))
            .saturating_add(T::DbWeight::get().reads_writes(2 + p as u64 * 2, 2 + p as u64))
    }
    fn prune_registration() -> Weight {
        Weight::from_parts(30_000_000, 6_000).saturating_add(T::DbWeight::get().reads_writes(6, 6))
    }
    fn change_program_instance(p: u32) -> Weight {
        Weight::from_parts(35_000_000, 6_000)
            .saturating_add(Weight::from_parts(8_000_000, 2_000).saturating_mul(p as u64))
            .saturating_add(T::DbWeight::get().reads_writes(1 + 10, 1 + 10))
    }
    fn change_program_modification_account() -> Weight {
        Weight::from_parts(35_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
    }
    fn confirm_register() -> Weight {
        Weight::from_parts(45_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
    }
}

impl WeightInfo for () {
    fn register(p: u32) -> Weight {
        Weight::from_parts(40_000_000 + 8_000_000 * p as u64, 6_000)
    }
    fn prune_registration() -> Weight {
        Weight::from_parts(30_000_000, 6_000)
    }
    fn change_program_instance(p: u32) -> Weight {
        Weight::from_parts(35_000_000 + 8_000_000 * p as u64, 6_000)
    }
    fn change_program_modification_account() -> Weight {
        Weight::from_parts(35_000_000, 8_000)
    }
    fn confirm_register() -> Weight {
        Weight::from_parts(45_000_000, 10_000)
    }
}
