//! `/user/new`: the SCALE body an off-chain worker posts (`OcwMessageDkg`), as the servers decode
//! it; whatever decodes must encode back to the same bytes.
#![no_main]
use codec::Encode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(msg) = entropy_register_core::new_user::decode_request(body) {
        assert_eq!(
            msg.encode(),
            body,
            "a decoded /user/new body re-encodes to itself"
        );
    }
});
