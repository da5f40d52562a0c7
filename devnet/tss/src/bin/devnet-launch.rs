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
    /// Exit after printing the summary once everything is ready, leaving nothing running
    /// (a readiness check).
    #[arg(long)]
    check: bool,
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
    if args.check {
        devnet.stop();
        return;
    }
    println!("Ctrl-C stops everything.");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
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
