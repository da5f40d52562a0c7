//! The confirmations the client reads from a `Utility` batch's argument (`batch::
//! decode_confirmations`: `Vec<RuntimeCall>` from any signed extrinsic of a block). What it reads
//! must encode back to the start of the input: no call is invented, none reordered.
#![no_main]
use codec::{Compact, Decode, Encode};
use entropy_register_core::batch::{decode_confirmations, encode_confirmations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let read = decode_confirmations(input);
    let mut rest = input;
    let Ok(Compact(count)) = Compact::<u32>::decode(&mut rest) else {
        assert!(read.is_empty());
        return;
    };
    assert!(read.len() <= count as usize);
    let encoded = encode_confirmations(read.iter());
    let calls = &encoded[Compact(read.len() as u32).encode().len()..];
    assert_eq!(
        calls,
        &rest[..calls.len()],
        "the calls read re-encode to the input's first calls"
    );
});
