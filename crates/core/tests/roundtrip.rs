//! Property tests: every wire type survives encode → decode, and arbitrary bytes never panic a
//! decoder (they decode or fail with an error).

use codec::{Decode, Encode};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::*;
use entropy_register_core::{hex, ss58, wire};
use proptest::prelude::*;

fn account() -> impl Strategy<Value = AccountId32> {
    any::<[u8; 32]>().prop_map(AccountId32)
}
fn visibility() -> impl Strategy<Value = KeyVisibility> {
    prop_oneof![
        Just(KeyVisibility::Public),
        any::<[u8; 32]>().prop_map(KeyVisibility::Private)
    ]
}
fn program() -> impl Strategy<Value = ProgramInstance> {
    (
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(program_pointer, program_config)| ProgramInstance {
            program_pointer,
            program_config,
        })
}
fn programs() -> impl Strategy<Value = ProgramsData> {
    proptest::collection::vec(program(), 0..=5).prop_map(|v| ProgramsData::new(v).unwrap())
}
fn vk_bytes() -> impl Strategy<Value = VerifyingKeyBytes> {
    proptest::collection::vec(any::<u8>(), 0..=33).prop_map(|v| VerifyingKeyBytes::new(v).unwrap())
}
fn validator() -> impl Strategy<Value = ValidatorInfo> {
    (
        any::<[u8; 32]>(),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(
            |(x25519_public_key, ip_address, tss_account)| ValidatorInfo {
                x25519_public_key,
                ip_address,
                tss_account,
            },
        )
}

fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(v: &T) {
    let enc = v.encode();
    let mut input = &enc[..];
    assert_eq!(&T::decode(&mut input).unwrap(), v);
    assert!(input.is_empty());
}

proptest! {
    #[test]
    fn scale_types_round_trip(
        acct in account(), vis in visibility(), progs in programs(), vk in proptest::option::of(vk_bytes()),
        confirmations in proptest::collection::vec(any::<u8>(), 0..4), version in any::<u8>(),
        block in any::<u32>(), accounts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 32), 0..8),
        validators in proptest::collection::vec(validator(), 0..3), endpoint in proptest::collection::vec(any::<u8>(), 0..100),
        x in any::<[u8; 32]>(), subgroup in any::<u8>(), key in vk_bytes(),
    ) {
        round_trip(&vis);
        round_trip(&progs);
        round_trip(&RegisteringDetails { program_modification_account: acct, confirmations, programs_data: progs.clone(), key_visibility: vis, verifying_key: vk, version_number: version });
        round_trip(&RegisteredInfo { key_visibility: vis, programs_data: progs.clone(), program_modification_account: acct, version_number: version });
        round_trip(&OcwMessageDkg { block_number: block, sig_request_accounts: accounts, validators_info: validators });
        round_trip(&ServerInfo { tss_account: acct, x25519_public_key: x, endpoint });
        let args = RegisterArgs { program_modification_account: acct, key_visibility: vis, programs_data: progs };
        round_trip(&args);
        prop_assert_eq!(&args.call_data()[..2], &[51u8, 0][..]);
        let confirm = ConfirmRegisterArgs { sig_req_account: acct, signing_subgroup: subgroup, verifying_key: key };
        round_trip(&confirm);
        prop_assert_eq!(&confirm.call_data()[..2], &[51u8, 4][..]);
    }

    #[test]
    fn bincode_and_text_forms_round_trip(acct in account(), block in any::<u32>(), sig in any::<[u8; 64]>(), data in proptest::collection::vec(any::<u8>(), 0..2000), s in ".{0,40}") {
        let sid = SessionId::Dkg { user: acct, block_number: block };
        prop_assert_eq!(SessionId::from_bincode(&sid.to_bincode()).unwrap(), sid);
        let sub = SubscribeMessage { session_id: sid, public_key: acct, signature: sig };
        prop_assert_eq!(SubscribeMessage::from_bincode(&sub.to_bincode()).unwrap(), sub);
        prop_assert_eq!(wire::kvdb_decode_vec(&wire::kvdb_encode_vec(&data)).unwrap(), data.clone());
        let r: Result<(), String> = Err(s);
        prop_assert_eq!(wire::decode_subscribe_response(&wire::encode_subscribe_response(&r)).unwrap(), r);
        prop_assert_eq!(ss58::decode(&ss58::encode(&acct.0)).unwrap(), acct.0);
        prop_assert_eq!(hex::decode(&hex::encode_0x(&data)).unwrap(), data);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = OcwMessageDkg::decode(&mut &data[..]);
        let _ = RegisteringDetails::decode(&mut &data[..]);
        let _ = RegisteredInfo::decode(&mut &data[..]);
        let _ = ProgramsData::decode(&mut &data[..]);
        let _ = VerifyingKey::decode(&mut &data[..]);
        let _ = SessionId::from_bincode(&data);
        let _ = SubscribeMessage::from_bincode(&data);
        let _ = wire::kvdb_decode_vec(&data);
        let _ = wire::decode_subscribe_response(&data);
        let _ = entropy_register_core::new_user::decode_request(&data);
        let _ = entropy_register_core::dkg::DkgMessage::from_bytes(&data);
        let _ = entropy_register_core::envelope::EncryptedSignedMessage::from_json(&data);
    }
}

#[test]
fn programs_data_refuses_a_sixth_program() {
    let p = ProgramInstance {
        program_pointer: [0; 32],
        program_config: vec![],
    };
    assert!(ProgramsData::new(vec![p.clone(); 6]).is_err());
    let six = vec![p; 6].encode();
    assert!(ProgramsData::decode(&mut &six[..]).is_err());
}
