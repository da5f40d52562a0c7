//! Mock runtime: System + Balances + Programs.

use crate as pallet_programs;
use polkadot_sdk::pallet_balances;
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_runtime::{traits::IdentityLookup, AccountId32};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Programs: pallet_programs,
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

impl pallet_programs::Config for Test {
    type Currency = Balances;
    type MaxBytecodeLength = ConstU32<1000>;
    type ProgramDepositPerByte = ConstU64<10>;
    type MaxOwnedPrograms = ConstU32<2>;
    type WeightInfo = ();
}

/// A test account with every byte `n`.
pub fn acct(n: u8) -> AccountId32 {
    AccountId32::from([n; 32])
}

/// Account 1 holds 1_000_000, account 2 holds 100.
pub fn new_test_ext() -> TestExternalities {
    let t = RuntimeGenesisConfig {
        system: Default::default(),
        balances: pallet_balances::GenesisConfig {
            balances: vec![(acct(1), 1_000_000), (acct(2), 100)],
            ..Default::default()
        },
        programs: Default::default(),
    }
    .build_storage()
    .unwrap();
    let mut ext = TestExternalities::new(t);
    ext.execute_with(|| System::set_block_number(1));
    ext
}
