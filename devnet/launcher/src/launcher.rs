//! The devnet launcher: V validators (by default four, alice, bob, charlie, dave: Aura
//! authoring in turn, GRANDPA finality), each with its threshold server (by default alice, bob |
//! charlie, dave: G subgroups of consecutive servers, the genesis endpoints), all on 127.0.0.1
//! or each pair in a network namespace of its own ([`LaunchConfig::namespaces`]); readiness
//! checks (blocks authored and finalized, servers healthy), one log folder, clean stop, and a
//! validator stopped or restarted on demand. Used by `devnet/run`, by the end-to-end and network
//! tests and by the benchmark.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use entropy_register_core::keys::{
    check_dev_layout, dev_server_port, dev_stash, dev_suri, dev_tss_keys, BadDevLayout, DEV_NAMES,
};
use serde_json::json;

use crate::netns::{NamespaceError, Namespaces};

/// The first validator's RPC port; validator i listens on `RPC_PORT + i`.
pub const RPC_PORT: u16 = 9944;
/// The first validator's peer-to-peer port; validator i listens on `P2P_PORT + i`.
pub const P2P_PORT: u16 = 30333;

/// How to launch.
#[derive(Debug, Clone)]
pub struct LaunchConfig {
    /// The `devnet-node` binary.
    pub node_bin: PathBuf,
    /// The `devnet-tss` binary.
    pub tss_bin: PathBuf,
    /// Folder for `logs/` and `data/` (server key stores).
    pub dir: PathBuf,
    /// Slot time (one block per slot) in milliseconds.
    pub block_ms: u64,
    /// How many validators (each with its server): the first of the dev names
    /// (`entropy_register_core::keys::DEV_NAMES`: alice, bob, … niaj). Default 4.
    pub validators: usize,
    /// How many subgroups the servers form (consecutive runs, sizes differing by at most one;
    /// 2 ≤ subgroups ≤ validators). Default 2.
    pub subgroups: usize,
    /// The first validator's RPC port (the others follow).
    pub rpc_port: u16,
    /// The first validator's peer-to-peer port (the others follow).
    pub p2p_port: u16,
    /// Each validator + server pair in a Linux network namespace of its own, with its own
    /// address (`10.197.<n>.<i + 1>`, see [`crate::netns`]), instead of all on 127.0.0.1. The
    /// servers' endpoints on chain are then set by each stash with
    /// `StakingExtension.change_endpoint`, as on separate hosts. Needs root.
    pub namespaces: bool,
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
            validators: 4,
            subgroups: 2,
            rpc_port: RPC_PORT,
            p2p_port: P2P_PORT,
            namespaces: false,
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
    /// A node's RPC answered with an error or not at all.
    #[error("node RPC {method}: {why}")]
    Rpc {
        /// The method.
        method: String,
        /// Why.
        why: String,
    },
    /// A layout the chain cannot have.
    #[error(transparent)]
    Layout(#[from] BadDevLayout),
    /// The network namespaces could not be set up.
    #[error("{0}")]
    Namespaces(#[from] NamespaceError),
    /// No validator of that name.
    #[error("no validator named {0:?} on this devnet")]
    UnknownValidator(String),
    /// I/O.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The best and the finalized block number of one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heads {
    /// The best block.
    pub best: u32,
    /// The latest finalized block.
    pub finalized: u32,
}

/// A validator: its node's ports, peer id, and the process while it runs.
struct Validator {
    name: &'static str,
    /// Its node's and its server's address.
    host: Ipv4Addr,
    rpc_port: u16,
    p2p_port: u16,
    peer_id: Option<String>,
    proc: Option<Proc>,
}

impl Validator {
    fn multiaddr(&self) -> Option<String> {
        self.peer_id
            .as_ref()
            .map(|id| format!("/ip4/{}/tcp/{}/p2p/{id}", self.host, self.p2p_port))
    }

    fn rpc_url(&self, scheme: &str) -> String {
        format!("{scheme}://{}:{}", self.host, self.rpc_port)
    }
}

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

/// A process is stopped when its handle goes (an interrupted start leaves nothing running).
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a process has used so far, from Linux's `/proc`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcUsage {
    /// User + system CPU time of all its threads, in seconds.
    pub cpu_seconds: f64,
    /// Its peak resident memory (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// Its resident memory now (`VmRSS`), in KiB.
    pub rss_kib: u64,
}

/// `/proc` counts CPU time in `USER_HZ` ticks, 100 per second on Linux (a fixed ABI value).
const USER_HZ: f64 = 100.0;

impl ProcUsage {
    /// The usage of process `pid`, or `None` where `/proc` does not have it.
    pub fn of(pid: u32) -> Option<ProcUsage> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name (field 2) may hold spaces: count fields after its closing ')'.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = |field: &str| -> Option<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        };
        Some(ProcUsage {
            cpu_seconds: ticks as f64 / USER_HZ,
            peak_rss_kib: kib("VmHWM:")?,
            rss_kib: kib("VmRSS:")?,
        })
    }
}

/// A running devnet. Dropping it stops every process.
pub struct Devnet {
    cfg: LaunchConfig,
    validators: Vec<Validator>,
    servers: Vec<Proc>,
    http: reqwest::Client,
    /// The first validator's RPC URL.
    pub rpc_url: String,
    /// The namespaces, when the pairs run in their own; dropped after the processes.
    namespaces: Option<Namespaces>,
}

fn port_free(port: u16, what: &str) -> Result<(), LaunchError> {
    TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| LaunchError::PortTaken {
            port,
            what: what.into(),
        })
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

impl Devnet {
    /// Starts the validators and their servers and waits until blocks are authored and
    /// finalized and every server answers.
    pub async fn start(cfg: LaunchConfig) -> Result<Devnet, LaunchError> {
        check_dev_layout(cfg.validators, cfg.subgroups)?;
        for bin in [&cfg.node_bin, &cfg.tss_bin] {
            if !bin.exists() {
                return Err(LaunchError::MissingBinary(bin.display().to_string()));
            }
        }
        let names = &DEV_NAMES[..cfg.validators];
        let namespaces = if cfg.namespaces {
            Some(Namespaces::create(names)?)
        } else {
            None
        };
        let validators: Vec<Validator> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Validator {
                name,
                host: namespaces
                    .as_ref()
                    .map_or(Ipv4Addr::LOCALHOST, |ns| ns.host(i)),
                rpc_port: cfg.rpc_port + i as u16,
                p2p_port: cfg.p2p_port + i as u16,
                peer_id: None,
                proc: None,
            })
            .collect();
        // In namespaces, every port is the namespace's own.
        if namespaces.is_none() {
            for v in &validators {
                port_free(v.rpc_port, &format!("{} node RPC", v.name))?;
                port_free(v.p2p_port, &format!("{} node p2p", v.name))?;
            }
            for name in names {
                port_free(port_of(name), &format!("server {name}"))?;
            }
        }
        std::fs::create_dir_all(cfg.dir.join("logs"))?;
        let rpc_url = validators[0].rpc_url("ws");
        let mut devnet = Devnet {
            cfg,
            validators,
            servers: Vec::new(),
            http: reqwest::Client::new(),
            rpc_url,
            namespaces,
        };
        for name in names {
            devnet.start_node(name).await?;
        }
        devnet.wait_for_finality().await?;
        if devnet.namespaces.is_some() {
            devnet.announce_endpoints().await?;
        }
        for name in names {
            devnet.start_server(name, None).await?;
        }
        Ok(devnet)
    }

    /// Each stash sets its server's endpoint on chain to the pair's own address
    /// (`StakingExtension.change_endpoint`, signed by `//<Name>//stash`, as an operator on
    /// another host would), and the launcher waits until all are finalized.
    async fn announce_endpoints(&self) -> Result<(), LaunchError> {
        let failed = |why: String| LaunchError::Rpc {
            method: "StakingExtension.change_endpoint".into(),
            why,
        };
        let client = crate::native::connect(&self.rpc_url, Duration::from_secs(30))
            .await
            .map_err(|e| failed(e.to_string()))?;
        let changes = self.validators.iter().map(|v| {
            let client = &client;
            let endpoint = self.server_endpoint(v.name);
            async move {
                let stash = dev_stash(v.name);
                let call = entropy_register_client::backend::Call {
                    pallet: "StakingExtension",
                    name: "change_endpoint",
                    args: codec::Encode::encode(&endpoint.into_bytes()),
                };
                client.chain().submit_signed(&call, &stash, None).await
            }
        });
        futures::future::try_join_all(changes)
            .await
            .map_err(failed)?;
        Ok(())
    }

    fn validator(&self, name: &str) -> Result<usize, LaunchError> {
        self.validators
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| LaunchError::UnknownValidator(name.into()))
    }

    /// Starts (or restarts, on its own chain data) the validator node `name`, waits until its
    /// RPC answers and links it with the other running validators. Nodes run `--reserved-only`:
    /// each talks to the validators it was linked with and to no one else, which is what lets
    /// [`Devnet::partition`] cut the network.
    pub async fn start_node(&mut self, name: &str) -> Result<(), LaunchError> {
        self.start_node_linked(name, &|_| true).await
    }

    /// [`Devnet::start_node`], linking only with the running validators `link` accepts.
    async fn start_node_linked(
        &mut self,
        name: &str,
        link: &dyn Fn(&str) -> bool,
    ) -> Result<(), LaunchError> {
        let i = self.validator(name)?;
        self.stop_node(name);
        let v = &self.validators[i];
        let log = self.log_dir().join(format!("node-{name}.log"));
        let out = File::options().create(true).append(true).open(&log)?;
        let mut cmd = self.command(i, &self.cfg.node_bin);
        if self.namespaces.is_some() {
            // The RPC listens on the namespace's address, for the launcher, the servers and
            // the clients outside; the devnet's links need the node's unsafe methods.
            cmd.args(["--unsafe-rpc-external", "--rpc-methods", "unsafe"]);
        }
        cmd.args(["--chain", &self.chain_id()])
            // Author and vote as `//<Name>` (Aura and GRANDPA keys into its keystore).
            .args([
                "--validator",
                "--name",
                name,
                "--session-seed",
                &dev_suri(name),
            ])
            .arg("--base-path")
            .arg(self.cfg.dir.join("nodes").join(name))
            // A validator needs a network key; a fixed one per validator gives fixed peer ids.
            .args(["--node-key", &format!("{:02x}", i + 1).repeat(32)])
            .args(["--rpc-port", &v.rpc_port.to_string()])
            .args(["--port", &v.p2p_port.to_string()])
            .args(["--rpc-cors", "all", "--offchain-worker", "always"])
            .args([
                "--no-prometheus",
                "--no-telemetry",
                "--no-mdns",
                "--reserved-only",
                // A validator cut off from its peers keeps authoring in its slots (a real
                // fork), instead of waiting for peers.
                "--force-authoring",
                // Keep the state of every block, abandoned forks too: on a short-lived devnet
                // it is small, and a server or client that reads or submits at a block a
                // reorganisation abandoned gets an answer instead of "state already discarded".
                "--state-pruning",
                "archive",
            ])
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null());
        let mut proc = Proc {
            name: format!("node {name}"),
            child: cmd.spawn()?,
            log,
        };
        let url = v.rpc_url("http");
        let start = Instant::now();
        let peer_id = loop {
            if let Ok(Some(status)) = proc.child.try_wait() {
                return Err(LaunchError::NotReady {
                    name: proc.name.clone(),
                    why: format!("exited with {status}: {}", tail(&proc.log)),
                    log: proc.log.display().to_string(),
                });
            }
            if let Ok(id) = rpc(&self.http, &url, "system_localPeerId", json!([])).await {
                break id.as_str().unwrap_or_default().to_string();
            }
            if start.elapsed() > Duration::from_secs(90) {
                return Err(LaunchError::NotReady {
                    name: proc.name.clone(),
                    why: "no RPC answer within 90 s".into(),
                    log: proc.log.display().to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let v = &mut self.validators[i];
        v.peer_id = Some(peer_id);
        v.proc = Some(proc);
        let others: Vec<&'static str> = self
            .validators
            .iter()
            .filter(|o| o.name != name && o.proc.is_some() && link(o.name))
            .map(|o| o.name)
            .collect();
        for other in others {
            self.link(name, other, true).await?;
        }
        Ok(())
    }

    /// Adds (`true`) or removes each of `a` and `b` in the other's reserved peers, both ways.
    async fn link(&self, a: &str, b: &str, up: bool) -> Result<(), LaunchError> {
        for (from, to) in [(a, b), (b, a)] {
            let to = &self.validators[self.validator(to)?];
            let param = if up {
                to.multiaddr()
            } else {
                to.peer_id.clone()
            };
            let Some(param) = param else { continue };
            let method = if up {
                "system_addReservedPeer"
            } else {
                "system_removeReservedPeer"
            };
            self.node_rpc(from, method, json!([param])).await?;
        }
        Ok(())
    }

    /// Cuts the running validators into `side` and the rest: no block, vote or transaction
    /// crosses until [`Devnet::heal`]. The servers are not cut (they are not validators).
    ///
    /// The validators of `side` are restarted (on their chain data) after the links across are
    /// removed: litep2p keeps a removed reserved peer connected as an ordinary one while it has
    /// free slots, and a restart ends those connections, which the reserved-only peers then
    /// refuse to open again.
    pub async fn partition(&mut self, side: &[&str]) -> Result<(), LaunchError> {
        self.relink(|a, b| side.contains(&a) == side.contains(&b))
            .await?;
        for name in side {
            self.start_node_linked(name, &|other| side.contains(&other))
                .await?;
        }
        Ok(())
    }

    /// Links every running validator with every other again.
    pub async fn heal(&self) -> Result<(), LaunchError> {
        self.relink(|_, _| true).await
    }

    async fn relink(&self, linked: impl Fn(&str, &str) -> bool) -> Result<(), LaunchError> {
        let running: Vec<&'static str> = self
            .validators
            .iter()
            .filter(|v| v.proc.is_some())
            .map(|v| v.name)
            .collect();
        for (k, a) in running.iter().enumerate() {
            for b in &running[k + 1..] {
                self.link(a, b, linked(a, b)).await?;
            }
        }
        Ok(())
    }

    /// Stops the validator node `name` if it runs (its chain data stays for a restart).
    pub fn stop_node(&mut self, name: &str) {
        if let Some(v) = self.validators.iter_mut().find(|v| v.name == name) {
            // Dropping the handle stops the process.
            v.proc = None;
        }
    }

    /// The RPC URL (`ws://`) of validator `name`'s node.
    pub fn node_url(&self, name: &str) -> Result<String, LaunchError> {
        let i = self.validator(name)?;
        Ok(self.validators[i].rpc_url("ws"))
    }

    /// Every validator's node RPC URL (`ws://`), in validator order.
    pub fn node_urls(&self) -> Vec<String> {
        self.validators.iter().map(|v| v.rpc_url("ws")).collect()
    }

    /// `program`, to run as pair `i`'s process (in its namespace when there are namespaces).
    fn command(&self, i: usize, program: &Path) -> Command {
        match &self.namespaces {
            Some(ns) => ns.command(i, program),
            None => Command::new(program),
        }
    }

    async fn node_rpc(
        &self,
        name: &str,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, LaunchError> {
        let i = self.validator(name)?;
        let url = self.validators[i].rpc_url("http");
        rpc(&self.http, &url, method, params).await
    }

    /// Validator `name`'s best and finalized block numbers.
    pub async fn heads(&self, name: &str) -> Result<Heads, LaunchError> {
        let best = self.node_rpc(name, "chain_getHeader", json!([])).await?;
        let fin_hash = self
            .node_rpc(name, "chain_getFinalizedHead", json!([]))
            .await?;
        let fin = self
            .node_rpc(name, "chain_getHeader", json!([fin_hash]))
            .await?;
        Ok(Heads {
            best: header_number(&best)?,
            finalized: header_number(&fin)?,
        })
    }

    /// The hash (`0x…`) of block `number` on validator `name`'s best chain, if it has one.
    pub async fn block_hash(&self, name: &str, number: u32) -> Result<Option<String>, LaunchError> {
        let h = self
            .node_rpc(name, "chain_getBlockHash", json!([number]))
            .await?;
        Ok(h.as_str().map(str::to_string))
    }

    /// The Aura slot of block `number` on validator `name`'s best chain (from its pre-runtime
    /// digest), if the block exists and carries one.
    pub async fn block_slot(&self, name: &str, number: u32) -> Result<Option<u64>, LaunchError> {
        let Some(hash) = self.block_hash(name, number).await? else {
            return Ok(None);
        };
        let header = self
            .node_rpc(name, "chain_getHeader", json!([hash]))
            .await?;
        let logs = header["digest"]["logs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(logs.iter().filter_map(|l| l.as_str()).find_map(aura_slot))
    }

    async fn wait_for_finality(&self) -> Result<(), LaunchError> {
        let start = Instant::now();
        loop {
            if let Ok(h) = self.heads(self.validators[0].name).await {
                if h.finalized >= 1 {
                    return Ok(());
                }
            }
            if start.elapsed() > Duration::from_secs(120) {
                return Err(LaunchError::NotReady {
                    name: "the validators".into(),
                    why: "no block finalized within 120 s".into(),
                    log: self.log_dir().display().to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The launch configuration.
    pub fn config(&self) -> &LaunchConfig {
        &self.cfg
    }

    /// A server's key-store directory.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.cfg.dir.join("data").join(name)
    }

    /// A server's `host:port` on 127.0.0.1 (the genesis endpoints; see
    /// [`Devnet::server_endpoint`] for this devnet's).
    pub fn endpoint(name: &str) -> String {
        format!("127.0.0.1:{}", port_of(name))
    }

    /// Server `name`'s `host:port` on this devnet (its pair's address in namespaces).
    pub fn server_endpoint(&self, name: &str) -> String {
        let host = self
            .validator(name)
            .map_or(Ipv4Addr::LOCALHOST, |i| self.validators[i].host);
        format!("{host}:{}", port_of(name))
    }

    /// The namespace server / validator `name` runs in, if the pairs run in their own.
    pub fn namespace(&self, name: &str) -> Option<String> {
        let i = self.validator(name).ok()?;
        self.namespaces.as_ref().map(|ns| ns.namespace(i))
    }

    /// The nodes' chain id, `dev-<validators>x<subgroups>-<ms>ms` (see the node's `chain_spec`).
    pub fn chain_id(&self) -> String {
        format!(
            "dev-{}x{}-{}ms",
            self.cfg.validators, self.cfg.subgroups, self.cfg.block_ms
        )
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
        self.start_server_with(name, password_file, &[]).await
    }

    /// [`Devnet::start_server`] with extra command-line arguments (the tests' fault switches).
    pub async fn start_server_with(
        &mut self,
        name: &str,
        password_file: Option<&Path>,
        extra: &[&str],
    ) -> Result<(), LaunchError> {
        self.stop_server(name);
        let endpoint = self.server_endpoint(name);
        let log = self.cfg.dir.join("logs").join(format!("{name}.log"));
        let out = File::options().create(true).append(true).open(&log)?;
        // The server's own validator's node first, the others for failover.
        let own = self.validator(name)?;
        let mut cmd = self.command(own, &self.cfg.tss_bin);
        let mut nodes: Vec<String> = (0..self.validators.len())
            .map(|k| (own + k) % self.validators.len())
            .map(|k| self.validators[k].rpc_url("ws"))
            .collect();
        nodes.dedup();
        cmd.args(["--dev", name, "--listen", &endpoint])
            .args(["--chain-endpoint", &nodes.join(",")])
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
        cmd.args(extra);
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

    /// Restarts each of the servers `names` in turn with the extra arguments `extra` (the tests'
    /// fault switches; none: as the devnet starts them); the first that does not come up is the
    /// error.
    pub async fn restart_servers(
        &mut self,
        names: &[&str],
        extra: &[&str],
    ) -> Result<(), LaunchError> {
        for name in names {
            self.start_server_with(name, None, extra).await?;
        }
        Ok(())
    }

    /// Stops the dev server `name` if it runs.
    pub fn stop_server(&mut self, name: &str) {
        if let Some(i) = self.servers.iter().position(|p| p.name == name) {
            self.servers.remove(i);
        }
    }

    /// Each running server's name and what it has used so far (`None` where `/proc` cannot
    /// be read).
    pub fn server_usage(&self) -> Vec<(String, Option<ProcUsage>)> {
        self.servers
            .iter()
            .map(|p| (p.name.clone(), ProcUsage::of(p.child.id())))
            .collect()
    }

    /// The first process that exited on its own, if any (name and status).
    pub fn exited(&mut self) -> Option<(String, String)> {
        let nodes = self.validators.iter_mut().filter_map(|v| v.proc.as_mut());
        for p in nodes.chain(self.servers.iter_mut()) {
            if let Ok(Some(s)) = p.child.try_wait() {
                return Some((p.name.clone(), s.to_string()));
            }
        }
        None
    }

    /// A human summary: endpoints, accounts, logs.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "devnet ready: {} validators (Aura, one block per {} ms slot; GRANDPA finality)\n  logs       {}\n  validators:\n",
            self.validators.len(),
            self.cfg.block_ms,
            self.log_dir().display()
        );
        if let Some(ns) = &self.namespaces {
            s += &format!(
                "  each pair in its own network namespace ({} .. {}), bridged\n",
                ns.namespace(0),
                ns.namespace(self.validators.len() - 1)
            );
        }
        for v in &self.validators {
            s += &format!(
                "    {:<8} RPC {}  p2p {}  {}\n",
                v.name,
                v.rpc_url("ws"),
                v.p2p_port,
                if v.proc.is_some() {
                    "running"
                } else {
                    "stopped"
                }
            );
        }
        s += &format!(
            "  threshold servers in {} subgroups (server i pairs with validator i):\n",
            self.cfg.subgroups
        );
        for v in &self.validators {
            let account = dev_tss_keys(v.name)
                .map(|k| k.account.account().to_ss58())
                .unwrap_or_default();
            s += &format!(
                "    {:<8} {}  TSS account {account}\n",
                v.name,
                entropy_register_core::api::url(&self.server_endpoint(v.name), "")
            );
        }
        s += "  dev accounts (funded): //Alice //Bob //Charlie //Dave //Eve //Ferdie\n";
        s
    }

    /// Stops everything.
    pub fn stop(mut self) {
        self.stop_all();
    }

    /// Servers first, then nodes (dropping a handle stops its process).
    fn stop_all(&mut self) {
        self.servers.clear();
        for v in self.validators.iter_mut() {
            v.proc = None;
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// A dev server's port (its genesis endpoint's).
fn port_of(name: &str) -> u16 {
    let i = DEV_NAMES
        .iter()
        .position(|n| *n == name)
        .expect("a dev server name");
    dev_server_port(i)
}

/// One JSON-RPC call over HTTP (the node serves HTTP and websockets on one port).
async fn rpc(
    http: &reqwest::Client,
    url: &str,
    method: &str,
    params: serde_json::Value,
) -> Result<serde_json::Value, LaunchError> {
    let err = |why: String| LaunchError::Rpc {
        method: method.into(),
        why,
    };
    let response = http
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| err(e.to_string()))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| err(e.to_string()))?;
    let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
        err(format!(
            "HTTP {status}, not a JSON-RPC answer ({e}): {start:?}"
        ))
    })?;
    if let Some(e) = answer.get("error") {
        return Err(err(e.to_string()));
    }
    Ok(answer["result"].clone())
}

/// The number of a header in JSON (`"number": "0x…"`).
fn header_number(header: &serde_json::Value) -> Result<u32, LaunchError> {
    header["number"]
        .as_str()
        .and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| LaunchError::Rpc {
            method: "chain_getHeader".into(),
            why: format!("no block number in {header}"),
        })
}

/// The slot of an Aura pre-runtime digest item (`0x06` `aura` compact(8) slot-LE), if `log`
/// (hex) is one.
fn aura_slot(log: &str) -> Option<u64> {
    let bytes = entropy_register_core::hex::decode(log.trim_start_matches("0x")).ok()?;
    match bytes.as_slice() {
        [6, b'a', b'u', b'r', b'a', 0x20, slot @ ..] if slot.len() == 8 => {
            Some(u64::from_le_bytes(slot.try_into().ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_a_process_from_proc() {
        // Burn a little CPU so the count is above zero.
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert_ne!(x, 1);
        let me = ProcUsage::of(std::process::id()).expect("/proc has this process");
        assert!(me.peak_rss_kib > 0, "{me:?}");
        assert!(me.cpu_seconds > 0.0, "{me:?}");
        assert_eq!(ProcUsage::of(u32::MAX), None);
    }

    #[test]
    fn aura_slot_digest() {
        // PreRuntime, engine "aura", compact length 8, slot 0x0102030405060708 little-endian.
        assert_eq!(
            aura_slot("0x0661757261200807060504030201"),
            Some(0x0102_0304_0506_0708)
        );
        // A seal (0x05) or another engine is not a slot.
        assert_eq!(aura_slot("0x0561757261200807060504030201"), None);
        assert_eq!(aura_slot("0x0642414245200807060504030201"), None);
        assert_eq!(aura_slot("0x06617572612008"), None);
    }

    #[test]
    fn header_numbers() {
        assert_eq!(header_number(&json!({"number": "0x1f"})).unwrap(), 31);
        assert!(header_number(&json!({})).is_err());
    }
}
