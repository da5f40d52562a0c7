//! The client-dealt flow's messages: `/user/dealt_share` (`DealtShare`), `/user/share_check`
//! (`ShareCheck`) and a peer's signed answer (`ShareCheckAnswer`, JSON).
#![no_main]
use entropy_register_core::client_dealt::{DealtShare, ShareCheck, ShareCheckAnswer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|message: &[u8]| {
    if let Ok(share) = DealtShare::from_json(message) {
        DealtShare::from_json(&share.to_json()).expect("a re-encoded dealt share reads");
    }
    if let Ok(check) = ShareCheck::from_json(message) {
        assert_eq!(
            ShareCheck::from_json(&check.to_json()).ok(),
            Some(check.clone())
        );
        if let Ok(answer) = serde_json::from_slice::<ShareCheckAnswer>(message) {
            let _ = answer.accept(&check, &answer.server, &answer.server);
        }
    }
});
