//! A server's key-store records as read from disk: input = record key (32 bytes) ‖ record. The
//! record is opened (XChaCha20-Poly1305), its value layer read, and what it holds parsed as a
//! stored key share; the raw record is also read as a value layer and as a key share directly.
#![no_main]
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::kvdb::RecordKey;
use entropy_register_core::wire::kvdb_decode_vec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((key, record)) = input.split_first_chunk::<32>() else {
        return;
    };
    let key = RecordKey::from_bytes(*key);
    if let Ok(value) = key.open_value(record) {
        if let Ok(share) = KeyShare::from_bytes(&value) {
            let _ = share.frost_keys();
        }
    }
    let _ = key.open(record);
    let _ = kvdb_decode_vec(record);
    if let Ok(share) = KeyShare::from_bytes(record) {
        assert_eq!(
            KeyShare::from_bytes(&share.to_bytes())
                .ok()
                .map(|s| s.verifying_key()),
            Some(share.verifying_key())
        );
    }
});
