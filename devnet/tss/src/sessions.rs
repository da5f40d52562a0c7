//! DKG sessions: the listener registry that accepted websocket subscriptions are matched
//! against (§4.4–4.5), and the driver that connects the parties and runs the core's
//! [`DkgSession`] on its own thread (its state machine is not `Send`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use entropy_register_core::dkg::{DkgError, DkgSession, KeyShare};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::noise::{Channel, PendingSubscription};
use entropy_register_core::session::{SessionId, SubscribeMessage, SubscribeRejection};
use entropy_register_core::test_signature::TestSignature;
use entropy_register_core::types::AccountId32;
use tokio::sync::mpsc;

use crate::transport::{self, FrameIo};

/// How long a session waits for all its parties to connect. The reference waits 20 s
/// (`SETUP_TIMEOUT_SECONDS`); here each committee member judges `/user/new` once its own node
/// has finalized block N (and sometimes N+1), so members may open their sessions up to
/// [`FINALITY_WAIT`](crate::http::FINALITY_WAIT) apart (16 s apart seen at 500 registrations in
/// one round, where 20 s lost registrations): the window covers that wait.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(40);
/// How long an incoming subscription waits for its session to be opened here.
pub const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);
/// How long the key generation itself may take once everyone is connected.
pub const DKG_TIMEOUT: Duration = Duration::from_secs(60);
/// After its key is generated a party keeps each connection open until the peer closes it (or
/// this long): a peer may still wait for a third party's last message, and must not see this
/// one leave, which it would take for a drop-out.
pub const LINGER: Duration = Duration::from_secs(10);

/// Why a DKG session failed. Nothing is stored when this happens.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A session with this id is already running here.
    #[error("a session for this account and block is already running")]
    AlreadyRunning,
    /// Not every party connected in time.
    #[error("parties did not connect within {timeout:?}: missing {missing:?}")]
    Setup {
        /// The limit.
        timeout: Duration,
        /// Who never arrived.
        missing: Vec<AccountId32>,
    },
    /// The key generation failed.
    #[error(transparent)]
    Dkg(#[from] DkgError),
}

/// A party connected to us, its subscription checked.
pub struct Peer {
    /// Its account.
    pub account: AccountId32,
    channel: Channel,
    io: FrameIo,
}

struct Listener {
    expected: HashMap<AccountId32, [u8; 32]>,
    arrived: Vec<AccountId32>,
    arrivals: mpsc::UnboundedSender<Peer>,
}

/// The open sessions of this server, by session id.
#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<SessionId, Listener>>,
    /// Subscriptions being checked (waiting, at most [`SUBSCRIBE_WAIT`], for their session).
    checking: AtomicUsize,
}

/// One subscription counted in [`Sessions::checking`] while it lives.
struct Checking<'a>(&'a AtomicUsize);

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Sessions {
    fn open(
        &self,
        sid: SessionId,
        expected: HashMap<AccountId32, [u8; 32]>,
    ) -> Result<(mpsc::UnboundedSender<Peer>, mpsc::UnboundedReceiver<Peer>), SessionError> {
        let mut open = self.open.lock().expect("not poisoned");
        if open.contains_key(&sid) {
            return Err(SessionError::AlreadyRunning);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        open.insert(
            sid,
            Listener {
                expected,
                arrived: Vec::new(),
                arrivals: tx.clone(),
            },
        );
        Ok((tx, rx))
    }

    fn close(&self, sid: &SessionId) {
        self.open.lock().expect("not poisoned").remove(sid);
    }

    /// Number of sessions waiting for parties.
    pub fn waiting(&self) -> usize {
        self.open.lock().expect("not poisoned").len()
    }

    /// Checks the subscription of a connection this server accepted (§4.5: signature, known
    /// session, account ↔ Noise static key) and hands the connection to its session, or
    /// refuses it with the reason. A refused stranger does not disturb the session. While
    /// `max_waiting` subscriptions already wait for their session, one for a session not open
    /// here is refused at once.
    pub async fn accept(&self, pending: PendingSubscription, io: FrameIo, max_waiting: usize) {
        let sub = pending.subscribe.clone();
        let before = self.checking.fetch_add(1, Ordering::Relaxed);
        let _checking = Checking(&self.checking);
        let deadline = if before < max_waiting {
            Instant::now() + SUBSCRIBE_WAIT
        } else {
            Instant::now()
        };
        let verdict = loop {
            let decided = {
                let mut open = self.open.lock().expect("not poisoned");
                let listener = open.get_mut(&sub.session_id);
                let known = listener.is_some();
                if !known && Instant::now() < deadline && sub.verify_signature() {
                    None
                } else {
                    let expected = listener.as_ref().map(|l| &l.expected);
                    let mut r = sub.check(&pending.remote_static, known, |a| {
                        expected.and_then(|e| e.get(a).copied())
                    });
                    if let (Ok(()), Some(l)) = (&r, listener) {
                        if l.arrived.contains(&sub.public_key) {
                            r = Err(SubscribeRejection::NotAParty(sub.public_key));
                        } else {
                            l.arrived.push(sub.public_key);
                        }
                        Some(r.map(|()| l.arrivals.clone()))
                    } else {
                        Some(r.map(|()| unreachable!("a known session has a listener")))
                    }
                }
            };
            match decided {
                Some(v) => break v,
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        match verdict {
            Ok(arrivals) => match pending.accept() {
                Ok((channel, reply)) => {
                    if io.send(reply).await.is_ok() {
                        let _ = arrivals.send(Peer {
                            account: sub.public_key,
                            channel,
                            io,
                        });
                    }
                }
                Err(e) => tracing::warn!("noise reply failed: {e}"),
            },
            Err(why) => {
                tracing::warn!(account = %sub.public_key, "refused a subscription: {why}");
                if let Ok(frame) = pending.reject(&why.to_string()) {
                    let _ = io.send(frame).await;
                }
            }
        }
    }
}

/// A party this server must dial (its account is smaller than ours).
pub struct Dial {
    /// The peer's account.
    pub account: AccountId32,
    /// `host:port`.
    pub endpoint: String,
    /// Its Noise static key from chain state.
    pub x25519: [u8; 32],
}

/// Test-only fault switches (`devnet-tss --test-fault <name>`), for the end-to-end and network
/// tests' fault scenarios and the benchmark's comparison; a server started without one has
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFault {
    /// Sign every test signature with a wrong share, so that the other parties name this
    /// server.
    WrongTestShare,
    /// Die in the middle of a DKG: the process exits at once (no clean shutdown, nothing
    /// flushed) right after it handled its first message from a peer.
    ExitMidDkg,
    /// Benchmarks only: end each DKG with the key alone, no test signature
    /// ([`DkgSession::skip_test_signature`]), and confirm with a receipt that carries none
    /// (which a client refuses). Every committee server must run with it. The client-dealt
    /// flow's test signature is not affected.
    SkipTestSignature,
    /// Fail the write of every new key share (after a DKG, a forwarded share, a dealt share),
    /// as on a full disk: nothing is stored, and the server must not confirm the key.
    FailShareWrite,
}

/// The exit status of a server stopped by [`TestFault::ExitMidDkg`].
pub const FAULT_EXIT_STATUS: i32 = 86;

/// Everything one DKG run needs.
pub struct DkgPlan {
    /// The session.
    pub session_id: SessionId,
    /// All parties in protocol order.
    pub parties: Vec<AccountId32>,
    /// Party → Noise static key, for every party but this server.
    pub expected: HashMap<AccountId32, [u8; 32]>,
    /// The parties this server dials.
    pub dial: Vec<Dial>,
    /// Test-only fault switch.
    pub fault: Option<TestFault>,
    /// Client-dealt flow: the share this server already holds; the session then only makes
    /// its test signature with the other holders ([`DkgSession::test_signature_only`]).
    pub held_share: Option<KeyShare>,
}

impl DkgPlan {
    /// The plan of server `me` among `members` (account, `host:port`, Noise key; protocol
    /// order), plus the user as the last party when `user` is given (Private mode: its account
    /// and Noise key). Dialing rule (§4.4): the larger account dials; the user always dials.
    pub fn new(
        session_id: SessionId,
        me: AccountId32,
        members: &[(AccountId32, String, [u8; 32])],
        user: Option<(AccountId32, [u8; 32])>,
    ) -> Self {
        let mut parties: Vec<AccountId32> = members.iter().map(|m| m.0).collect();
        let mut expected: HashMap<AccountId32, [u8; 32]> = members
            .iter()
            .filter(|m| m.0 != me)
            .map(|m| (m.0, m.2))
            .collect();
        if let Some((account, pk)) = user {
            parties.push(account);
            expected.insert(account, pk);
        }
        let dial = members
            .iter()
            .filter(|m| m.0 != me && me.0 > m.0 .0)
            .map(|m| Dial {
                account: m.0,
                endpoint: m.1.clone(),
                x25519: m.2,
            })
            .collect();
        DkgPlan {
            session_id,
            parties,
            expected,
            dial,
            fault: None,
            held_share: None,
        }
    }
}

enum Input {
    Message(Vec<u8>),
    PeerLeft(AccountId32),
}

/// What the session tells a connection's pump.
enum ToPeer {
    /// Encrypt and send.
    Frame(Vec<u8>),
    /// The key is generated: stay until the peer closes (at most [`LINGER`]), then close.
    Linger,
}

enum Output {
    Send(AccountId32, Vec<u8>),
    Done(Box<(KeyShare, Option<TestSignature>)>),
    Failed(DkgError),
}

/// Connects every party of `plan` (accepting and dialing), then runs the key generation.
pub async fn run_dkg(
    sessions: &Sessions,
    plan: DkgPlan,
    signer: &Sr25519Pair,
    x25519_secret: &[u8; 32],
) -> Result<(KeyShare, Option<TestSignature>), SessionError> {
    let sid = plan.session_id;
    let (arrivals_tx, mut arrivals) = sessions.open(sid, plan.expected.clone())?;
    let subscribe = SubscribeMessage::new(sid, signer);
    for d in plan.dial {
        let tx = arrivals_tx.clone();
        let subscribe = subscribe.clone();
        let secret = *x25519_secret;
        tokio::spawn(async move {
            let deadline = Instant::now() + SETUP_TIMEOUT;
            loop {
                let attempt = async {
                    let mut io = transport::dial(&d.endpoint).await?;
                    let channel =
                        transport::initiate(&mut io, &secret, &d.x25519, &subscribe).await?;
                    Ok::<_, transport::TransportError>(Peer {
                        account: d.account,
                        channel,
                        io,
                    })
                };
                match attempt.await {
                    Ok(peer) => {
                        let _ = tx.send(peer);
                        return;
                    }
                    Err(e) if Instant::now() < deadline => {
                        tracing::debug!(peer = %d.account, "dial failed, retrying: {e}");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => {
                        tracing::warn!(peer = %d.account, "could not reach peer: {e}");
                        return;
                    }
                }
            }
        });
    }
    drop(arrivals_tx);

    let me = signer.account();
    let mut missing: Vec<AccountId32> =
        plan.parties.iter().filter(|p| **p != me).copied().collect();
    let mut peers = Vec::new();
    let setup = tokio::time::timeout(SETUP_TIMEOUT, async {
        while !missing.is_empty() {
            match arrivals.recv().await {
                Some(p) => {
                    missing.retain(|m| *m != p.account);
                    peers.push(p);
                }
                None => break,
            }
        }
    })
    .await;
    sessions.close(&sid);
    if setup.is_err() || !missing.is_empty() {
        return Err(SessionError::Setup {
            timeout: SETUP_TIMEOUT,
            missing,
        });
    }

    // The protocol thread.
    let (in_tx, in_rx) = std::sync::mpsc::channel::<Input>();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Output>();
    let parties = plan.parties.clone();
    let pair = signer.clone();
    let fault = plan.fault;
    let held = plan.held_share;
    std::thread::Builder::new()
        .name("dkg".into())
        .spawn(move || drive(sid, parties, pair, held, fault, in_rx, out_tx))
        .expect("thread spawns");

    // One pump per peer: decrypt in, encrypt out.
    let mut outbound = HashMap::new();
    for peer in peers {
        let (tx, rx) = mpsc::unbounded_channel::<ToPeer>();
        outbound.insert(peer.account, tx);
        tokio::spawn(pump(peer, rx, in_tx.clone()));
    }
    drop(in_tx);

    while let Some(out) = out_rx.recv().await {
        match out {
            Output::Send(to, bytes) => {
                if let Some(tx) = outbound.get(&to) {
                    let _ = tx.send(ToPeer::Frame(bytes));
                }
            }
            Output::Done(share) => {
                for tx in outbound.values() {
                    let _ = tx.send(ToPeer::Linger);
                }
                return Ok(*share);
            }
            // Dropping the senders closes every connection at once: the peers learn it now.
            Output::Failed(e) => return Err(e.into()),
        }
    }
    Err(DkgError::Protocol("the protocol thread ended".into()).into())
}

async fn pump(
    mut peer: Peer,
    mut outbound: mpsc::UnboundedReceiver<ToPeer>,
    to_dkg: std::sync::mpsc::Sender<Input>,
) {
    loop {
        tokio::select! {
            frame = peer.io.rx.recv() => match frame {
                Some(f) => match peer.channel.decrypt(&f) {
                    // After the protocol thread ended, late frames have no reader: the session
                    // tells this pump whether to linger or close.
                    Ok(plain) => {
                        let _ = to_dkg.send(Input::Message(plain));
                    }
                    Err(e) => {
                        tracing::warn!(peer = %peer.account, "bad frame, dropping the connection: {e}");
                        let _ = to_dkg.send(Input::PeerLeft(peer.account));
                        return;
                    }
                },
                None => {
                    let _ = to_dkg.send(Input::PeerLeft(peer.account));
                    return;
                }
            },
            out = outbound.recv() => match out {
                Some(ToPeer::Frame(plain)) => match peer.channel.encrypt(&plain) {
                    Ok(frame) => {
                        if peer.io.send(frame).await.is_err() {
                            let _ = to_dkg.send(Input::PeerLeft(peer.account));
                            return;
                        }
                    }
                    Err(e) => tracing::warn!("cannot encrypt a DKG message: {e}"),
                },
                Some(ToPeer::Linger) => {
                    let _ = tokio::time::timeout(LINGER, async {
                        while peer.io.rx.recv().await.is_some() {}
                    })
                    .await;
                    return;
                }
                // The session failed: closing the connection.
                None => return,
            },
        }
    }
}

fn drive(
    sid: SessionId,
    parties: Vec<AccountId32>,
    pair: Sr25519Pair,
    held_share: Option<KeyShare>,
    fault: Option<TestFault>,
    input: std::sync::mpsc::Receiver<Input>,
    output: mpsc::UnboundedSender<Output>,
) {
    let start = Instant::now();
    let now_ms = || start.elapsed().as_millis() as u64;
    let session = match held_share {
        Some(share) => DkgSession::test_signature_only(sid, parties, pair, share),
        None => DkgSession::new(sid, parties, pair),
    };
    let mut session = match session {
        Ok(s) => s,
        Err(e) => {
            let _ = output.send(Output::Failed(e));
            return;
        }
    };
    session.set_deadline(DKG_TIMEOUT.as_millis() as u64);
    if fault == Some(TestFault::WrongTestShare) {
        tracing::warn!("test fault: signing the test signature with a wrong share");
        session.inject_wrong_test_share();
    }
    if fault == Some(TestFault::SkipTestSignature) {
        session.skip_test_signature();
    }
    let emit = |p: entropy_register_core::dkg::DkgProgress| -> bool {
        for o in p.outgoing {
            let _ = output.send(Output::Send(o.to, o.bytes));
        }
        match p.key_share {
            Some(k) => {
                let _ = output.send(Output::Done(Box::new((k, p.test_signature))));
                true
            }
            None => false,
        }
    };
    match session.start() {
        Ok(p) => {
            if emit(p) {
                return;
            }
        }
        Err(e) => {
            let _ = output.send(Output::Failed(e));
            return;
        }
    }
    loop {
        match input.recv_timeout(Duration::from_millis(200)) {
            Ok(Input::Message(bytes)) => match session.handle(&bytes) {
                Ok(p) => {
                    if emit(p) {
                        return;
                    }
                    if fault == Some(TestFault::ExitMidDkg) {
                        tracing::warn!(session = ?sid, "test fault: exiting in the middle of the DKG");
                        std::process::exit(FAULT_EXIT_STATUS);
                    }
                }
                Err(DkgError::BadMessage(why)) => {
                    tracing::warn!("dropped a DKG message: {why}");
                }
                Err(e) => {
                    let _ = output.send(Output::Failed(e));
                    return;
                }
            },
            Ok(Input::PeerLeft(a)) => {
                if let Err(e) = session.peer_left(&a) {
                    let _ = output.send(Output::Failed(e));
                    return;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let _ = output.send(Output::Failed(DkgError::Protocol(
                    "every connection closed".into(),
                )));
                return;
            }
        }
        if let Err(e) = session.check_deadline(now_ms()) {
            let _ = output.send(Output::Failed(e));
            return;
        }
    }
}
