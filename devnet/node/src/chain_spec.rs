//! Chain specifications. The node knows these ids (`--chain <id>`); any other value is read as
//! a chain-spec JSON file (for example one exported with `export-chain-spec` on another host):
//! - `dev` (also `--dev`): the runtime's `dev` preset, four validators (Alice, Bob, Charlie,
//!   Dave) with 2 s slots;
//! - `dev-<ms>ms`: the same with `<ms>` milliseconds per slot (the tests use `dev-1000ms`);
//! - `solo-<ms>ms`: Alice alone, for a single-node check of authoring and finality.

use devnet_runtime::block_time::MIN_SLOT_MS;
use devnet_runtime::genesis::{development_config_genesis_with, VALIDATORS};
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

fn wasm() -> Result<&'static [u8], String> {
    devnet_runtime::WASM_BINARY.ok_or_else(|| "the runtime wasm was not built".into())
}

/// The development chain: the runtime's `dev` preset.
pub fn development() -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm()?, Default::default())
        .with_name("entropy-register devnet")
        .with_id("dev")
        .with_chain_type(ChainType::Development)
        .with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
        .with_properties(properties())
        .build())
}

/// A development chain with `validators` of the dev validators and `slot_ms` per slot.
pub fn development_with(id: &str, slot_ms: u64, validators: usize) -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm()?, Default::default())
        .with_name(&format!("entropy-register devnet ({id})"))
        .with_id(id)
        .with_chain_type(ChainType::Development)
        .with_genesis_config_patch(development_config_genesis_with(slot_ms, validators))
        .with_properties(properties())
        .build())
}

/// What a built-in chain id names: validators and milliseconds per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevChain {
    /// How many of the dev validators.
    pub validators: usize,
    /// Milliseconds per slot.
    pub slot_ms: u64,
}

/// Parses a built-in chain id; `Ok(None)` for anything else (a file path), `Err` for a
/// built-in id with a bad slot time.
pub fn parse_dev_id(id: &str) -> Result<Option<DevChain>, String> {
    let (validators, rest) = if let Some(rest) = id.strip_prefix("dev-") {
        (VALIDATORS.len(), rest)
    } else if let Some(rest) = id.strip_prefix("solo-") {
        (1, rest)
    } else {
        return Ok(None);
    };
    let Some(ms) = rest.strip_suffix("ms") else {
        return Ok(None);
    };
    match ms.parse::<u64>() {
        Ok(slot_ms) if slot_ms >= MIN_SLOT_MS => Ok(Some(DevChain {
            validators,
            slot_ms,
        })),
        _ => Err(format!(
            "chain '{id}': the slot time must be a number of milliseconds ≥ {MIN_SLOT_MS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids() {
        assert_eq!(
            parse_dev_id("dev-1000ms"),
            Ok(Some(DevChain {
                validators: 4,
                slot_ms: 1000
            }))
        );
        assert_eq!(
            parse_dev_id("solo-750ms"),
            Ok(Some(DevChain {
                validators: 1,
                slot_ms: 750
            }))
        );
        assert!(parse_dev_id("dev-100ms").is_err());
        assert!(parse_dev_id("dev-fastms").is_err());
        assert_eq!(parse_dev_id("spec.json"), Ok(None));
        assert_eq!(parse_dev_id("dev"), Ok(None));
    }
}
