//! Linux network namespaces for the devnet: each validator + server pair in a namespace of its
//! own, with its own address, so that nothing relies on every party sharing 127.0.0.1.
//!
//! The launcher's namespace holds a bridge (`<tag>br`, address `10.197.<net>.254/24`); pair i's
//! namespace (`<tag>-<name>`) holds its end of a veth pair, `eth0`, with address
//! `10.197.<net>.<i + 1>`, and its own loopback. The node and the server of pair i run inside
//! it (`ip netns exec`) and listen on that address; the other pairs, the off-chain workers and
//! the clients reach them across the bridge, as they would reach other hosts. Needs root
//! (`CAP_NET_ADMIN`) and iproute2's `ip`.

use std::net::Ipv4Addr;
use std::process::Command;

/// The namespaces and the bridge of one devnet; dropped, they are removed (the processes in
/// them must be stopped first).
pub struct Namespaces {
    tag: String,
    net: u8,
    names: Vec<String>,
    made: Vec<String>,
    bridge: bool,
}

/// Why the namespaces could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("network namespaces: `ip {command}` failed: {why} (they need root, i.e. CAP_NET_ADMIN, and iproute2)")]
pub struct NamespaceError {
    /// The `ip` arguments.
    pub command: String,
    /// Its error output.
    pub why: String,
}

fn ip(args: &[&str]) -> Result<(), NamespaceError> {
    let failed = |why: String| NamespaceError {
        command: args.join(" "),
        why,
    };
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| failed(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

impl Namespaces {
    /// One namespace per name (in order), linked by a bridge. Names and subnet derive from this
    /// process's id, so two devnets of different processes do not collide.
    pub fn create(names: &[&str]) -> Result<Namespaces, NamespaceError> {
        let pid = std::process::id();
        let mut ns = Namespaces {
            // Interface names have at most 15 bytes: "er" + 5 digits + "br" / "v" + index.
            tag: format!("er{}", pid % 100_000),
            net: (pid % 250) as u8 + 1,
            names: names.iter().map(|n| n.to_string()).collect(),
            made: Vec::new(),
            bridge: false,
        };
        let bridge = ns.bridge_name();
        let gateway = format!("{}/24", ns.address_of(253));
        ip(&["link", "add", &bridge, "type", "bridge"])?;
        ns.bridge = true;
        ip(&["addr", "add", &gateway, "dev", &bridge])?;
        ip(&["link", "set", &bridge, "up"])?;
        for i in 0..names.len() {
            let netns = ns.namespace(i).to_string();
            let veth = format!("{}v{i}", ns.tag);
            ip(&["netns", "add", &netns])?;
            ns.made.push(netns.clone());
            ip(&[
                "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &netns,
            ])?;
            ip(&["link", "set", &veth, "master", &bridge, "up"])?;
            let address = format!("{}/24", ns.host(i));
            ip(&["-n", &netns, "addr", "add", &address, "dev", "eth0"])?;
            ip(&["-n", &netns, "link", "set", "eth0", "up"])?;
            ip(&["-n", &netns, "link", "set", "lo", "up"])?;
        }
        Ok(ns)
    }

    fn bridge_name(&self) -> String {
        format!("{}br", self.tag)
    }

    fn address_of(&self, last: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 197, self.net, last + 1)
    }

    /// Pair `i`'s address.
    pub fn host(&self, i: usize) -> Ipv4Addr {
        self.address_of(i as u8)
    }

    /// Pair `i`'s namespace name.
    pub fn namespace(&self, i: usize) -> String {
        format!("{}-{}", self.tag, self.names[i])
    }

    /// `program` to be run inside pair `i`'s namespace.
    pub fn command(&self, i: usize, program: &std::path::Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.namespace(i)]).arg(program);
        cmd
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and with it the other end.
        for netns in self.made.drain(..) {
            let _ = ip(&["netns", "del", &netns]);
        }
        if self.bridge {
            let _ = ip(&["link", "del", &self.bridge_name()]);
        }
    }
}
