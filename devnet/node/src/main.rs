//! `devnet-node`: the entropy-register devnet's Substrate node.

// The error types are sc-cli's and sc-service's, which the node API requires us to return.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
    command::run()
}
