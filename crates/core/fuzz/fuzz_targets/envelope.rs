//! The JSON envelopes every server endpoint opens (`/user/receive_key`, `/user/dealt_share`,
//! `/user/share_check`): input = the recipient's x25519 secret (32 bytes) ‖ the body. The body is
//! opened as an `EncryptedSignedMessage` (HPKE + the signed message inside) and, separately, read
//! as the plaintext `SignedMessage`, so the fuzzer reaches both decoders.
#![no_main]
use entropy_register_core::envelope::{EncryptedSignedMessage, SignedMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((secret, body)) = input.split_first_chunk::<32>() else {
        return;
    };
    if let Ok(envelope) = EncryptedSignedMessage::from_json(body) {
        let _ = envelope.open(secret);
    }
    if let Ok(signed) = SignedMessage::from_json(body) {
        let _ = signed.verify();
    }
});
