//! The node service: client, pool, network, off-chain workers (HTTP on), RPC, Aura block
//! authoring (one author per slot, in turn) and the GRANDPA voter (finality lags the best block
//! by a few blocks, as on a real network).

use devnet_runtime::{interface::OpaqueBlock as Block, RuntimeApi};
use futures::FutureExt;
use polkadot_sdk::sc_client_api::{backend::Backend, BlockBackend};
use polkadot_sdk::sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use polkadot_sdk::sc_consensus_grandpa::SharedVoterState;
use polkadot_sdk::sc_executor::WasmExecutor;
use polkadot_sdk::sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use polkadot_sdk::sc_transaction_pool_api::OffchainTransactionPoolFactory;
use polkadot_sdk::sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthorityPair as AuraPair};
use polkadot_sdk::sp_runtime::traits::Block as BlockT;
use polkadot_sdk::*;
use std::sync::Arc;
use std::time::Duration;

type HostFunctions = sp_io::SubstrateHostFunctions;
type FullClient = sc_service::TFullClient<Block, RuntimeApi, WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type GrandpaBlockImport =
    sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;
type GrandpaLink = sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>;

/// Blocks between two GRANDPA justifications kept for syncing peers.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;
/// How often GRANDPA gossips votes. Short, so that finality follows 1 s slots closely.
const GRANDPA_GOSSIP: Duration = Duration::from_millis(100);

/// The partial components (enough for chain-ops subcommands).
pub type Service = sc_service::PartialComponents<
    FullClient,
    FullBackend,
    FullSelectChain,
    sc_consensus::DefaultImportQueue<Block>,
    sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
    (GrandpaBlockImport, GrandpaLink),
>;

/// The Aura inherents for a block authored or checked now: timestamp and slot.
fn aura_inherents(
    slot_duration: sp_consensus_aura::SlotDuration,
) -> (
    sp_consensus_aura::inherents::InherentDataProvider,
    sp_timestamp::InherentDataProvider,
) {
    let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
    let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
        *timestamp,
        slot_duration,
    );
    (slot, timestamp)
}

/// Client, backend, pool, the GRANDPA block import and the Aura import queue.
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
    let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
        client.clone(),
        GRANDPA_JUSTIFICATION_PERIOD,
        &client,
        select_chain.clone(),
        None,
    )?;
    let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*client)?;
    let import_queue =
        sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
            block_import: grandpa_block_import.clone(),
            justification_import: Some(Box::new(grandpa_block_import.clone())),
            client: client.clone(),
            create_inherent_data_providers: move |_, ()| async move {
                Ok(aura_inherents(slot_duration))
            },
            spawner: &task_manager.spawn_essential_handle(),
            registry: config.prometheus_registry(),
            check_for_equivocation: Default::default(),
            telemetry: None,
            compatibility_mode: Default::default(),
        })
        .map_err(|e| ServiceError::Other(e.to_string()))?;
    Ok(sc_service::PartialComponents {
        client,
        backend,
        task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (grandpa_block_import, grandpa_link),
    })
}

/// Puts the session keys of the secret URI `suri` (`//Alice`, or what `--session-seed` gives)
/// into the keystore, in memory: the Aura key (sr25519) and the GRANDPA key (ed25519), each
/// kept as the seed its derivation ends in, not as the URI.
///
/// Why not `Configuration::dev_key_seed` as such: the keystore keeps the string it was given and
/// parses it again at every signature, and parsing `//Alice` derives the dev phrase's seed
/// (PBKDF2, 2048 rounds of HMAC-SHA-512). Measured with perf on an idle four-validator devnet in
/// 1 s slots (dev profile): that took most of each node's CPU for Aura's and GRANDPA's
/// signatures, ~95% of the machine's 2 cores for the four nodes. A hex seed is read directly.
fn insert_session_keys(
    keystore: &sp_keystore::KeystorePtr,
    suri: &str,
) -> Result<(), ServiceError> {
    use sp_core::crypto::{key_types, Pair};
    let bad = |e| ServiceError::Other(format!("session seed {suri:?}: {e:?}"));
    let (aura, aura_seed) =
        sp_core::sr25519::Pair::from_string_with_seed(suri, None).map_err(bad)?;
    let (grandpa, grandpa_seed) =
        sp_core::ed25519::Pair::from_string_with_seed(suri, None).map_err(bad)?;
    // A URI that ends in a soft derivation has no seed: it is kept as given (parsed each time).
    let hex = entropy_register_core::hex::encode_0x;
    let aura_seed = aura_seed.map_or_else(|| suri.to_string(), |s| hex(&s));
    let grandpa_seed = grandpa_seed.map_or_else(|| suri.to_string(), |s| hex(&s));
    let kept_aura = keystore
        .sr25519_generate_new(key_types::AURA, Some(&aura_seed))
        .map_err(|e| ServiceError::Other(e.to_string()))?;
    let kept_grandpa = keystore
        .ed25519_generate_new(key_types::GRANDPA, Some(&grandpa_seed))
        .map_err(|e| ServiceError::Other(e.to_string()))?;
    if kept_aura != aura.public() || kept_grandpa != grandpa.public() {
        return Err(ServiceError::Other(format!(
            "session seed {suri:?}: the keys kept differ from the URI's"
        )));
    }
    Ok(())
}

/// Builds and starts the full node.
pub fn new_full<Network: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
    mut config: Configuration,
) -> Result<TaskManager, ServiceError> {
    // Handled here rather than by the service (`insert_session_keys`).
    let session_seed = config.dev_key_seed.take();
    let sc_service::PartialComponents {
        client,
        backend,
        mut task_manager,
        import_queue,
        keystore_container,
        select_chain,
        transaction_pool,
        other: (block_import, grandpa_link),
    } = new_partial(&config)?;
    if let Some(suri) = &session_seed {
        insert_session_keys(&keystore_container.keystore(), suri)?;
    }

    let mut net_config = sc_network::config::FullNetworkConfiguration::<
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
    let grandpa_protocol_name = sc_consensus_grandpa::protocol_standard_name(
        &client
            .block_hash(0)
            .ok()
            .flatten()
            .ok_or_else(|| ServiceError::Other("no genesis block".into()))?,
        &config.chain_spec,
    );
    let (grandpa_protocol_config, grandpa_notification_service) =
        sc_consensus_grandpa::grandpa_peers_set_config::<_, Network>(
            grandpa_protocol_name.clone(),
            metrics.clone(),
            net_config.peer_store_handle(),
        );
    net_config.add_notification_protocol(grandpa_protocol_config);

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
    let role = config.role;
    let force_authoring = config.force_authoring;
    let name = config.network.node_name.clone();
    let enable_grandpa = !config.disable_grandpa;
    let network_for_grandpa = network.clone();
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
        sync_service: sync_service.clone(),
        config,
        telemetry: None,
        tracing_execute_block: None,
    })?;

    if role.is_authority() {
        let proposer_factory = sc_basic_authorship::ProposerFactory::new(
            task_manager.spawn_handle(),
            client.clone(),
            transaction_pool.clone(),
            prometheus_registry.as_ref(),
            None,
        );
        let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*client)?;
        let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
            StartAuraParams {
                slot_duration,
                client,
                select_chain,
                block_import,
                proposer_factory,
                create_inherent_data_providers: move |_, ()| async move {
                    Ok(aura_inherents(slot_duration))
                },
                force_authoring,
                backoff_authoring_blocks: None::<()>,
                keystore: keystore_container.keystore(),
                sync_oracle: sync_service.clone(),
                justification_sync_link: sync_service.clone(),
                block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
                max_block_proposal_slot_portion: None,
                telemetry: None,
                compatibility_mode: Default::default(),
            },
        )
        .map_err(|e| ServiceError::Other(e.to_string()))?;
        task_manager
            .spawn_essential_handle()
            .spawn_blocking("aura", Some("block-authoring"), aura);
    }

    if enable_grandpa {
        let grandpa = sc_consensus_grandpa::GrandpaParams {
            config: sc_consensus_grandpa::Config {
                gossip_duration: GRANDPA_GOSSIP,
                justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
                name: Some(name),
                observer_enabled: false,
                keystore: role.is_authority().then(|| keystore_container.keystore()),
                local_role: role,
                telemetry: None,
                protocol_name: grandpa_protocol_name,
            },
            link: grandpa_link,
            network: network_for_grandpa,
            sync: Arc::new(sync_service),
            notification_service: grandpa_notification_service,
            // Vote for the best block. The default rules vote 2 blocks below it (and at most
            // three quarters of the way from the finalized head), which kept the finalized head
            // 2–3 blocks behind the best one, and every registration waits for finality.
            voting_rule: sc_consensus_grandpa::VotingRulesBuilder::new().build(),
            prometheus_registry,
            shared_voter_state: SharedVoterState::empty(),
            telemetry: None,
            offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
        };
        task_manager.spawn_essential_handle().spawn_blocking(
            "grandpa-voter",
            None,
            sc_consensus_grandpa::run_grandpa_voter(grandpa)?,
        );
    }
    Ok(task_manager)
}
