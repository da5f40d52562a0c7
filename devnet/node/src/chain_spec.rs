//! The `dev` chain specification (genesis from the runtime's `dev` preset).

use polkadot_sdk::sc_service::{ChainType, Properties};
use polkadot_sdk::{sc_service, sp_genesis_builder};

/// Chain spec type.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> Properties {
    let mut p = Properties::new();
    p.insert("tokenDecimals".into(), 10.into());
    p.insert("tokenSymbol".into(), "BITS".into());
    p.insert("ss58Format".into(), 42.into());
    p
}

/// The development chain.
pub fn development() -> Result<ChainSpec, String> {
    let wasm = devnet_runtime::WASM_BINARY.ok_or("the runtime wasm was not built")?;
    Ok(ChainSpec::builder(wasm, Default::default())
        .with_name("entropy-register devnet")
        .with_id("dev")
        .with_chain_type(ChainType::Development)
        .with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}
