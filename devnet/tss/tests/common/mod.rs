//! What the devnet tests share: starting a test devnet, a fresh funded account, the dev name
//! of a server, a block's registry events. (Each test file compiles this module on its own and
//! uses part of it.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Instant;

use devnet_launcher::launcher::{Devnet, LaunchConfig};
use devnet_launcher::native::{self, NativeClient};
use devnet_tss::chain::{At, Chain};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::{dev_tss_keys, Sr25519Pair, DEV_NAMES};
use entropy_register_core::types::AccountId32;

/// Starts a devnet for test `tag`: this crate's server binary (the node beside it, or in the
/// sibling `debug` folder), a fresh folder `entropy-<tag>-<pid>` under the temp dir (returned:
/// the test removes it at the end), the launcher's defaults changed by `configure`. Prints the
/// devnet's summary and how long the start took; panics with the launcher's error.
pub async fn launch(tag: &str, configure: impl FnOnce(&mut LaunchConfig)) -> (Devnet, PathBuf) {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_devnet-tss"));
    let dir = std::env::temp_dir().join(format!("entropy-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = LaunchConfig::beside(exe.parent().expect("a profile folder"), dir.clone());
    configure(&mut cfg);
    let started = Instant::now();
    let devnet = Devnet::start(cfg)
        .await
        .unwrap_or_else(|e| panic!("the {tag} devnet starts: {e}"));
    eprintln!("{}ready after {:?}", devnet.summary(), started.elapsed());
    (devnet, dir)
}

/// A fresh account `//<label>-<random>`, funded with 1000 units by //Alice through `client`.
pub async fn funded_user(client: &NativeClient, label: &str) -> Sr25519Pair {
    let user = Sr25519Pair::from_suri(&format!("//{label}-{}", rand::random::<u64>())).unwrap();
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    native::fund(
        client.chain(),
        &alice,
        &[user.account()],
        10_000_000_000_000,
    )
    .await
    .expect("//Alice funds the account");
    user
}

/// The dev name (`alice`, `bob`, …) of the server whose TSS account is `tss_account`; panics
/// for an account that is no dev server's.
pub fn dev_server_name(tss_account: &[u8]) -> &'static str {
    DEV_NAMES
        .iter()
        .find(|n| dev_tss_keys(n).unwrap().account.public().as_slice() == tss_account)
        .copied()
        .unwrap_or_else(|| {
            panic!(
                "0x{} is no dev server",
                entropy_register_core::hex::encode(tss_account)
            )
        })
}

/// The registry pallet's events of block number `b`, as `chain`'s node reads it.
pub async fn registry_events(chain: &Chain, b: u32) -> Vec<RegistryEvent> {
    chain
        .at(At::Block(b))
        .await
        .unwrap()
        .registry_events()
        .await
        .unwrap()
}

/// Asserts that no block from `from` to the finalized head holds a confirmation of `account`
/// or its `AccountRegistered`.
pub async fn assert_unconfirmed(chain: &Chain, account: AccountId32, from: u32) {
    for b in from..=chain.best_block().await.unwrap() {
        for e in registry_events(chain, b).await {
            let confirmed = matches!(
                &e,
                RegistryEvent::RecievedConfirmation(a, ..) | RegistryEvent::AccountRegistered(a, _)
                    if *a == account
            );
            assert!(!confirmed, "block {b}: {e:?}");
        }
    }
}
