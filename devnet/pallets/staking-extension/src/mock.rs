//! Mock runtime: System + StakingExtension, with 2 subgroups × 2 servers at genesis.

use crate as pallet_staking_extension;
use entropy_register_core::types::{AccountId32 as CoreAccount, ServerInfo};
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_runtime::{traits::IdentityLookup, AccountId32};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
    pub enum Test {
        System: frame_system,
        StakingExtension: pallet_staking_extension,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = AccountId32;
    type Lookup = IdentityLookup<AccountId32>;
}

impl pallet_staking_extension::Config for Test {
    type MaxEndpointLength = ConstU32<100>;
    type WeightInfo = ();
}

/// A test account with every byte `n`.
pub fn acct(n: u8) -> AccountId32 {
    AccountId32::from([n; 32])
}

/// Stashes 1..=4 with TSS accounts 11..=14; groups [1, 2] and [3, 4].
pub fn new_test_ext() -> TestExternalities {
    let threshold_servers = (1..=4u8)
        .map(|i| {
            (
                acct(i),
                ServerInfo {
                    tss_account: CoreAccount([10 + i; 32]),
                    x25519_public_key: [20 + i; 32],
                    endpoint: format!("127.0.0.1:300{i}").into_bytes(),
                },
            )
        })
        .collect();
    let t = RuntimeGenesisConfig {
        system: Default::default(),
        staking_extension: pallet_staking_extension::GenesisConfig {
            threshold_servers,
            signing_groups: vec![(0, vec![acct(1), acct(2)]), (1, vec![acct(3), acct(4)])],
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
