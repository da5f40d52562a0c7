//! DKG protocol messages as a server's session reads them from a peer. Input = mode byte ‖
//! messages, each `len (u16 LE) ‖ bytes`. Party 0 (the session under test) and party 1 (the
//! fuzzer) have fixed keys. Mode bit 0 set: each message that parses is signed again as party 1
//! before it is handled, so the fuzzer reaches the protocol payloads (the DKG library's JSON and
//! the test signature's rounds) behind the signature check.
#![no_main]
use std::sync::LazyLock;

use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dkg::{DkgMessage, DkgSession};
use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::session::SessionId;
use entropy_register_core::types::AccountId32;
use libfuzzer_sys::fuzz_target;

static US: LazyLock<Sr25519Pair> =
    LazyLock::new(|| Sr25519Pair::from_mini_secret(&[1; 32]).unwrap());
static PEER: LazyLock<Sr25519Pair> =
    LazyLock::new(|| Sr25519Pair::from_mini_secret(&[2; 32]).unwrap());

fuzz_target!(|input: &[u8]| {
    let Some((&mode, mut rest)) = input.split_first() else {
        return;
    };
    let session_id = SessionId::dkg(AccountId32([9; 32]), InclusionBlock(7));
    let parties = vec![US.account(), PEER.account()];
    let mut session = DkgSession::new(session_id, parties, US.clone()).unwrap();
    session.start().unwrap();
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
        let (bytes, tail) = tail.split_at(len);
        rest = tail;
        let mut wire = bytes.to_vec();
        if mode & 1 == 1 {
            if let Ok(mut m) = DkgMessage::from_bytes(bytes) {
                m.resign(&PEER);
                wire = m.to_bytes();
            }
        }
        match session.handle(&wire) {
            Ok(progress) if progress.key_share.is_some() => return,
            Ok(_) => {}
            Err(_) => return,
        }
    }
});
