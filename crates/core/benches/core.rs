//! `cargo bench -p entropy-register-core`: prints HPKE seal/open, Noise handshake, DKG with its
//! test signature (2 and 3 parties, in-process) and the test signature alone. Figures, not
//! pass/fail.

use std::time::{Duration, Instant};

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::DkgSession;
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Initiator, Responder};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::test_signature::{TestSigning, TestSigningMessage};

/// The FROST test signature alone, over shares of a finished DKG: both rounds, every party
/// aggregating and checking every share (what each party does at the end of a DKG session).
fn test_signature(shares: &[entropy_register_core::dkg::KeyShare]) {
    let n = shares.len() as u16;
    let mut parties = Vec::new();
    let mut queue: Vec<(u16, TestSigningMessage)> = Vec::new();
    for (i, share) in shares.iter().enumerate() {
        let keys = share.frost_keys().unwrap();
        let (p, step) = TestSigning::start(i as u16, keys, b"bench".to_vec(), false).unwrap();
        queue.push((i as u16, step.broadcast.unwrap()));
        parties.push(p);
    }
    let mut signed = 0;
    while let Some((from, m)) = queue.pop() {
        for to in (0..n).filter(|t| *t != from) {
            let step = parties[to as usize].handle(from, m.clone()).unwrap();
            if let Some(b) = step.broadcast {
                queue.insert(0, (to, b));
            }
            signed += usize::from(step.signature.is_some());
        }
    }
    assert_eq!(signed, n as usize);
}

fn shares(n: usize) -> Vec<entropy_register_core::dkg::KeyShare> {
    let pairs: Vec<_> = (0..n)
        .map(|i| Sr25519Pair::from_mini_secret(&[i as u8 + 1; 32]).unwrap())
        .collect();
    let sid = SessionId::dkg(pairs[0].account(), InclusionBlock(1));
    entropy_register_core::dkg::run_in_process(sid, pairs).unwrap()
}

fn time<F: FnMut()>(iters: u32, mut f: F) -> Duration {
    f(); // warm-up
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed() / iters
}

fn dkg(n: usize) {
    let pairs: Vec<_> = (0..n)
        .map(|i| Sr25519Pair::from_mini_secret(&[i as u8 + 1; 32]).unwrap())
        .collect();
    let parties: Vec<_> = pairs.iter().map(|p| p.account()).collect();
    let sid = SessionId::dkg(parties[0], InclusionBlock(1));
    let mut s: Vec<_> = pairs
        .into_iter()
        .map(|p| DkgSession::new(sid, parties.clone(), p).unwrap())
        .collect();
    let mut q = std::collections::VecDeque::new();
    for x in s.iter_mut() {
        q.extend(x.start().unwrap().outgoing);
    }
    let mut done = 0;
    while let Some(m) = q.pop_front() {
        let i = parties.iter().position(|p| *p == m.to).unwrap();
        let p = s[i].handle(&m.bytes).unwrap();
        q.extend(p.outgoing);
        done += usize::from(p.key_share.is_some());
    }
    assert_eq!(done, n);
}

fn main() {
    let alice = Sr25519Pair::from_suri("//Alice").unwrap();
    let server = X25519Keypair::generate();
    let payload = vec![7u8; 1024];
    let env = EncryptedSignedMessage::seal(&alice, &payload, &server.public, None).unwrap();
    let secret = server.secret_bytes();
    let seal = time(200, || {
        EncryptedSignedMessage::seal(&alice, &payload, &server.public, None).unwrap();
    });
    let open = time(200, || {
        env.open(&secret).unwrap();
    });
    let client = X25519Keypair::generate();
    let sub = SubscribeMessage::new(SessionId::dkg(alice.account(), InclusionBlock(1)), &alice);
    let cs = client.secret_bytes();
    let hs = time(200, || {
        let (i, m1) = Initiator::start(&cs, &server.public, &sub).unwrap();
        let (r, m2) = Responder::new(&secret).unwrap().read_message1(&m1).unwrap();
        let (w, m3) = i.read_message2(&m2).unwrap();
        let (_, reply) = r.read_message3(&m3).unwrap().accept().unwrap();
        w.read_reply(&reply).unwrap();
    });
    let d2 = time(10, || dkg(2));
    let d3 = time(10, || dkg(3));
    let (s2, s3) = (shares(2), shares(3));
    let t2 = time(50, || test_signature(&s2));
    let t3 = time(50, || test_signature(&s3));
    println!(
        "hpke seal (1 KiB, sign + encrypt):  {:>9.1} µs",
        seal.as_secs_f64() * 1e6
    );
    println!(
        "hpke open (1 KiB, decrypt + verify): {:>9.1} µs",
        open.as_secs_f64() * 1e6
    );
    println!(
        "noise XK handshake + subscribe:      {:>9.1} µs",
        hs.as_secs_f64() * 1e6
    );
    println!(
        "dkg + test signature, 2 parties:     {:>9.2} ms",
        d2.as_secs_f64() * 1e3
    );
    println!(
        "dkg + test signature, 3 parties:     {:>9.2} ms",
        d3.as_secs_f64() * 1e3
    );
    println!(
        "test signature alone, 2 parties:     {:>9.2} ms",
        t2.as_secs_f64() * 1e3
    );
    println!(
        "test signature alone, 3 parties:     {:>9.2} ms",
        t3.as_secs_f64() * 1e3
    );
}
