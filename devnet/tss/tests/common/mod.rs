//! What the devnet tests share: starting a test devnet, a fresh funded account. (Each test
//! file compiles this module on its own and uses part of it.)
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Instant;

use devnet_launcher::launcher::{Devnet, LaunchConfig};
use devnet_launcher::native::{self, NativeClient};
use entropy_register_core::keys::Sr25519Pair;

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
