//! Weights of the staking-extension calls. Hand-estimated from their storage accesses (no
//! benchmark run yet): a read/write count on ParityDB weights plus a fixed compute term.

use polkadot_sdk::polkadot_sdk_frame::weights_prelude::*;

/// Weight functions of this pallet.
pub trait WeightInfo {
    /// `change_endpoint`.
    fn change_endpoint() -> Weight;
    /// `change_threshold_accounts`.
    fn change_threshold_accounts() -> Weight;
    /// `declare_synced`.
    fn declare_synced() -> Weight;
}

/// Estimates for a runtime on ParityDB.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn change_endpoint() -> Weight {
        Weight::from_parts(15_000_000, 3_500).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn change_threshold_accounts() -> Weight {
        Weight::from_parts(25_000_000, 7_000).saturating_add(T::DbWeight::get().reads_writes(2, 3))
    }
    fn declare_synced() -> Weight {
        Weight::from_parts(12_000_000, 3_500).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
}

impl WeightInfo for () {
    fn change_endpoint() -> Weight {
        Weight::from_parts(15_000_000, 3_500)
    }
    fn change_threshold_accounts() -> Weight {
        Weight::from_parts(25_000_000, 7_000)
    }
    fn declare_synced() -> Weight {
        Weight::from_parts(12_000_000, 3_500)
    }
}
