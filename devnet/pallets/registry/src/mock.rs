//! Mock runtime: System, Balances, StakingExtension (2 subgroups × 2 servers), Programs (with a
//! genesis program at pointer 0x00…00 and one at 0x11…11) and Registry.

use crate as pallet_registry;
use entropy_register_core::types::{AccountId32 as CoreAccount, ServerInfo};
use polkadot_sdk::pallet_balances;
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_core::H256;
use polkadot_sdk::sp_runtime::{traits::IdentityLookup, AccountId32};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        StakingExtension: pallet_staking_extension,
        Programs: pallet_programs,
        Registry: pallet_registry,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = AccountId32;
    type Lookup = IdentityLookup<AccountId32>;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
}

impl pallet_staking_extension::Config for Test {
    type MaxEndpointLength = ConstU32<100>;
    type WeightInfo = ();
}

impl pallet_programs::Config for Test {
    type Currency = Balances;
    type MaxBytecodeLength = ConstU32<1000>;
    type ProgramDepositPerByte = ConstU64<1>;
    type MaxOwnedPrograms = ConstU32<5>;
    type WeightInfo = ();
}

impl pallet_registry::Config for Test {
    type MaxProgramConfigLength = ConstU32<64>;
    type WeightInfo = ();
}

/// A test account with every byte `n`.
pub fn acct(n: u8) -> AccountId32 {
    AccountId32::from([n; 32])
}

/// The genesis program's pointer.
pub const GENESIS_PROGRAM: H256 = H256::zero();
/// A second genesis program.
pub const OTHER_PROGRAM: H256 = H256::repeat_byte(0x11);

/// Stashes 1..=4 (TSS accounts 11..=14) in groups [1, 2] and [3, 4].
pub fn new_test_ext() -> TestExternalities {
    let threshold_servers = (1..=4u8)
        .map(|i| {
            let info = ServerInfo {
                tss_account: CoreAccount([10 + i; 32]),
                x25519_public_key: [20 + i; 32],
                endpoint: format!("127.0.0.1:300{i}").into_bytes(),
            };
            (acct(i), info)
        })
        .collect();
    let t = RuntimeGenesisConfig {
        system: Default::default(),
        balances: Default::default(),
        staking_extension: pallet_staking_extension::GenesisConfig {
            threshold_servers,
            signing_groups: vec![(0, vec![acct(1), acct(2)]), (1, vec![acct(3), acct(4)])],
        },
        programs: pallet_programs::GenesisConfig {
            programs: vec![
                (GENESIS_PROGRAM, b"genesis".to_vec(), acct(99)),
                (OTHER_PROGRAM, b"other".to_vec(), acct(99)),
            ],
        },
    }
    .build_storage()
    .unwrap();
    let mut ext = TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
