//! `Registry` events as the client and the servers decode them from an event subscription:
//! input = event byte (its name, by index) ‖ field bytes.
#![no_main]
use codec::Encode;
use entropy_register_core::events::{RegistryEvent, REGISTRY_EVENT_NAMES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&which, fields)) = input.split_first() else {
        return;
    };
    let index = usize::from(which) % REGISTRY_EVENT_NAMES.len();
    if let Some(event) = RegistryEvent::from_fields(REGISTRY_EVENT_NAMES[index], fields) {
        let encoded = event.encode();
        assert_eq!(usize::from(encoded[0]), index);
        assert_eq!(
            &encoded[1..],
            fields,
            "a decoded event re-encodes to its fields"
        );
    }
});
