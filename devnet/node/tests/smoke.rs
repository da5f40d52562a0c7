//! Node smoke test: the real `devnet-node` binary, as the one validator of `solo-1000ms` (Aura
//! authoring, GRANDPA finality), produces and finalizes blocks, accepts a
//! `Registry.register` from //Alice (native subxt, arguments encoded by the core), and its
//! off-chain worker POSTs the exact SCALE `OcwMessageDkg` to `/user/new` of each committee
//! member of block N+1 — here plain TCP listeners standing in for the four servers
//! (127.0.0.1:3001–3004, the genesis endpoints), which decode the chunked bodies.
//!
//! Needs the ports 3001–3004 free (do not run it while the devnet is up).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use codec::Encode;
use devnet_runtime::genesis::DEV_SERVERS;
use devnet_tss::chain::Chain;
use entropy_register_core::committee::{select_committee, InclusionBlock};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::*;

struct Node(Child);
impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Reads one HTTP request (chunked or with Content-Length), answers 200, returns the body.
fn read_request(stream: TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let (mut chunked, mut length) = (false, 0usize);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let l = line.trim().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if l == "transfer-encoding: chunked" {
            chunked = true;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    let mut s = stream;
    s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")?;
    Ok((request_line.trim().to_string(), body))
}

/// Listens on the four genesis endpoints; every request is sent as (port, request line, body).
fn stand_in_servers() -> mpsc::Receiver<(u16, String, Vec<u8>)> {
    let (tx, rx) = mpsc::channel();
    for s in &DEV_SERVERS {
        let listener = TcpListener::bind(s.endpoint)
            .unwrap_or_else(|e| panic!("port of {} ({}) is taken: {e}", s.name, s.endpoint));
        let port = listener.local_addr().unwrap().port();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok((line, body)) = read_request(stream) {
                    let _ = tx.send((port, line, body));
                }
            }
        });
    }
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_seals_finalizes_and_its_ocw_posts_the_dkg_message() {
    let posts = stand_in_servers();
    let rpc = free_port();
    let node = Node(
        Command::new(env!("CARGO_BIN_EXE_devnet-node"))
            .args([
                "--chain",
                "solo-1000ms",
                "--alice",
                "--tmp",
                "--no-prometheus",
                "--no-telemetry",
                "--no-mdns",
            ])
            // A validator needs a network key: a fixed one, as the launcher gives.
            .args(["--node-key", &"01".repeat(32)])
            .args([
                "--rpc-port",
                &rpc.to_string(),
                "--port",
                &free_port().to_string(),
            ])
            .args(["--offchain-worker", "always"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("devnet-node starts"),
    );
    let url = format!("ws://127.0.0.1:{rpc}");
    let start = Instant::now();
    let chain = Chain::connect(std::slice::from_ref(&url), Duration::from_secs(90))
        .await
        .unwrap_or_else(|e| panic!("node RPC not ready after 90 s: {e}"));
    eprintln!("RPC ready after {:?}", start.elapsed());

    // Blocks are produced and finalized (GRANDPA's first rounds take some seconds).
    let first = chain.best_block().await.unwrap();
    let moved = Instant::now() + Duration::from_secs(20);
    let mut later = first;
    while later <= first && Instant::now() < moved {
        tokio::time::sleep(Duration::from_millis(500)).await;
        later = chain.best_block().await.unwrap();
    }
    assert!(
        later > first,
        "finalized head did not move in 20 s: {first} -> {later}"
    );

    // //Alice registers (Public, the genesis program).
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    let args = RegisterArgs {
        program_modification_account: Sr25519Pair::from_suri("//Charlie").unwrap().account(),
        key_visibility: KeyVisibility::Public,
        programs_data: ProgramsData::new(vec![ProgramInstance {
            program_pointer: [0; 32],
            program_config: vec![],
        }])
        .unwrap(),
    };
    let call = entropy_register_client::backend::Call {
        pallet: "Registry",
        name: "register",
        args: codec::Encode::encode(&args),
    };
    let included = chain
        .subxt()
        .submit_signed(&call, &alice, None)
        .await
        .expect("register succeeded");
    assert!(included
        .events
        .iter()
        .any(|e| e == "Registry.SignalRegister"));
    let n = included.block;

    // The committee for N+1 and the exact body the OCW must send.
    let groups: Vec<Vec<usize>> = (0..2)
        .map(|g| (0..4).filter(|i| DEV_SERVERS[*i].subgroup == g).collect())
        .collect();
    let committee = select_committee(
        InclusionBlock(n).committee_block(),
        2,
        |g| groups.get(g as usize).cloned(),
        |_| true,
    )
    .unwrap();
    let validators: Vec<ValidatorInfo> = committee
        .iter()
        .map(|m| {
            let s = &DEV_SERVERS[m.stash];
            ValidatorInfo {
                x25519_public_key: s.x25519,
                ip_address: s.endpoint.as_bytes().to_vec(),
                tss_account: s.tss_account.to_vec(),
            }
        })
        .collect();
    let expected = OcwMessageDkg {
        block_number: n,
        sig_request_accounts: vec![alice.public().to_vec()],
        validators_info: validators,
    }
    .encode();
    let mut expected_ports: Vec<u16> = committee
        .iter()
        .map(|m| {
            DEV_SERVERS[m.stash]
                .endpoint
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    expected_ports.sort();

    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < 2 && Instant::now() < deadline {
        if let Ok((port, line, body)) = posts.recv_timeout(Duration::from_millis(500)) {
            assert_eq!(line, "POST /user/new HTTP/1.1");
            assert_eq!(body, expected, "OCW body on port {port}");
            got.push(port);
        }
    }
    got.sort();
    assert_eq!(
        got,
        expected_ports,
        "POSTs reached exactly the committee of block {}",
        n + 1
    );
    // Nothing more for this registration (others only if new registrations happened).
    assert!(posts.recv_timeout(Duration::from_secs(3)).is_err());
    drop(node);
}
