//! The test signature as the client checks it: input = verifying key (33 bytes) ‖ signature
//! (65 bytes) ‖ transcript; and the signing round messages a server reads (any bytes).
#![no_main]
use entropy_register_core::test_signature::{TestSignature, TestSigningMessage};
use entropy_register_core::types::VerifyingKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let _ = TestSigningMessage::from_bytes(input);
    let Some((vk, rest)) = input.split_first_chunk::<33>() else {
        return;
    };
    let Some((sig, transcript)) = rest.split_first_chunk::<65>() else {
        return;
    };
    if let (Ok(vk), Ok(sig)) = (VerifyingKey::from_bytes(vk), TestSignature::from_bytes(sig)) {
        let _ = sig.verify(&vk, transcript);
    }
});
