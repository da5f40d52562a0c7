//! JSON-RPC extensions: `system_accountNextIndex` and friends.

use devnet_runtime::interface::{AccountId, Nonce, OpaqueBlock};
use jsonrpsee::RpcModule;
use polkadot_sdk::sc_transaction_pool_api::TransactionPool;
use polkadot_sdk::sp_api::ProvideRuntimeApi;
use polkadot_sdk::sp_block_builder::BlockBuilder;
use polkadot_sdk::sp_blockchain::HeaderBackend;
use polkadot_sdk::substrate_frame_rpc_system::AccountNonceApi;
use std::sync::Arc;

/// What the RPC extensions need.
pub struct FullDeps<C, P> {
    /// The client.
    pub client: Arc<C>,
    /// The transaction pool.
    pub pool: Arc<P>,
}

/// Builds the RPC extensions.
pub fn create_full<C, P>(
    deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<OpaqueBlock> + HeaderBackend<OpaqueBlock> + Send + Sync + 'static,
    C::Api: AccountNonceApi<OpaqueBlock, AccountId, Nonce> + BlockBuilder<OpaqueBlock>,
    P: TransactionPool + 'static,
{
    use polkadot_sdk::substrate_frame_rpc_system::{System, SystemApiServer};
    let mut module = RpcModule::new(());
    let FullDeps { client, pool } = deps;
    module.merge(System::new(client, pool).into_rpc())?;
    Ok(module)
}
