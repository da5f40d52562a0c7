//! The devnet as a real network: four validators (Aura + GRANDPA), each with its threshold
//! server, launched as `./run` and CI launch them (1 s slots here).
//!
//! - the validators author in turn and the finalized head advances, behind the best head by a
//!   bounded number of blocks, with every node agreeing on the finalized chain;
//! - Public, Private and client-dealt registrations complete and verify on it (each reported
//!   with its inclusion, registered and finalized block);
//! - one validator stopped: blocks and finality go on, and a registration whose committee holds
//!   that validator's server still completes (the server reads the chain through another node);
//!   the validator restarts and catches up;
//! - an induced fork: alice's validator cut from the other three, a `register` sent to alice's
//!   node lands in a block of alice's fork, which the other three finalize past; after the
//!   network heals the fork is abandoned, the transaction is included again on the finalized
//!   chain and the account ends with exactly one registered key, reported by the client with
//!   the finalized blocks;
//! - at the end, every share any server stored is of a key the chain has registered;
//! - a committee member's server down before its DKG (both servers of subgroup 1 stopped before
//!   the `register`): the client reports a timeout within
//!   its `timeoutBlocks`, the other member keeps no receipt and no open session, and after
//!   `prune_registration` the same account registers;
//! - a committee member's server dies in the middle of its DKG rounds (a test fault switch):
//!   the same outcome, and the crashed server's store opens again.
//!
//! The ports are fixed by genesis (servers) and by the launcher (nodes), so the scenarios run in
//! order inside one test; each prints its figures as it passes.

mod common;

use std::time::{Duration, Instant};

use devnet_launcher::launcher::Devnet;
use devnet_launcher::native::{self, NativeClient};
use devnet_tss::chain::Chain;
use devnet_tss::config::DEV_PASSWORD;
use devnet_tss::store::Store;
use entropy_register_client::backend::{Call, WaitFor};
use entropy_register_client::request::{
    DealtSecret, Mode, Progress, RegisterRequest, Registration,
};
use entropy_register_client::Error;
use entropy_register_core::api::{self, routes};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::kvdb::ScryptParams;
use entropy_register_core::types::{AccountId32, VerifyingKey};

const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];
/// The most blocks the finalized head may lag the best one (GRANDPA's default voting rules keep
/// it 2–3 behind; the bound leaves room for a busy machine).
const MAX_FINALITY_LAG: u32 = 8;

fn fresh(label: &str) -> Sr25519Pair {
    let nonce: u64 = rand::random();
    Sr25519Pair::from_suri(&format!("//net-{label}-{nonce}")).unwrap()
}

fn request(mode: Mode<Sr25519Pair>) -> RegisterRequest<Sr25519Pair> {
    native::genesis_request(mode, 20)
}

struct Net {
    devnet: Devnet,
    client: NativeClient,
    alice: Sr25519Pair,
}

impl Net {
    /// Waits until validator `name`'s best head reaches `block`.
    async fn wait_best(&self, name: &str, block: u32, within: Duration) {
        let until = Instant::now() + within;
        while self.devnet.heads(name).await.unwrap().best < block {
            assert!(
                Instant::now() < until,
                "{name}: no block {block} in {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn fund(&self, who: &AccountId32) {
        native::fund(
            self.client.chain(),
            &self.alice,
            &[*who],
            100 * 10_000_000_000,
        )
        .await
        .unwrap();
    }

    /// Registers a fresh account in the mode `make` builds; prints and returns the outcome.
    async fn register(
        &self,
        label: &str,
        make: impl FnOnce(Sr25519Pair) -> Mode<Sr25519Pair>,
    ) -> Registration {
        let user = fresh(label);
        self.fund(&user.account()).await;
        self.register_funded(label, user, make).await
    }

    /// [`Net::register`] for an account already funded.
    async fn register_funded(
        &self,
        label: &str,
        user: Sr25519Pair,
        make: impl FnOnce(Sr25519Pair) -> Mode<Sr25519Pair>,
    ) -> Registration {
        let out = self
            .client
            .register(request(make(user)), &|_| {}, futures::future::pending())
            .await
            .unwrap_or_else(|e| panic!("{label} registration: {e}"));
        let heads = self.devnet.heads("alice").await.unwrap();
        let committee: Vec<&str> = out
            .committee
            .iter()
            .map(|m| common::dev_server_name(&m.member.tss_account.0))
            .collect();
        eprintln!(
            "  {label}: included in {}, registered in {} (N+{}), finalized head {} (best {}), committee {committee:?}",
            out.inclusion_block,
            out.registered_block,
            out.registered_block - out.inclusion_block,
            heads.finalized,
            heads.best,
        );
        assert!(heads.finalized >= out.registered_block);
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_validators_author_finalize_and_register() {
    let (devnet, dir) = common::launch("network", |_| {}).await;
    let client = native::connect(&devnet.rpc_url, Duration::from_secs(30))
        .await
        .unwrap();
    let mut net = Net {
        devnet,
        client,
        alice: Sr25519Pair::from_suri("//Alice").unwrap(),
    };

    authoring_in_turn(&net).await;
    finality_bounded_and_agreed(&net).await;

    eprintln!("registrations on the network:");
    let public = net.register("Public", Mode::Public).await;
    assert_eq!(public.committee.len(), 2);
    let private = net
        .register("Private", |user| Mode::Private {
            user,
            x25519: X25519Keypair::generate(),
        })
        .await;
    assert!(private.key_share.is_some());
    let dealt = net
        .register("client-dealt", |user| Mode::ClientDealt {
            user,
            secret: DealtSecret::generate(),
        })
        .await;
    assert_eq!(dealt.dealt_shares.map(|d| d.len()), Some(4));
    eprintln!("ok: Public, Private and client-dealt registrations verified");

    fork_then_reorg(&mut net).await;
    one_validator_down(&mut net).await;
    server_down_during_dkg(&mut net).await;
    server_dies_mid_dkg(&mut net).await;
    every_stored_share_is_registered(&mut net).await;
    net.devnet.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Blocks come from all four validators, one per slot, in slot order.
async fn authoring_in_turn(net: &Net) {
    // Twelve blocks authored after the devnet is ready (all four nodes linked): the blocks of
    // the start, while a node is still connecting, are not the network in turn.
    let from = net.devnet.heads("alice").await.unwrap().best + 1;
    let to = from + 11;
    net.wait_best("alice", to, Duration::from_secs(60)).await;
    let mut authors = Vec::new();
    let mut last_slot = 0;
    for b in from..=to {
        let slot = net
            .devnet
            .block_slot("alice", b)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("block {b} has no Aura slot"));
        assert!(slot > last_slot, "block {b}: slot {slot} after {last_slot}");
        last_slot = slot;
        authors.push(VALIDATORS[(slot % 4) as usize]);
    }
    let mut distinct = authors.clone();
    distinct.sort();
    distinct.dedup();
    eprintln!("ok: blocks {from}..={to} authored by {authors:?}");
    assert_eq!(
        distinct.len(),
        4,
        "every validator authors: {authors:?} for blocks {from}..={to}"
    );
}

/// On every node the finalized head advances and lags the best head by at most
/// [`MAX_FINALITY_LAG`]; all nodes hold the same finalized blocks.
async fn finality_bounded_and_agreed(net: &Net) {
    let mut first = Vec::new();
    for v in VALIDATORS {
        first.push(net.devnet.heads(v).await.unwrap());
    }
    let mut max_lag = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        for v in VALIDATORS {
            let h = net.devnet.heads(v).await.unwrap();
            let lag = h.best - h.finalized;
            max_lag = max_lag.max(lag);
            assert!(
                lag <= MAX_FINALITY_LAG,
                "{v}: best {} finalized {}",
                h.best,
                h.finalized
            );
        }
    }
    let mut finalized = Vec::new();
    for (v, before) in VALIDATORS.iter().zip(&first) {
        let now = net.devnet.heads(v).await.unwrap();
        assert!(
            now.finalized > before.finalized,
            "{v}: finalized head stayed at {}",
            now.finalized
        );
        finalized.push(now.finalized);
    }
    let common = *finalized.iter().min().unwrap();
    let hash = net.devnet.block_hash("alice", common).await.unwrap();
    for v in VALIDATORS {
        assert_eq!(
            net.devnet.block_hash(v, common).await.unwrap(),
            hash,
            "{v} holds another block {common}"
        );
    }
    eprintln!(
        "ok: finalized heads {finalized:?} advance, lag the best head by ≤ {max_lag} blocks, same block {common} on all nodes"
    );
}

/// Dave's validator stops: blocks and finality go on (3 of 4 GRANDPA voters), registrations
/// complete, one of them with dave's server in the committee; dave restarts and catches up.
async fn one_validator_down(net: &mut Net) {
    net.devnet.stop_node("dave");
    let before = net.devnet.heads("alice").await.unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let h = net.devnet.heads("alice").await.unwrap();
        if h.finalized >= before.finalized + 4 && h.best >= before.best + 4 {
            eprintln!("ok: dave's node down, alice's heads went {before:?} -> {h:?}");
            break;
        }
        assert!(
            Instant::now() < until,
            "no progress without dave: {before:?} -> {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The committee rotates with the block number (member `(N + 1) mod 2` of each subgroup):
    // dave's server is in it when the inclusion block N is even. Submit right after an odd
    // best block (the next one is the likely inclusion block); try until it works out.
    let mut with_dave = false;
    for _ in 0..6 {
        let label = "Public without dave's node";
        let user = fresh(label);
        net.fund(&user.account()).await;
        // A new odd best block, so that the submission is early in its slot.
        let seen = net.devnet.heads("alice").await.unwrap().best;
        loop {
            let best = net.devnet.heads("alice").await.unwrap().best;
            if best != seen && best % 2 == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = net.register_funded(label, user, Mode::Public).await;
        if out
            .committee
            .iter()
            .any(|m| common::dev_server_name(&m.member.tss_account.0) == "dave")
        {
            with_dave = true;
            break;
        }
    }
    assert!(
        with_dave,
        "no registration had dave's server in its committee"
    );
    eprintln!("ok: registrations complete with dave's node down, dave's server in the committee");

    net.devnet.start_node("dave").await.expect("dave restarts");
    let target = net.devnet.heads("alice").await.unwrap().finalized;
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        let h = net.devnet.heads("dave").await.unwrap();
        if h.finalized >= target {
            let same = net.devnet.block_hash("dave", target).await.unwrap()
                == net.devnet.block_hash("alice", target).await.unwrap();
            assert!(same, "dave finalized another block {target}");
            eprintln!("ok: dave's node restarted and finalized block {target} with the others");
            break;
        }
        assert!(
            Instant::now() < until,
            "dave did not catch up: {h:?}, target {target}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A committee member's server is down before its DKG: both servers of subgroup 1 (charlie
/// and dave; one of them is in every committee) are stopped before the registration is
/// submitted (a server starts a DKG as soon as its node has block N, so stopping the member
/// once the client learns the committee would be too late). The registration ends in `Timeout`
/// within its `timeoutBlocks`, the other member holds no receipt and closes its session; with
/// the servers back, `prune_registration` and a new `register` of the same account succeed.
async fn server_down_during_dkg(net: &mut Net) {
    net.devnet.stop_server("charlie");
    net.devnet.stop_server("dave");
    let user = fresh("server-down");
    let (result, n, victim, survivor, started) =
        register_with_a_member_of(net, &user, ["charlie", "dave"]).await;
    timed_out(
        result,
        n,
        &format!("{victim}'s server down before its DKG"),
        started,
    );
    for name in ["charlie", "dave"] {
        net.devnet
            .start_server(name, None)
            .await
            .unwrap_or_else(|e| panic!("{name}'s server restarts: {e}"));
    }
    after_a_failed_dkg(net, user, n, survivor).await;
}

/// Registers `user` (funded here; Public, `timeoutBlocks` 10) and names its committee: the
/// result, N, the member among `group` (one of a subgroup's two servers is in every
/// committee), the other member, and when the registration started.
async fn register_with_a_member_of(
    net: &mut Net,
    user: &Sr25519Pair,
    group: [&str; 2],
) -> (
    Result<Registration, Error>,
    u32,
    &'static str,
    &'static str,
    Instant,
) {
    net.fund(&user.account()).await;
    let mut req = request(Mode::Public(user.clone()));
    req.timeout_blocks = 10;
    let committee = std::sync::Mutex::new(None);
    let progress = |p: Progress| {
        if let Progress::Committee { block, members } = p {
            *committee.lock().unwrap() = Some((block - 1, members));
        }
    };
    let started = Instant::now();
    let result = net
        .client
        .register(req, &progress, futures::future::pending())
        .await;
    let (n, members) = committee
        .into_inner()
        .unwrap()
        .expect("the committee is reported");
    let names: Vec<&'static str> = members
        .iter()
        .map(|m| common::dev_server_name(&m.tss_account.0))
        .collect();
    let member = *names
        .iter()
        .find(|m| group.contains(m))
        .unwrap_or_else(|| panic!("no member of {group:?} in {names:?}"));
    let other = *names.iter().find(|m| **m != member).unwrap();
    (result, n, member, other, started)
}

/// A committee member's server dies in the middle of its DKG rounds: alice's and bob's servers
/// (subgroup 0, one of them is in every committee) run with the test fault switch
/// `exit-mid-dkg`, so the member exits right after it handled its first message from its peer.
/// The client reports a timeout within its `timeoutBlocks`; the member's process is gone with
/// the fault's status; the other member keeps no receipt and no session; the crashed server's
/// store opens again on restart (and holds no share of an unregistered key: checked at the end
/// of the test); after `prune_registration` the same account registers.
async fn server_dies_mid_dkg(net: &mut Net) {
    net.devnet
        .restart_servers(&["alice", "bob"], &["--test-fault", "exit-mid-dkg"])
        .await
        .expect("restart with the fault switch");
    let user = fresh("mid-dkg");
    let (result, n, victim, survivor, started) =
        register_with_a_member_of(net, &user, ["alice", "bob"]).await;
    timed_out(
        result,
        n,
        &format!("{victim}'s server died mid-DKG"),
        started,
    );
    let (exited, status) = net.devnet.exited().expect("the member's server exited");
    assert_eq!(exited, victim, "{exited} exited ({status})");
    assert!(
        status.contains(&devnet_tss::sessions::FAULT_EXIT_STATUS.to_string()),
        "{victim} exited with {status}, not the fault's status"
    );
    let log = std::fs::read_to_string(net.devnet.log_dir().join(format!("{victim}.log"))).unwrap();
    assert!(
        log.contains("test fault: exiting in the middle of the DKG"),
        "{victim}'s log does not show the fault"
    );
    // Both come back without the switch; the crashed one's store must open.
    net.devnet
        .restart_servers(&["alice", "bob"], &[])
        .await
        .unwrap_or_else(|e| panic!("alice's and bob's servers restart: {e}"));
    after_a_failed_dkg(net, user, n, survivor).await;
}

/// `result` is the client's `Timeout` after the 10 finalized blocks past `n` the scenarios ask
/// for; prints it with `what` happened and the time since `started`.
fn timed_out(result: Result<Registration, Error>, n: u32, what: &str, started: Instant) {
    match result {
        Err(Error::Timeout { after, blocks }) => {
            assert_eq!((after, blocks), (n, 10));
            eprintln!(
                "ok: {what}: Timeout after {blocks} finalized blocks past N={n}, {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        other => panic!("expected a timeout ({what}), got {other:?}"),
    }
}

/// After a registration of `user` (included in `n`) failed in its DKG: the `survivor` member
/// holds no receipt and lets its session go; `prune_registration` and a new `register` of the
/// same account then succeed.
async fn after_a_failed_dkg(net: &mut Net, user: Sr25519Pair, n: u32, survivor: &str) {
    let account = user.account();
    // The survivor signed nothing and lets its session go.
    let http = reqwest::Client::new();
    let receipt = http
        .get(api::receipt_url(&Devnet::endpoint(survivor), &account, n))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status().as_u16(), 404, "{survivor} holds a receipt");
    let until = Instant::now() + devnet_tss::sessions::SETUP_TIMEOUT * 2;
    loop {
        let health: serde_json::Value = http
            .get(api::url(&Devnet::endpoint(survivor), routes::HEALTHZ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if health["openSessions"].as_u64() == Some(0) {
            break;
        }
        assert!(
            Instant::now() < until,
            "{survivor} keeps the session open: {health}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("ok: {survivor} holds no receipt and no open session for it");

    let prune = Call {
        pallet: "Registry",
        name: "prune_registration",
        args: vec![],
    };
    net.client
        .submit(&prune, &user, WaitFor::Finalized, &|| {})
        .await
        .expect("prune_registration");
    let out = net
        .client
        .register(
            request(Mode::Public(user)),
            &|_| {},
            futures::future::pending(),
        )
        .await
        .expect("registers after prune_registration");
    eprintln!(
        "ok: after prune_registration the account registered: included in {}, registered in {}",
        out.inclusion_block, out.registered_block
    );
}

/// Alice's validator is cut from the other three: the three go on finalizing (3 of 4 GRANDPA
/// voters), alice authors a fork of its own that can never be finalized. A `register` sent to
/// alice's node lands on that fork; its off-chain worker's `/user/new` does not match the
/// finalized chain and no server starts a DKG for it. Healed, alice follows the finalized
/// chain, the transaction is included again there and the registration completes once.
async fn fork_then_reorg(net: &mut Net) {
    let user = fresh("fork");
    let account = user.account();
    net.fund(&account).await;
    let before = net.devnet.heads("bob").await.unwrap();
    net.devnet.partition(&["alice"]).await.expect("partition");
    let cut = Instant::now();
    // The partition restarted alice's node: connect again (the client to alice's node, as a
    // dapp whose node ends up on the wrong side).
    let alice_url = net.devnet.node_url("alice").unwrap();
    net.client = native::connect(&alice_url, Duration::from_secs(30))
        .await
        .unwrap();
    let alice_node = Chain::connect(&[alice_url], Duration::from_secs(10))
        .await
        .unwrap();
    let net = &*net;

    let registering = net.client.register(
        request(Mode::Public(user)),
        &|_| {},
        futures::future::pending(),
    );
    let observe = async {
        // Find the fork block holding the registration on alice's node.
        let until = Instant::now() + Duration::from_secs(30);
        let (fork_n, fork_hash) = 'found: loop {
            assert!(
                Instant::now() < until,
                "alice's fork never included the register"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            let best = net.devnet.heads("alice").await.unwrap().best;
            for b in before.finalized..=best {
                if common::registry_events(&alice_node, b)
                    .await
                    .contains(&RegistryEvent::SignalRegister(account))
                {
                    break 'found (b, net.devnet.block_hash("alice", b).await.unwrap());
                }
            }
        };
        // Let the majority finalize past it while alice cannot.
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let bob = net.devnet.heads("bob").await.unwrap();
            if bob.finalized > fork_n + 2 {
                break;
            }
            assert!(
                Instant::now() < until,
                "the three did not finalize past {fork_n}: {bob:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let alice = net.devnet.heads("alice").await.unwrap();
        let bob = net.devnet.heads("bob").await.unwrap();
        let majority_hash = net.devnet.block_hash("bob", fork_n).await.unwrap();
        assert_ne!(
            majority_hash, fork_hash,
            "block {fork_n} is the same on both sides"
        );
        assert!(
            alice.finalized < fork_n,
            "alice alone finalized {} (fork block {fork_n})",
            alice.finalized
        );
        eprintln!(
            "  cut for {:.1} s: register in alice's fork block {fork_n}; alice {alice:?}, the three {bob:?}",
            cut.elapsed().as_secs_f64()
        );
        net.devnet.heal().await.expect("heal");
        (fork_n, fork_hash)
    };
    let (result, (fork_n, fork_hash)) = futures::join!(registering, observe);
    let out = result.expect("the registration completes after the fork");

    // Alice now holds the finalized chain; the fork block is gone.
    let now = net.devnet.heads("alice").await.unwrap();
    assert!(
        now.finalized >= out.registered_block,
        "alice finalized {now:?}"
    );
    assert_ne!(
        net.devnet.block_hash("alice", fork_n).await.unwrap(),
        fork_hash,
        "alice still holds its fork block {fork_n}"
    );
    let canonical = net
        .devnet
        .block_hash("bob", out.inclusion_block)
        .await
        .unwrap();
    assert_eq!(
        net.devnet
            .block_hash("alice", out.inclusion_block)
            .await
            .unwrap(),
        canonical
    );
    // Exactly one key for the account on the finalized chain, the one the client reported.
    let finalized = Chain::connect(
        &[net.devnet.node_url("bob").unwrap()],
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let mut registered = Vec::new();
    for b in before.finalized..=now.finalized {
        for e in common::registry_events(&finalized, b).await {
            if let RegistryEvent::AccountRegistered(a, vk) = e {
                if a == account {
                    registered.push((b, vk));
                }
            }
        }
    }
    assert_eq!(
        registered.len(),
        1,
        "AccountRegistered events: {registered:?}"
    );
    assert_eq!(registered[0].0, out.registered_block);
    assert_eq!(
        VerifyingKey::from_bytes(&registered[0].1[..]).unwrap(),
        out.verifying_key
    );
    eprintln!(
        "ok: fork block {fork_n} abandoned; register included again in {} and registered in {} on the finalized chain, one key",
        out.inclusion_block, out.registered_block
    );
}

/// Every share a server stored is of a key the chain has registered: nothing was kept for a
/// fork, a failed DKG or a refused upload. Reads the stores with the servers stopped.
async fn every_stored_share_is_registered(net: &mut Net) {
    let mut shares = 0;
    for name in VALIDATORS {
        net.devnet.stop_server(name);
        let store = Store::open(
            &net.devnet.data_dir(name),
            DEV_PASSWORD.as_bytes(),
            ScryptParams::REFERENCE,
        )
        .unwrap();
        for key in store.keys().unwrap() {
            // Shares are stored under their verifying key's hex; receipts and the served block
            // under names of their own.
            let Ok(vk) = entropy_register_core::hex::decode(&key)
                .map_err(|_| ())
                .and_then(|b| VerifyingKey::from_bytes(&b).map_err(|_| ()))
            else {
                continue;
            };
            assert!(
                net.client.registered_key(&vk).await.unwrap().is_some(),
                "{name} holds a share of {key}, which the chain has not registered"
            );
            shares += 1;
        }
    }
    eprintln!("ok: the {shares} shares the servers hold are all of registered keys");
    assert!(shares > 0);
}
