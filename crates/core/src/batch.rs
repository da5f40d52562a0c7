//! Confirmations batched in one `Utility.force_batch` extrinsic.
//!
//! A server confirms the registrations whose DKGs finished while its previous transaction was
//! being submitted in one `Utility.force_batch` of `Registry::confirm_register` calls (each call
//! unchanged from v0.2.0), so that its transactions reach the pool in nonce order. The batch's
//! argument is `Vec<RuntimeCall>`: `Compact(len)` then each call as `pallet ‖ call ‖ SCALE(args)`.
//! The servers encode it here and the client reads the confirmations back here; the chain
//! dispatches each call with the batch's signer as origin, so the signer of the extrinsic is the
//! signer of every confirmation in it.

use alloc::vec::Vec;
use codec::{Compact, Decode, Encode};

use crate::types::{ConfirmRegisterArgs, CONFIRM_REGISTER_CALL_INDEX, REGISTRY_PALLET_INDEX};

/// Pallet index of `Utility` in the devnet runtime (not in v0.2.0's registration pallets).
pub const UTILITY_PALLET_INDEX: u8 = 9;
/// Call index of `Utility::force_batch`: every call is dispatched, a failing one does not undo
/// the others (`ItemFailed` marks it).
pub const FORCE_BATCH_CALL_INDEX: u8 = 4;
/// Most confirmations one server puts in one batch (a block holds thousands by weight; this
/// keeps one extrinsic under 10 KiB).
pub const MAX_BATCHED_CONFIRMATIONS: usize = 128;

/// The argument of `Utility::force_batch` that confirms each of `confirmations`.
pub fn encode_confirmations<'a>(
    confirmations: impl ExactSizeIterator<Item = &'a ConfirmRegisterArgs>,
) -> Vec<u8> {
    encode_calls(
        (REGISTRY_PALLET_INDEX, CONFIRM_REGISTER_CALL_INDEX),
        confirmations,
    )
}

/// The argument of a `Utility` batch (`Vec<RuntimeCall>`) whose calls are all the call at
/// `(pallet, call)` index, one per item of `args` (each item SCALE-encoded as that call's
/// arguments).
pub fn encode_calls<A: Encode>(
    (pallet, call): (u8, u8),
    args: impl ExactSizeIterator<Item = A>,
) -> Vec<u8> {
    let mut out = Vec::new();
    Compact(args.len() as u32).encode_to(&mut out);
    for a in args {
        out.extend_from_slice(&[pallet, call]);
        a.encode_to(&mut out);
    }
    out
}

/// The `confirm_register` calls at the start of a batch's argument (`Vec<RuntimeCall>`), in
/// order. A call of another kind ends the reading: its length is unknown without the runtime's
/// metadata, so calls after it are not returned (servers put confirmations only in their
/// batches). Malformed bytes end it the same way; nothing here panics on any input.
pub fn decode_confirmations(mut calls: &[u8]) -> Vec<ConfirmRegisterArgs> {
    let Ok(Compact(count)) = Compact::<u32>::decode(&mut calls) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for _ in 0..count {
        match calls {
            [REGISTRY_PALLET_INDEX, CONFIRM_REGISTER_CALL_INDEX, rest @ ..] => {
                calls = rest;
                match ConfirmRegisterArgs::decode(&mut calls) {
                    Ok(c) => out.push(c),
                    Err(_) => break,
                }
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::AccountId32;

    fn conf(n: u8) -> ConfirmRegisterArgs {
        ConfirmRegisterArgs {
            sig_req_account: AccountId32([n; 32]),
            signing_subgroup: n % 2,
            verifying_key: crate::types::BoundedVec::new(alloc::vec![2; 33]).unwrap(),
        }
    }

    #[test]
    fn a_batch_reads_back_as_its_confirmations() {
        let all: Vec<_> = (0..5).map(conf).collect();
        let bytes = encode_confirmations(all.iter());
        assert_eq!(bytes[0], 5 << 2, "compact length");
        assert_eq!(&bytes[1..3], &[51, 4], "Registry.confirm_register");
        assert_eq!(
            &bytes[3..3 + 67],
            &conf(0).call_data()[2..],
            "v0.2.0's arguments"
        );
        assert_eq!(decode_confirmations(&bytes), all);
        assert_eq!(decode_confirmations(&encode_confirmations([].iter())), []);
    }

    #[test]
    fn a_batch_of_other_calls_has_their_index_before_each_argument() {
        let bytes = encode_calls((10, 3), [7u32, 8].into_iter());
        assert_eq!(bytes, [2 << 2, 10, 3, 7, 0, 0, 0, 10, 3, 8, 0, 0, 0]);
        assert_eq!(decode_confirmations(&bytes), [], "not confirmations");
    }

    #[test]
    fn another_call_or_bad_bytes_end_the_reading() {
        let all: Vec<_> = (0..3).map(conf).collect();
        let mut bytes = encode_confirmations(all.iter());
        // The second call becomes `Registry.register` (call 0): only the first is read.
        bytes[1 + 69] = 0;
        assert_eq!(decode_confirmations(&bytes), all[..1]);
        let good = encode_confirmations(all.iter());
        assert_eq!(
            decode_confirmations(&good[..good.len() - 1]),
            all[..2],
            "cut"
        );
        let mut more = good.clone();
        more[0] = 200 << 2;
        assert_eq!(
            decode_confirmations(&more),
            all,
            "count above the calls present"
        );
        for junk in [&[][..], &[0xff][..], &[4, 51][..], &[4, 51, 4, 1][..]] {
            assert_eq!(decode_confirmations(junk), []);
        }
    }
}
