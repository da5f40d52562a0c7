//! Unit tests of the client flow against a scripted chain and scripted servers (mocks of the
//! backend traits, for these tests only): the order of progress events, every verification
//! failure the flow must catch, cancellation, and the timeout counted in blocks. The same flow
//! runs for real against the devnet in the wasm suites and the native end-to-end tests.

use std::cell::RefCell;
use std::collections::HashMap;

use codec::Encode;
use entropy_register_core::api;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::storage;
use entropy_register_core::test_signature::{sign_with_whole_key, transcript, TestSignature};
use entropy_register_core::types::*;
use entropy_register_core::verify::Receipt;
use futures::future::LocalBoxFuture;
use futures::StreamExt;

use crate::backend::*;
use crate::reads::ChainError;
use crate::request::{programs, Mode, Progress, RegisterRequest};
use crate::{Client, Code, Error};

const N: u32 = 10;

fn vk(n: u8) -> VerifyingKey {
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    let sk = k256::SecretKey::from_slice(&[n; 32]).unwrap();
    VerifyingKey::from_bytes(sk.public_key().to_encoded_point(true).as_bytes()).unwrap()
}

fn pair(name: &str) -> Sr25519Pair {
    Sr25519Pair::from_suri(&format!("//{name}")).unwrap()
}

/// The four servers: subgroup 0 = [s0a, s0b], subgroup 1 = [s1a, s1b].
struct Server {
    stash: AccountId32,
    key: Sr25519Pair,
    subgroup: u8,
    endpoint: String,
}

fn servers() -> Vec<Server> {
    ["s0a", "s0b", "s1a", "s1b"]
        .iter()
        .enumerate()
        .map(|(i, n)| Server {
            stash: pair(&format!("{n}-stash")).account(),
            key: pair(n),
            subgroup: (i / 2) as u8,
            endpoint: format!("10.0.0.{i}:3000"),
        })
        .collect()
}

#[derive(Default)]
struct Block {
    events: Vec<RawEvent>,
    extrinsics: Vec<RawExtrinsic>,
}

/// A scripted chain: one storage for every block, events and extrinsics per block, `N` for
/// every transaction, blocks up to `last`.
struct MockChain {
    storage: RefCell<HashMap<Vec<u8>, Vec<u8>>>,
    blocks: RefCell<HashMap<u32, Block>>,
    last: u32,
    /// After `last`, the node sends no more blocks but keeps the subscription open.
    hang: bool,
    submitted: RefCell<Vec<Call>>,
}

struct MockState<'a> {
    chain: &'a MockChain,
    number: u32,
}

impl ChainState for MockState<'_> {
    fn block(&self) -> BlockRef {
        BlockRef {
            number: self.number,
            hash: [self.number as u8; 32],
        }
    }
    async fn storage(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, ChainError> {
        Ok(self.chain.storage.borrow().get(&key).cloned())
    }
    async fn events(&self) -> Result<Vec<RawEvent>, ChainError> {
        Ok(self
            .chain
            .blocks
            .borrow()
            .get(&self.number)
            .map(|b| b.events.clone())
            .unwrap_or_default())
    }
    async fn extrinsics(&self) -> Result<Vec<RawExtrinsic>, ChainError> {
        Ok(self
            .chain
            .blocks
            .borrow()
            .get(&self.number)
            .map(|b| b.extrinsics.clone())
            .unwrap_or_default())
    }
}

impl<'a> Chain for &'a MockChain {
    type State = MockState<'a>;
    async fn finalized(&self) -> Result<Self::State, ChainError> {
        Ok(MockState {
            chain: self,
            number: N - 1,
        })
    }
    async fn at(&self, number: u32) -> Result<Self::State, ChainError> {
        Ok(MockState {
            chain: self,
            number,
        })
    }
    async fn follow(&self, after: u32, _: WaitFor) -> Result<Blocks, ChainError> {
        let blocks = futures::stream::iter((after + 1..=self.last).map(Ok));
        if self.hang {
            Ok(Box::pin(blocks.chain(futures::stream::pending())))
        } else {
            Ok(Box::pin(blocks))
        }
    }
    async fn call_index(&self, pallet: &str, call: &str) -> Result<Option<(u8, u8)>, ChainError> {
        Ok(match (pallet, call) {
            ("Registry", "register") => Some((51, 0)),
            ("Registry", "confirm_register") => Some((51, 4)),
            ("Registry", "register_client_dealt") => Some((51, 5)),
            _ => None,
        })
    }
    async fn submit(&self, call: &Call, signer: &dyn PayloadSigner) -> Result<TxProgress, TxError> {
        let fields = TxFields {
            call: call.args.clone(),
            ..TxFields::default()
        };
        signer
            .sign(TxToSign {
                payload: &call.args,
                fields: &fields,
            })
            .await
            .map_err(TxError::Signer)?;
        self.submitted.borrow_mut().push(call.clone());
        let block = BlockRef {
            number: N,
            hash: [N as u8; 32],
        };
        Ok(Box::pin(futures::stream::iter([
            Ok(TxStatus::InBestBlock {
                block,
                outcome: Ok(()),
            }),
            Ok(TxStatus::Finalized {
                block,
                outcome: Ok(()),
            }),
        ])))
    }
}

/// Scripted servers: receipts by URL; a clock whose sleeps end at once.
#[derive(Default)]
struct MockIo {
    answers: RefCell<HashMap<String, HttpResponse>>,
}

impl Http for MockIo {
    async fn get(&self, url: &str) -> Result<HttpResponse, String> {
        Ok(self
            .answers
            .borrow()
            .get(url)
            .cloned()
            .unwrap_or(HttpResponse {
                status: 404,
                body: br#"{"code":"NoReceipt","message":"none"}"#.to_vec(),
            }))
    }
    async fn post_json(&self, url: &str, _: String) -> Result<HttpResponse, String> {
        self.get(url).await
    }
}

impl Websocket for MockIo {
    async fn connect(&self, url: &str) -> Result<(FrameSink, FrameStream), String> {
        Err(format!("no websocket to {url} in this test"))
    }
}

impl Clock for MockIo {
    async fn sleep(&self, _: u32) {}
}

/// How the scripted chain and servers deviate from an honest registration.
struct Script {
    /// Another server (by index) confirms for subgroup 0 instead of the committee member.
    first_confirmer: Option<usize>,
    /// The keys subgroups 0 and 1 confirm (the first is registered).
    confirmed: [VerifyingKey; 2],
    /// `Registered[vk]` names another program modification account.
    registered_pma: Option<AccountId32>,
    /// Per committee member: no receipt (`None`), its own (`Some(None)`) or one signed by
    /// another key.
    receipt_signers: [Option<Option<Sr25519Pair>>; 2],
    /// The test signature the receipts carry.
    test_signature: TestSig,
    /// The committee confirms inside `Utility.force_batch` extrinsics, each also holding
    /// another account's confirmation.
    batched: bool,
}

/// A receipt's test signature.
#[derive(Clone, Copy, PartialEq)]
enum TestSig {
    /// Made by the confirmed key over the registration's transcript.
    Valid,
    /// None at all.
    Missing,
    /// Valid, then one bit flipped (the receipt is signed after).
    Tampered,
    /// Over another registration's transcript (block N+1).
    OtherTranscript,
}

impl Script {
    fn honest() -> Self {
        Script {
            first_confirmer: None,
            confirmed: [vk(1), vk(1)],
            registered_pma: None,
            receipt_signers: [Some(None), Some(None)],
            test_signature: TestSig::Valid,
            batched: false,
        }
    }
}

/// A registration of `user` included in N that the committee (s0b, s1b: N+1 = 11 is odd)
/// confirms in N+1 and N+2 with `keys`, `AccountRegistered` in N+2 with `keys[0]`.
struct Scenario {
    chain: MockChain,
    io: MockIo,
    user: Sr25519Pair,
    servers: Vec<Server>,
}

fn program() -> ProgramsData {
    programs(vec![ProgramInstance {
        program_pointer: [7; 32],
        program_config: vec![],
    }])
    .unwrap()
}

impl Scenario {
    fn new() -> Self {
        let user = pair("user");
        let servers = servers();
        let mut st = HashMap::new();
        let mut account_info = vec![0u8; 16];
        account_info.extend_from_slice(&1_000_000u128.to_le_bytes());
        account_info.extend_from_slice(&[0; 48]);
        st.insert(storage::system_account(&user.account()), account_info);
        st.insert(storage::program(&[7; 32]), vec![1]);
        st.insert(storage::subgroup_count(), 2u8.encode());
        for g in 0..2u8 {
            let members: Vec<AccountId32> = servers
                .iter()
                .filter(|s| s.subgroup == g)
                .map(|s| s.stash)
                .collect();
            st.insert(storage::signing_groups(g), members.encode());
        }
        for s in &servers {
            let info = ServerInfo {
                tss_account: s.key.account(),
                x25519_public_key: [s.subgroup; 32],
                endpoint: s.endpoint.clone().into_bytes(),
            };
            st.insert(storage::threshold_servers(&s.stash), info.encode());
            st.insert(
                storage::threshold_to_stash(&s.key.account()),
                s.stash.encode(),
            );
            st.insert(
                storage::validator_to_subgroup(&s.stash),
                s.subgroup.encode(),
            );
            st.insert(storage::is_validator_synced(&s.stash), true.encode());
        }
        Scenario {
            chain: MockChain {
                storage: RefCell::new(st),
                blocks: RefCell::new(HashMap::new()),
                last: N + 30,
                hang: false,
                submitted: RefCell::new(Vec::new()),
            },
            io: MockIo::default(),
            user,
            servers,
        }
    }

    fn committee(&self) -> [&Server; 2] {
        [&self.servers[1], &self.servers[3]]
    }

    fn confirm(&self, block: u32, server: &Server, subgroup: u8, key: &VerifyingKey) {
        self.confirm_as(block, server, subgroup, key, false)
    }

    /// A `confirm_register` by `server`, alone or (`batched`) in a `Utility.force_batch` after
    /// another account's confirmation.
    fn confirm_as(
        &self,
        block: u32,
        server: &Server,
        subgroup: u8,
        key: &VerifyingKey,
        batched: bool,
    ) {
        let args = ConfirmRegisterArgs {
            sig_req_account: self.user.account(),
            signing_subgroup: subgroup,
            verifying_key: key.to_bounded(),
        };
        let mut address = vec![0u8];
        address.extend_from_slice(&server.key.public());
        let (pallet, call, args) = if batched {
            let other = ConfirmRegisterArgs {
                sig_req_account: AccountId32([0xee; 32]),
                ..args.clone()
            };
            let calls = entropy_register_core::batch::encode_confirmations([other, args].iter());
            ("Utility", "force_batch", calls)
        } else {
            ("Registry", "confirm_register", args.encode())
        };
        self.chain
            .blocks
            .borrow_mut()
            .entry(block)
            .or_default()
            .extrinsics
            .push(RawExtrinsic {
                pallet: pallet.into(),
                call: call.into(),
                address: Some(address),
                args,
            });
    }

    fn registered(&self, block: u32, key: &VerifyingKey, info: RegisteredInfo) {
        let e = RegistryEvent::AccountRegistered(self.user.account(), key.to_bounded());
        self.chain
            .blocks
            .borrow_mut()
            .entry(block)
            .or_default()
            .events
            .push(RawEvent {
                pallet: "Registry".into(),
                name: "AccountRegistered".into(),
                fields: e.encode()[1..].to_vec(),
            });
        self.chain
            .storage
            .borrow_mut()
            .insert(storage::registered(key), info.encode());
    }

    /// The test signature of key `vk(secret)` for this registration, as `kind` says.
    fn test_signature(&self, secret: u8, kind: TestSig) -> Option<TestSignature> {
        let committee: Vec<AccountId32> =
            self.committee().iter().map(|s| s.key.account()).collect();
        let block = if kind == TestSig::OtherTranscript {
            N + 1
        } else {
            N
        };
        let t = transcript(
            &self.user.account(),
            InclusionBlock(block),
            &vk(secret),
            &committee,
        );
        let mut sig = sign_with_whole_key(&[secret; 32], &t);
        match kind {
            TestSig::Missing => return None,
            TestSig::Tampered => sig.0[64] ^= 1,
            _ => {}
        }
        Some(sig)
    }

    fn receipt(
        &self,
        server: &Server,
        signer: &Sr25519Pair,
        key: &VerifyingKey,
        test_signature: Option<TestSignature>,
    ) {
        let mut r = Receipt::sign(
            signer,
            self.user.account(),
            InclusionBlock(N),
            server.subgroup,
            *key,
            test_signature,
        );
        r.server = server.key.account();
        self.io.answers.borrow_mut().insert(
            api::receipt_url(&server.endpoint, &self.user.account(), N),
            HttpResponse {
                status: 200,
                body: serde_json::to_vec(&r).unwrap(),
            },
        );
    }

    fn info(&self) -> RegisteredInfo {
        RegisteredInfo {
            key_visibility: KeyVisibility::Public,
            programs_data: program(),
            program_modification_account: self.user.account(),
            version_number: 1,
        }
    }

    /// Everything right.
    fn honest(self) -> Self {
        self.scripted(Script::honest())
    }

    /// The committee (s0b, s1b) confirms in N+1 and N+2, `AccountRegistered` in N+2, each
    /// committee member answers its receipt, all as `script` says.
    fn scripted(self, script: Script) -> Self {
        let [a, b] = self.committee();
        let first = script.first_confirmer.map_or(a, |i| &self.servers[i]);
        self.confirm_as(N + 1, first, 0, &script.confirmed[0], script.batched);
        self.confirm_as(N + 2, b, 1, &script.confirmed[1], script.batched);
        let mut info = self.info();
        if let Some(pma) = script.registered_pma {
            info.program_modification_account = pma;
        }
        self.registered(N + 2, &script.confirmed[0], info);
        let secret = (1..=4u8)
            .find(|i| vk(*i) == script.confirmed[0])
            .expect("the scripts confirm vk(1..=4)");
        let test_signature = self.test_signature(secret, script.test_signature);
        for (server, signer) in [a, b].into_iter().zip(&script.receipt_signers) {
            if let Some(signer) = signer {
                self.receipt(
                    server,
                    signer.as_ref().unwrap_or(&server.key),
                    &script.confirmed[0],
                    test_signature,
                );
            }
        }
        self
    }

    fn request(&self, timeout_blocks: u32) -> RegisterRequest<Sr25519Pair> {
        RegisterRequest {
            mode: Mode::Public(self.user.clone()),
            program_modification_account: None,
            programs: program(),
            wait_for: WaitFor::Finalized,
            timeout_blocks,
        }
    }

    fn run(
        &self,
        timeout_blocks: u32,
    ) -> (Result<crate::request::Registration, Error>, Vec<Progress>) {
        self.run_until(timeout_blocks, Box::pin(futures::future::pending()))
    }

    fn run_until(
        &self,
        timeout_blocks: u32,
        cancel: LocalBoxFuture<'_, ()>,
    ) -> (Result<crate::request::Registration, Error>, Vec<Progress>) {
        let client = Client::new(&self.chain, &self.io);
        let log = RefCell::new(Vec::new());
        let report = |p: Progress| log.borrow_mut().push(p);
        let out = futures::executor::block_on(client.register(
            self.request(timeout_blocks),
            &report,
            cancel,
        ));
        (out, log.into_inner())
    }
}

fn kinds(log: &[Progress]) -> Vec<&'static str> {
    log.iter()
        .map(|p| match p {
            Progress::Dealt { .. } => "dealt",
            Progress::Submitted => "submitted",
            Progress::InBlock { .. } => "inBlock",
            Progress::Committee { .. } => "committee",
            Progress::ShareDelivered { .. } => "shareDelivered",
            Progress::Confirmation { .. } => "confirmation",
            Progress::Registered { .. } => "registered",
            Progress::Finalized { .. } => "finalized",
            Progress::TestSignature { .. } => "testSignature",
        })
        .collect()
}

#[test]
fn public_registration_reports_progress_in_order_and_verifies() {
    let s = Scenario::new().honest();
    let (out, log) = s.run(20);
    let r = out.expect("verified");
    assert_eq!(r.verifying_key, vk(1));
    assert_eq!((r.inclusion_block, r.registered_block), (N, N + 2));
    assert_eq!(r.committee.len(), 2);
    assert_eq!(r.committee[0].confirmed_in, N + 1);
    assert_eq!(
        r.committee[1].member.tss_account,
        s.committee()[1].key.account()
    );
    assert_eq!(
        kinds(&log),
        [
            "submitted",
            "inBlock",
            "committee",
            "confirmation",
            "confirmation",
            "registered",
            "finalized",
            "testSignature"
        ]
    );
    assert_eq!(log[1], Progress::InBlock { block: N });
    match &log[2] {
        Progress::Committee { block, members } => {
            assert_eq!(*block, N + 1);
            assert_eq!(members[0].tss_account, s.committee()[0].key.account());
        }
        other => panic!("{other:?}"),
    }
    let submitted = s.chain.submitted.borrow();
    assert_eq!(
        (submitted[0].pallet, submitted[0].name),
        ("Registry", "register")
    );
}

#[test]
fn a_confirmation_by_a_server_outside_the_committee_fails() {
    // s0a is in subgroup 0 but not the committee member for N+1.
    let s = Scenario::new().scripted(Script {
        first_confirmer: Some(0),
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::VerificationFailed, "{e}");
    assert!(e.to_string().contains("committee member"), "{e}");
}

#[test]
fn confirmations_inside_batches_count_with_the_batch_signer() {
    let s = Scenario::new().scripted(Script {
        batched: true,
        ..Script::honest()
    });
    let (out, log) = s.run(20);
    let r = out.expect("verified");
    assert_eq!(r.verifying_key, vk(1));
    assert_eq!(r.committee[0].confirmed_in, N + 1);
    assert_eq!(r.committee[1].confirmed_in, N + 2);
    let confirmations = kinds(&log).iter().filter(|k| **k == "confirmation").count();
    assert_eq!(confirmations, 2, "the other account's calls are not ours");
    // A batch signed by a server outside the committee is still refused.
    let s = Scenario::new().scripted(Script {
        batched: true,
        first_confirmer: Some(0),
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert!(e.to_string().contains("committee member"), "{e}");
}

#[test]
fn a_servers_exact_repeat_counts_once_and_a_differing_one_fails() {
    // Subgroup 0's member repeats its confirmation in a later batch (a retry the chain refused
    // as `AlreadyConfirmed`, still in the block): counted once, the registration verifies.
    let s = Scenario::new().scripted(Script {
        batched: true,
        ..Script::honest()
    });
    let [a, _] = s.committee();
    s.confirm_as(N + 2, a, 0, &vk(1), true);
    let (out, log) = s.run(20);
    assert_eq!(out.expect("verified").committee[0].confirmed_in, N + 1);
    let confirmations = kinds(&log).iter().filter(|k| **k == "confirmation").count();
    assert_eq!(confirmations, 2);
    // A repeat with another key is not a retry: the duplicate fails the verification.
    let s = Scenario::new().scripted(Script {
        batched: true,
        ..Script::honest()
    });
    let [a, _] = s.committee();
    s.confirm_as(N + 2, a, 0, &vk(2), true);
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::VerificationFailed, "{e}");
    assert!(e.to_string().contains("more than once"), "{e}");
}

#[test]
fn two_keys_fail() {
    let s = Scenario::new().scripted(Script {
        confirmed: [vk(1), vk(2)],
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::VerificationFailed);
    assert!(e.to_string().contains("different verifying keys"), "{e}");
}

#[test]
fn a_registered_record_that_differs_from_the_request_fails() {
    let s = Scenario::new().scripted(Script {
        registered_pma: Some(AccountId32([9; 32])),
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::VerificationFailed);
    assert!(
        e.to_string().contains("program modification account"),
        "{e}"
    );
}

#[test]
fn a_forged_receipt_fails() {
    // The second member's receipt, signed by someone else.
    let s = Scenario::new().scripted(Script {
        receipt_signers: [Some(None), Some(Some(pair("mallory")))],
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::VerificationFailed);
    assert!(e.to_string().contains("signature does not verify"), "{e}");
}

#[test]
fn a_missing_tampered_or_foreign_test_signature_fails() {
    for (kind, says) in [
        (TestSig::Missing, "carries no test signature"),
        (TestSig::Tampered, "test signature"),
        (
            TestSig::OtherTranscript,
            "does not verify under the registered key",
        ),
    ] {
        let s = Scenario::new().scripted(Script {
            test_signature: kind,
            ..Script::honest()
        });
        let (out, log) = s.run(20);
        let e = out.unwrap_err();
        assert_eq!(e.code(), Code::VerificationFailed, "{e}");
        assert!(e.to_string().contains(says), "{e}");
        assert!(!kinds(&log).contains(&"testSignature"));
    }
}

#[test]
fn a_missing_receipt_is_an_unreachable_server() {
    let s = Scenario::new().scripted(Script {
        receipt_signers: [Some(None), None],
        ..Script::honest()
    });
    let e = s.run(20).0.unwrap_err();
    assert_eq!(e.code(), Code::ServerUnreachable, "{e}");
}

#[test]
fn timeout_counts_blocks_after_inclusion() {
    let s = Scenario::new();
    let [a, _] = s.committee();
    s.confirm(N + 1, a, 0, &vk(1));
    let (out, log) = s.run(5);
    assert_eq!(
        out.unwrap_err(),
        Error::Timeout {
            after: N,
            blocks: 5
        }
    );
    assert_eq!(kinds(&log).last(), Some(&"confirmation"));
    // With a longer timeout the same chain ends when the node's blocks end.
    let e = Scenario::new().run(1000).0.unwrap_err();
    assert_eq!(e.code(), Code::ServerUnreachable);
}

#[test]
fn cancellation_ends_the_registration() {
    // The node goes quiet after N+1; the caller cancels while the client waits.
    let mut s = Scenario::new();
    s.chain.last = N + 1;
    s.chain.hang = true;
    let (out, log) = s.run_until(20, Box::pin(async {}));
    assert_eq!(out.unwrap_err(), Error::Cancelled);
    assert_eq!(kinds(&log), ["submitted", "inBlock", "committee"]);
}

#[test]
fn failed_registration_event_ends_it() {
    let s = Scenario::new();
    let e = RegistryEvent::FailedRegistration(s.user.account());
    s.chain
        .blocks
        .borrow_mut()
        .entry(N + 2)
        .or_default()
        .events
        .push(RawEvent {
            pallet: "Registry".into(),
            name: "FailedRegistration".into(),
            fields: e.encode()[1..].to_vec(),
        });
    assert_eq!(s.run(20).0.unwrap_err().code(), Code::RegistrationFailed);
}

#[test]
fn refusals_before_anything_is_signed() {
    let s = Scenario::new().honest();
    // Unknown program.
    s.chain
        .storage
        .borrow_mut()
        .remove(&storage::program(&[7; 32]));
    assert_eq!(s.run(20).0.unwrap_err().code(), Code::UnknownProgram);
    assert!(s.chain.submitted.borrow().is_empty());
    let s = Scenario::new().honest();
    s.chain
        .storage
        .borrow_mut()
        .remove(&storage::system_account(&s.user.account()));
    assert_eq!(s.run(20).0.unwrap_err().code(), Code::InsufficientFunds);
    let s = Scenario::new().honest();
    still_registering(&s);
    assert_eq!(s.run(20).0.unwrap_err().code(), Code::AlreadySubmitted);
    assert!(s.chain.submitted.borrow().is_empty());
}

#[test]
fn a_signer_whose_signature_does_not_verify_is_refused() {
    struct Liar(Sr25519Pair);
    impl PayloadSigner for Liar {
        fn account(&self) -> AccountId32 {
            AccountId32([3; 32])
        }
        fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
            PayloadSigner::sign(&self.0, tx)
        }
    }
    let s = Scenario::new().honest();
    let client = Client::new(&s.chain, &s.io);
    let call = Call {
        pallet: "Registry",
        name: "register",
        args: vec![],
    };
    let e = futures::executor::block_on(client.submit(
        &call,
        &Liar(pair("x")),
        WaitFor::Finalized,
        &|| {},
    ))
    .unwrap_err();
    assert_eq!(e.code(), Code::SignerFailed, "{e}");
}

#[test]
fn four_subgroups_come_from_chain_state() {
    let s = Scenario::new();
    // Re-declare the same four servers as four subgroups of one.
    {
        let mut st = s.chain.storage.borrow_mut();
        st.insert(storage::subgroup_count(), 4u8.encode());
        for (g, srv) in s.servers.iter().enumerate() {
            st.insert(storage::signing_groups(g as u8), vec![srv.stash].encode());
            st.insert(
                storage::validator_to_subgroup(&srv.stash),
                (g as u8).encode(),
            );
        }
    }
    let client = Client::new(&s.chain, &s.io);
    let (committee, count) = futures::executor::block_on(client.committee(N)).unwrap();
    assert_eq!(count, 4);
    assert_eq!(
        committee.iter().map(|c| c.tss_account).collect::<Vec<_>>(),
        s.servers
            .iter()
            .map(|s| s.key.account())
            .collect::<Vec<_>>()
    );
}

/// `finality` for a result that named `AccountRegistered` of `vk(1)` in N+2, on the scripted
/// chain (every block up to N+30 finalized).
fn finality_of(s: &Scenario, timeout_blocks: u32) -> Result<crate::ops::Finality, Error> {
    let client = Client::new(&s.chain, &s.io);
    futures::executor::block_on(client.finality(
        &s.user.account(),
        &vk(1),
        N,
        N + 2,
        timeout_blocks,
    ))
}

/// The account's registration still in progress (`Registering[account]`).
fn still_registering(s: &Scenario) {
    let details = RegisteringDetails {
        program_modification_account: s.user.account(),
        confirmations: vec![],
        programs_data: program(),
        key_visibility: KeyVisibility::Public,
        verifying_key: None,
        version_number: 1,
    };
    s.chain
        .storage
        .borrow_mut()
        .insert(storage::registering(&s.user.account()), details.encode());
}

#[test]
fn finality_confirms_a_result_the_finalized_chain_kept() {
    let s = Scenario::new();
    s.registered(N + 2, &vk(1), s.info());
    let f = finality_of(&s, 5).unwrap();
    assert_eq!(
        f,
        crate::ops::Finality {
            finalized_block: N + 2,
            moved: false
        }
    );
}

#[test]
fn finality_reports_confirmations_a_reorganisation_moved() {
    // The finalized chain did not take N+2's confirmations: it registered the same key in N+5.
    let s = Scenario::new();
    still_registering(&s);
    s.registered(N + 5, &vk(1), s.info());
    let f = finality_of(&s, 5).unwrap();
    assert_eq!(f.finalized_block, N + 5);
    assert!(f.moved);
}

#[test]
fn finality_reports_a_result_a_reorganisation_dropped() {
    // The finalized chain registered another key for the account (a second DKG after the
    // `register` was included again, in progress until N+7).
    let s = Scenario::new();
    still_registering(&s);
    s.registered(N + 7, &vk(2), s.info());
    let e = finality_of(&s, 10).unwrap_err();
    assert_eq!(e.code(), Code::Reorged, "{e}");
    assert!(e.to_string().contains("another key"), "{e}");

    // Finalized past N+2 with no registration and none in progress.
    let s = Scenario::new();
    let e = finality_of(&s, 10).unwrap_err();
    assert_eq!(e.code(), Code::Reorged, "{e}");
    assert!(e.to_string().contains("abandoned"), "{e}");
}

#[test]
fn finality_times_out_in_finalized_blocks() {
    let s = Scenario::new();
    still_registering(&s);
    let e = finality_of(&s, 4).unwrap_err();
    assert!(
        matches!(e, Error::Timeout { after, blocks: 4 } if after == N + 2),
        "{e}"
    );
    // A result whose blocks are out of order is refused before anything is read.
    let client = Client::new(&s.chain, &s.io);
    let e = futures::executor::block_on(client.finality(&s.user.account(), &vk(1), N, N - 1, 4))
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidInput);
}
