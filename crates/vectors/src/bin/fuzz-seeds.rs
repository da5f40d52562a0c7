//! `fuzz-seeds <registration-vectors.json> <dir>`: writes the seed corpus of every fuzz target of
//! `crates/core/fuzz` into `<dir>/<target>/`: the reference vectors' wire bytes where the
//! vectors have them, and real messages made by the core (a two-party DKG with its test
//! signature, a Noise handshake, envelopes, receipts, stored records) for the rest. Each seed is
//! in its target's input layout (see the target's doc comment). Prints one line per target.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::ExitCode;

use codec::Encode;
use entropy_register_core::api::{ApiCode, ErrorBody, KeyStatus};
use entropy_register_core::client_dealt::{share_digest, DealtShare, ShareCheck, ShareCheckAnswer};
use entropy_register_core::commitments::Commitments;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::{run_in_process_signed, DkgSession, Outgoing};
use entropy_register_core::envelope::{EncryptedSignedMessage, SignedMessage};
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::kvdb::RecordKey;
use entropy_register_core::noise::{Initiator, Responder};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::share_transfer::UserRegistrationInfo;
use entropy_register_core::test_signature::transcript;
use entropy_register_core::types::{AccountId32, ConfirmRegisterArgs, ServerInfo};
use entropy_register_core::verify::Receipt;
use entropy_register_core::wire::kvdb_encode_vec;
use serde_json::Value;

type Seeds = BTreeMap<&'static str, Vec<Vec<u8>>>;

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("a hex string");
    entropy_register_core::hex::decode(s).expect("valid hex")
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Wire bytes the reference vectors hold, by target.
fn from_vectors(doc: &Value, seeds: &mut Seeds) {
    let groups = &doc["groups"];
    let cases = |g: &str| groups[g].as_array().cloned().unwrap_or_default();
    for c in cases("scale_ocw_message_dkg") {
        seeds
            .entry("new_user")
            .or_default()
            .push(hex(&c["expected"]["scale"]));
    }
    for c in cases("hpke_signed_message_open") {
        let secret = hex(&c["input"]["recipient_x25519_secret"]);
        let json = c["input"]["json"].as_str().unwrap_or_default().as_bytes();
        seeds
            .entry("envelope")
            .or_default()
            .push(cat(&[&secret, json]));
        if let Some(signed) = c["expected"]["signed_message_json"].as_str() {
            seeds
                .entry("envelope")
                .or_default()
                .push(cat(&[&secret, signed.as_bytes()]));
        }
    }
    for (g, field) in [
        ("session_id", "bincode"),
        ("subscribe_message", ""),
        ("bincode_subscribe_response", "bincode"),
    ] {
        for c in cases(g) {
            let v = if field.is_empty() {
                &c["input"]["bincode"]
            } else {
                &c["expected"][field]
            };
            seeds.entry("subscribe").or_default().push(hex(v));
        }
    }
    for (g, item) in [
        ("scale_registering_details", 0u8),
        ("scale_registered_info", 1),
        ("scale_server_info", 7),
    ] {
        for c in cases(g) {
            seeds
                .entry("chain_storage")
                .or_default()
                .push(cat(&[&[item], &hex(&c["expected"]["scale"])]));
        }
    }
    for c in cases("kvdb_record") {
        let key = hex(&c["expected"]["derived_key"]);
        seeds
            .entry("key_store")
            .or_default()
            .push(cat(&[&key, &hex(&c["input"]["record"])]));
    }
}

/// Party 1's messages to party 0 in a real two-party DKG between the fuzz target's fixed keys,
/// framed as the `dkg_message` target reads them (mode 1: signed again as party 1).
fn dkg_seed() -> Vec<u8> {
    let us = Sr25519Pair::from_mini_secret(&[1; 32]).unwrap();
    let peer = Sr25519Pair::from_mini_secret(&[2; 32]).unwrap();
    let sid = SessionId::dkg(AccountId32([9; 32]), InclusionBlock(7));
    let parties = vec![us.account(), peer.account()];
    let mut a = DkgSession::new(sid, parties.clone(), us.clone()).unwrap();
    let mut b = DkgSession::new(sid, parties, peer).unwrap();
    let mut queue: VecDeque<(usize, Outgoing)> = VecDeque::new();
    queue.extend(a.start().unwrap().outgoing.into_iter().map(|m| (0, m)));
    queue.extend(b.start().unwrap().outgoing.into_iter().map(|m| (1, m)));
    let mut seed = vec![1u8];
    while let Some((from, m)) = queue.pop_front() {
        if from == 1 {
            seed.extend_from_slice(&(m.bytes.len() as u16).to_le_bytes());
            seed.extend_from_slice(&m.bytes);
            let p = a.handle(&m.bytes).unwrap();
            queue.extend(p.outgoing.into_iter().map(|m| (0, m)));
        } else {
            let p = b.handle(&m.bytes).unwrap();
            queue.extend(p.outgoing.into_iter().map(|m| (1, m)));
        }
    }
    seed
}

/// Real messages made by the core, by target.
fn made(seeds: &mut Seeds) {
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    let servers = [
        Sr25519Pair::from_mini_secret(&[1; 32]).unwrap(),
        Sr25519Pair::from_mini_secret(&[2; 32]).unwrap(),
    ];
    let block = InclusionBlock(7);
    let sid = SessionId::dkg(alice.account(), block);
    let signed = run_in_process_signed(sid, servers.to_vec(), None).unwrap();
    let (share, sig) = &signed[0];
    let vk = share.verifying_key();
    let committee: Vec<AccountId32> = servers.iter().map(|s| s.account()).collect();
    let mut add = |t: &'static str, v: Vec<u8>| seeds.entry(t).or_default().push(v);

    add(
        "receive_key",
        UserRegistrationInfo::new(alice.account(), share).to_json(),
    );
    add(
        "dealt_share",
        DealtShare::new(alice.account(), 0, share)
            .to_json()
            .to_vec(),
    );
    let check = ShareCheck {
        account: alice.account(),
        verifying_key: vk,
        digest: share_digest(&alice.account(), share),
    };
    add("dealt_share", check.to_json());
    let answer = ShareCheckAnswer::sign(&servers[1], &check, &servers[0].account(), &check.digest);
    add("dealt_share", serde_json::to_vec(&answer).unwrap());

    let x = X25519Keypair::from_secret([4; 32]);
    let env = EncryptedSignedMessage::seal(&alice, b"{\"k\":1}", &x.public, None).unwrap();
    add("envelope", cat(&[&[4; 32], env.to_json().as_bytes()]));
    add(
        "envelope",
        cat(&[
            &[4; 32],
            SignedMessage::new(&alice, b"{}", None).to_json().as_bytes(),
        ]),
    );

    add("subscribe", SubscribeMessage::new(sid, &alice).to_bincode());
    let responder_public = X25519Keypair::from_secret([3; 32]).public;
    let sub = SubscribeMessage::new(SessionId::dkg(AccountId32([9; 32]), block), &servers[0]);
    let (initiator, msg1) = Initiator::start(&[2; 32], &responder_public, &sub).unwrap();
    let (responder, msg2) = Responder::new(&[3; 32])
        .unwrap()
        .read_message1(&msg1)
        .unwrap();
    let (awaiting, msg3) = initiator.read_message2(&msg2).unwrap();
    let (mut server, reply) = responder.read_message3(&msg3).unwrap().accept().unwrap();
    let mut client = awaiting.read_reply(&reply).unwrap();
    for (stage, frame) in [(0u8, &msg1), (1, &msg2), (2, &msg3), (3, &reply)] {
        add("noise_handshake", cat(&[&[stage], frame]));
    }
    add("noise_frames", cat(&[&[1], b"a DKG message"]));
    add(
        "noise_frames",
        cat(&[&[0], &client.encrypt(b"hello").unwrap()]),
    );
    add(
        "noise_frames",
        cat(&[&[0], &server.encrypt(&[0; 70_000]).unwrap()]),
    );

    add("dkg_message", dkg_seed());

    let key = RecordKey::from_bytes([5; 32]);
    add(
        "key_store",
        cat(&[&[5; 32], &key.seal_value(&share.to_bytes())]),
    );
    add("key_store", cat(&[&[5; 32], &kvdb_encode_vec(b"value")]));

    let receipt = Receipt::sign(&servers[0], alice.account(), block, 0, vk, Some(*sig));
    add("server_answers", serde_json::to_vec(&receipt).unwrap());
    let status = KeyStatus {
        verifying_key: vk.to_hex(),
        party_index: 0,
        parties: 2,
    };
    add("server_answers", serde_json::to_vec(&status).unwrap());
    let refusal = ErrorBody {
        code: ApiCode::TestSignatureFailed.as_str().into(),
        message: "no".into(),
    };
    add("server_answers", serde_json::to_vec(&refusal).unwrap());

    let t = transcript(&alice.account(), block, &vk, &committee);
    add("test_signature", cat(&[vk.as_bytes(), &sig.0, &t]));

    let server_info = ServerInfo {
        tss_account: servers[0].account(),
        x25519_public_key: x.public,
        endpoint: b"127.0.0.1:3001".to_vec(),
    };
    let values: [(u8, Vec<u8>); 8] = [
        (3, Commitments::new(share.public_shares()).unwrap().encode()),
        (4, vec![alice.account().0.to_vec()].encode()),
        (5, 2u8.encode()),
        (6, committee.encode()),
        (7, server_info.encode()),
        (8, alice.account().encode()),
        (10, true.encode()),
        (11, [0u8; 80].to_vec()),
    ];
    for (item, v) in values {
        add("chain_storage", cat(&[&[item], &v]));
    }
    let events = [
        RegistryEvent::SignalRegister(alice.account()),
        RegistryEvent::RecievedConfirmation(alice.account(), 1, vk.to_bounded()),
        RegistryEvent::AccountRegistered(alice.account(), vk.to_bounded()),
        RegistryEvent::FailedRegistration(alice.account()),
    ];
    for e in events {
        add("chain_events", e.encode());
    }
    let confirmations: Vec<_> = (0..3u8)
        .map(|g| ConfirmRegisterArgs {
            sig_req_account: alice.account(),
            signing_subgroup: g,
            verifying_key: vk.to_bounded(),
        })
        .collect();
    for n in [1, 3] {
        add(
            "confirm_batch",
            entropy_register_core::batch::encode_confirmations(confirmations[..n].iter()),
        );
    }
}

fn main() -> ExitCode {
    let (Some(vectors), Some(out)) = (std::env::args().nth(1), std::env::args().nth(2)) else {
        eprintln!("usage: fuzz-seeds <registration-vectors.json> <dir>");
        return ExitCode::from(2);
    };
    let doc: Value = match std::fs::read_to_string(&vectors).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            eprintln!("{vectors} is not JSON: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("cannot read {vectors}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut seeds = Seeds::new();
    from_vectors(&doc, &mut seeds);
    made(&mut seeds);
    for (target, list) in &seeds {
        let dir = Path::new(&out).join(target);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        for (i, seed) in list.iter().enumerate() {
            if let Err(e) = std::fs::write(dir.join(format!("seed-{i:03}")), seed) {
                eprintln!("cannot write a seed of {target}: {e}");
                return ExitCode::FAILURE;
            }
        }
        println!("{target}: {} seeds", list.len());
    }
    ExitCode::SUCCESS
}
