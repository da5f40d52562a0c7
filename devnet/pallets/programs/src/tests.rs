use crate::{mock::*, Error, Event, OwnedPrograms, Programs as ProgramStorage};
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_core::H256;

fn pointer(code: &[u8], cfg: &[u8]) -> H256 {
    H256(entropy_register_core::hashing::program_pointer(
        code, cfg, b"", b"",
    ))
}

#[test]
fn set_program_stores_reserves_and_emits() {
    new_test_ext().execute_with(|| {
        assert_ok!(Programs::set_program(
            RuntimeOrigin::signed(acct(1)),
            b"code".to_vec(),
            b"cfg".to_vec(),
            vec![],
            vec![]
        ));
        let h = pointer(b"code", b"cfg");
        let info = ProgramStorage::<Test>::get(h).unwrap();
        assert_eq!(info.deployer, acct(1));
        assert_eq!(info.ref_counter, 0);
        assert_eq!(Balances::reserved_balance(acct(1)), 7 * 10);
        assert_eq!(OwnedPrograms::<Test>::get(acct(1)).to_vec(), vec![h]);
        System::assert_last_event(
            Event::ProgramCreated {
                deployer: acct(1),
                program_hash: h,
                configuration_schema: b"cfg".to_vec(),
                auxiliary_data_schema: vec![],
                oracle_data_pointer: vec![],
            }
            .into(),
        );
    });
}

#[test]
fn set_program_errors() {
    new_test_ext().execute_with(|| {
        let set = |who: u8, code: &[u8]| {
            Programs::set_program(
                RuntimeOrigin::signed(acct(who)),
                code.to_vec(),
                vec![],
                vec![],
                vec![],
            )
        };
        assert_ok!(set(1, b"a"));
        assert_noop!(set(1, b"a"), Error::<Test>::ProgramAlreadySet);
        assert_noop!(set(1, &[0u8; 1001]), Error::<Test>::ProgramLengthExceeded);
        assert_noop!(set(2, &[1u8; 50]), Error::<Test>::InsufficientDeposit);
        assert_ok!(set(1, b"b"));
        assert_noop!(set(1, b"c"), Error::<Test>::TooManyProgramsOwned);
    });
}

#[test]
fn remove_program_success_and_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(Programs::set_program(
            RuntimeOrigin::signed(acct(1)),
            b"code".to_vec(),
            vec![],
            vec![],
            vec![]
        ));
        let h = pointer(b"code", b"");
        assert_noop!(
            Programs::remove_program(RuntimeOrigin::signed(acct(2)), h),
            Error::<Test>::NotAuthorized
        );
        assert_noop!(
            Programs::remove_program(RuntimeOrigin::signed(acct(1)), H256::repeat_byte(9)),
            Error::<Test>::NoProgramDefinedForAccount
        );
        assert_eq!(Programs::add_references(&[h]), Ok(()));
        assert_noop!(
            Programs::remove_program(RuntimeOrigin::signed(acct(1)), h),
            Error::<Test>::ProgramInUse
        );
        Programs::remove_references(&[h]);
        assert_ok!(Programs::remove_program(RuntimeOrigin::signed(acct(1)), h));
        assert!(ProgramStorage::<Test>::get(h).is_none());
        assert_eq!(Balances::reserved_balance(acct(1)), 0);
        assert!(OwnedPrograms::<Test>::get(acct(1)).is_empty());
        System::assert_last_event(
            Event::ProgramRemoved {
                deployer: acct(1),
                old_program_hash: h,
            }
            .into(),
        );
    });
}

#[test]
fn references_are_all_or_nothing() {
    new_test_ext().execute_with(|| {
        assert_ok!(Programs::set_program(
            RuntimeOrigin::signed(acct(1)),
            b"x".to_vec(),
            vec![],
            vec![],
            vec![]
        ));
        let h = pointer(b"x", b"");
        let missing = H256::repeat_byte(3);
        assert_eq!(Programs::add_references(&[h, missing]), Err(missing));
        assert_eq!(ProgramStorage::<Test>::get(h).unwrap().ref_counter, 0);
        assert_eq!(Programs::add_references(&[h, h]), Ok(()));
        assert_eq!(ProgramStorage::<Test>::get(h).unwrap().ref_counter, 2);
    });
}
