//! The devnet runtime: System, Timestamp, Aura (block authoring in turn), Grandpa (finality),
//! BlockTime (the slot duration, set at genesis), Utility (the servers' batched confirmations),
//! Balances, TransactionPayment, Sudo and the four registration pallets at the reference's indices (StakingExtension 12, Registry 51,
//! Programs 53, Propagation 55). Transaction extensions include `ValidateConfirmRegistered`,
//! which adds no bytes to extrinsics.
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod block_time;
pub mod genesis;

use alloc::vec::Vec;
use pallet_transaction_payment::{FeeDetails, RuntimeDispatchInfo};
use polkadot_sdk::{
    polkadot_sdk_frame::{
        self as frame,
        deps::sp_genesis_builder,
        runtime::{apis, prelude::*},
    },
    *,
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;

/// One token unit (10 decimals, as the reference).
pub const DOLLARS: u128 = 10_000_000_000;
/// A hundredth of a token.
pub const CENTS: u128 = DOLLARS / 100;
/// A thousandth of a cent: the programs deposit per byte.
pub const MILLICENTS: u128 = CENTS / 1_000;

/// The runtime version.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
    spec_name: alloc::borrow::Cow::Borrowed("entropy-register-devnet"),
    impl_name: alloc::borrow::Cow::Borrowed("entropy-register-devnet"),
    authoring_version: 1,
    spec_version: 5,
    impl_version: 1,
    apis: RUNTIME_API_VERSIONS,
    transaction_version: 1,
    system_version: 1,
};

/// Transaction extensions, in order.
pub type TxExtension = (
    frame_system::AuthorizeCall<Runtime>,
    frame_system::CheckNonZeroSender<Runtime>,
    frame_system::CheckSpecVersion<Runtime>,
    frame_system::CheckTxVersion<Runtime>,
    frame_system::CheckGenesis<Runtime>,
    frame_system::CheckEra<Runtime>,
    frame_system::CheckNonce<Runtime>,
    frame_system::CheckWeight<Runtime>,
    pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
    pallet_registry::ValidateConfirmRegistered<Runtime>,
    frame_system::WeightReclaim<Runtime>,
);

#[frame_construct_runtime]
mod runtime {
    /// The runtime.
    #[runtime::runtime]
    #[runtime::derive(
        RuntimeCall,
        RuntimeEvent,
        RuntimeError,
        RuntimeOrigin,
        RuntimeFreezeReason,
        RuntimeHoldReason,
        RuntimeSlashReason,
        RuntimeLockId,
        RuntimeTask,
        RuntimeViewFunction
    )]
    pub struct Runtime;

    /// System.
    #[runtime::pallet_index(1)]
    pub type System = frame_system::Pallet<Runtime>;
    /// Block timestamps.
    #[runtime::pallet_index(2)]
    pub type Timestamp = pallet_timestamp::Pallet<Runtime>;
    /// Block authoring in turn, one author per slot.
    #[runtime::pallet_index(3)]
    pub type Aura = pallet_aura::Pallet<Runtime>;
    /// Finality.
    #[runtime::pallet_index(4)]
    pub type Grandpa = pallet_grandpa::Pallet<Runtime>;
    /// Balances.
    #[runtime::pallet_index(5)]
    pub type Balances = pallet_balances::Pallet<Runtime>;
    /// Fees.
    #[runtime::pallet_index(6)]
    pub type TransactionPayment = pallet_transaction_payment::Pallet<Runtime>;
    /// Sudo (//Alice).
    #[runtime::pallet_index(7)]
    pub type Sudo = pallet_sudo::Pallet<Runtime>;
    /// The slot duration, set at genesis.
    #[runtime::pallet_index(8)]
    pub type BlockTime = block_time::Pallet<Runtime>;
    /// Batches: a threshold server confirms several registrations in one `force_batch`.
    #[runtime::pallet_index(9)]
    pub type Utility = pallet_utility::Pallet<Runtime>;
    /// Threshold servers and signing groups.
    #[runtime::pallet_index(12)]
    pub type StakingExtension = pallet_staking_extension::Pallet<Runtime>;
    /// Registrations.
    #[runtime::pallet_index(51)]
    pub type Registry = pallet_registry::Pallet<Runtime>;
    /// Programs.
    #[runtime::pallet_index(53)]
    pub type Programs = pallet_programs::Pallet<Runtime>;
    /// The off-chain worker that wakes the servers.
    #[runtime::pallet_index(55)]
    pub type Propagation = pallet_propagation::Pallet<Runtime>;
}

parameter_types! {
    pub const Version: RuntimeVersion = VERSION;
    pub const SS58Prefix: u16 = 42;
    pub const ExistentialDeposit: u128 = CENTS;
    pub const ProgramDepositPerByte: u128 = MILLICENTS;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type Version = Version;
    type SS58Prefix = SS58Prefix;
    type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Runtime {
    type Balance = u128;
    type ExistentialDeposit = ExistentialDeposit;
    type AccountStore = System;
}

#[derive_impl(pallet_sudo::config_preludes::TestDefaultConfig)]
impl pallet_sudo::Config for Runtime {}

impl pallet_timestamp::Config for Runtime {
    type Moment = u64;
    type OnTimestampSet = Aura;
    // Aura checks every timestamp against its slot; this only bounds how close two blocks'
    // timestamps may be, and must stay below half the shortest slot (`block_time::MIN_SLOT_MS`).
    type MinimumPeriod = ConstU64<200>;
    type WeightInfo = ();
}

sp_runtime::impl_opaque_keys! {
    /// A validator's session keys: Aura (sr25519) for authoring, GRANDPA (ed25519) for votes.
    /// A node started with `--alice` (…) puts the dev seed's keys in its keystore through
    /// `generate_session_keys`.
    pub struct SessionKeys {
        /// Block authoring.
        pub aura: Aura,
        /// Finality votes.
        pub grandpa: Grandpa,
    }
}

/// Most validators a devnet genesis may name.
pub const MAX_AUTHORITIES: u32 = 32;

impl pallet_aura::Config for Runtime {
    type AuthorityId = AuraId;
    type DisabledValidators = ();
    type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
    type AllowMultipleBlocksPerSlot = ConstBool<false>;
    type SlotDuration = block_time::SlotDuration<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
    type MaxNominators = ConstU32<0>;
    type MaxSetIdSessionEntries = ConstU64<0>;
    type KeyOwnerProof = sp_core::Void;
    type EquivocationReportSystem = ();
}

impl block_time::Config for Runtime {}

impl pallet_utility::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type PalletsOrigin = OriginCaller;
    type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

#[derive_impl(pallet_transaction_payment::config_preludes::TestDefaultConfig)]
impl pallet_transaction_payment::Config for Runtime {
    type OnChargeTransaction = pallet_transaction_payment::FungibleAdapter<Balances, ()>;
    type WeightToFee = weights::IdentityFee<u128>;
    type LengthToFee = FixedFee<{ MILLICENTS as u32 }, u128>;
}

impl pallet_staking_extension::Config for Runtime {
    type MaxEndpointLength = ConstU32<100>;
    type WeightInfo = pallet_staking_extension::weights::SubstrateWeight<Runtime>;
}

impl pallet_programs::Config for Runtime {
    type Currency = Balances;
    type MaxBytecodeLength = ConstU32<1_000_000>;
    type ProgramDepositPerByte = ProgramDepositPerByte;
    type MaxOwnedPrograms = ConstU32<250>;
    type WeightInfo = pallet_programs::weights::SubstrateWeight<Runtime>;
}

impl pallet_registry::Config for Runtime {
    type MaxProgramConfigLength = ConstU32<100_000>;
    type WeightInfo = pallet_registry::weights::SubstrateWeight<Runtime>;
}

impl pallet_propagation::Config for Runtime {}

/// The block type.
pub type Block = frame::runtime::types_common::BlockOf<Runtime, TxExtension>;
type Header = HeaderFor<Runtime>;

type RuntimeExecutive =
    Executive<Runtime, Block, frame_system::ChainContext<Runtime>, Runtime, AllPalletsWithSystem>;

impl_runtime_apis! {
    impl apis::Core<Block> for Runtime {
        fn version() -> RuntimeVersion {
            VERSION
        }
        fn execute_block(block: <Block as frame::traits::Block>::LazyBlock) {
            RuntimeExecutive::execute_block(block)
        }
        fn initialize_block(header: &Header) -> ExtrinsicInclusionMode {
            RuntimeExecutive::initialize_block(header)
        }
    }

    impl apis::Metadata<Block> for Runtime {
        fn metadata() -> OpaqueMetadata {
            OpaqueMetadata::new(Runtime::metadata().into())
        }
        fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
            Runtime::metadata_at_version(version)
        }
        fn metadata_versions() -> Vec<u32> {
            Runtime::metadata_versions()
        }
    }

    impl apis::BlockBuilder<Block> for Runtime {
        fn apply_extrinsic(extrinsic: ExtrinsicFor<Runtime>) -> ApplyExtrinsicResult {
            RuntimeExecutive::apply_extrinsic(extrinsic)
        }
        fn finalize_block() -> HeaderFor<Runtime> {
            RuntimeExecutive::finalize_block()
        }
        fn inherent_extrinsics(data: InherentData) -> Vec<ExtrinsicFor<Runtime>> {
            data.create_extrinsics()
        }
        fn check_inherents(block: <Block as frame::traits::Block>::LazyBlock, data: InherentData) -> CheckInherentsResult {
            data.check_extrinsics(&block)
        }
    }

    impl apis::TaggedTransactionQueue<Block> for Runtime {
        fn validate_transaction(
            source: TransactionSource,
            tx: ExtrinsicFor<Runtime>,
            block_hash: <Runtime as frame_system::Config>::Hash,
        ) -> TransactionValidity {
            RuntimeExecutive::validate_transaction(source, tx, block_hash)
        }
    }

    impl apis::OffchainWorkerApi<Block> for Runtime {
        fn offchain_worker(header: &HeaderFor<Runtime>) {
            RuntimeExecutive::offchain_worker(header)
        }
    }

    impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
        fn slot_duration() -> sp_consensus_aura::SlotDuration {
            sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
        }
        fn authorities() -> Vec<AuraId> {
            pallet_aura::Authorities::<Runtime>::get().into_inner()
        }
    }

    impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
        fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
            Grandpa::grandpa_authorities()
        }
        fn current_set_id() -> sp_consensus_grandpa::SetId {
            Grandpa::current_set_id()
        }
        fn submit_report_equivocation_unsigned_extrinsic(
            _proof: sp_consensus_grandpa::EquivocationProof<<Block as frame::traits::Block>::Hash, sp_runtime::traits::NumberFor<Block>>,
            _key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
        ) -> Option<()> {
            // No equivocation reports: the devnet has no staking to slash.
            None
        }
        fn generate_key_ownership_proof(
            _set_id: sp_consensus_grandpa::SetId,
            _authority_id: GrandpaId,
        ) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
            None
        }
    }

    impl apis::SessionKeys<Block> for Runtime {
        fn generate_session_keys(owner: Vec<u8>, seed: Option<Vec<u8>>) -> apis::OpaqueGeneratedSessionKeys {
            SessionKeys::generate(&owner, seed).into()
        }
        fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, apis::KeyTypeId)>> {
            SessionKeys::decode_into_raw_public_keys(&encoded)
        }
    }

    impl apis::AccountNonceApi<Block, interface::AccountId, interface::Nonce> for Runtime {
        fn account_nonce(account: interface::AccountId) -> interface::Nonce {
            System::account_nonce(account)
        }
    }

    impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, interface::Balance> for Runtime {
        fn query_info(uxt: ExtrinsicFor<Runtime>, len: u32) -> RuntimeDispatchInfo<interface::Balance> {
            TransactionPayment::query_info(uxt, len)
        }
        fn query_fee_details(uxt: ExtrinsicFor<Runtime>, len: u32) -> FeeDetails<interface::Balance> {
            TransactionPayment::query_fee_details(uxt, len)
        }
        fn query_weight_to_fee(weight: Weight) -> interface::Balance {
            TransactionPayment::weight_to_fee(weight)
        }
        fn query_length_to_fee(length: u32) -> interface::Balance {
            TransactionPayment::length_to_fee(length)
        }
    }

    impl apis::GenesisBuilder<Block> for Runtime {
        fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
            build_state::<RuntimeGenesisConfig>(config)
        }
        fn get_preset(id: &Option<PresetId>) -> Option<Vec<u8>> {
            get_preset::<RuntimeGenesisConfig>(id, genesis::get_preset)
        }
        fn preset_names() -> Vec<PresetId> {
            genesis::preset_names()
        }
    }
}

/// Types the node and clients need.
pub mod interface {
    use super::Runtime;
    use polkadot_sdk::{polkadot_sdk_frame as frame, *};

    /// The block.
    pub type Block = super::Block;
    pub use frame::runtime::types_common::OpaqueBlock;
    /// Account id.
    pub type AccountId = <Runtime as frame_system::Config>::AccountId;
    /// Nonce.
    pub type Nonce = <Runtime as frame_system::Config>::Nonce;
    /// Hash.
    pub type Hash = <Runtime as frame_system::Config>::Hash;
    /// Balance.
    pub type Balance = <Runtime as pallet_balances::Config>::Balance;
}
