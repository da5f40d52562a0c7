//! A larger devnet than the default: eight validators, each with its threshold server, in four
//! subgroups of two (`LaunchConfig::validators` / `subgroups`, the node's `dev-8x4-<ms>ms`
//! chain). The genesis follows the layout: eight Aura and GRANDPA authorities, eight servers,
//! `SubgroupCount` 4. All eight validators author and finality advances; a Public, a Private and
//! a client-dealt registration complete with a committee of four (one server of each subgroup),
//! a five-party Private DKG (the user and the four members) and eight dealt shares.

mod common;

use std::time::{Duration, Instant};

use devnet_launcher::native;
use entropy_register_client::request::{DealtSecret, Mode};
use entropy_register_core::keys::{X25519Keypair, DEV_NAMES};

const VALIDATORS: usize = 8;
const SUBGROUPS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_validators_in_four_subgroups_register() {
    let (devnet, dir) = common::launch("8x4", |cfg| {
        cfg.validators = VALIDATORS;
        cfg.subgroups = SUBGROUPS;
    })
    .await;
    assert_eq!(devnet.chain_id(), "dev-8x4-1000ms");

    // Every validator authors: 24 blocks after start are three rounds of eight slots.
    let from = devnet.heads("alice").await.unwrap().best + 1;
    let to = from + 23;
    let deadline = Instant::now() + Duration::from_secs(120);
    while devnet.heads("alice").await.unwrap().best < to {
        assert!(Instant::now() < deadline, "block {to} within 120 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut authors = std::collections::BTreeSet::new();
    for b in from..=to {
        let slot = devnet
            .block_slot("alice", b)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("block {b} has no Aura slot"));
        authors.insert(DEV_NAMES[(slot % VALIDATORS as u64) as usize]);
    }
    assert_eq!(
        authors.len(),
        VALIDATORS,
        "every validator authors in blocks {from}..={to}: {authors:?}"
    );
    let heads = devnet.heads("alice").await.unwrap();
    assert!(
        heads.finalized >= from,
        "finality advances with eight voters: {heads:?}"
    );
    eprintln!(
        "ok: blocks {from}..={to} authored by all {VALIDATORS} ({authors:?}); finalized {} of best {}",
        heads.finalized, heads.best
    );

    let client = native::connect(&devnet.rpc_url, Duration::from_secs(30))
        .await
        .unwrap();
    for mode in ["Public", "Private", "client-dealt"] {
        let user = common::funded_user(&client, &format!("8x4-{mode}")).await;
        let request = match mode {
            "Public" => Mode::Public(user),
            "Private" => Mode::Private {
                user,
                x25519: X25519Keypair::generate(),
            },
            _ => Mode::ClientDealt {
                user,
                secret: DealtSecret::generate(),
            },
        };
        let out = client
            .register(
                native::genesis_request(request, 20),
                &|_| {},
                futures::future::pending(),
            )
            .await
            .unwrap_or_else(|e| panic!("{mode} registration on 8 validators: {e}"));
        // One member of each subgroup, each the server of that subgroup's run of validators.
        let subgroups: Vec<u8> = out.committee.iter().map(|m| m.member.subgroup).collect();
        assert_eq!(subgroups, [0, 1, 2, 3], "{mode}: one member per subgroup");
        let members: Vec<&str> = out
            .committee
            .iter()
            .map(|m| common::dev_server_name(&m.member.tss_account.0))
            .collect();
        for (m, name) in out.committee.iter().zip(&members) {
            let i = DEV_NAMES.iter().position(|n| n == name).unwrap();
            assert_eq!(
                m.member.subgroup as usize,
                i * SUBGROUPS / VALIDATORS,
                "{mode}: {name} is in the subgroup the layout gives"
            );
            assert!(
                m.receipt.test_signature.is_some(),
                "{mode}: {name}'s receipt"
            );
        }
        match mode {
            "Private" => {
                let share = out.key_share.as_ref().expect("the user's share");
                assert_eq!(share.parties(), SUBGROUPS as u16 + 1, "user + 4 members");
            }
            "client-dealt" => {
                assert_eq!(
                    out.dealt_shares.as_ref().map(|d| d.len()),
                    Some(VALIDATORS),
                    "one share to every server"
                );
            }
            _ => assert!(out.key_share.is_none()),
        }
        eprintln!(
            "ok: {mode} on 8 validators / 4 subgroups: included in {}, registered in {} (N+{}), committee {members:?}",
            out.inclusion_block,
            out.registered_block,
            out.registered_block - out.inclusion_block,
        );
    }
    devnet.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
