//! Command line.

use polkadot_sdk::sc_cli;

/// The node's arguments.
#[derive(Debug, clap::Parser)]
pub struct Cli {
    /// Subcommand.
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    /// Standard node options. `--chain dev` (or `--dev`) is the four-validator devnet with 2 s
    /// slots; `dev-<ms>ms` sets the slot time, `solo-<ms>ms` runs Alice alone; see
    /// `chain_spec`.
    #[clap(flatten)]
    pub run: sc_cli::RunCmd,

    /// Puts the session keys (Aura sr25519, GRANDPA ed25519) of this secret URI into the
    /// keystore at start, as `--alice` does for `//Alice`. With `--validator` the node authors
    /// and votes as that validator: how the launcher starts `//Grace` and the other dev
    /// validators the keyring flags do not name.
    #[arg(long, value_name = "SURI")]
    pub session_seed: Option<String>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Export the chain specification (`--raw` for the raw form), to start the same chain on
    /// other hosts.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),
    /// Remove the chain data.
    PurgeChain(sc_cli::PurgeChainCmd),
    /// Key tools: a node's network key and peer id, session keys into a keystore.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),
}
