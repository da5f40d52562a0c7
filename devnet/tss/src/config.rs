//! Command line, identity and password of a server (§4.1).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use entropy_register_core::keys::{derive_tss_keys, dev_tss_mnemonic, TssKeys, DEV_NAMES};
use zeroize::Zeroizing;

/// The development password of the dev identities (the reference's `entropy_unsafe_password`).
pub const DEV_PASSWORD: &str = "entropy_unsafe_password";

/// `devnet-tss` command line.
#[derive(Debug, Parser)]
#[command(
    name = "devnet-tss",
    version,
    about = "entropy-register devnet threshold signature server"
)]
pub struct Args {
    /// Run as a development server: one of the devnet names (alice, bob, charlie, dave, eve,
    /// ferdie, grace, heidi, ivan, judy, mallory, niaj), with its dev mnemonic and password.
    #[arg(long, value_name = "NAME")]
    pub dev: Option<String>,
    /// The server's BIP-39 mnemonic.
    #[arg(
        long,
        env = "THRESHOLD_SERVER_MNEMONIC",
        hide_env_values = true,
        conflicts_with = "dev"
    )]
    pub mnemonic: Option<String>,
    /// A file holding the mnemonic.
    #[arg(long, conflicts_with_all = ["dev", "mnemonic"])]
    pub mnemonic_file: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3001")]
    pub listen: SocketAddr,
    /// The chain nodes' RPC URLs, comma-separated or repeated: the server's own validator's
    /// node first; the others are used while it does not answer.
    #[arg(long, value_delimiter = ',', default_value = "ws://127.0.0.1:9944")]
    pub chain_endpoint: Vec<String>,
    /// Key-store directory (default `.entropy/<dev name or "server">`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// File holding the key-store password (required unless `--dev`).
    #[arg(long, env = "THRESHOLD_SERVER_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
    /// Seconds to wait for the chain node at start.
    #[arg(long, default_value_t = 60)]
    pub chain_wait_secs: u64,
    /// Fault injection for the end-to-end and network tests only: `wrong-test-share` signs
    /// every test signature with a wrong share (the other parties must name this server);
    /// `exit-mid-dkg` exits the process in the middle of its first DKG. Never in use.
    #[arg(long, value_enum)]
    pub test_fault: Option<crate::sessions::TestFault>,
}

/// Configuration problems, reported before anything starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No identity given.
    #[error("no identity: pass --dev <name>, --mnemonic, --mnemonic-file or set THRESHOLD_SERVER_MNEMONIC")]
    NoIdentity,
    /// Unknown dev name.
    #[error("unknown dev identity {0:?} (one of the devnet names: {names})", names = DEV_NAMES.join(", "))]
    UnknownDev(String),
    /// Bad mnemonic.
    #[error("the mnemonic is not valid: {0}")]
    BadMnemonic(String),
    /// No password.
    #[error(
        "no key-store password: pass --password-file (dev identities default to the dev password)"
    )]
    NoPassword,
    /// A file cannot be read.
    #[error("cannot read {path}: {why}")]
    File {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

fn read(path: &PathBuf) -> Result<Zeroizing<String>, ConfigError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })
}

impl Args {
    /// Derives the server's keys from the chosen mnemonic.
    pub fn keys(&self) -> Result<TssKeys, ConfigError> {
        let phrase: Zeroizing<String> = if let Some(m) = &self.mnemonic {
            Zeroizing::new(m.clone())
        } else if let Some(f) = &self.mnemonic_file {
            read(f)?
        } else if let Some(d) = &self.dev {
            Zeroizing::new(dev_tss_mnemonic(d).ok_or_else(|| ConfigError::UnknownDev(d.clone()))?)
        } else {
            return Err(ConfigError::NoIdentity);
        };
        derive_tss_keys(phrase.trim())
            .map(|d| d.keys)
            .map_err(|e| ConfigError::BadMnemonic(e.to_string()))
    }

    /// The key-store password: the password file's first line, or the dev password.
    pub fn password(&self) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
        if let Some(f) = &self.password_file {
            let text = read(f)?;
            let line = text.lines().next().unwrap_or("");
            return Ok(Zeroizing::new(line.as_bytes().to_vec()));
        }
        if self.dev.is_some() {
            return Ok(Zeroizing::new(DEV_PASSWORD.as_bytes().to_vec()));
        }
        Err(ConfigError::NoPassword)
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            PathBuf::from(".entropy").join(self.dev.as_deref().unwrap_or("server"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_identity_and_password() {
        let a = Args::parse_from(["devnet-tss", "--dev", "alice"]);
        let k = a.keys().unwrap();
        assert_eq!(
            entropy_register_core::hex::encode(&k.account.public()),
            "306bdb49cbbe7104e3621abab3c9d31698b159f48dafe567abb7ea5d872ed329"
        );
        assert_eq!(&a.password().unwrap()[..], DEV_PASSWORD.as_bytes());
        assert!(Args::parse_from(["devnet-tss", "--dev", "zed"])
            .keys()
            .is_err());
        let none = Args::parse_from(["devnet-tss"]);
        assert!(matches!(none.keys(), Err(ConfigError::NoIdentity)));
        assert!(matches!(none.password(), Err(ConfigError::NoPassword)));
        assert!(Args::try_parse_from(["devnet-tss", "--dev", "alice", "--mnemonic", "x"]).is_err());
    }
}
