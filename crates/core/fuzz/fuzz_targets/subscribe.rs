//! The websocket subscription: the bincode `SessionId`, the `SubscribeMessage` carried in Noise
//! handshake message 3 (with the responder's checks), and the reply `Result<(), String>`.
#![no_main]
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::wire::{decode_subscribe_response, encode_subscribe_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|b: &[u8]| {
    if let Ok(id) = SessionId::from_bincode(b) {
        assert_eq!(id.to_bincode(), b, "a session id re-encodes to itself");
    }
    if let Ok(m) = SubscribeMessage::from_bincode(b) {
        let _ = m.check(&[7; 32], true, |_| Some([7; 32]));
        let again = SubscribeMessage::from_bincode(&m.to_bincode()).expect("re-encoded reads");
        assert_eq!(again.to_bincode(), m.to_bincode());
    }
    if let Ok(reply) = decode_subscribe_response(b) {
        assert_eq!(
            decode_subscribe_response(&encode_subscribe_response(&reply)),
            Ok(reply)
        );
    }
});
