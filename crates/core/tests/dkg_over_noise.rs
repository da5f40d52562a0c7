//! In-process DKG runs where every protocol message travels through the Noise XK channel of the
//! transport module, delivered in a shuffled order; plus drop-out and forged-message cases.

use std::collections::HashMap;

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::{dkg_parties, DkgError, DkgSession, KeyShare};
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Channel, Initiator, Responder};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::{AccountId32, KeyVisibility};
use rand::{Rng, SeedableRng};

struct Party {
    pair: Sr25519Pair,
    x25519: X25519Keypair,
}

/// Channels keyed by (from, to): the sender's end of the link from → to.
type Links = HashMap<(usize, usize), Channel>;

/// Connects every pair over Noise: the larger account dials (as the servers do), the
/// responder checks the subscription against the expected (account, static key) pairs.
fn connect(parties: &[Party], sid: SessionId) -> Links {
    let expected: HashMap<AccountId32, [u8; 32]> = parties
        .iter()
        .map(|p| (p.pair.account(), p.x25519.public))
        .collect();
    let mut links = Links::new();
    for i in 0..parties.len() {
        for j in 0..parties.len() {
            if i == j || parties[i].pair.account() <= parties[j].pair.account() {
                continue;
            }
            // i dials j.
            let sub = SubscribeMessage::new(sid, &parties[i].pair);
            let (init, m1) = Initiator::start(
                &parties[i].x25519.secret_bytes(),
                &parties[j].x25519.public,
                &sub,
            )
            .unwrap();
            let (resp, m2) = Responder::new(&parties[j].x25519.secret_bytes())
                .unwrap()
                .read_message1(&m1)
                .unwrap();
            let (waiting, m3) = init.read_message2(&m2).unwrap();
            let pending = resp.read_message3(&m3).unwrap();
            pending
                .subscribe
                .check(
                    &pending.remote_static,
                    pending.subscribe.session_id == sid,
                    |a| expected.get(a).copied(),
                )
                .unwrap();
            let (resp_channel, reply) = pending.accept().unwrap();
            let init_channel = waiting.read_reply(&reply).unwrap();
            links.insert((i, j), init_channel);
            links.insert((j, i), resp_channel);
        }
    }
    links
}

fn parties(n: usize, tag: &str) -> Vec<Party> {
    (0..n)
        .map(|i| Party {
            pair: Sr25519Pair::from_suri(&format!("//{tag}{i}")).unwrap(),
            x25519: X25519Keypair::generate(),
        })
        .collect()
}

struct Frame {
    from: usize,
    to: usize,
    bytes: Vec<u8>,
}

/// Runs the DKG; `drop_party` stops delivering anything from/to that party after its first
/// messages, and the driver then reports the closed link.
fn run(n: usize, seed: u64, drop_party: Option<usize>) -> Vec<Result<KeyShare, DkgError>> {
    let ps = parties(n, &format!("Run{n}-{seed}-"));
    let accounts: Vec<_> = ps.iter().map(|p| p.pair.account()).collect();
    let visibility = if n == 3 {
        KeyVisibility::Private(ps[2].x25519.public)
    } else {
        KeyVisibility::Public
    };
    let order = dkg_parties(&accounts[..2], accounts[n - 1], &visibility);
    assert_eq!(order, accounts);
    let sid = SessionId::dkg(accounts[n - 1], InclusionBlock(41));
    let mut links = connect(&ps, sid);
    let mut sessions: Vec<_> = ps
        .iter()
        .map(|p| DkgSession::new(sid, order.clone(), p.pair.clone()).unwrap())
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut in_flight: Vec<Frame> = Vec::new();
    let mut results: Vec<Option<Result<KeyShare, DkgError>>> = (0..n).map(|_| None).collect();

    let send = |from: usize,
                out: Vec<entropy_register_core::dkg::Outgoing>,
                links: &mut Links,
                in_flight: &mut Vec<Frame>| {
        for o in out {
            let to = accounts.iter().position(|a| *a == o.to).unwrap();
            let frame = links
                .get_mut(&(from, to))
                .unwrap()
                .encrypt(&o.bytes)
                .unwrap();
            in_flight.push(Frame {
                from,
                to,
                bytes: frame,
            });
        }
    };
    for (i, s) in sessions.iter_mut().enumerate() {
        let out = s.start().unwrap().outgoing;
        send(i, out, &mut links, &mut in_flight);
    }
    loop {
        if in_flight.is_empty() {
            break;
        }
        // Deliver a random in-flight frame (Noise channels are ordered per link, so pick the
        // oldest frame of a random link).
        let pick = rng.gen_range(0..in_flight.len());
        let (from, to) = (in_flight[pick].from, in_flight[pick].to);
        let idx = in_flight
            .iter()
            .position(|f| f.from == from && f.to == to)
            .unwrap();
        let frame = in_flight.remove(idx);
        if Some(frame.from) == drop_party || Some(frame.to) == drop_party {
            continue; // lost: the party went away
        }
        if results[frame.to].is_some() {
            continue;
        }
        let plain = links
            .get_mut(&(frame.to, frame.from))
            .unwrap()
            .decrypt(&frame.bytes)
            .unwrap();
        match sessions[frame.to].handle(&plain) {
            Ok(p) => {
                send(frame.to, p.outgoing, &mut links, &mut in_flight);
                if let Some(k) = p.key_share {
                    results[frame.to] = Some(Ok(k));
                }
            }
            Err(e) => results[frame.to] = Some(Err(e)),
        }
    }
    if let Some(d) = drop_party {
        // The driver sees the dropped party's links close.
        for (i, s) in sessions.iter_mut().enumerate() {
            if i != d && results[i].is_none() {
                results[i] = Some(
                    s.peer_left(&accounts[d])
                        .map(|_| unreachable!("session was unfinished")),
                );
            }
        }
        results[d] = Some(Err(DkgError::PeerLeft(accounts[d])));
    }
    results
        .into_iter()
        .map(|r| r.expect("every party ended: no hang"))
        .collect()
}

#[test]
fn two_party_dkg_over_noise_agrees() {
    for seed in 0..3 {
        let r = run(2, seed, None);
        let a = r[0].as_ref().unwrap();
        let b = r[1].as_ref().unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
        assert_ne!(a.own_public_share(), b.own_public_share());
    }
}

#[test]
fn three_party_private_dkg_over_noise_agrees() {
    for seed in 10..13 {
        let r = run(3, seed, None);
        let keys: Vec<_> = r
            .iter()
            .map(|k| k.as_ref().unwrap().verifying_key())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(r[2].as_ref().unwrap().party_index(), 2);
    }
}

#[test]
fn a_party_that_drops_out_ends_the_session_with_an_error() {
    let r = run(3, 99, Some(2));
    for res in &r {
        assert!(matches!(res, Err(DkgError::PeerLeft(_))), "got {res:?}");
    }
}

#[test]
fn deadline_ends_a_stalled_session() {
    let ps = parties(2, "Deadline");
    let accounts: Vec<_> = ps.iter().map(|p| p.pair.account()).collect();
    let sid = SessionId::dkg(accounts[0], InclusionBlock(1));
    let mut s = DkgSession::new(sid, accounts, ps[0].pair.clone()).unwrap();
    let _ = s.start().unwrap();
    s.set_deadline(1_000);
    assert!(s.check_deadline(999).is_ok());
    assert_eq!(s.check_deadline(1_001), Err(DkgError::Timeout));
    assert_eq!(s.handle(&[0]).unwrap_err(), DkgError::Finished);
}

#[test]
fn forged_replayed_and_misaddressed_messages_are_refused_without_harm() {
    let ps = parties(3, "Forge");
    let accounts: Vec<_> = ps.iter().map(|p| p.pair.account()).collect();
    let sid = SessionId::dkg(accounts[2], InclusionBlock(8));
    let mut s0 = DkgSession::new(sid, accounts.clone(), ps[0].pair.clone()).unwrap();
    let mut s1 = DkgSession::new(sid, accounts.clone(), ps[1].pair.clone()).unwrap();
    let mut s2 = DkgSession::new(sid, accounts.clone(), ps[2].pair.clone()).unwrap();
    let _ = s0.start().unwrap();
    let out1 = s1.start().unwrap().outgoing;
    let to0 = out1
        .iter()
        .find(|o| o.to == accounts[0])
        .unwrap()
        .bytes
        .clone();
    let to2 = out1
        .iter()
        .find(|o| o.to == accounts[2])
        .unwrap()
        .bytes
        .clone();
    let _ = s2.start().unwrap();

    // Flipped payload byte: the signature no longer verifies.
    let mut tampered = to0.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(matches!(s0.handle(&tampered), Err(DkgError::BadMessage(_))));
    // Truncated.
    assert!(matches!(
        s0.handle(&to0[..to0.len() - 3]),
        Err(DkgError::BadMessage(_))
    ));
    // Another session's message.
    let other_sid = SessionId::dkg(accounts[2], InclusionBlock(9));
    let mut other = DkgSession::new(other_sid, accounts.clone(), ps[1].pair.clone()).unwrap();
    let foreign = other.start().unwrap().outgoing.remove(0).bytes;
    assert!(matches!(s0.handle(&foreign), Err(DkgError::BadMessage(_))));
    // Party 2 forging party 1's message: signed by the wrong key.
    let mut m = entropy_register_core::dkg::DkgMessage::from_bytes(&to0).unwrap();
    m.signature = ps[2].pair.sign(b"anything");
    assert!(matches!(
        s0.handle(&m.to_bytes()),
        Err(DkgError::BadMessage(_))
    ));
    // Genuine message accepted once, refused when replayed.
    assert!(s0.handle(&to0).is_ok());
    assert!(matches!(s0.handle(&to0), Err(DkgError::BadMessage(_))));
    // The same broadcast delivered to party 2 is fine there (broadcast), a P2P for 0 is not.
    assert!(s2.handle(&to2).is_ok());
}
