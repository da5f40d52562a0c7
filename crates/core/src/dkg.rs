//! The registration DKG as a sans-IO session (§4.4, §4.6; the library choice is in
//! docs/decisions.md).
//!
//! Wraps the audited `cggmp21-keygen` non-threshold (n-of-n) key generation for secp256k1,
//! driven through `round-based`'s state machine. The parties are ordered as the reference:
//! subgroup 0's server, subgroup 1's server, then the user in `Private` mode. The execution id
//! is `Blake2s-256(bincode(SessionId::Dkg{user, N}))`. Every outgoing message is wrapped in a
//! [`DkgMessage`] signed with the sender's sr25519 key; incoming ones are checked (session,
//! sender index and signature, addressee, duplicates) before the protocol sees them.
//!
//! The session never waits by itself: the driver feeds frames with [`DkgSession::handle`],
//! sends what [`DkgProgress::outgoing`] lists, reports closed peers with
//! [`DkgSession::peer_left`] and checks [`DkgSession::check_deadline`] with its own clock.

use std::collections::{HashSet, VecDeque};

use cggmp21_keygen::key_share::CoreKeyShare;
use cggmp21_keygen::security_level::SecurityLevel128;
use cggmp21_keygen::ExecutionId;
use generic_ec::curves::Secp256k1;
use round_based::state_machine::{ProceedResult, StateMachine};
use round_based::{Incoming, MessageDestination, MessageType};

use crate::committee::InclusionBlock;
use crate::keys::{self, Sr25519Pair};
use crate::session::SessionId;
use crate::test_signature::{
    self, SigningStep, TestSignature, TestSignatureError, TestSigning, TestSigningMessage,
};
use crate::types::{AccountId32, KeyVisibility, VerifyingKey};
use crate::wire::{Reader, Writer};

type Msg = cggmp21_keygen::NonThresholdMsg<Secp256k1, SecurityLevel128, sha2::Sha256>;
type Output = Result<CoreKeyShare<Secp256k1>, cggmp21_keygen::KeygenError>;

/// Domain separation of DKG message signatures.
const DKG_MESSAGE_DOMAIN: &[u8] = b"entropy-register/dkg-message/v1";
/// Largest DKG message accepted.
pub const MAX_DKG_MESSAGE: usize = 1024 * 1024;
const BROADCAST: u32 = u32::MAX;

/// Why a DKG session failed, or a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DkgError {
    /// The party list is unusable.
    #[error("invalid party list: {0}")]
    BadParties(String),
    /// A message failed a check; it was dropped and the session state did not change.
    #[error("refused a DKG message: {0}")]
    BadMessage(String),
    /// A peer disconnected before the key was generated.
    #[error("party {0} left before the key generation finished")]
    PeerLeft(AccountId32),
    /// The deadline passed before the key was generated.
    #[error("the key generation did not finish in time")]
    Timeout,
    /// The protocol itself aborted (a party misbehaved) or failed.
    #[error("the key generation protocol failed: {0}")]
    Protocol(String),
    /// The test signature after the key generation failed because these parties sent invalid
    /// signature shares (a wrong key share, or a misbehaving party).
    #[error(
        "the test signature of key {} failed: invalid signature shares from {}",
        crate::hex::encode_0x(.verifying_key.as_bytes()),
        list(.parties)
    )]
    Misbehaved {
        /// The generated key, which is then dropped.
        verifying_key: VerifyingKey,
        /// Who sent invalid signature shares.
        parties: Vec<AccountId32>,
    },
    /// The session already ended.
    #[error("the DKG session has already ended")]
    Finished,
}

fn list(accounts: &[AccountId32]) -> String {
    accounts
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The DKG parties in protocol order: subgroup 0's server, subgroup 1's server, then the user in
/// `Private` mode.
pub fn dkg_parties(
    committee: &[AccountId32],
    user: AccountId32,
    visibility: &KeyVisibility,
) -> Vec<AccountId32> {
    let mut parties = committee.to_vec();
    if matches!(visibility, KeyVisibility::Private(_)) {
        parties.push(user);
    }
    parties
}

/// One authenticated DKG protocol message as it travels inside a Noise frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkgMessage {
    /// The session.
    pub session_id: SessionId,
    /// Sender's party index.
    pub from: u16,
    /// Addressee's party index, `None` for a broadcast.
    pub to: Option<u16>,
    /// Sender's message counter (unique per sender and session).
    pub seq: u64,
    /// The protocol message (JSON of the library's message type).
    pub payload: Vec<u8>,
    /// sr25519 signature of the sender over the fields above.
    pub signature: [u8; 64],
}

impl DkgMessage {
    /// Every field but the signature, as written on the wire.
    fn body(&self, w: &mut Writer) {
        self.session_id.write(w);
        w.u32(self.from as u32)
            .u32(self.to.map(u32::from).unwrap_or(BROADCAST))
            .bytes(&self.seq.to_le_bytes())
            .vec_u8(&self.payload);
    }

    /// What the sender signs: the domain, then the body.
    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::fixint();
        w.bytes(DKG_MESSAGE_DOMAIN);
        self.body(&mut w);
        w.finish()
    }

    /// The wire form: session id ‖ from ‖ to ‖ seq ‖ payload ‖ signature (bincode fixint).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::fixint();
        self.body(&mut w);
        w.bytes(&self.signature);
        w.finish()
    }

    /// Signs the message again as `sender` after its fields were changed: lets a test or a
    /// fuzz target reach what lies behind the signature check with altered content.
    #[cfg(feature = "test-helpers")]
    pub fn resign(&mut self, sender: &Sr25519Pair) {
        self.signature = sender.sign(&self.signed_bytes());
    }

    /// Parses the wire form.
    pub fn from_bytes(b: &[u8]) -> Result<Self, DkgError> {
        let bad = |e: crate::wire::WireError| DkgError::BadMessage(e.to_string());
        if b.len() > MAX_DKG_MESSAGE {
            return Err(DkgError::BadMessage(format!(
                "{} bytes is oversize",
                b.len()
            )));
        }
        let mut r = Reader::fixint(b);
        let session_id = SessionId::read(&mut r).map_err(bad)?;
        let from = r.u32().map_err(bad)?;
        let to = r.u32().map_err(bad)?;
        let seq = u64::from_le_bytes(r.array().map_err(bad)?);
        let payload = r.vec_u8().map_err(bad)?;
        let signature = r.array().map_err(bad)?;
        r.finish().map_err(bad)?;
        let from = u16::try_from(from)
            .map_err(|_| DkgError::BadMessage("sender index out of range".into()))?;
        let to = if to == BROADCAST {
            None
        } else {
            Some(
                u16::try_from(to)
                    .map_err(|_| DkgError::BadMessage("addressee index out of range".into()))?,
            )
        };
        Ok(DkgMessage {
            session_id,
            from,
            to,
            seq,
            payload,
            signature,
        })
    }
}

/// A message to send: its addressee's account and the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Who must receive it.
    pub to: AccountId32,
    /// The [`DkgMessage`] wire bytes.
    pub bytes: Vec<u8>,
}

/// What a step of the session produced.
#[derive(Debug, Default)]
pub struct DkgProgress {
    /// Messages to deliver, in order.
    pub outgoing: Vec<Outgoing>,
    /// The result, once the key is generated and its test signature made and checked.
    pub key_share: Option<KeyShare>,
    /// The test signature of the new key (set together with `key_share`).
    pub test_signature: Option<TestSignature>,
}

/// A party's key share with its verifying key.
#[derive(Clone)]
pub struct KeyShare {
    share: CoreKeyShare<Secp256k1>,
    verifying_key: VerifyingKey,
}

impl core::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "KeyShare(party {} of {}, {:?})",
            self.party_index(),
            self.parties(),
            self.verifying_key
        )
    }
}

impl KeyShare {
    pub(crate) fn from_core(share: CoreKeyShare<Secp256k1>) -> Result<Self, DkgError> {
        let pk = share.shared_public_key();
        let verifying_key = VerifyingKey::from_bytes(&pk.to_bytes(true))
            .map_err(|e| DkgError::Protocol(format!("library returned an invalid key: {e}")))?;
        Ok(KeyShare {
            share,
            verifying_key,
        })
    }
    /// The group's verifying key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.verifying_key
    }
    /// This share's party index.
    pub fn party_index(&self) -> u16 {
        self.share.i
    }
    /// Number of parties.
    pub fn parties(&self) -> u16 {
        self.share.n()
    }
    /// Serialized form (JSON of the library's key share; contains the secret share).
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(serde_json::to_vec(&self.share).expect("key share serializes"))
    }
    /// Parses and validates a serialized key share.
    pub fn from_bytes(b: &[u8]) -> Result<Self, DkgError> {
        let share: CoreKeyShare<Secp256k1> = serde_json::from_slice(b)
            .map_err(|e| DkgError::BadMessage(format!("not a key share: {e}")))?;
        Self::from_core(share)
    }
    /// The public keys of every party's share (`x_i·G`, compressed), as the library records them.
    pub fn public_shares(&self) -> Vec<[u8; 33]> {
        self.share
            .public_shares
            .iter()
            .map(|p| {
                let mut out = [0u8; 33];
                out.copy_from_slice(&p.to_bytes(true));
                out
            })
            .collect()
    }
    /// This party's secret share `x_i` (32 bytes, big-endian).
    fn secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        let x: &generic_ec::Scalar<Secp256k1> = self.share.x.as_ref();
        out.copy_from_slice(&x.to_be_bytes());
        out
    }
    /// The FROST keys of this share (see [`test_signature`]'s share mapping).
    pub fn frost_keys(
        &self,
    ) -> Result<
        (
            frost_secp256k1::keys::KeyPackage,
            frost_secp256k1::keys::PublicKeyPackage,
        ),
        TestSignatureError,
    > {
        test_signature::frost_keys(
            self.party_index(),
            &self.secret_bytes(),
            &self.public_shares(),
            &self.verifying_key,
        )
    }
    /// Test only: this party's secret share.
    #[cfg(test)]
    pub(crate) fn secret_scalar(&self) -> &generic_ec::SecretScalar<Secp256k1> {
        &self.share.x
    }
    /// The public key of this party's own share (`x·G`), as the library records it.
    pub fn own_public_share(&self) -> [u8; 33] {
        let p = self.share.public_shares[self.share.i as usize].to_bytes(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(&p);
        out
    }
}

/// One party's DKG session.
pub struct DkgSession {
    session_id: SessionId,
    parties: Vec<AccountId32>,
    me: u16,
    signer: Sr25519Pair,
    /// The key generation; `None` for a session that only makes the test signature of a key
    /// the parties already hold ([`DkgSession::test_signature_only`]).
    machine: Option<Box<dyn StateMachine<Output = Output, Msg = Msg>>>,
    /// The share a signature-only session signs with, until `start`.
    held: Option<KeyShare>,
    inbox: VecDeque<Incoming<Msg>>,
    seen: HashSet<(u16, u64)>,
    next_seq: u64,
    next_incoming_id: u64,
    deadline_ms: Option<u64>,
    finished: bool,
    /// The generated key, held until its test signature is made.
    generated: Option<KeyShare>,
    signing: Option<TestSigning>,
    /// Test-signature messages that came before this party's key was generated.
    early: Vec<(u16, TestSigningMessage)>,
    wrong_test_share: bool,
    skip_test_signature: bool,
}

impl DkgSession {
    /// Creates the session for `signer` among `parties` (protocol order, see [`dkg_parties`]).
    pub fn new(
        session_id: SessionId,
        parties: Vec<AccountId32>,
        signer: Sr25519Pair,
    ) -> Result<Self, DkgError> {
        if parties.len() < 2 {
            return Err(DkgError::BadParties(
                "a DKG needs at least two parties".into(),
            ));
        }
        let unique: HashSet<_> = parties.iter().collect();
        if unique.len() != parties.len() {
            return Err(DkgError::BadParties("a party appears twice".into()));
        }
        let me = parties
            .iter()
            .position(|p| *p == signer.account())
            .ok_or_else(|| DkgError::BadParties(format!("{} is not a party", signer.account())))?
            as u16;
        let n = parties.len() as u16;
        let eid = session_id.shared_randomness();
        let machine = round_based::state_machine::wrap_protocol(move |party| async move {
            let mut rng = rand_core::OsRng;
            cggmp21_keygen::keygen::<Secp256k1>(ExecutionId::new(&eid), me, n)
                .start(&mut rng, party)
                .await
        });
        Ok(DkgSession {
            session_id,
            parties,
            me,
            signer,
            machine: Some(Box::new(machine)),
            held: None,
            inbox: VecDeque::new(),
            seen: HashSet::new(),
            next_seq: 0,
            next_incoming_id: 0,
            deadline_ms: None,
            finished: false,
            generated: None,
            signing: None,
            early: Vec::new(),
            wrong_test_share: false,
            skip_test_signature: false,
        })
    }

    /// A session that only makes the test signature of a key the parties already hold (the
    /// client-dealt flow: each committee server holds its subgroup's dealt share). `parties` are
    /// the share holders in share-index order; `share` must be this party's, at its position.
    /// The messages, checks and output are those of a DKG session's last two rounds.
    pub fn test_signature_only(
        session_id: SessionId,
        parties: Vec<AccountId32>,
        signer: Sr25519Pair,
        share: KeyShare,
    ) -> Result<Self, DkgError> {
        let mut s = Self::new(session_id, parties, signer)?;
        if share.parties() as usize != s.parties.len() || share.party_index() != s.me {
            return Err(DkgError::BadParties(format!(
                "the share is party {} of {}, not party {} of {}",
                share.party_index(),
                share.parties(),
                s.me,
                s.parties.len()
            )));
        }
        s.machine = None;
        s.held = Some(share);
        Ok(s)
    }

    /// Fault injection for tests only: this party signs the test signature with a wrong share,
    /// so the other parties must name it. Never set by a working server or client.
    pub fn inject_wrong_test_share(&mut self) {
        self.wrong_test_share = true;
    }

    /// For benchmarks only: the session ends with the generated key and no test signature, as
    /// registrations did before the test signature, so that a benchmark can measure what the
    /// test signature costs. A client refuses a receipt without one, so never set by a working
    /// server. A signature-only session ([`DkgSession::test_signature_only`]) is not affected.
    pub fn skip_test_signature(&mut self) {
        self.skip_test_signature = true;
    }

    /// Sets a deadline on the driver's clock (milliseconds, any epoch the driver uses).
    pub fn set_deadline(&mut self, deadline_ms: u64) {
        self.deadline_ms = Some(deadline_ms);
    }

    /// Ends the session with [`DkgError::Timeout`] if `now_ms` is past the deadline.
    pub fn check_deadline(&mut self, now_ms: u64) -> Result<(), DkgError> {
        match self.deadline_ms {
            Some(d) if !self.finished && now_ms > d => {
                self.finished = true;
                Err(DkgError::Timeout)
            }
            _ => Ok(()),
        }
    }

    /// A peer's connection closed: ends the session with [`DkgError::PeerLeft`] unless done.
    pub fn peer_left(&mut self, account: &AccountId32) -> Result<(), DkgError> {
        if self.finished || !self.parties.contains(account) {
            return Ok(());
        }
        self.finished = true;
        Err(DkgError::PeerLeft(*account))
    }

    /// The session id.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// This party's index.
    pub fn party_index(&self) -> u16 {
        self.me
    }

    /// The parties, in protocol order.
    pub fn parties(&self) -> &[AccountId32] {
        &self.parties
    }

    /// Runs the first round: returns the messages to send.
    pub fn start(&mut self) -> Result<DkgProgress, DkgError> {
        match self.held.take() {
            Some(share) => {
                let mut progress = DkgProgress::default();
                self.start_signing(share, &mut progress)?;
                Ok(progress)
            }
            None => self.drive(),
        }
    }

    /// Checks and feeds one received message. A refused message changes nothing.
    pub fn handle(&mut self, bytes: &[u8]) -> Result<DkgProgress, DkgError> {
        if self.finished {
            return Err(DkgError::Finished);
        }
        let m = DkgMessage::from_bytes(bytes)?;
        if m.session_id != self.session_id {
            return Err(DkgError::BadMessage("message of another session".into()));
        }
        let sender = *self
            .parties
            .get(m.from as usize)
            .ok_or_else(|| DkgError::BadMessage(format!("unknown sender index {}", m.from)))?;
        if m.from == self.me {
            return Err(DkgError::BadMessage(
                "message claims to come from this party".into(),
            ));
        }
        if let Some(to) = m.to {
            if to != self.me {
                return Err(DkgError::BadMessage(format!(
                    "message addressed to party {to}"
                )));
            }
        }
        if !keys::verify(&sender.0, &m.signed_bytes(), &m.signature) {
            return Err(DkgError::BadMessage(format!(
                "bad signature for sender {sender}"
            )));
        }
        if self.seen.contains(&(m.from, m.seq)) {
            return Err(DkgError::BadMessage("duplicate message".into()));
        }
        if let Some(msg) = TestSigningMessage::from_bytes(&m.payload) {
            let msg = msg.map_err(|e| DkgError::BadMessage(e.to_string()))?;
            self.seen.insert((m.from, m.seq));
            return match self.signing.as_mut() {
                Some(signing) => {
                    let step = signing.handle(m.from, msg);
                    let mut progress = DkgProgress::default();
                    self.signing_step(step, &mut progress)?;
                    Ok(progress)
                }
                None => {
                    if self.early.len() >= 2 * self.parties.len() {
                        return Err(DkgError::BadMessage(
                            "too many test-signature messages before the key".into(),
                        ));
                    }
                    self.early.push((m.from, msg));
                    Ok(DkgProgress::default())
                }
            };
        }
        if self.generated.is_some() || self.machine.is_none() {
            return Err(DkgError::BadMessage(
                "a key-generation message after the key was generated".into(),
            ));
        }
        let msg: Msg = serde_json::from_slice(&m.payload)
            .map_err(|e| DkgError::BadMessage(format!("undecodable protocol message: {e}")))?;
        self.seen.insert((m.from, m.seq));
        self.inbox.push_back(Incoming {
            id: self.next_incoming_id,
            sender: m.from,
            msg_type: if m.to.is_some() {
                MessageType::P2P
            } else {
                MessageType::Broadcast
            },
            msg,
        });
        self.next_incoming_id += 1;
        self.drive()
    }

    fn wrap(&mut self, to: Option<u16>, payload: Vec<u8>) -> Vec<u8> {
        let mut m = DkgMessage {
            session_id: self.session_id,
            from: self.me,
            to,
            seq: self.next_seq,
            payload,
            signature: [0; 64],
        };
        self.next_seq += 1;
        m.signature = self.signer.sign(&m.signed_bytes());
        m.to_bytes()
    }

    fn broadcast(&mut self, payload: Vec<u8>, progress: &mut DkgProgress) {
        let bytes = self.wrap(None, payload);
        for (i, p) in self.parties.iter().enumerate() {
            if i as u16 != self.me {
                progress.outgoing.push(Outgoing {
                    to: *p,
                    bytes: bytes.clone(),
                });
            }
        }
    }

    /// The key is generated: start its test signature over the registration's transcript and
    /// feed what came early.
    fn start_signing(
        &mut self,
        share: KeyShare,
        progress: &mut DkgProgress,
    ) -> Result<(), DkgError> {
        let SessionId::Dkg { user, block_number } = self.session_id;
        let committee: Vec<AccountId32> = self
            .parties
            .iter()
            .copied()
            .filter(|p| *p != user)
            .collect();
        let message = test_signature::transcript(
            &user,
            InclusionBlock(block_number),
            &share.verifying_key(),
            &committee,
        );
        let fail = |finished: &mut bool, e: TestSignatureError| {
            *finished = true;
            DkgError::Protocol(e.to_string())
        };
        let keys = share
            .frost_keys()
            .map_err(|e| fail(&mut self.finished, e))?;
        let (signing, step) = TestSigning::start(self.me, keys, message, self.wrong_test_share)
            .map_err(|e| fail(&mut self.finished, e))?;
        self.generated = Some(share);
        self.signing = Some(signing);
        self.signing_step(Ok(step), progress)?;
        for (from, msg) in std::mem::take(&mut self.early) {
            if self.finished {
                break;
            }
            let step = self
                .signing
                .as_mut()
                .expect("signing started")
                .handle(from, msg);
            self.signing_step(step, progress)?;
        }
        Ok(())
    }

    fn signing_step(
        &mut self,
        step: Result<SigningStep, TestSignatureError>,
        progress: &mut DkgProgress,
    ) -> Result<(), DkgError> {
        let step = match step {
            Ok(s) => s,
            Err(TestSignatureError::BadMessage(why)) => return Err(DkgError::BadMessage(why)),
            Err(TestSignatureError::Misbehaved(parties)) => {
                self.finished = true;
                let verifying_key = self
                    .generated
                    .take()
                    .expect("signing runs on a generated key")
                    .verifying_key();
                return Err(DkgError::Misbehaved {
                    verifying_key,
                    parties: parties
                        .iter()
                        .filter_map(|i| self.parties.get(*i as usize).copied())
                        .collect(),
                });
            }
            Err(e) => {
                self.finished = true;
                return Err(DkgError::Protocol(e.to_string()));
            }
        };
        if let Some(msg) = step.broadcast {
            self.broadcast(msg.to_bytes(), progress);
        }
        if let Some(sig) = step.signature {
            self.finished = true;
            progress.key_share = self.generated.take();
            progress.test_signature = Some(sig);
        }
        Ok(())
    }

    fn drive(&mut self) -> Result<DkgProgress, DkgError> {
        if self.finished {
            return Err(DkgError::Finished);
        }
        let mut progress = DkgProgress::default();
        if self.machine.is_none() {
            return Ok(progress);
        }
        loop {
            let step = self.machine.as_mut().expect("checked above").proceed();
            match step {
                ProceedResult::SendMsg(out) => {
                    let payload =
                        serde_json::to_vec(&out.msg).expect("protocol messages serialize");
                    match out.recipient {
                        MessageDestination::AllParties => self.broadcast(payload, &mut progress),
                        MessageDestination::OneParty(j) => {
                            let to = *self.parties.get(j as usize).ok_or_else(|| {
                                DkgError::Protocol(format!("protocol addressed party {j}"))
                            })?;
                            let bytes = self.wrap(Some(j), payload);
                            progress.outgoing.push(Outgoing { to, bytes });
                        }
                    }
                }
                ProceedResult::NeedsOneMoreMessage => match self.inbox.pop_front() {
                    Some(m) => {
                        let machine = self.machine.as_mut().expect("checked above");
                        if machine.received_msg(m).is_err() {
                            self.finished = true;
                            return Err(DkgError::Protocol(
                                "state machine refused a message".into(),
                            ));
                        }
                    }
                    None => return Ok(progress),
                },
                ProceedResult::Yielded => continue,
                ProceedResult::Output(out) => {
                    let share = out.map_err(|e| {
                        self.finished = true;
                        DkgError::Protocol(e.to_string())
                    })?;
                    let share = KeyShare::from_core(share).inspect_err(|_| self.finished = true)?;
                    if self.skip_test_signature {
                        self.finished = true;
                        progress.key_share = Some(share);
                    } else {
                        self.start_signing(share, &mut progress)?;
                    }
                    return Ok(progress);
                }
                ProceedResult::Error(e) => {
                    self.finished = true;
                    return Err(DkgError::Protocol(e.to_string()));
                }
            }
        }
    }
}

#[cfg(any(test, feature = "test-helpers"))]
/// Runs a whole DKG with every party in this process, delivering messages in order: for tests,
/// benchmarks and examples (a real deployment runs one party per machine). `pairs` are the
/// parties in protocol order; returns their shares in the same order.
pub fn run_in_process(
    session_id: SessionId,
    pairs: Vec<Sr25519Pair>,
) -> Result<Vec<KeyShare>, DkgError> {
    Ok(run_in_process_signed(session_id, pairs, None)?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

#[cfg(any(test, feature = "test-helpers"))]
/// [`run_in_process`], returning each party's test signature too; party `wrong` (if any) signs
/// with a wrong share ([`DkgSession::inject_wrong_test_share`]). The first party's error ends
/// the run.
pub fn run_in_process_signed(
    session_id: SessionId,
    pairs: Vec<Sr25519Pair>,
    wrong: Option<usize>,
) -> Result<Vec<(KeyShare, TestSignature)>, DkgError> {
    let parties: Vec<_> = pairs.iter().map(|p| p.account()).collect();
    let mut sessions = pairs
        .into_iter()
        .map(|p| DkgSession::new(session_id, parties.clone(), p))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(w) = wrong {
        sessions[w].inject_wrong_test_share();
    }
    let mut queue: VecDeque<Outgoing> = VecDeque::new();
    for s in sessions.iter_mut() {
        queue.extend(s.start()?.outgoing);
    }
    let mut out: Vec<Option<(KeyShare, TestSignature)>> = vec![None; parties.len()];
    while let Some(m) = queue.pop_front() {
        let i = parties
            .iter()
            .position(|p| *p == m.to)
            .ok_or_else(|| DkgError::BadParties(format!("message to a non-party {}", m.to)))?;
        let p = sessions[i].handle(&m.bytes)?;
        queue.extend(p.outgoing);
        if let (Some(k), Some(s)) = (p.key_share, p.test_signature) {
            out[i] = Some((k, s));
        }
    }
    out.into_iter()
        .map(|k| k.ok_or_else(|| DkgError::Protocol("a party did not finish".into())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::committee::InclusionBlock;

    fn run(n: usize) -> Vec<KeyShare> {
        let pairs: Vec<_> = (0..n)
            .map(|i| Sr25519Pair::from_suri(&format!("//Party{i}")).unwrap())
            .collect();
        let sid = SessionId::dkg(pairs[n - 1].account(), InclusionBlock(5));
        run_in_process(sid, pairs).unwrap()
    }

    #[test]
    fn two_party_dkg_agrees() {
        let shares = run(2);
        assert_eq!(shares[0].verifying_key(), shares[1].verifying_key());
        assert_eq!(shares[1].party_index(), 1);
        let back = KeyShare::from_bytes(&shares[0].to_bytes()).unwrap();
        assert_eq!(back.verifying_key(), shares[0].verifying_key());
    }

    #[test]
    fn a_session_told_to_skip_the_test_signature_ends_with_the_key_alone() {
        let pairs: Vec<_> = (0..3)
            .map(|i| Sr25519Pair::from_suri(&format!("//Skip{i}")).unwrap())
            .collect();
        let parties: Vec<_> = pairs.iter().map(|p| p.account()).collect();
        let sid = SessionId::dkg(parties[2], InclusionBlock(5));
        let mut sessions: Vec<DkgSession> = pairs
            .into_iter()
            .map(|p| {
                let mut s = DkgSession::new(sid, parties.clone(), p).unwrap();
                s.skip_test_signature();
                s
            })
            .collect();
        let mut queue: VecDeque<Outgoing> = VecDeque::new();
        for s in sessions.iter_mut() {
            queue.extend(s.start().unwrap().outgoing);
        }
        let mut keys = vec![None; 3];
        while let Some(m) = queue.pop_front() {
            let i = parties.iter().position(|p| *p == m.to).unwrap();
            let p = sessions[i].handle(&m.bytes).unwrap();
            assert!(p.test_signature.is_none(), "no test signature is made");
            queue.extend(p.outgoing);
            if let Some(k) = p.key_share {
                keys[i] = Some(k.verifying_key());
            }
        }
        assert!(keys[0].is_some());
        assert!(keys.iter().all(|k| *k == keys[0]), "one key: {keys:?}");
    }

    #[test]
    fn every_party_makes_the_same_test_signature() {
        for n in [2, 3] {
            let pairs: Vec<_> = (0..n)
                .map(|i| Sr25519Pair::from_suri(&format!("//Party{i}")).unwrap())
                .collect();
            let user = pairs[n - 1].account();
            let sid = SessionId::dkg(user, InclusionBlock(5));
            let out = run_in_process_signed(sid, pairs.clone(), None).unwrap();
            let vk = out[0].0.verifying_key();
            // Public mode: the parties are the committee. Private mode: the user is the last
            // party and is not in the committee list of the transcript.
            let committee: Vec<_> = pairs[..n - 1].iter().map(|p| p.account()).collect();
            let msg = test_signature::transcript(&user, InclusionBlock(5), &vk, &committee);
            for (_, sig) in &out {
                assert_eq!(*sig, out[0].1);
                sig.verify(&vk, &msg).unwrap();
            }
        }
    }

    #[test]
    fn dealt_shares_sign_in_a_signature_only_session() {
        // A trusted dealer's shares (the client-dealt flow), one per subgroup server.
        let pairs: Vec<_> = (0..2)
            .map(|i| Sr25519Pair::from_suri(&format!("//Holder{i}")).unwrap())
            .collect();
        let parties: Vec<_> = pairs.iter().map(|p| p.account()).collect();
        let user = AccountId32([4; 32]);
        let dealt = crate::dealing::deal(Some(&[5u8; 32]), 2).unwrap();
        let shares: Vec<KeyShare> = dealt.shares.clone();
        let vk = shares[0].verifying_key();
        let sid = SessionId::dkg(user, InclusionBlock(8));
        let mut sessions: Vec<DkgSession> = pairs
            .into_iter()
            .zip(shares)
            .map(|(p, share)| {
                DkgSession::test_signature_only(sid, parties.clone(), p, share).unwrap()
            })
            .collect();
        let mut queue: VecDeque<Outgoing> = VecDeque::new();
        for s in sessions.iter_mut() {
            queue.extend(s.start().unwrap().outgoing);
        }
        let mut sigs = Vec::new();
        while let Some(m) = queue.pop_front() {
            let i = parties.iter().position(|p| *p == m.to).unwrap();
            let p = sessions[i].handle(&m.bytes).unwrap();
            queue.extend(p.outgoing);
            if let (Some(k), Some(sig)) = (p.key_share, p.test_signature) {
                assert_eq!(k.verifying_key(), vk);
                sigs.push(sig);
            }
        }
        assert_eq!(sigs.len(), 2);
        let msg = test_signature::transcript(&user, InclusionBlock(8), &vk, &parties);
        sigs[0].verify(&vk, &msg).unwrap();
        // A share at another position is refused.
        let again = crate::dealing::deal(Some(&[5u8; 32]), 2).unwrap();
        let wrong_position = again.shares[1].clone();
        let holder = Sr25519Pair::from_suri("//Holder0").unwrap();
        assert!(matches!(
            DkgSession::test_signature_only(sid, parties, holder, wrong_position),
            Err(DkgError::BadParties(_))
        ));
    }

    #[test]
    fn a_party_signing_with_a_wrong_share_is_named() {
        let pairs: Vec<_> = (0..3)
            .map(|i| Sr25519Pair::from_suri(&format!("//Party{i}")).unwrap())
            .collect();
        let sid = SessionId::dkg(AccountId32([9; 32]), InclusionBlock(5));
        let culprit = pairs[1].account();
        match run_in_process_signed(sid, pairs, Some(1)) {
            Err(DkgError::Misbehaved { parties, .. }) => assert_eq!(parties, vec![culprit]),
            other => panic!("expected the culprit named, got {other:?}"),
        }
    }

    #[test]
    fn parties_order_and_validation() {
        let a = AccountId32([1; 32]);
        let b = AccountId32([2; 32]);
        let u = AccountId32([3; 32]);
        assert_eq!(dkg_parties(&[a, b], u, &KeyVisibility::Public), vec![a, b]);
        assert_eq!(
            dkg_parties(&[a, b], u, &KeyVisibility::Private([0; 32])),
            vec![a, b, u]
        );
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let sid = SessionId::dkg(u, InclusionBlock(1));
        assert!(matches!(
            DkgSession::new(sid, vec![a, b], alice.clone()),
            Err(DkgError::BadParties(_))
        ));
        assert!(matches!(
            DkgSession::new(sid, vec![alice.account()], alice.clone()),
            Err(DkgError::BadParties(_))
        ));
        assert!(matches!(
            DkgSession::new(sid, vec![alice.account(), a, a], alice),
            Err(DkgError::BadParties(_))
        ));
    }
}
