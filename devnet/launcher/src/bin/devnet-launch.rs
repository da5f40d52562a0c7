//! `devnet-launch`: starts the devnet (by default 4 validators in 2 subgroups, each with its
//! threshold server), prints where everything is, and stops it all on Ctrl-C or when a process
//! dies.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use devnet_launcher::launcher::{Devnet, LaunchConfig, P2P_PORT, RPC_PORT};

/// `devnet-launch` command line.
#[derive(Debug, Parser)]
#[command(
    name = "devnet-launch",
    about = "Start the entropy-register devnet: validators (Aura + GRANDPA), each with its threshold server"
)]
struct Args {
    /// Folder for logs and server key stores (recreated).
    #[arg(long, default_value = ".devnet")]
    dir: PathBuf,
    /// Slot time (one block per slot) in milliseconds, at least 500.
    #[arg(long, default_value_t = 2000)]
    block_ms: u64,
    /// How many validators, each with its threshold server: the first of alice, bob, charlie,
    /// dave, eve, ferdie, grace, heidi, ivan, judy, mallory, niaj.
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// How many subgroups the servers form (consecutive runs of servers, sizes differing by at
    /// most one): `--validators 8 --subgroups 4` gives 4 subgroups of 2.
    #[arg(long, default_value_t = 2)]
    subgroups: usize,
    /// The first validator's RPC port; the others take the next ones.
    #[arg(long, default_value_t = RPC_PORT)]
    rpc_port: u16,
    /// The first validator's peer-to-peer port; the others take the next ones.
    #[arg(long, default_value_t = P2P_PORT)]
    p2p_port: u16,
    /// Put each validator + server pair in a Linux network namespace of its own, with its own
    /// address (10.197.<n>.<i+1>), bridged; each stash then sets its server's endpoint on chain.
    /// Needs root.
    #[arg(long)]
    namespaces: bool,
    /// Once ready, register a fresh account in Public and in Private mode and print the
    /// verified results.
    #[arg(long)]
    register: bool,
    /// Stop everything and exit once ready (and after `--register`), instead of waiting for
    /// Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// Registers a fresh account (funded by //Alice) in Public and in Private mode with the
/// registration client and prints what was verified.
async fn demo(rpc_url: &str) -> Result<(), String> {
    use devnet_launcher::native;
    use entropy_register_client::backend::WaitFor;
    use entropy_register_client::request::{programs, Mode, Progress, RegisterRequest};
    use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
    use entropy_register_core::types::ProgramInstance;

    let client = native::connect(rpc_url, Duration::from_secs(10))
        .await
        .map_err(|e| e.to_string())?;
    let alice = Sr25519Pair::from_suri("//Alice").map_err(|e| e.to_string())?;
    for private in [false, true] {
        let seed: u64 = rand::random();
        let user = Sr25519Pair::from_suri(&format!("//demo-{seed}")).map_err(|e| e.to_string())?;
        let label = if private { "Private" } else { "Public" };
        println!(
            "\n{label} registration of a fresh account {}",
            user.account()
        );
        native::fund(
            client.chain(),
            &alice,
            &[user.account()],
            10_000_000_000_000,
        )
        .await?;
        println!("  funded with 1000 units by //Alice");
        let mode = if private {
            Mode::Private {
                user: user.clone(),
                x25519: X25519Keypair::generate(),
            }
        } else {
            Mode::Public(user.clone())
        };
        let request = RegisterRequest {
            mode,
            program_modification_account: None,
            programs: programs(vec![ProgramInstance {
                program_pointer: [0; 32],
                program_config: vec![],
            }])
            .map_err(|e| e.to_string())?,
            wait_for: WaitFor::Finalized,
            timeout_blocks: 20,
        };
        let started = std::time::Instant::now();
        let report = |p: Progress| {
            if let Progress::Committee { members, .. } = &p {
                for m in members {
                    println!(
                        "  committee: subgroup {} {} (TSS {})",
                        m.subgroup, m.endpoint, m.tss_account
                    );
                }
            }
        };
        let out = client
            .register(request, &report, futures::future::pending())
            .await
            .map_err(|e| e.to_string())?;
        println!("  register included in block {}", out.inclusion_block);
        println!(
            "  AccountRegistered in block {} (N+{}), {:.1} s after submitting",
            out.registered_block,
            out.registered_block - out.inclusion_block,
            started.elapsed().as_secs_f64()
        );
        println!("  verifying key    0x{}", out.verifying_key.to_hex());
        println!("  Ethereum address {}", out.ethereum_address);
        println!(
            "  verified: the committee's confirmations, Registered[vk] holds the request, {} receipts",
            out.committee.len()
        );
        println!(
            "  verified: the share holders' test signature under this key {}",
            entropy_register_core::hex::encode_0x(&out.test_signature.0)
        );
        if let Some(share) = &out.key_share {
            println!(
                "  the user's own share (party {} of {}) is of this key",
                share.party_index(),
                share.parties()
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.to_path_buf()))
        .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&args.dir);
    let mut cfg = LaunchConfig::beside(&exe_dir, args.dir.clone());
    cfg.block_ms = args.block_ms;
    cfg.validators = args.validators;
    cfg.subgroups = args.subgroups;
    cfg.rpc_port = args.rpc_port;
    cfg.p2p_port = args.p2p_port;
    cfg.namespaces = args.namespaces;
    let started = std::time::Instant::now();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    // A signal while starting drops the half-started devnet, which stops what it started.
    let started_or_signal = tokio::select! {
        d = Devnet::start(cfg) => Some(d),
        _ = tokio::signal::ctrl_c() => None,
        _ = term.recv() => None,
    };
    let mut devnet = match started_or_signal {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            eprintln!("devnet-launch: {e}");
            std::process::exit(1);
        }
        None => {
            eprintln!("devnet-launch: stopped while starting");
            std::process::exit(130);
        }
    };
    print!("{}", devnet.summary());
    println!("  ready after {:.1} s", started.elapsed().as_secs_f64());
    if args.register {
        if let Err(e) = demo(&devnet.rpc_url).await {
            eprintln!(
                "devnet-launch: the demo registration failed: {e} (logs: {})",
                devnet.log_dir().display()
            );
            devnet.stop();
            std::process::exit(1);
        }
    }
    if args.exit {
        devnet.stop();
        return;
    }
    println!("Ctrl-C (or SIGTERM) stops everything.");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                println!("stopping the devnet");
                break;
            }
            _ = term.recv() => {
                println!("stopping the devnet");
                break;
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                if let Some((name, status)) = devnet.exited() {
                    eprintln!("devnet-launch: {name} exited ({status}); stopping everything. See {}", devnet.log_dir().display());
                    devnet.stop();
                    std::process::exit(1);
                }
            }
        }
    }
    devnet.stop();
}
