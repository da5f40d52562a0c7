use crate::mock::*;
use codec::Encode;
use entropy_register_core::types::{
    KeyVisibility, OcwMessageDkg, ProgramInstance, ProgramsData, ValidatorInfo,
};
use pallet_registry::Dkg;
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_core::offchain::testing::{PendingRequest, TestOffchainExt};
use polkadot_sdk::sp_core::offchain::{OffchainDbExt, OffchainWorkerExt};

fn register(who: u8) {
    let programs = ProgramsData::new(vec![ProgramInstance {
        program_pointer: GENESIS_PROGRAM.0,
        program_config: vec![],
    }])
    .unwrap();
    assert_ok!(Registry::register(
        RuntimeOrigin::signed(acct(who)),
        acct(50),
        KeyVisibility::Public,
        programs
    ));
}

fn committee_member(i: u8) -> ValidatorInfo {
    ValidatorInfo {
        x25519_public_key: [20 + i; 32],
        ip_address: format!("127.0.0.1:300{i}").into_bytes(),
        tss_account: vec![10 + i; 32],
    }
}

#[test]
fn dkg_entries_are_pruned_two_blocks_later() {
    new_test_ext().execute_with(|| {
        System::set_block_number(5);
        register(5);
        assert_eq!(Dkg::<Test>::get(5).len(), 1);
        Propagation::on_initialize(6);
        assert_eq!(Dkg::<Test>::get(5).len(), 1, "Dkg[N] must live during N+1");
        Propagation::on_initialize(7);
        assert!(Dkg::<Test>::get(5).is_empty());
    });
}

#[test]
fn ocw_posts_the_exact_scale_body_to_each_committee_member() {
    let (offchain, state) = TestOffchainExt::new();
    let mut ext = new_test_ext();
    ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
    ext.register_extension(OffchainDbExt::new(offchain));
    ext.execute_with(|| {
        System::set_block_number(7);
        register(5);
        register(6);
        // Block 8 = N+1: committee index 8 mod 2 = 0 -> stash 1 (group 0) and stash 3 (group 1).
        let expected = OcwMessageDkg {
            block_number: 7,
            sig_request_accounts: vec![acct(5).encode(), acct(6).encode()],
            validators_info: vec![committee_member(1), committee_member(3)],
        };
        let body = expected.encode();
        for port in [3001, 3003] {
            state.write().expect_request(PendingRequest {
                method: "POST".into(),
                uri: format!("http://127.0.0.1:{port}/user/new"),
                body: body.clone(),
                response: Some(vec![]),
                sent: true,
                ..Default::default()
            });
        }
        System::set_block_number(8);
        assert_eq!(Propagation::post_dkg(8), 2);
    });
    // Dropping `state` panics if an expected request was not made; unexpected ones panic at once.
    drop(state);
}

#[test]
fn body_matches_the_reference_vector_layout() {
    new_test_ext().execute_with(|| {
        System::set_block_number(7);
        register(5);
        let (msg, urls) = Propagation::dkg_message(8).unwrap();
        assert_eq!(
            urls,
            vec![
                "http://127.0.0.1:3001/user/new".to_string(),
                "http://127.0.0.1:3003/user/new".to_string()
            ]
        );
        let bytes = msg.encode();
        // block_number u32 LE, then Compact(1) account of Compact(32)=0x80 ‖ 32 bytes.
        assert_eq!(&bytes[..6], &[7, 0, 0, 0, 4, 0x80]);
        assert_eq!(&bytes[6..38], &[5u8; 32]);
        // the account-list digest the servers check
        assert_eq!(
            entropy_register_core::hashing::account_list_digest(&msg.sig_request_accounts),
            entropy_register_core::hashing::account_list_digest(&Dkg::<Test>::get(7))
        );
    });
}

#[test]
fn nothing_is_sent_without_registrations_or_committee() {
    let (offchain, state) = TestOffchainExt::new();
    let mut ext = new_test_ext();
    ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
    ext.register_extension(OffchainDbExt::new(offchain));
    ext.execute_with(|| {
        System::set_block_number(8);
        assert_eq!(Propagation::post_dkg(8), 0);
        assert!(Propagation::dkg_message(0).is_none());
        System::set_block_number(7);
        register(5);
        pallet_staking_extension::SigningGroups::<Test>::remove(1);
        assert!(Propagation::dkg_message(8).is_none());
        assert_eq!(Propagation::post_dkg(8), 0);
    });
    drop(state);
}
