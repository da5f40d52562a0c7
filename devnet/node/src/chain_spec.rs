//! Chain specifications. The node knows these ids (`--chain <id>`); any other value is read as
//! a chain-spec JSON file (for example one exported with `export-chain-spec` on another host):
//! - `dev` (also `--dev`): the runtime's `dev` preset, four validators (Alice, Bob, Charlie,
//!   Dave) with 2 s slots;
//! - `dev-<ms>ms`: the same with `<ms>` milliseconds per slot (the tests use `dev-1000ms`);
//! - `dev-<V>x<G>-<ms>ms`: V validators (the first V dev names: alice, bob, … niaj) and their
//!   V threshold servers in G subgroups (`dev-8x4-1000ms`: 8 validators, 4 subgroups of 2);
//! - `solo-<ms>ms`: Alice alone, for a single-node check of authoring and finality.

use devnet_runtime::block_time::MIN_SLOT_MS;
use devnet_runtime::genesis::{dev_genesis, GenesisServer, ValidatorKeys};
use entropy_register_core::keys::{
    check_dev_layout, dev_server_port, dev_stash, dev_suri, dev_tss_keys, DEV_NAMES,
};
use polkadot_sdk::sc_service::{ChainType, Properties};
use polkadot_sdk::sp_core::{ed25519, sr25519, Pair};
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

/// A development chain as [`DevChain`] describes it, named `id`.
pub fn development_with(id: &str, chain: DevChain) -> Result<ChainSpec, String> {
    Ok(ChainSpec::builder(wasm()?, Default::default())
        .with_name(&format!("entropy-register devnet ({id})"))
        .with_id(id)
        .with_chain_type(ChainType::Development)
        .with_genesis_config_patch(dev_genesis(
            chain.slot_ms,
            &chain.validator_keys()?,
            &chain.servers(),
        ))
        .with_properties(properties())
        .build())
}

/// What a built-in chain id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevChain {
    /// How many validators: the first of the dev names (`entropy_register_core::keys::DEV_NAMES`).
    pub validators: usize,
    /// How many threshold servers: server i is dev name i, on `127.0.0.1:<3001 + i>`.
    pub servers: usize,
    /// How many subgroups the servers form: server i is in subgroup `i · subgroups / servers`,
    /// so the subgroups are consecutive runs of servers whose sizes differ by at most one.
    pub subgroups: usize,
    /// Milliseconds per slot.
    pub slot_ms: u64,
}

impl DevChain {
    /// The subgroup of server `i` of `servers` in `subgroups`.
    pub fn subgroup_of(i: usize, servers: usize, subgroups: usize) -> usize {
        i * subgroups / servers
    }

    fn validator_keys(&self) -> Result<Vec<ValidatorKeys>, String> {
        DEV_NAMES[..self.validators]
            .iter()
            .map(|name| {
                let suri = dev_suri(name);
                let sr = sr25519::Pair::from_string(&suri, None).map_err(|e| format!("{e:?}"))?;
                let ed = ed25519::Pair::from_string(&suri, None).map_err(|e| format!("{e:?}"))?;
                Ok((sr.public().0, ed.public().0))
            })
            .collect()
    }

    fn servers(&self) -> Vec<GenesisServer> {
        DEV_NAMES[..self.servers]
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let keys = dev_tss_keys(name).expect("a dev name");
                GenesisServer {
                    stash: dev_stash(name).public(),
                    tss_account: keys.account.public(),
                    x25519: keys.x25519.public,
                    endpoint: format!("127.0.0.1:{}", dev_server_port(i)).into_bytes(),
                    subgroup: Self::subgroup_of(i, self.servers, self.subgroups) as u8,
                }
            })
            .collect()
    }
}

/// Parses a built-in chain id; `Ok(None)` for anything else (a file path), `Err` for a
/// built-in id with a bad slot time or layout.
pub fn parse_dev_id(id: &str) -> Result<Option<DevChain>, String> {
    let (layout, rest) = if let Some(rest) = id.strip_prefix("dev-") {
        match rest.split_once('-') {
            Some((layout, rest)) => (Some(layout), rest),
            None => (None, rest),
        }
    } else if let Some(rest) = id.strip_prefix("solo-") {
        (None, rest)
    } else {
        return Ok(None);
    };
    let Some(ms) = rest.strip_suffix("ms") else {
        return Ok(None);
    };
    let slot_ms = match ms.parse::<u64>() {
        Ok(slot_ms) if slot_ms >= MIN_SLOT_MS => slot_ms,
        _ => {
            return Err(format!(
                "chain '{id}': the slot time must be a number of milliseconds ≥ {MIN_SLOT_MS}"
            ))
        }
    };
    let (validators, servers, subgroups) = match layout {
        None if id.starts_with("solo-") => (1, 4, 2),
        None => (4, 4, 2),
        Some(layout) => {
            let bad = || format!("chain '{id}': the layout must be <validators>x<subgroups>");
            let (v, g) = layout.split_once('x').ok_or_else(bad)?;
            let (v, g): (usize, usize) =
                (v.parse().map_err(|_| bad())?, g.parse().map_err(|_| bad())?);
            check_dev_layout(v, g).map_err(|e| format!("chain '{id}': {e}"))?;
            (v, v, g)
        }
    };
    Ok(Some(DevChain {
        validators,
        servers,
        subgroups,
        slot_ms,
    }))
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
                servers: 4,
                subgroups: 2,
                slot_ms: 1000
            }))
        );
        assert_eq!(
            parse_dev_id("solo-750ms"),
            Ok(Some(DevChain {
                validators: 1,
                servers: 4,
                subgroups: 2,
                slot_ms: 750
            }))
        );
        assert_eq!(
            parse_dev_id("dev-8x4-2000ms"),
            Ok(Some(DevChain {
                validators: 8,
                servers: 8,
                subgroups: 4,
                slot_ms: 2000
            }))
        );
        assert!(parse_dev_id("dev-100ms").is_err());
        assert!(parse_dev_id("dev-fastms").is_err());
        for bad in [
            "dev-4x1-1000ms",
            "dev-2x3-1000ms",
            "dev-13x4-1000ms",
            "dev-4by2-1000ms",
        ] {
            assert!(parse_dev_id(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_dev_id("spec.json"), Ok(None));
        assert_eq!(parse_dev_id("dev"), Ok(None));
    }

    #[test]
    fn subgroups_are_consecutive_runs_of_near_equal_size() {
        let layout =
            |v, g| -> Vec<usize> { (0..v).map(|i| DevChain::subgroup_of(i, v, g)).collect() };
        assert_eq!(layout(4, 2), [0, 0, 1, 1]);
        assert_eq!(layout(8, 4), [0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(layout(9, 3), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
        assert_eq!(layout(5, 2), [0, 0, 0, 1, 1]);
    }

    /// The derived 4×2 layout is the runtime's `dev` preset: same keys, stashes, endpoints and
    /// subgroups, so `dev-1000ms` differs from `dev` only in its slot time.
    #[test]
    fn the_default_layout_is_the_dev_preset() {
        let chain = parse_dev_id("dev-1000ms").unwrap().unwrap();
        assert_eq!(
            chain.servers(),
            devnet_runtime::genesis::dev_genesis_servers()
        );
        assert_eq!(
            chain.validator_keys().unwrap(),
            devnet_runtime::genesis::dev_validator_keys(4)
        );
    }
}
