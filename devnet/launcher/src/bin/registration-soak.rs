//! Soak run against a freshly launched devnet (four validators, Aura + GRANDPA): `count`
//! registrations started at a steady rate over `seconds`, the modes in turn (Public, Private,
//! client-dealt), each the registration client's whole flow (submit, follow, verify). Then it
//! reads every finalized block of the run and counts `AccountRegistered` per account.
//!
//! Prints progress every 30 s, then: started, verified, lost (a registration that failed or
//! whose account has no `AccountRegistered`), duplicated (an account with more than one),
//! blocks from inclusion to `Registered` per mode (min / median / max), and each server's
//! resident memory at the start and the end and its CPU seconds. Exits 1 when anything was
//! lost or duplicated.
//!
//! `registration-soak [count [seconds [block ms]]]` (default 1000 registrations over 600 s, 1 s
//! slots; the servers must be built: `-p devnet-tss --bins`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use devnet_launcher::launcher::{Devnet, LaunchConfig, ProcUsage};
use devnet_launcher::native::{self, NativeClient};
use entropy_register_client::request::{DealtSecret, Mode, RegisterRequest};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::types::*;
use futures::stream::{FuturesUnordered, StreamExt};

const UNIT: u128 = 10_000_000_000;
const MODES: [&str; 3] = ["Public", "Private", "client-dealt"];

fn request(i: usize, user: Sr25519Pair) -> RegisterRequest<Sr25519Pair> {
    let mode = match i % MODES.len() {
        0 => Mode::Public(user),
        1 => Mode::Private {
            user,
            x25519: X25519Keypair::generate(),
        },
        _ => Mode::ClientDealt {
            user,
            secret: DealtSecret::generate(),
        },
    };
    native::genesis_request(mode, 30)
}

fn memory(usage: &[(String, Option<ProcUsage>)]) -> String {
    usage
        .iter()
        .map(|(name, u)| match u {
            Some(u) => format!("{name} {} MiB", u.rss_kib / 1024),
            None => format!("{name} ?"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One registration's outcome: its index, account, and (inclusion, Registered) or the error.
type Outcome = (usize, AccountId32, Result<(u32, u32), String>);

async fn register(client: &NativeClient, i: usize, user: Sr25519Pair) -> Outcome {
    let account = user.account();
    let out = client
        .register(request(i, user), &|_| {}, futures::future::pending())
        .await
        .map(|r| (r.inclusion_block, r.registered_block))
        .map_err(|e| e.to_string());
    (i, account, out)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|s| s.parse().expect("a number"))
            .unwrap_or(default)
    };
    let count = arg(0, 1000) as usize;
    let seconds = arg(1, 600);
    let block_ms = arg(2, 1000);
    let exe = std::env::current_exe().unwrap();
    let dir = std::env::temp_dir().join(format!("entropy-soak-{}", std::process::id()));
    let mut cfg = LaunchConfig::beside(exe.parent().unwrap(), dir.clone());
    cfg.block_ms = block_ms;
    let devnet = Devnet::start(cfg).await.expect("devnet starts");
    let client = native::connect(&devnet.rpc_url, Duration::from_secs(30))
        .await
        .unwrap();
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    println!(
        "soak: {count} registrations over {seconds} s ({} in turn), 4 validators, {block_ms} ms slots",
        MODES.join(", ")
    );
    let users: Vec<Sr25519Pair> = (0..count)
        .map(|i| Sr25519Pair::from_suri(&format!("//soak-{}-{i}", std::process::id())).unwrap())
        .collect();
    let accounts: Vec<AccountId32> = users.iter().map(|u| u.account()).collect();
    for chunk in accounts.chunks(200) {
        native::fund(client.chain(), &alice, chunk, 10 * UNIT)
            .await
            .expect("funding");
    }
    let first_block = devnet.heads("alice").await.expect("heads").finalized;
    let usage_start = devnet.server_usage();
    println!("servers at the start: {}", memory(&usage_start));

    let start = Instant::now();
    let every = Duration::from_secs_f64(seconds as f64 / count.max(1) as f64);
    let mut running = FuturesUnordered::new();
    let mut users = users.into_iter().enumerate();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut next_start = start;
    let mut next_report = start + Duration::from_secs(30);
    let mut started = 0;
    loop {
        let now = Instant::now();
        if now >= next_report {
            let failed = outcomes.iter().filter(|o| o.2.is_err()).count();
            println!(
                "  {:>4} s: started {started}, done {} ({failed} failed), running {}; servers {}",
                start.elapsed().as_secs(),
                outcomes.len(),
                running.len(),
                memory(&devnet.server_usage())
            );
            next_report += Duration::from_secs(30);
        }
        if started < count && now >= next_start {
            let (i, user) = users.next().expect("a user left");
            running.push(register(&client, i, user));
            started += 1;
            next_start += every;
            continue;
        }
        if started == count && running.is_empty() {
            break;
        }
        let wake = if started < count {
            next_start.min(next_report)
        } else {
            next_report
        };
        tokio::select! {
            Some(done) = running.next(), if !running.is_empty() => outcomes.push(done),
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    let wall = start.elapsed();
    let usage_end = devnet.server_usage();

    // Every finalized block of the run: AccountRegistered per account.
    let last_block = devnet.heads("alice").await.expect("heads").finalized;
    let mut registered: BTreeMap<AccountId32, u32> = BTreeMap::new();
    for b in first_block..=last_block {
        let events = client
            .at(b)
            .await
            .expect("a finalized block")
            .registry_events()
            .await
            .expect("its events");
        for e in events {
            if let RegistryEvent::AccountRegistered(a, _) = e {
                *registered.entry(a).or_default() += 1;
            }
        }
    }
    let ours: std::collections::BTreeSet<AccountId32> = accounts.iter().copied().collect();
    let verified = outcomes.iter().filter(|o| o.2.is_ok()).count();
    let mut lost = Vec::new();
    for (i, account, out) in &outcomes {
        match (out, registered.get(account)) {
            (Ok(_), Some(_)) => {}
            (Err(e), _) => lost.push(format!("#{i} {}: {e}", MODES[i % MODES.len()])),
            (Ok(_), None) => lost.push(format!(
                "#{i}: verified, but no AccountRegistered in blocks {first_block}..={last_block}"
            )),
        }
    }
    let duplicated: Vec<_> = registered
        .iter()
        .filter(|(a, n)| ours.contains(a) && **n > 1)
        .collect();
    println!(
        "started {count}, verified {verified}, lost {}, duplicated {} (finalized blocks {first_block}..={last_block}), wall {:.0} s",
        lost.len(),
        duplicated.len(),
        wall.as_secs_f64()
    );
    for (m, mode) in MODES.iter().enumerate() {
        let mut blocks: Vec<u32> = outcomes
            .iter()
            .filter(|o| o.0 % MODES.len() == m)
            .filter_map(|o| o.2.as_ref().ok().map(|(n, r)| r - n))
            .collect();
        blocks.sort();
        if let (Some(min), Some(max)) = (blocks.first(), blocks.last()) {
            println!(
                "  {mode:>12}: {} registered at N+{min} / N+{} / N+{max}",
                blocks.len(),
                blocks[blocks.len() / 2]
            );
        }
    }
    println!("servers at the start: {}", memory(&usage_start));
    println!("servers at the end:   {}", memory(&usage_end));
    for (name, end) in &usage_end {
        let begin = usage_start
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|u| u.1);
        if let (Some(b), Some(e)) = (begin, end) {
            println!(
                "  {name}: {:.1} s CPU during the soak, peak {} MiB",
                e.cpu_seconds - b.cpu_seconds,
                e.peak_rss_kib / 1024
            );
        }
    }
    for l in &lost {
        println!("lost: {l}");
    }
    for (a, n) in &duplicated {
        println!("duplicated: {a} has {n} AccountRegistered events");
    }
    devnet.stop();
    let ok = lost.is_empty() && duplicated.is_empty();
    if ok {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("logs: {}", dir.join("logs").display());
        std::process::exit(1);
    }
}
