//! The core's batch encoding (`entropy_register_core::batch`) is what this runtime decodes:
//! `Utility.force_batch` of `Registry.confirm_register` calls at the indices the core names.

use codec::Decode;
use devnet_runtime::RuntimeCall;
use entropy_register_core::batch::{
    decode_confirmations, encode_confirmations, FORCE_BATCH_CALL_INDEX, UTILITY_PALLET_INDEX,
};
use entropy_register_core::types::{AccountId32, BoundedVec, ConfirmRegisterArgs};

#[test]
fn the_core_batch_is_a_force_batch_of_confirm_register() {
    let confirmations: Vec<ConfirmRegisterArgs> = (0..3u8)
        .map(|n| ConfirmRegisterArgs {
            sig_req_account: AccountId32([n; 32]),
            signing_subgroup: n,
            verifying_key: BoundedVec::new(vec![3; 33]).unwrap(),
        })
        .collect();
    let args = encode_confirmations(confirmations.iter());
    let mut data = vec![UTILITY_PALLET_INDEX, FORCE_BATCH_CALL_INDEX];
    data.extend_from_slice(&args);
    let call = RuntimeCall::decode(&mut &data[..]).expect("the runtime decodes the batch");
    let RuntimeCall::Utility(polkadot_sdk::pallet_utility::Call::force_batch { calls }) = call
    else {
        panic!("not Utility.force_batch: {call:?}");
    };
    assert_eq!(calls.len(), 3);
    for (c, want) in calls.iter().zip(&confirmations) {
        let RuntimeCall::Registry(pallet_registry::Call::confirm_register {
            sig_req_account,
            signing_subgroup,
            verifying_key,
        }) = c
        else {
            panic!("not Registry.confirm_register: {c:?}");
        };
        assert_eq!(
            <[u8; 32]>::from(sig_req_account.clone()),
            want.sig_req_account.0
        );
        assert_eq!(*signing_subgroup, want.signing_subgroup);
        assert_eq!(verifying_key, &want.verifying_key);
    }
    assert_eq!(decode_confirmations(&args), confirmations);
}
