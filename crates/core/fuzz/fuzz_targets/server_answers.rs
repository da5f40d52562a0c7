//! What the client reads from a server: a signed receipt (JSON) with its checks, including the
//! test signature; a key status (`/user/key/{vk}`); a refusal body.
#![no_main]
use entropy_register_core::api::{ErrorBody, KeyStatus};
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::verify::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(r) = serde_json::from_slice::<Receipt>(body) {
        let _ = r.verify(
            &r.account,
            InclusionBlock(r.block_number),
            &r.verifying_key,
            |_| Some(r.subgroup),
        );
        let _ = r.verify_test_signature(&[r.server]);
        let again: Receipt = serde_json::from_slice(&serde_json::to_vec(&r).unwrap()).unwrap();
        assert_eq!(again, r);
    }
    let _ = serde_json::from_slice::<KeyStatus>(body);
    let e = ErrorBody::parse(body);
    let _ = e.api_code();
});
