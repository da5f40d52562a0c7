//! `devnet-launch`: starts the devnet (node + 4 servers), prints where everything is, and stops
//! it all on Ctrl-C or when a process dies.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use devnet_tss::launcher::{Devnet, LaunchConfig, RPC_PORT};

/// `devnet-launch` command line.
#[derive(Debug, Parser)]
#[command(
    name = "devnet-launch",
    about = "Start the entropy-register devnet: node + 4 threshold servers"
)]
struct Args {
    /// Folder for logs and server key stores (recreated).
    #[arg(long, default_value = ".devnet")]
    dir: PathBuf,
    /// Block interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    block_ms: u64,
    /// Node RPC port.
    #[arg(long, default_value_t = RPC_PORT)]
    rpc_port: u16,
    /// Once ready, register a fresh account in Public and in Private mode and print the
    /// verified results.
    #[arg(long)]
    register: bool,
    /// Stop everything and exit once ready (and after `--register`), instead of waiting for
    /// Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// Registers a fresh account (funded by //Alice) in Public and in Private mode and prints what
/// was verified.
async fn demo(rpc_url: &str) -> Result<(), String> {
    use devnet_tss::chain::Chain;
    use devnet_tss::client;
    use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
    use entropy_register_core::types::*;

    let chain = Chain::connect(rpc_url, Duration::from_secs(10))
        .await
        .map_err(|e| e.to_string())?;
    let alice = Sr25519Pair::from_suri("//Alice").map_err(|e| e.to_string())?;
    for private in [false, true] {
        let seed: u64 = rand::random();
        let user = Sr25519Pair::from_suri(&format!("//demo-{seed}")).map_err(|e| e.to_string())?;
        let x = X25519Keypair::generate();
        let mode = if private { "Private" } else { "Public" };
        println!(
            "\n{mode} registration of a fresh account {}",
            user.account()
        );
        chain
            .fund(&alice, &[user.account()], 10_000_000_000_000)
            .await
            .map_err(|e| e.to_string())?;
        println!("  funded with 1000 units by //Alice");
        let args = RegisterArgs {
            program_modification_account: user.account(),
            key_visibility: if private {
                KeyVisibility::Private(x.public)
            } else {
                KeyVisibility::Public
            },
            programs_data: ProgramsData::new(vec![ProgramInstance {
                program_pointer: [0; 32],
                program_config: vec![],
            }])
            .expect("one program"),
        };
        let started = std::time::Instant::now();
        let out = client::register(&chain, &user, &args, private.then_some(&x), 20)
            .await
            .map_err(|e| e.to_string())?;
        println!("  register included in block {}", out.inclusion_block);
        for v in &out.committee {
            println!(
                "  committee: {} (TSS {})",
                String::from_utf8_lossy(&v.ip_address),
                AccountId32(v.tss_account.as_slice().try_into().unwrap_or([0; 32]))
            );
        }
        println!(
            "  AccountRegistered in block {} (N+{}), {:.1} s after submitting",
            out.registered_block,
            out.registered_block - out.inclusion_block,
            started.elapsed().as_secs_f64()
        );
        println!("  verifying key    0x{}", out.verifying_key.to_hex());
        println!(
            "  Ethereum address {}",
            entropy_register_core::eth::ethereum_address_eip55(&out.verifying_key)
        );
        println!(
            "  verified: Registered[vk] holds the request; {} receipts signed by the committee",
            out.receipts.len()
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
    cfg.rpc_port = args.rpc_port;
    let started = std::time::Instant::now();
    let mut devnet = match Devnet::start(cfg).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("devnet-launch: {e}");
            std::process::exit(1);
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
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
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
