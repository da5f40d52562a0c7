//! The Noise XK handshake, one message at a time from the side that reads it. Input = stage
//! byte ‖ frame: 0 the responder reads message 1; 1 the initiator reads message 2 (after a real
//! message 1); 2 the responder reads message 3 (after real messages 1 and 2); 3 the initiator
//! reads the subscription reply (after a real handshake).
#![no_main]
use std::sync::LazyLock;

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::noise::{Initiator, Responder};
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
const INITIATOR: [u8; 32] = [2; 32];
const RESPONDER: [u8; 32] = [3; 32];

fuzz_target!(|input: &[u8]| {
    let Some((&stage, frame)) = input.split_first() else {
        return;
    };
    let responder_public = X25519Keypair::from_secret(RESPONDER).public;
    let responder = Responder::new(&RESPONDER).unwrap();
    if stage % 4 == 0 {
        let _ = responder.read_message1(frame);
        return;
    }
    let (initiator, msg1) = Initiator::start(&INITIATOR, &responder_public, &SUBSCRIBE).unwrap();
    if stage % 4 == 1 {
        let _ = initiator.read_message2(frame);
        return;
    }
    let (responder, msg2) = responder.read_message1(&msg1).unwrap();
    if stage % 4 == 2 {
        let _ = responder.read_message3(frame);
        return;
    }
    let (awaiting, _msg3) = initiator.read_message2(&msg2).unwrap();
    let _ = awaiting.read_reply(frame);
});
