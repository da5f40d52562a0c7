//! Subcommand dispatch and node start.

use crate::{
    chain_spec,
    cli::{Cli, Subcommand},
    service,
};
use polkadot_sdk::sc_cli::SubstrateCli;
use polkadot_sdk::{sc_cli, sc_network, sc_service};

impl SubstrateCli for Cli {
    fn impl_name() -> String {
        "entropy-register devnet node".into()
    }
    fn impl_version() -> String {
        env!("SUBSTRATE_CLI_IMPL_VERSION").into()
    }
    fn description() -> String {
        env!("CARGO_PKG_DESCRIPTION").into()
    }
    fn author() -> String {
        "entropy-register developers".into()
    }
    fn support_url() -> String {
        "the project's issue tracker".into()
    }
    fn copyright_start_year() -> i32 {
        2026
    }
    fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
        if let Some(dev) = chain_spec::parse_dev_id(id)? {
            return Ok(Box::new(chain_spec::development_with(id, dev)?));
        }
        Ok(match id {
            "dev" | "" => Box::new(chain_spec::development()?),
            path => Box::new(chain_spec::ChainSpec::from_json_file(
                std::path::PathBuf::from(path),
            )?),
        })
    }
}

/// Parses the command line and runs.
pub fn run() -> sc_cli::Result<()> {
    let cli = Cli::from_args();
    match &cli.subcommand {
        Some(Subcommand::ExportChainSpec(cmd)) => {
            let spec = cli.load_spec(&cmd.chain)?;
            cmd.run(spec)
        }
        Some(Subcommand::Key(cmd)) => cmd.run(&cli),
        Some(Subcommand::PurgeChain(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.database))
        }
        None => {
            let runner = cli.create_runner(&cli.run)?;
            let session_seed = cli.session_seed.clone();
            runner.run_node_until_exit(|mut config| async move {
                if let Some(seed) = session_seed {
                    config.dev_key_seed = Some(seed);
                }
                match config.network.network_backend {
                    sc_network::config::NetworkBackendType::Libp2p => {
                        service::new_full::<sc_network::NetworkWorker<_, _>>(config)
                    }
                    sc_network::config::NetworkBackendType::Litep2p => {
                        service::new_full::<sc_network::Litep2pNetworkBackend>(config)
                    }
                }
                .map_err(sc_cli::Error::Service)
            })
        }
    }
}
