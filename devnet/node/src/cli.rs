//! Command line.

use polkadot_sdk::sc_cli;

/// How blocks are sealed. Every sealed block is finalized at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consensus {
    /// A block every N ms, like a real network (`interval-N`). The tests use this mode.
    Interval(u64),
    /// A block for each transaction entering the pool (`instant`). Registration needs a block
    /// after the one including `register`, so use it together with an interval for that.
    Instant,
    /// Both (`instant-and-interval-N`).
    InstantAndInterval(u64),
}

impl std::str::FromStr for Consensus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ms = |v: &str| -> Result<u64, String> {
            match v.parse::<u64>() {
                Ok(n) if n >= 100 => Ok(n),
                _ => Err(format!(
                    "block interval must be a number of milliseconds ≥ 100, got '{v}'"
                )),
            }
        };
        if s == "instant" {
            Ok(Consensus::Instant)
        } else if let Some(v) = s.strip_prefix("instant-and-interval-") {
            Ok(Consensus::InstantAndInterval(ms(v)?))
        } else if let Some(v) = s.strip_prefix("interval-") {
            Ok(Consensus::Interval(ms(v)?))
        } else {
            Err(format!(
                "unknown consensus '{s}': use interval-<ms>, instant or instant-and-interval-<ms>"
            ))
        }
    }
}

/// The node's arguments.
#[derive(Debug, clap::Parser)]
pub struct Cli {
    /// Subcommand.
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    /// Block sealing: `interval-<ms>` (default 2000 ms), `instant`, `instant-and-interval-<ms>`.
    #[arg(long, default_value = "interval-2000")]
    pub consensus: Consensus,

    /// Standard node options.
    #[clap(flatten)]
    pub run: sc_cli::RunCmd,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Export the chain specification (`--raw` for the raw form).
    ExportChainSpec(sc_cli::ExportChainSpecCmd),
    /// Remove the chain data.
    PurgeChain(sc_cli::PurgeChainCmd),
}

#[cfg(test)]
mod tests {
    use super::Consensus;

    #[test]
    fn consensus_flags() {
        assert_eq!("interval-1500".parse(), Ok(Consensus::Interval(1500)));
        assert_eq!("instant".parse(), Ok(Consensus::Instant));
        assert_eq!(
            "instant-and-interval-3000".parse(),
            Ok(Consensus::InstantAndInterval(3000))
        );
        assert!("interval-5".parse::<Consensus>().is_err());
        assert!("manual".parse::<Consensus>().is_err());
    }
}
