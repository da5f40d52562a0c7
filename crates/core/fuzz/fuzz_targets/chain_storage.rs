//! Storage values the client and the servers read from the chain, decoded as they decode them
//! (`storage::decode_value`: whole SCALE values). Input = item byte ‖ value. What decodes must
//! encode back to the same bytes.
#![no_main]
use codec::{Decode, Encode};
use entropy_register_core::commitments::{ClientDealtRegistration, Commitments};
use entropy_register_core::storage::{decode_value, free_balance};
use entropy_register_core::types::*;
use libfuzzer_sys::fuzz_target;

fn item<T: Decode + Encode>(value: &[u8]) {
    if let Ok(v) = decode_value::<T>(value) {
        assert_eq!(
            v.encode(),
            value,
            "a decoded storage value re-encodes to itself"
        );
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&which, value)) = input.split_first() else {
        return;
    };
    match which % 12 {
        0 => item::<RegisteringDetails>(value),
        1 => item::<RegisteredInfo>(value),
        2 => item::<ClientDealtRegistration>(value),
        3 => item::<Commitments>(value),
        4 => item::<Vec<Vec<u8>>>(value),
        5 | 9 => item::<u8>(value),
        6 => item::<Vec<AccountId32>>(value),
        7 => item::<ServerInfo>(value),
        8 => item::<AccountId32>(value),
        10 => item::<bool>(value),
        _ => {
            let _ = free_balance(value);
        }
    }
});
