//! `/user/receive_key`: the opened message, a `UserRegistrationInfo` JSON carrying a key share.
#![no_main]
use entropy_register_core::share_transfer::UserRegistrationInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|message: &[u8]| {
    if let Ok(info) = UserRegistrationInfo::from_json(message) {
        let again =
            UserRegistrationInfo::from_json(&info.to_json()).expect("re-encoded info reads");
        assert_eq!(again.to_json(), info.to_json());
    }
});
