//! The node service: client, pool, network, off-chain workers (HTTP on), RPC, and manual-seal
//! block authoring driven by an interval and/or transaction-pool imports, finalizing every block.

use crate::cli::Consensus;
use devnet_runtime::{interface::OpaqueBlock as Block, RuntimeApi};
use futures::{FutureExt, StreamExt};
use polkadot_sdk::sc_client_api::backend::Backend;
use polkadot_sdk::sc_consensus_manual_seal::{EngineCommand, ManualSealParams};
use polkadot_sdk::sc_executor::WasmExecutor;
use polkadot_sdk::sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use polkadot_sdk::sc_transaction_pool_api::{OffchainTransactionPoolFactory, TransactionPool};
use polkadot_sdk::sp_runtime::traits::Block as BlockT;
use polkadot_sdk::*;
use std::sync::Arc;

type HostFunctions = sp_io::SubstrateHostFunctions;
type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;

/// The partial components (enough for chain-ops subcommands).
pub type Service = sc_service::PartialComponents<
    FullClient,
    FullBackend,
    FullSelectChain,
    sc_consensus::DefaultImportQueue<Block>,
    sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
    (),
>;

/// Client, backend, pool and import queue.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
    let executor = sc_service::new_wasm_executor(&config.executor);
    let (client, backend, keystore_container, task_manager) =
        sc_service::new_full_parts::<Block, RuntimeApi, _>(config, None, executor, Vec::new())?;
    let client = Arc::new(client);
    let select_chain = sc_consensus::LongestChain::new(backend.clone());
    let transaction_pool = Arc::from(
        sc_transaction_pool::Builder::new(
            task_manager.spawn_essential_handle(),
            client.clone(),
            config.role.is_authority().into(),
        )
        .with_options(config.transaction_pool.clone())
        .with_prometheus(config.prometheus_registry())
        .build(),
    );
    let import_queue = sc_consensus_manual_seal::import_queue(
        Box::new(client.clone()),
        &task_manager.spawn_essential_handle(),
        config.prometheus_registry(),
    );
    Ok(sc_service::PartialComponents {
        client,
        backend,
        task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (),
    })
}

fn seal_command() -> EngineCommand<<Block as BlockT>::Hash> {
    EngineCommand::SealNewBlock {
        create_empty: true,
        finalize: true,
        parent_hash: None,
        sender: None,
    }
}

/// Builds and starts the full node.
pub fn new_full<Network: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
    config: Configuration,
    consensus: Consensus,
) -> Result<TaskManager, ServiceError> {
    let sc_service::PartialComponents {
        client,
        backend,
        mut task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (),
    } = new_partial(&config)?;

    let net_config = sc_network::config::FullNetworkConfiguration::<
        Block,
        <Block as BlockT>::Hash,
        Network,
    >::new(
        &config.network,
        config
            .prometheus_config
            .as_ref()
            .map(|cfg| cfg.registry.clone()),
    );
    let metrics = Network::register_notification_metrics(
        config.prometheus_config.as_ref().map(|cfg| &cfg.registry),
    );

    let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
        sc_service::build_network(sc_service::BuildNetworkParams {
            config: &config,
            net_config,
            client: client.clone(),
            transaction_pool: transaction_pool.clone(),
            spawn_handle: task_manager.spawn_handle(),
            spawn_essential_handle: task_manager.spawn_essential_handle(),
            import_queue,
            block_announce_validator_builder: None,
            warp_sync_config: None,
            block_relay: None,
            metrics,
            gap_sync_body_policy: None,
        })?;

    if config.offchain_worker.enabled {
        let offchain_workers =
            sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
                runtime_api_provider: client.clone(),
                is_validator: config.role.is_authority(),
                keystore: Some(keystore_container.keystore()),
                offchain_db: backend.offchain_storage(),
                transaction_pool: Some(OffchainTransactionPoolFactory::new(
                    transaction_pool.clone(),
                )),
                network_provider: Arc::new(network.clone()),
                enable_http_requests: true,
                custom_extensions: |_| vec![],
            })?;
        task_manager.spawn_handle().spawn(
            "offchain-workers-runner",
            "offchain-worker",
            offchain_workers
                .run(client.clone(), task_manager.spawn_handle())
                .boxed(),
        );
    }

    let rpc_builder = {
        let client = client.clone();
        let pool = transaction_pool.clone();
        Box::new(move |_| {
            crate::rpc::create_full(crate::rpc::FullDeps {
                client: client.clone(),
                pool: pool.clone(),
            })
            .map_err(Into::into)
        })
    };
    let prometheus_registry = config.prometheus_registry().cloned();
    sc_service::spawn_tasks(sc_service::SpawnTasksParams {
        network,
        client: client.clone(),
        keystore: keystore_container.keystore(),
        task_manager: &mut task_manager,
        transaction_pool: transaction_pool.clone(),
        rpc_builder,
        backend,
        system_rpc_tx,
        tx_handler_controller,
        sync_service,
        config,
        telemetry: None,
        tracing_execute_block: None,
    })?;

    let proposer = sc_basic_authorship::ProposerFactory::new(
        task_manager.spawn_handle(),
        client.clone(),
        transaction_pool.clone(),
        prometheus_registry.as_ref(),
        None,
    );

    // One stream of seal commands: an interval, pool imports, or both.
    let (interval, instant) = match consensus {
        Consensus::Interval(ms) => (Some(ms), false),
        Consensus::Instant => (None, true),
        Consensus::InstantAndInterval(ms) => (Some(ms), true),
    };
    let mut streams: Vec<
        futures::stream::BoxStream<'static, EngineCommand<<Block as BlockT>::Hash>>,
    > = Vec::new();
    if let Some(ms) = interval {
        let ticks = futures::stream::unfold((), move |()| async move {
            futures_timer::Delay::new(std::time::Duration::from_millis(ms)).await;
            Some((seal_command(), ()))
        });
        streams.push(ticks.boxed());
    }
    if instant {
        let imports = transaction_pool
            .import_notification_stream()
            .map(|_| seal_command());
        streams.push(imports.boxed());
    }
    let commands_stream = futures::stream::select_all(streams);

    let authorship = sc_consensus_manual_seal::run_manual_seal(ManualSealParams {
        block_import: client.clone(),
        env: proposer,
        client,
        pool: transaction_pool,
        select_chain,
        commands_stream: Box::pin(commands_stream),
        consensus_data_provider: None,
        create_inherent_data_providers: move |_, ()| async move {
            Ok(sp_timestamp::InherentDataProvider::from_system_time())
        },
    });
    task_manager
        .spawn_essential_handle()
        .spawn_blocking("manual-seal", None, authorship);
    Ok(task_manager)
}
