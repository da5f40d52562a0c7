//! Weights of the programs calls. Hand-estimated from storage accesses plus a per-call compute
//! term that covers hashing up to `MaxBytecodeLength` bytes (no benchmark run yet).

use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;

/// Weight functions of this pallet.
pub trait WeightInfo {
    /// `set_program`.
    fn set_program() -> Weight;
    /// `remove_program`.
    fn remove_program() -> Weight;
}

/// Estimates for a runtime on ParityDB.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn set_program() -> Weight {
        Weight::from_parts(400_000_000, 1_010_000)
            .saturating_add(T::DbWeight::get().reads_writes(3, 3))
    }
    fn remove_program() -> Weight {
        Weight::from_parts(30_000_000, 1_010_000)
            .saturating_add(T::DbWeight::get().reads_writes(3, 3))
    }
}

impl WeightInfo for () {
    fn set_program() -> Weight {
        Weight::from_parts(400_000_000, 1_010_000)
    }
    fn remove_program() -> Weight {
        Weight::from_parts(30_000_000, 1_010_000)
    }
}
