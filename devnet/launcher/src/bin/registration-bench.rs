//! Registration benchmark against a freshly launched devnet (four validators, Aura + GRANDPA):
//! registers 1, 10 and 50 accounts (or the counts given, e.g. `1,10,50,100,200,500`) whose
//! `register` calls are submitted right after a block, and prints
//! how many blocks after inclusion N each became `Registered`, how many blocks had been
//! authored (best head − N) when that block was seen finalized (min / median / max of each),
//! the wall time, how many failed, and each server's CPU seconds in the round and peak resident
//! memory. Exits 1 when any registration failed (after every round ran).
//!
//! `cargo run --release -p devnet-launcher --bin registration-bench [-- <counts, e.g. 1,10,50>
//! [block ms] [--without-test-signature]]` (the servers must be built: `-p devnet-tss --bins`).
//! `--without-test-signature` restarts every server with the benchmark switch
//! `--test-fault skip-test-signature`: the DKG ends with the key alone, as before the test
//! signature, to measure what the test signature costs.
//!
//! Each account is registered with the registration client's own steps (`submit`, then
//! `follow` to `AccountRegistered`).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use codec::Encode;
use devnet_launcher::launcher::{Devnet, LaunchConfig, ProcUsage};
use devnet_launcher::native;
use entropy_register_client::backend::{Call, WaitFor};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::*;

const UNIT: u128 = 10_000_000_000;

const USAGE: &str =
    "usage: registration-bench [counts, e.g. 1,10,50,100,200,500] [block ms] [--without-test-signature]";

/// Each server's CPU seconds spent between two readings and its peak resident memory.
fn usage(before: &[(String, Option<ProcUsage>)], after: &[(String, Option<ProcUsage>)]) -> String {
    after
        .iter()
        .map(|(name, now)| {
            let then = before.iter().find(|(n, _)| n == name).and_then(|(_, u)| *u);
            match (then, now) {
                (Some(t), Some(n)) => format!(
                    "{name} {:.1} s CPU, peak {} MiB",
                    n.cpu_seconds - t.cpu_seconds,
                    n.peak_rss_kib / 1024
                ),
                _ => format!("{name} (no /proc figures)"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let without_test_signature = args.iter().any(|a| a == "--without-test-signature");
    args.retain(|a| a != "--without-test-signature");
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return;
    }
    let bad_args = |why: &str| -> ! {
        eprintln!("registration-bench: {why}\n{USAGE}");
        std::process::exit(2)
    };
    let counts: Vec<usize> = match args.first() {
        Some(s) => s
            .split(',')
            .map(|n| match n.parse() {
                Ok(k) if k > 0 => k,
                _ => bad_args(&format!("{n:?} is not a positive count")),
            })
            .collect(),
        None => vec![1, 10, 50],
    };
    let block_ms: u64 = match args.get(1).map(|s| s.parse()) {
        None => 1000,
        Some(Ok(ms)) if ms > 0 => ms,
        Some(_) => bad_args(&format!("{:?} is not a slot length in ms", args[1])),
    };
    let exe = std::env::current_exe().unwrap();
    // The bench is a bin of the launcher crate: its own folder is the profile folder
    // (target/release), where the servers are; the node may be in the sibling debug folder.
    let profile_dir = exe.parent().unwrap();
    let dir = std::env::temp_dir().join(format!("entropy-bench-{}", std::process::id()));
    let mut cfg = LaunchConfig::beside(profile_dir, dir.clone());
    cfg.block_ms = block_ms;
    let mut devnet = Devnet::start(cfg).await.expect("devnet starts");
    if without_test_signature {
        devnet
            .restart_servers(
                &["alice", "bob", "charlie", "dave"],
                &["--test-fault", "skip-test-signature"],
            )
            .await
            .expect("the servers restart with the benchmark switch");
    }
    let devnet = devnet;
    // The users' clients are spread over the four nodes, as a network's users would be: one
    // node serving every client (and authoring, and serving its own threshold server) lags
    // the others at a few hundred registrations.
    let mut clients = Vec::new();
    for url in devnet.node_urls() {
        clients.push(
            native::connect(&url, Duration::from_secs(30))
                .await
                .unwrap(),
        );
    }
    let client = &clients[0];
    // alice's best block. Under a 500-account round a node can answer an RPC late or cut; a
    // read is tried again for up to 30 s before the benchmark gives up.
    let best = || async {
        let mut tries = 0;
        loop {
            match devnet.heads("alice").await {
                Ok(h) => return h.best,
                Err(e) if tries < 60 => {
                    tries += 1;
                    eprintln!("reading alice's heads again: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("alice's heads: {e}"),
            }
        }
    };
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    println!(
        "registration benchmark: 4 validators (Aura + GRANDPA), {block_ms} ms slots, 2 subgroups x 2 servers; clients spread over the 4 nodes; {}",
        if without_test_signature {
            "WITHOUT the test signature (servers run --test-fault skip-test-signature)"
        } else {
            "with the test signature"
        }
    );
    println!("accounts  same-block  Registered at (min/median/max)  seen final at (min/median/max)  wall time  failed");
    let mut failed = 0;
    for (round, &k) in counts.iter().enumerate() {
        let users: Vec<Sr25519Pair> = (0..k)
            .map(|i| {
                Sr25519Pair::from_suri(&format!("//bench-{}-{round}-{i}", std::process::id()))
                    .unwrap()
            })
            .collect();
        let accounts: Vec<AccountId32> = users.iter().map(|u| u.account()).collect();
        native::fund(client.chain(), &alice, &accounts, 10 * UNIT)
            .await
            .expect("funding");
        // Submit right after a block so that all calls enter the same one.
        let b = best().await;
        while best().await == b {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let start = Instant::now();
        let usage_before = devnet.server_usage();
        // alice's best block, read by one loop for the whole round (each registration asking
        // alice's node itself opened hundreds of HTTP connections at once in a 500 round, past
        // the node's RPC connection limit, and loaded the node being measured).
        let seen_best = AtomicU32::new(b);
        let round_done = AtomicBool::new(false);
        let watch_best = async {
            while !round_done.load(Ordering::Relaxed) {
                if let Ok(h) = devnet.heads("alice").await {
                    seen_best.fetch_max(h.best, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        let registrations = users.iter().enumerate().map(|(i, u)| {
            let client = &clients[i % clients.len()];
            let seen_best = &seen_best;
            async move {
                let args = RegisterArgs {
                    program_modification_account: u.account(),
                    key_visibility: KeyVisibility::Public,
                    programs_data: native::genesis_program(),
                };
                let call = Call {
                    pallet: "Registry",
                    name: "register",
                    args: args.encode(),
                };
                let submitted = std::cell::Cell::new(None);
                let n = client
                    .submit(&call, u, WaitFor::Finalized, &|| {
                        submitted.set(Some(start.elapsed()))
                    })
                    .await
                    .expect("register");
                let submitted = submitted.get().expect("on_submitted ran");
                let followed = client
                    .follow(&u.account(), n, WaitFor::Finalized, 30, &|_| {})
                    .await
                    .map_err(|e| e.to_string());
                // `follow` with `Finalized` returns once the Registered block is final.
                let seen_final = seen_best.load(Ordering::Relaxed);
                (
                    n,
                    followed.map(|f| f.registered_block),
                    seen_final,
                    submitted,
                )
            }
        });
        let mut registered_at = Vec::new();
        let mut final_at = Vec::new();
        let mut inclusions = std::collections::BTreeSet::new();
        let mut last_submitted = Duration::ZERO;
        let mut failures = Vec::new();
        let round = async {
            let results = futures::future::join_all(registrations).await;
            round_done.store(true, Ordering::Relaxed);
            results
        };
        let (results, ()) = futures::join!(round, watch_best);
        for (n, registered, seen_final, submitted) in results {
            inclusions.insert(n);
            last_submitted = last_submitted.max(submitted);
            match registered {
                Ok(registered) => {
                    registered_at.push(registered - n);
                    // The loop's reading can be up to ~0.1 s old; a final Registered block is
                    // at or below the best one.
                    final_at.push(seen_final.max(registered).saturating_sub(n));
                }
                Err(e) => failures.push(format!("included in {n}: {e}")),
            }
        }
        let wall = start.elapsed();
        let spread = |v: &mut Vec<u32>| {
            if v.is_empty() {
                return "-".to_string();
            }
            v.sort();
            format!("N+{} / N+{} / N+{}", v[0], v[v.len() / 2], v[v.len() - 1])
        };
        failed += failures.len();
        println!(
            "{k:>8}  {:>10}  {:>30}  {:>30}  {:.1} s  {}",
            if inclusions.len() == 1 {
                "yes".to_string()
            } else {
                format!("{} blocks", inclusions.len())
            },
            spread(&mut registered_at),
            spread(&mut final_at),
            wall.as_secs_f64(),
            failures.len()
        );
        if let Some(first) = failures.first() {
            println!(
                "          {} not registered; the first: {first}",
                failures.len()
            );
        }
        println!(
            "          all {k} submitted to the pool within {:.1} s",
            last_submitted.as_secs_f64()
        );
        println!(
            "          servers: {}",
            usage(&usage_before, &devnet.server_usage())
        );
    }
    devnet.stop();
    if failed > 0 || std::env::var_os("ENTROPY_BENCH_KEEP_LOGS").is_some() {
        println!("logs: {}", dir.join("logs").display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if failed > 0 {
        println!("{failed} registrations failed");
        std::process::exit(1);
    }
}
