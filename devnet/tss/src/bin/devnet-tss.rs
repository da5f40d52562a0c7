//! `devnet-tss`: one threshold signature server of the devnet.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use devnet_tss::chain::{At, Chain, Confirmer};
use devnet_tss::config::Args;
use devnet_tss::limits::Limits;
use devnet_tss::server::Server;
use devnet_tss::store::Store;
use entropy_register_core::kvdb::ScryptParams;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,devnet_tss=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Err(e) = run(Args::parse()).await {
        eprintln!("devnet-tss: {e}");
        std::process::exit(2);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let keys = args.keys()?;
    let password = args.password()?;
    let dir = args.data_dir();
    let store = Store::open(&dir, &password, ScryptParams::REFERENCE)?;
    drop(password);
    let account = keys.account.account();
    tracing::info!(
        account = %account,
        x25519 = %entropy_register_core::hex::encode_0x(&keys.x25519.public),
        data_dir = %dir.display(),
        "key store opened"
    );
    let chain = Chain::connect(
        &args.chain_endpoint,
        Duration::from_secs(args.chain_wait_secs),
    )
    .await?;
    match chain
        .at(At::Latest)
        .await?
        .subgroup_of_tss(&account)
        .await?
    {
        Some(g) => tracing::info!(subgroup = g, "registered on chain"),
        None => tracing::warn!("this server's account is not a threshold server on chain"),
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let limits = Limits::default();
    let mut heads = chain.watch_heads();
    // The first reading, before any request is judged against it.
    let _ = tokio::time::timeout(Duration::from_secs(10), heads.changed()).await;
    let server = Arc::new(Server {
        heads,
        new_user_waiting: tokio::sync::Semaphore::new(limits.max_new_user_waiting),
        judging: Default::default(),
        limits: limits.clone(),
        confirmer: Confirmer::new(chain.clone(), keys.account.clone()),
        keys,
        store,
        chain,
        sessions: Default::default(),
        new_user_lock: Default::default(),
        dealt_digests: Default::default(),
        early: Default::default(),
        fault: args.test_fault,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            // Below the peers' idle keep-alive bound (`Limits::header_read`, 10 s), so that a
            // pooled connection is not reused as the peer closes it.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()?,
    });
    if let Some(fault) = server.fault {
        tracing::warn!("TEST FAULT ON: {fault:?}");
    }
    tokio::spawn(devnet_tss::early::follow(server.clone()));
    tracing::info!(listen = %args.listen, "serving");
    let app = devnet_tss::http::router(server);
    devnet_tss::limits::serve(listener, app, &limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
