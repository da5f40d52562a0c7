//! Genesis presets. `dev`: four validators (Alice, Bob, Charlie, Dave: Aura and GRANDPA keys
//! from their dev seeds, 2 s slots), dev accounts endowed, Alice is sudo, the genesis program at
//! pointer 0x00…00, and 2 subgroups × 2 threshold servers whose accounts and x25519 keys are the ones the
//! servers derive from their dev mnemonics with the core's HKDF rule (§4.1) — checked by a test
//! against `entropy_register_core::keys::dev_tss_keys`. [`dev_genesis`] builds the same for any
//! validators and servers (the node's `dev-<V>x<G>-<ms>ms` chains).

use crate::{
    AuraConfig, BalancesConfig, BlockTimeConfig, GrandpaConfig, ProgramsConfig,
    RuntimeGenesisConfig, StakingExtensionConfig, SudoConfig, DOLLARS,
};
use alloc::{vec, vec::Vec};
use entropy_register_core::types::{AccountId32 as CoreAccount, ServerInfo};
use polkadot_sdk::polkadot_sdk_frame::runtime::prelude::*;
use polkadot_sdk::sp_consensus_aura::sr25519::AuthorityId as AuraId;
use polkadot_sdk::sp_consensus_grandpa::AuthorityId as GrandpaId;
use polkadot_sdk::sp_core::{
    ed25519::Public as Ed25519Public, sr25519::Public as Sr25519Public, H256,
};
use polkadot_sdk::sp_keyring::Ed25519Keyring;
use polkadot_sdk::sp_runtime::AccountId32;
use serde_json::Value;

/// A dev threshold server: name, stash suri, TSS account, x25519 public key, endpoint.
pub struct DevServer {
    /// Dev name (also its mnemonic's name).
    pub name: &'static str,
    /// The stash's public key (`//<Name>//stash`).
    pub stash: [u8; 32],
    /// HKDF-derived TSS account.
    pub tss_account: [u8; 32],
    /// HKDF-derived x25519 public key.
    pub x25519: [u8; 32],
    /// `host:port`.
    pub endpoint: &'static str,
    /// Subgroup.
    pub subgroup: u8,
}

const fn h(s: &[u8; 64]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nib(s[2 * i]) << 4) | nib(s[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nib(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("bad hex"),
    }
}

/// The four devnet servers: [alice, bob] form subgroup 0, [charlie, dave] subgroup 1.
pub const DEV_SERVERS: [DevServer; 4] = [
    DevServer {
        name: "alice",
        stash: h(b"be5ddb1579b72e84524fc29e78609e3caf42e85aa118ebfe0b0ad404b5bdd25f"),
        tss_account: h(b"306bdb49cbbe7104e3621abab3c9d31698b159f48dafe567abb7ea5d872ed329"),
        x25519: h(b"081613e66bd9f9be0e8e9bfc9ce5780bb42353f5de0b99c9a21d990d7b7e8020"),
        endpoint: "127.0.0.1:3001",
        subgroup: 0,
    },
    DevServer {
        name: "bob",
        stash: h(b"fe65717dad0447d715f660a0a58411de509b42e6efb8375f562f58a554d5860e"),
        tss_account: h(b"2cbc68e8bf0fbc1c28c282d1263fc9d29267dc12a1044fb730e8b65abc37524c"),
        x25519: h(b"c435620aa0a98b30c2e64540a530856e2640b871ffc9fdd4d915fc39fd4e0038"),
        endpoint: "127.0.0.1:3002",
        subgroup: 0,
    },
    DevServer {
        name: "charlie",
        stash: h(b"1e07379407fecc4b89eb7dbd287c2c781cfb1907a96947a3eb18e4f8e7198625"),
        tss_account: h(b"946140d3d5ddb980c74ffa1bb64353b5523d2d77cdf3dc617fd63de9d3b66338"),
        x25519: h(b"8308a24dedf5e2b3fa4f79faaeb5e37acdb5bc04255796fad297cb89bc867c6c"),
        endpoint: "127.0.0.1:3003",
        subgroup: 1,
    },
    DevServer {
        name: "dave",
        stash: h(b"e860f1b1c7227f7c22602f53f15af80747814dffd839719731ee3bba6edc126c"),
        tss_account: h(b"0a9054ef6b6b8ad0dd2c89895b2515583f2fbf1edced68e7328ae456d86b9402"),
        x25519: h(b"a5ca6168debea8b7e73fd1e913b9bbc80a1d66f027328c0f7c705e792cb62847"),
        endpoint: "127.0.0.1:3004",
        subgroup: 1,
    },
];

/// The devnet's validators, in order: Aura (sr25519) and GRANDPA (ed25519) keys of one dev
/// seed each. Validator i pairs with threshold server i of [`DEV_SERVERS`]: the stash
/// `//<Name>//stash` that `ThresholdToStash` gives for server i belongs to validator `//<Name>`.
pub const VALIDATORS: [(Sr25519Keyring, Ed25519Keyring); 4] = [
    (Sr25519Keyring::Alice, Ed25519Keyring::Alice),
    (Sr25519Keyring::Bob, Ed25519Keyring::Bob),
    (Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
    (Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];

/// Bytecode of the genesis program stored at pointer 0x00…00.
pub const GENESIS_PROGRAM_BYTECODE: &[u8] = b"entropy-register devnet genesis program";

/// A validator's session keys in a genesis: the Aura (sr25519) and GRANDPA (ed25519) public keys.
pub type ValidatorKeys = ([u8; 32], [u8; 32]);

/// A threshold server in a genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisServer {
    /// The stash that owns it (`ThresholdToStash`).
    pub stash: [u8; 32],
    /// Its TSS account.
    pub tss_account: [u8; 32],
    /// Its x25519 public key.
    pub x25519: [u8; 32],
    /// `host:port`.
    pub endpoint: Vec<u8>,
    /// Its subgroup: the subgroups are 0, 1, … up to the largest one named.
    pub subgroup: u8,
}

/// The session keys of the first `count` of [`VALIDATORS`].
pub fn dev_validator_keys(count: usize) -> Vec<ValidatorKeys> {
    VALIDATORS[..count.min(VALIDATORS.len())]
        .iter()
        .map(|(sr, ed)| (sr.public().0, ed.public().0))
        .collect()
}

/// The servers of [`DEV_SERVERS`].
pub fn dev_genesis_servers() -> Vec<GenesisServer> {
    DEV_SERVERS
        .iter()
        .map(|s| GenesisServer {
            stash: s.stash,
            tss_account: s.tss_account,
            x25519: s.x25519,
            endpoint: s.endpoint.as_bytes().to_vec(),
            subgroup: s.subgroup,
        })
        .collect()
}

/// The `dev` preset: all of [`VALIDATORS`] and [`DEV_SERVERS`], slots of
/// [`crate::block_time::DEFAULT_SLOT_MS`].
pub fn development_config_genesis() -> Value {
    dev_genesis(
        crate::block_time::DEFAULT_SLOT_MS,
        &dev_validator_keys(VALIDATORS.len()),
        &dev_genesis_servers(),
    )
}

/// A development genesis: `slot_ms` per slot, `validators` authoring (Aura) and finalizing
/// (GRANDPA), `servers` in their subgroups; the dev keyring accounts, each validator's account,
/// each stash and each TSS account endowed; Alice is sudo; the genesis program at 0x00…00.
pub fn dev_genesis(slot_ms: u64, validators: &[ValidatorKeys], servers: &[GenesisServer]) -> Value {
    let endowment = 10_000_000 * DOLLARS;
    let mut balances: Vec<(AccountId32, u128)> = Sr25519Keyring::iter()
        .map(|a| (a.to_account_id(), endowment))
        .chain(
            validators
                .iter()
                .map(|(sr, _)| (AccountId32::from(*sr), endowment)),
        )
        .chain(
            servers
                .iter()
                .map(|s| (AccountId32::from(s.stash), endowment)),
        )
        // The TSS accounts need funds to exist (nonce checks) though their confirmations are
        // free.
        .chain(
            servers
                .iter()
                .map(|s| (AccountId32::from(s.tss_account), 1_000 * DOLLARS)),
        )
        .collect();
    balances.sort_by(|a, b| a.0.cmp(&b.0));
    balances.dedup_by(|a, b| a.0 == b.0);
    let threshold_servers = servers
        .iter()
        .map(|s| {
            let info = ServerInfo {
                tss_account: CoreAccount(s.tss_account),
                x25519_public_key: s.x25519,
                endpoint: s.endpoint.clone(),
            };
            (AccountId32::from(s.stash), info)
        })
        .collect::<Vec<_>>();
    let groups = servers
        .iter()
        .map(|s| s.subgroup as usize + 1)
        .max()
        .unwrap_or(0);
    let signing_groups = (0..groups)
        .map(|g| {
            let members = servers
                .iter()
                .filter(|s| s.subgroup as usize == g)
                .map(|s| AccountId32::from(s.stash))
                .collect::<Vec<_>>();
            (g as u8, members)
        })
        .collect::<Vec<_>>();
    polkadot_sdk::frame_support::build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig { balances },
        aura: AuraConfig {
            authorities: validators
                .iter()
                .map(|(sr, _)| AuraId::from(Sr25519Public::from_raw(*sr)))
                .collect::<Vec<_>>(),
        },
        grandpa: GrandpaConfig {
            authorities: validators
                .iter()
                .map(|(_, ed)| (GrandpaId::from(Ed25519Public::from_raw(*ed)), 1))
                .collect::<Vec<_>>(),
        },
        block_time: BlockTimeConfig { slot_ms },
        sudo: SudoConfig {
            key: Some(Sr25519Keyring::Alice.to_account_id())
        },
        staking_extension: StakingExtensionConfig {
            threshold_servers,
            signing_groups,
        },
        programs: ProgramsConfig {
            programs: vec![(
                H256::zero(),
                GENESIS_PROGRAM_BYTECODE.to_vec(),
                Sr25519Keyring::Alice.to_account_id()
            )],
        },
    })
}

/// A preset by id.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        DEV_RUNTIME_PRESET => development_config_genesis(),
        _ => return None,
    };
    Some(
        serde_json::to_string(&patch)
            .expect("JSON serialization works")
            .into_bytes(),
    )
}

/// Supported presets.
pub fn preset_names() -> Vec<PresetId> {
    vec![PresetId::from(DEV_RUNTIME_PRESET)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use entropy_register_core::keys::{dev_stash, dev_tss_keys, DEV_NAMES};

    #[test]
    fn dev_servers_hold_the_keys_the_servers_derive() {
        for (i, s) in DEV_SERVERS.iter().enumerate() {
            assert_eq!(s.name, DEV_NAMES[i]);
            let k = dev_tss_keys(s.name).unwrap();
            assert_eq!(k.account.public(), s.tss_account, "{} TSS account", s.name);
            assert_eq!(k.x25519.public, s.x25519, "{} x25519", s.name);
            assert_eq!(dev_stash(s.name).public(), s.stash, "{} stash", s.name);
        }
    }

    /// Builds the genesis state of `patch` over the defaults and runs `check` on it.
    fn with_genesis(patch: Value, check: impl FnOnce()) {
        fn merge(base: &mut Value, patch: Value) {
            match (base, patch) {
                (Value::Object(b), Value::Object(p)) => {
                    for (k, v) in p {
                        merge(b.entry(k).or_insert(Value::Null), v);
                    }
                }
                (b, p) => *b = p,
            }
        }
        let mut config = serde_json::to_value(crate::RuntimeGenesisConfig::default()).unwrap();
        merge(&mut config, patch);
        let json = serde_json::to_vec(&config).unwrap();
        polkadot_sdk::sp_io::TestExternalities::default().execute_with(|| {
            polkadot_sdk::frame_support::genesis_builder_helper::build_state::<
                crate::RuntimeGenesisConfig,
            >(json)
            .expect("the genesis builds");
            check();
        });
    }

    #[test]
    fn dev_preset_builds() {
        let patch: Value =
            serde_json::from_slice(&get_preset(&PresetId::from(DEV_RUNTIME_PRESET)).unwrap())
                .unwrap();
        with_genesis(patch, || {
            let servers: Vec<_> =
                pallet_staking_extension::ThresholdServers::<crate::Runtime>::iter().collect();
            assert_eq!(servers.len(), 4);
            assert_eq!(
                pallet_staking_extension::SigningGroups::<crate::Runtime>::get(1)
                    .unwrap()
                    .len(),
                2
            );
            assert!(pallet_programs::Programs::<crate::Runtime>::get(H256::zero()).is_some());
            let aura = polkadot_sdk::pallet_aura::Authorities::<crate::Runtime>::get();
            assert_eq!(aura.len(), 4);
            assert_eq!(aura[1], Sr25519Keyring::Bob.public().into());
            let grandpa = crate::Grandpa::grandpa_authorities();
            assert_eq!(grandpa.len(), 4);
            assert_eq!(grandpa[3], (Ed25519Keyring::Dave.public().into(), 1));
            assert_eq!(crate::block_time::SlotMs::<crate::Runtime>::get(), 2_000);
            assert_eq!(crate::Aura::slot_duration(), 2_000);
        });
    }

    #[test]
    fn slot_time_and_validator_count_follow_the_arguments() {
        with_genesis(
            dev_genesis(1_000, &dev_validator_keys(1), &dev_genesis_servers()),
            || {
                assert_eq!(crate::Aura::slot_duration(), 1_000);
                assert_eq!(
                    polkadot_sdk::pallet_aura::Authorities::<crate::Runtime>::get().len(),
                    1
                );
                assert_eq!(crate::Grandpa::grandpa_authorities().len(), 1);
                // The servers do not depend on the validator count.
                assert_eq!(
                    pallet_staking_extension::ThresholdServers::<crate::Runtime>::iter().count(),
                    4
                );
            },
        );
        // Three subgroups of one server each.
        let mut servers = dev_genesis_servers();
        servers.truncate(3);
        for (i, s) in servers.iter_mut().enumerate() {
            s.subgroup = i as u8;
        }
        with_genesis(dev_genesis(750, &dev_validator_keys(4), &servers), || {
            assert_eq!(crate::Aura::slot_duration(), 750);
            assert_eq!(
                polkadot_sdk::pallet_aura::Authorities::<crate::Runtime>::get().len(),
                4
            );
            assert_eq!(
                pallet_staking_extension::SubgroupCount::<crate::Runtime>::get(),
                3
            );
            assert_eq!(
                pallet_staking_extension::SigningGroups::<crate::Runtime>::get(2).unwrap(),
                vec![AccountId32::from(servers[2].stash)]
            );
        });
    }

    #[test]
    #[should_panic(expected = "below the minimum")]
    fn a_slot_below_the_minimum_is_refused() {
        with_genesis(
            dev_genesis(100, &dev_validator_keys(4), &dev_genesis_servers()),
            || {},
        );
    }
}
