//! The devnet with each validator + server pair in a Linux network namespace of its own
//! ([`LaunchConfig::namespaces`]), so that nothing relies on the parties sharing 127.0.0.1:
//! every node and server runs in its pair's namespace and listens on the pair's address; the
//! stashes set their servers' endpoints on chain to those addresses, as operators on separate
//! hosts do; the nodes peer, the off-chain workers post, the servers run their DKGs and forward
//! shares, and the client (in the test's namespace) registers, all across the bridge.
//!
//! Needs root (`CAP_NET_ADMIN`) and iproute2, as CI's machine has.

mod common;

use std::time::Duration;

use devnet_launcher::native;
use entropy_register_client::request::Mode;
use entropy_register_core::keys::X25519Keypair;

const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];

/// The process names in namespace `ns` (`ip netns pids`, then `/proc/<pid>/comm`).
fn processes_in(ns: &str) -> Vec<String> {
    let out = std::process::Command::new("ip")
        .args(["netns", "pids", ns])
        .output()
        .expect("ip runs");
    assert!(out.status.success(), "ip netns pids {ns} failed");
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok())
        .map(|c| c.trim().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_registration_across_network_namespaces() {
    let (devnet, dir) = common::launch("netns", |cfg| cfg.namespaces = true).await;

    let mut addresses = std::collections::BTreeSet::new();
    for name in VALIDATORS {
        let ns = devnet.namespace(name).expect("each pair has a namespace");
        assert_eq!(
            processes_in(&ns),
            ["devnet-node", "devnet-tss"],
            "{name}'s node and server run in {ns}"
        );
        let endpoint = devnet.server_endpoint(name);
        assert!(
            !endpoint.starts_with("127."),
            "{name}'s server is on loopback"
        );
        addresses.insert(endpoint.split(':').next().unwrap().to_string());
    }
    assert_eq!(addresses.len(), 4, "each pair has an address of its own");
    eprintln!("ok: each node and server runs in its pair's namespace, 4 addresses");

    let client = native::connect(&devnet.rpc_url, Duration::from_secs(30))
        .await
        .unwrap();
    for private in [false, true] {
        let user = common::funded_user(&client, &format!("netns-{private}")).await;
        let mode = if private {
            Mode::Private {
                user,
                x25519: X25519Keypair::generate(),
            }
        } else {
            Mode::Public(user)
        };
        let out = client
            .register(
                native::genesis_request(mode, 20),
                &|_| {},
                futures::future::pending(),
            )
            .await
            .unwrap_or_else(|e| panic!("registration across namespaces: {e}"));
        // The committee the client computed from chain state, and reached, is at the
        // endpoints the stashes set.
        for m in &out.committee {
            let name = VALIDATORS
                .into_iter()
                .find(|n| devnet.server_endpoint(n) == m.member.endpoint)
                .unwrap_or_else(|| panic!("{} is no pair's address", m.member.endpoint));
            assert!(m.receipt.test_signature.is_some(), "{name}'s receipt");
        }
        assert_eq!(out.key_share.is_some(), private);
        eprintln!(
            "ok: {} registration across namespaces: included in {}, registered in {} (N+{}), committee at {:?}",
            if private { "Private" } else { "Public" },
            out.inclusion_block,
            out.registered_block,
            out.registered_block - out.inclusion_block,
            out.committee
                .iter()
                .map(|m| m.member.endpoint.as_str())
                .collect::<Vec<_>>()
        );
    }
    let names: Vec<String> = VALIDATORS
        .iter()
        .filter_map(|n| devnet.namespace(n))
        .collect();
    devnet.stop();
    let listed = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    for ns in names {
        assert!(!listed.contains(&ns), "{ns} is left behind");
    }
    eprintln!("ok: the namespaces are removed at stop");
    let _ = std::fs::remove_dir_all(&dir);
}
