//! Noise transport frames after a real handshake. Input = mode byte ‖ data. Even mode: `data`
//! is a frame from the peer (any bytes). Odd mode: `data` is a plaintext the peer encrypts; the
//! frame is then damaged at the byte the mode names (mode ≥ 2), and must decrypt to `data`
//! exactly when it was left whole.
#![no_main]
use std::sync::LazyLock;

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Channel, Initiator, Responder};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::AccountId32;
use libfuzzer_sys::fuzz_target;

static SUBSCRIBE: LazyLock<SubscribeMessage> = LazyLock::new(|| {
    let pair = Sr25519Pair::from_mini_secret(&[1; 32]).unwrap();
    SubscribeMessage::new(
        SessionId::dkg(AccountId32([9; 32]), InclusionBlock(7)),
        &pair,
    )
});

fn channels() -> (Channel, Channel) {
    let responder_public = X25519Keypair::from_secret([3; 32]).public;
    let (initiator, msg1) = Initiator::start(&[2; 32], &responder_public, &SUBSCRIBE).unwrap();
    let (responder, msg2) = Responder::new(&[3; 32])
        .unwrap()
        .read_message1(&msg1)
        .unwrap();
    let (awaiting, msg3) = initiator.read_message2(&msg2).unwrap();
    let (server, reply) = responder.read_message3(&msg3).unwrap().accept().unwrap();
    (awaiting.read_reply(&reply).unwrap(), server)
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let (mut client, mut server) = channels();
    if mode % 2 == 0 {
        let _ = server.decrypt(data);
        return;
    }
    let mut frame = client.encrypt(data).unwrap();
    let damaged = mode >= 2;
    if damaged {
        let at = usize::from(mode) % frame.len();
        frame[at] ^= 0x5a;
    }
    match server.decrypt(&frame) {
        Ok(plain) => {
            assert!(!damaged, "a damaged frame decrypted");
            assert_eq!(plain, data);
        }
        Err(e) => assert!(damaged, "a whole frame failed: {e}"),
    }
});
