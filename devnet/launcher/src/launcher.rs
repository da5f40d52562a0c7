//! The devnet launcher: one node and the four dev servers (alice, bob | charlie, dave) on
//! 127.0.0.1 with the genesis endpoints, readiness checks, one log folder, clean stop. Used by
//! `devnet/run`, by the end-to-end tests and by the benchmarks.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entropy_register_core::keys::derive_tss_keys;

/// The dev servers: name and port (the genesis endpoints, `devnet-runtime` `DEV_SERVERS`).
pub const DEV_SERVERS: [(&str, u16); 4] = [
    ("alice", 3001),
    ("bob", 3002),
    ("charlie", 3003),
    ("dave", 3004),
];

/// The node's RPC port.
pub const RPC_PORT: u16 = 9944;

/// How to launch.
#[derive(Debug, Clone)]
pub struct LaunchConfig {
    /// The `devnet-node` binary.
    pub node_bin: PathBuf,
    /// The `devnet-tss` binary.
    pub tss_bin: PathBuf,
    /// Folder for `logs/` and `data/` (server key stores).
    pub dir: PathBuf,
    /// Block interval in milliseconds.
    pub block_ms: u64,
    /// The node's RPC port.
    pub rpc_port: u16,
}

impl LaunchConfig {
    /// Defaults with the binaries next to `exe_dir` (cargo's target profile folder). The node
    /// is looked for there, then in the sibling `debug` folder (the node is built in the dev
    /// profile even when the servers are built for release).
    pub fn beside(exe_dir: &Path, dir: PathBuf) -> Self {
        let mut node_bin = exe_dir.join("devnet-node");
        if !node_bin.exists() {
            if let Some(debug) = exe_dir
                .parent()
                .map(|p| p.join("debug").join("devnet-node"))
            {
                if debug.exists() {
                    node_bin = debug;
                }
            }
        }
        LaunchConfig {
            node_bin,
            tss_bin: exe_dir.join("devnet-tss"),
            dir,
            block_ms: 1000,
            rpc_port: RPC_PORT,
        }
    }
}

/// Launch failures, each with a message that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A port is taken.
    #[error("port {port} ({what}) is already in use: is another devnet running? Stop it first")]
    PortTaken {
        /// The port.
        port: u16,
        /// Its role.
        what: String,
    },
    /// A binary is missing.
    #[error("{0} not found: build it with `cargo build -p devnet-node -p devnet-tss` in devnet/")]
    MissingBinary(String),
    /// A process did not become ready.
    #[error("{name} did not become ready: {why} (log: {log})")]
    NotReady {
        /// Which process.
        name: String,
        /// Why.
        why: String,
        /// Its log file.
        log: String,
    },
    /// I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running devnet. Dropping it stops every process.
pub struct Devnet {
    cfg: LaunchConfig,
    node: Proc,
    servers: Vec<Proc>,
    /// The node's RPC URL.
    pub rpc_url: String,
}

fn port_free(port: u16, what: &str) -> Result<(), LaunchError> {
    TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| LaunchError::PortTaken {
            port,
            what: what.into(),
        })
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

impl Devnet {
    /// Starts the node and the four servers and waits until all are ready.
    pub async fn start(cfg: LaunchConfig) -> Result<Devnet, LaunchError> {
        for bin in [&cfg.node_bin, &cfg.tss_bin] {
            if !bin.exists() {
                return Err(LaunchError::MissingBinary(bin.display().to_string()));
            }
        }
        port_free(cfg.rpc_port, "node RPC")?;
        for (name, port) in DEV_SERVERS {
            port_free(port, &format!("server {name}"))?;
        }
        std::fs::create_dir_all(cfg.dir.join("logs"))?;
        let node_log = cfg.dir.join("logs").join("node.log");
        let out = File::create(&node_log)?;
        let child = Command::new(&cfg.node_bin)
            .args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry"])
            .args(["--consensus", &format!("interval-{}", cfg.block_ms)])
            .args(["--rpc-port", &cfg.rpc_port.to_string()])
            .args(["--port", &free_port()?.to_string()])
            .args(["--rpc-cors", "all", "--offchain-worker", "always"])
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()?;
        let mut node = Proc {
            name: "node".into(),
            child,
            log: node_log,
        };
        let rpc_url = format!("ws://127.0.0.1:{}", cfg.rpc_port);
        if let Err(e) = crate::native::connect(&rpc_url, Duration::from_secs(90)).await {
            node.stop();
            return Err(LaunchError::NotReady {
                name: "node".into(),
                why: e.to_string(),
                log: node.log.display().to_string(),
            });
        }
        let mut devnet = Devnet {
            cfg,
            node,
            servers: Vec::new(),
            rpc_url,
        };
        for (name, _) in DEV_SERVERS {
            devnet.start_server(name, None).await?;
        }
        Ok(devnet)
    }

    /// The launch configuration.
    pub fn config(&self) -> &LaunchConfig {
        &self.cfg
    }

    /// A server's key-store directory.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.cfg.dir.join("data").join(name)
    }

    /// A server's `host:port`.
    pub fn endpoint(name: &str) -> String {
        let port = DEV_SERVERS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .expect("a dev server name");
        format!("127.0.0.1:{port}")
    }

    /// The log folder.
    pub fn log_dir(&self) -> PathBuf {
        self.cfg.dir.join("logs")
    }

    /// Starts (or restarts) the dev server `name`, with `password_file` or the dev password,
    /// and waits until `/healthz` answers. If the process exits first, returns its last log
    /// lines as the error.
    pub async fn start_server(
        &mut self,
        name: &str,
        password_file: Option<&Path>,
    ) -> Result<(), LaunchError> {
        self.stop_server(name);
        let endpoint = Self::endpoint(name);
        let log = self.cfg.dir.join("logs").join(format!("{name}.log"));
        let out = File::options().create(true).append(true).open(&log)?;
        let mut cmd = Command::new(&self.cfg.tss_bin);
        cmd.args(["--dev", name, "--listen", &endpoint])
            .args(["--chain-endpoint", &self.rpc_url])
            .arg("--data-dir")
            .arg(self.data_dir(name))
            .env_remove("THRESHOLD_SERVER_MNEMONIC")
            .env_remove("THRESHOLD_SERVER_PASSWORD_FILE")
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null());
        if let Some(p) = password_file {
            cmd.arg("--password-file").arg(p);
        }
        let mut proc = Proc {
            name: name.into(),
            child: cmd.spawn()?,
            log,
        };
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = proc.child.try_wait() {
                return Err(LaunchError::NotReady {
                    name: name.into(),
                    why: format!("exited with {status}: {}", tail(&proc.log)),
                    log: proc.log.display().to_string(),
                });
            }
            if let Ok(r) = client
                .get(entropy_register_core::api::url(
                    &endpoint,
                    entropy_register_core::api::routes::HEALTHZ,
                ))
                .send()
                .await
            {
                if r.status().is_success() {
                    break;
                }
            }
            if start.elapsed() > Duration::from_secs(60) {
                proc.stop();
                return Err(LaunchError::NotReady {
                    name: name.into(),
                    why: "no /healthz answer within 60 s".into(),
                    log: proc.log.display().to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.servers.push(proc);
        Ok(())
    }

    /// Stops the dev server `name` if it runs.
    pub fn stop_server(&mut self, name: &str) {
        if let Some(i) = self.servers.iter().position(|p| p.name == name) {
            let mut p = self.servers.remove(i);
            p.stop();
        }
    }

    /// The first process that exited on its own, if any (name and status).
    pub fn exited(&mut self) -> Option<(String, String)> {
        for p in std::iter::once(&mut self.node).chain(self.servers.iter_mut()) {
            if let Ok(Some(s)) = p.child.try_wait() {
                return Some((p.name.clone(), s.to_string()));
            }
        }
        None
    }

    /// A human summary: endpoints, accounts, logs.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "devnet ready\n  node RPC   {}  (blocks every {} ms)\n  logs       {}\n  servers:\n",
            self.rpc_url,
            self.cfg.block_ms,
            self.log_dir().display()
        );
        for (name, _) in DEV_SERVERS {
            let account = entropy_register_core::keys::dev_tss_mnemonic(name)
                .and_then(|m| derive_tss_keys(m).ok())
                .map(|d| d.keys.account.account().to_ss58())
                .unwrap_or_default();
            s += &format!(
                "    {name:<8} {}  TSS account {account}\n",
                entropy_register_core::api::url(&Self::endpoint(name), "")
            );
        }
        s += "  dev accounts (funded): //Alice //Bob //Charlie //Dave //Eve //Ferdie\n";
        s
    }

    /// Stops everything.
    pub fn stop(mut self) {
        self.stop_all();
    }

    fn stop_all(&mut self) {
        for p in self.servers.iter_mut() {
            p.stop();
        }
        self.servers.clear();
        self.node.stop();
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop_all();
    }
}
