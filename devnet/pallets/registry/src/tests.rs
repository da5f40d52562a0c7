use crate::{
    mock::*, Dkg, Error, Event, ModifiableKeys, Registered, Registering, ValidateConfirmRegistered,
};
use entropy_register_core::committee::CommitteeBlock;
use entropy_register_core::types::{
    AccountId32 as CoreAccount, KeyVisibility, ProgramInstance, ProgramsData, VerifyingKeyBytes,
};
use pallet_programs::Programs as ProgramStorage;
use polkadot_sdk::frame_support::dispatch::{GetDispatchInfo, Pays};
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;
use polkadot_sdk::sp_core::H256;
use polkadot_sdk::sp_runtime::traits::DispatchTransaction;
use polkadot_sdk::sp_runtime::transaction_validity::{
    InvalidTransaction, TransactionSource, TransactionValidityError,
};

fn programs(pointers: &[H256]) -> ProgramsData {
    ProgramsData::new(
        pointers
            .iter()
            .map(|p| ProgramInstance {
                program_pointer: p.0,
                program_config: b"{}".to_vec(),
            })
            .collect(),
    )
    .unwrap()
}

fn vk(n: u8) -> VerifyingKeyBytes {
    let mut b = vec![0x02];
    b.extend([n; 32]);
    VerifyingKeyBytes::new(b).unwrap()
}

fn register(who: u8, visibility: KeyVisibility) -> DispatchResult {
    Registry::register(
        RuntimeOrigin::signed(acct(who)),
        acct(50),
        visibility,
        programs(&[GENESIS_PROGRAM]),
    )
}

fn confirm(tss: u8, who: u8, group: u8, key: VerifyingKeyBytes) -> DispatchResult {
    Registry::confirm_register(RuntimeOrigin::signed(acct(tss)), acct(who), group, key)
}

fn refs(p: H256) -> u128 {
    ProgramStorage::<Test>::get(p).unwrap().ref_counter
}

#[test]
fn register_records_dkg_registering_and_references() {
    new_test_ext().execute_with(|| {
        System::set_block_number(7);
        assert_ok!(register(5, KeyVisibility::Private([3; 32])));
        assert_ok!(register(6, KeyVisibility::Public));
        assert_eq!(
            Dkg::<Test>::get(7),
            vec![acct(5).encode(), acct(6).encode()]
        );
        let d = Registering::<Test>::get(acct(5)).unwrap();
        assert_eq!(d.program_modification_account, CoreAccount([50; 32]));
        assert_eq!(d.key_visibility, KeyVisibility::Private([3; 32]));
        assert!(d.confirmations.is_empty() && d.verifying_key.is_none());
        assert_eq!(d.version_number, 1);
        assert_eq!(refs(GENESIS_PROGRAM), 2);
        System::assert_last_event(Event::SignalRegister(acct(6)).into());
    });
}

#[test]
fn register_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        assert_noop!(
            register(5, KeyVisibility::Public),
            Error::<Test>::AlreadySubmitted
        );
        let reg = |p: ProgramsData| {
            Registry::register(
                RuntimeOrigin::signed(acct(6)),
                acct(50),
                KeyVisibility::Public,
                p,
            )
        };
        assert_noop!(reg(programs(&[])), Error::<Test>::NoProgramSet);
        // One unknown program: nothing changes, not even the known program's counter.
        assert_noop!(
            reg(programs(&[GENESIS_PROGRAM, H256::repeat_byte(7)])),
            Error::<Test>::NoProgramSet
        );
        let long = ProgramsData::new(vec![ProgramInstance {
            program_pointer: GENESIS_PROGRAM.0,
            program_config: vec![0; 65],
        }])
        .unwrap();
        assert_noop!(reg(long), Error::<Test>::MaxProgramLengthExceeded);
    });
}

#[test]
fn prune_registration_success_and_error() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        assert_ok!(Registry::prune_registration(RuntimeOrigin::signed(acct(5))));
        assert!(Registering::<Test>::get(acct(5)).is_none());
        assert_eq!(refs(GENESIS_PROGRAM), 0);
        System::assert_last_event(Event::RegistrationCancelled(acct(5)).into());
        assert_noop!(
            Registry::prune_registration(RuntimeOrigin::signed(acct(5))),
            Error::<Test>::NotRegistering
        );
    });
}

#[test]
fn two_matching_confirmations_register_the_key() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        assert_ok!(confirm(11, 5, 0, vk(1)));
        System::assert_last_event(Event::RecievedConfirmation(acct(5), 0, vk(1)).into());
        let d = Registering::<Test>::get(acct(5)).unwrap();
        assert_eq!(d.confirmations, vec![0]);
        assert_eq!(d.verifying_key, Some(vk(1)));
        assert_ok!(confirm(14, 5, 1, vk(1)));
        System::assert_last_event(Event::AccountRegistered(acct(5), vk(1)).into());
        assert!(Registering::<Test>::get(acct(5)).is_none());
        let info = Registered::<Test>::get(vk(1)).unwrap();
        assert_eq!(info.key_visibility, KeyVisibility::Public);
        assert_eq!(info.programs_data, programs(&[GENESIS_PROGRAM]));
        assert_eq!(info.program_modification_account, CoreAccount([50; 32]));
        assert_eq!(ModifiableKeys::<Test>::get(acct(50)).to_vec(), vec![vk(1)]);
    });
}

#[test]
fn mismatched_key_fails_the_registration() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        assert_ok!(confirm(11, 5, 0, vk(1)));
        assert_ok!(confirm(13, 5, 1, vk(2)));
        System::assert_last_event(Event::FailedRegistration(acct(5)).into());
        assert!(Registering::<Test>::get(acct(5)).is_none());
        assert!(
            Registered::<Test>::get(vk(1)).is_none() && Registered::<Test>::get(vk(2)).is_none()
        );
        // As the reference: program references are not released on failure.
        assert_eq!(refs(GENESIS_PROGRAM), 1);
    });
}

#[test]
fn confirm_register_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        let short = VerifyingKeyBytes::new(vec![2; 32]).unwrap();
        assert_noop!(
            confirm(11, 5, 0, short),
            Error::<Test>::MismatchedVerifyingKeyLength
        );
        assert_noop!(confirm(1, 5, 0, vk(1)), Error::<Test>::NoThresholdKey);
        assert_noop!(confirm(11, 6, 0, vk(1)), Error::<Test>::NotRegistering);
        assert_noop!(confirm(11, 5, 2, vk(1)), Error::<Test>::InvalidSubgroup);
        assert_noop!(confirm(11, 5, 1, vk(1)), Error::<Test>::NotInSigningGroup);
        assert_ok!(confirm(11, 5, 0, vk(1)));
        assert_noop!(confirm(12, 5, 0, vk(1)), Error::<Test>::AlreadyConfirmed);
        pallet_staking_extension::ValidatorToSubgroup::<Test>::remove(acct(3));
        assert_noop!(confirm(13, 5, 1, vk(1)), Error::<Test>::SigningGroupError);
    });
}

#[test]
fn too_many_modifiable_keys_reverts_the_last_confirmation() {
    new_test_ext().execute_with(|| {
        let full: Vec<_> = (0..25u8).map(|i| vk(100 + i)).collect();
        ModifiableKeys::<Test>::insert(acct(50), BoundedVec::try_from(full).unwrap());
        assert_ok!(register(5, KeyVisibility::Public));
        assert_ok!(confirm(11, 5, 0, vk(1)));
        assert_noop!(
            confirm(13, 5, 1, vk(1)),
            Error::<Test>::TooManyModifiableKeys
        );
        assert!(Registering::<Test>::get(acct(5)).is_some());
    });
}

fn registered_key() -> VerifyingKeyBytes {
    assert_ok!(register(5, KeyVisibility::Public));
    assert_ok!(confirm(11, 5, 0, vk(1)));
    assert_ok!(confirm(13, 5, 1, vk(1)));
    vk(1)
}

#[test]
fn change_program_instance_success_and_errors() {
    new_test_ext().execute_with(|| {
        let key = registered_key();
        let change = |who: u8, key: VerifyingKeyBytes, p: ProgramsData| {
            Registry::change_program_instance(RuntimeOrigin::signed(acct(who)), key, p)
        };
        assert_ok!(change(50, key.clone(), programs(&[OTHER_PROGRAM])));
        assert_eq!(
            Registered::<Test>::get(&key).unwrap().programs_data,
            programs(&[OTHER_PROGRAM])
        );
        assert_eq!((refs(GENESIS_PROGRAM), refs(OTHER_PROGRAM)), (0, 1));
        System::assert_last_event(
            Event::ProgramInfoChanged(acct(50), programs(&[OTHER_PROGRAM])).into(),
        );
        assert_noop!(
            change(50, vk(9), programs(&[OTHER_PROGRAM])),
            Error::<Test>::NotRegistered
        );
        assert_noop!(
            change(51, key.clone(), programs(&[OTHER_PROGRAM])),
            Error::<Test>::NotAuthorized
        );
        assert_noop!(
            change(50, key.clone(), programs(&[])),
            Error::<Test>::NoProgramSet
        );
        assert_noop!(
            change(50, key, programs(&[H256::repeat_byte(8)])),
            Error::<Test>::NoProgramSet
        );
    });
}

#[test]
fn change_program_modification_account_success_and_errors() {
    new_test_ext().execute_with(|| {
        let key = registered_key();
        let change = |who: u8, key: VerifyingKeyBytes, new: u8| {
            Registry::change_program_modification_account(
                RuntimeOrigin::signed(acct(who)),
                key,
                acct(new),
            )
        };
        assert_ok!(change(50, key.clone(), 51));
        assert_eq!(
            Registered::<Test>::get(&key)
                .unwrap()
                .program_modification_account,
            CoreAccount([51; 32])
        );
        assert!(ModifiableKeys::<Test>::get(acct(50)).is_empty());
        assert_eq!(
            ModifiableKeys::<Test>::get(acct(51)).to_vec(),
            vec![key.clone()]
        );
        System::assert_last_event(
            Event::ProgramModificationAccountChanged(acct(50), acct(51), key.clone()).into(),
        );
        assert_noop!(change(51, vk(9), 52), Error::<Test>::NotRegistered);
        assert_noop!(change(50, key.clone(), 52), Error::<Test>::NotAuthorized);
        let full: Vec<_> = (0..25u8).map(|i| vk(100 + i)).collect();
        ModifiableKeys::<Test>::insert(acct(52), BoundedVec::try_from(full).unwrap());
        assert_noop!(change(51, key, 52), Error::<Test>::TooManyModifiableKeys);
    });
}

#[test]
fn confirm_register_is_free() {
    let call = crate::Call::<Test>::confirm_register {
        sig_req_account: acct(5),
        signing_subgroup: 0,
        verifying_key: vk(1),
    };
    assert_eq!(call.get_dispatch_info().pays_fee, Pays::No);
}

#[test]
fn pool_filter_codes() {
    new_test_ext().execute_with(|| {
        assert_ok!(register(5, KeyVisibility::Public));
        let check = |tss: u8, who: u8, group: u8| {
            let call: RuntimeCall = crate::Call::<Test>::confirm_register {
                sig_req_account: acct(who),
                signing_subgroup: group,
                verifying_key: vk(1),
            }
            .into();
            let info = call.get_dispatch_info();
            ValidateConfirmRegistered::<Test>::new()
                .validate_only(
                    RuntimeOrigin::signed(acct(tss)),
                    &call,
                    &info,
                    0,
                    TransactionSource::External,
                    0,
                )
                .map(|_| ())
        };
        let code = |c| {
            Err(TransactionValidityError::Invalid(
                InvalidTransaction::Custom(c),
            ))
        };
        assert_eq!(check(11, 5, 0), Ok(()));
        assert_eq!(check(1, 5, 0), code(1));
        assert_eq!(check(11, 6, 0), code(2));
        assert_eq!(check(11, 5, 7), code(4));
        assert_eq!(check(11, 5, 1), code(5));
        assert_ok!(confirm(11, 5, 0, vk(1)));
        assert_eq!(check(12, 5, 0), code(3));
        // Other calls pass untouched.
        let other: RuntimeCall = crate::Call::<Test>::prune_registration {}.into();
        let info = other.get_dispatch_info();
        assert!(ValidateConfirmRegistered::<Test>::new()
            .validate_only(
                RuntimeOrigin::signed(acct(1)),
                &other,
                &info,
                0,
                TransactionSource::External,
                0
            )
            .is_ok());
    });
}

#[test]
fn dkg_committee_and_its_errors() {
    new_test_ext().execute_with(|| {
        let c = Registry::dkg_committee(CommitteeBlock(8)).unwrap();
        assert_eq!(
            c.iter().map(|v| v.ip_address.clone()).collect::<Vec<_>>(),
            vec![b"127.0.0.1:3001".to_vec(), b"127.0.0.1:3003".to_vec()]
        );
        assert_eq!(c[0].tss_account, vec![11; 32]);
        pallet_staking_extension::ThresholdServers::<Test>::remove(acct(1));
        assert!(matches!(
            Registry::dkg_committee(CommitteeBlock(8)),
            Err(Error::<Test>::IpAddressError)
        ));
        pallet_staking_extension::IsValidatorSynced::<Test>::insert(acct(3), false);
        pallet_staking_extension::IsValidatorSynced::<Test>::insert(acct(4), false);
        assert!(matches!(
            Registry::dkg_committee(CommitteeBlock(9)),
            Err(Error::<Test>::NoSyncedValidators)
        ));
        pallet_staking_extension::SigningGroups::<Test>::remove(0);
        assert!(matches!(
            Registry::dkg_committee(CommitteeBlock(9)),
            Err(Error::<Test>::SigningGroupError)
        ));
    });
}

#[test]
fn events_encode_as_the_core_decodes_them() {
    use entropy_register_core::events::RegistryEvent as Core;
    let a = acct(1);
    let b = acct(2);
    let ca = CoreAccount([1; 32]);
    let cb = CoreAccount([2; 32]);
    let vk = VerifyingKeyBytes::new(vec![2; 33]).unwrap();
    let progs = programs(&[H256::repeat_byte(3)]);
    let pairs: Vec<(Event<Test>, Core)> = vec![
        (Event::SignalRegister(a.clone()), Core::SignalRegister(ca)),
        (
            Event::RecievedConfirmation(a.clone(), 1, vk.clone()),
            Core::RecievedConfirmation(ca, 1, vk.clone()),
        ),
        (
            Event::AccountRegistered(a.clone(), vk.clone()),
            Core::AccountRegistered(ca, vk.clone()),
        ),
        (
            Event::FailedRegistration(a.clone()),
            Core::FailedRegistration(ca),
        ),
        (
            Event::RegistrationCancelled(a.clone()),
            Core::RegistrationCancelled(ca),
        ),
        (
            Event::ProgramInfoChanged(a.clone(), progs.clone()),
            Core::ProgramInfoChanged(ca, progs),
        ),
        (
            Event::ProgramModificationAccountChanged(a, b, vk.clone()),
            Core::ProgramModificationAccountChanged(ca, cb, vk),
        ),
    ];
    for (pallet, core) in pairs {
        assert_eq!(pallet.encode(), core.encode(), "{core:?}");
    }
}

mod client_dealt {
    use super::*;
    use crate::{ClientDealt, DealtKeys};
    use entropy_register_core::commitments::Commitments;

    /// k·G for k = 1, 2, 3 (compressed): 1·G + 2·G = 3·G.
    fn point(k: u8) -> [u8; 33] {
        let hex = match k {
            1 => "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
            2 => "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5",
            3 => "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
            _ => unreachable!(),
        };
        entropy_register_core::hex::decode_array(hex).unwrap()
    }

    fn commitments(points: &[[u8; 33]]) -> Commitments {
        Commitments::new(points.to_vec()).unwrap()
    }

    fn three_g() -> VerifyingKeyBytes {
        VerifyingKeyBytes::new(point(3).to_vec()).unwrap()
    }

    fn register_dealt(who: u8, c: Commitments) -> DispatchResult {
        Registry::register_client_dealt(
            RuntimeOrigin::signed(acct(who)),
            acct(50),
            programs(&[GENESIS_PROGRAM]),
            c,
        )
    }

    #[test]
    fn records_the_committed_key_and_completes_on_confirmations() {
        new_test_ext().execute_with(|| {
            System::set_block_number(9);
            let c = commitments(&[point(1), point(2)]);
            assert_ok!(register_dealt(5, c.clone()));
            System::assert_last_event(Event::SignalRegister(acct(5)).into());
            // No DKG; the key is known at once.
            assert!(Dkg::<Test>::get(9).is_empty());
            let d = Registering::<Test>::get(acct(5)).unwrap();
            assert_eq!(d.verifying_key, Some(three_g()));
            assert_eq!(d.key_visibility, KeyVisibility::Public);
            let rec = ClientDealt::<Test>::get(acct(5)).unwrap();
            assert_eq!((rec.commitments, rec.inclusion_block), (c.clone(), 9));
            assert_eq!(refs(GENESIS_PROGRAM), 1);

            assert_ok!(confirm(11, 5, 0, three_g()));
            assert_ok!(confirm(14, 5, 1, three_g()));
            System::assert_last_event(Event::AccountRegistered(acct(5), three_g()).into());
            assert!(Registered::<Test>::get(three_g()).is_some());
            assert_eq!(DealtKeys::<Test>::get(three_g()), Some(c.clone()));
            assert!(ClientDealt::<Test>::get(acct(5)).is_none());
            // The same key cannot be registered again, by anyone.
            assert_noop!(register_dealt(6, c), Error::<Test>::KeyAlreadyRegistered);
        });
    }

    #[test]
    fn bad_commitments_change_nothing() {
        new_test_ext().execute_with(|| {
            let mut not_a_point = point(2);
            not_a_point[0] = 0x05;
            let mut minus_g = point(1);
            minus_g[0] = 0x03;
            for c in [
                commitments(&[point(1)]),
                commitments(&[point(1), point(2), point(3)]),
                commitments(&[point(1), not_a_point]),
                // G + (−G): the point at infinity, no key.
                commitments(&[point(1), minus_g]),
            ] {
                assert_noop!(register_dealt(5, c), Error::<Test>::InvalidCommitments);
            }
            assert_noop!(
                Registry::register_client_dealt(
                    RuntimeOrigin::signed(acct(5)),
                    acct(50),
                    programs(&[]),
                    commitments(&[point(1), point(2)]),
                ),
                Error::<Test>::NoProgramSet
            );
            assert_ok!(register_dealt(5, commitments(&[point(1), point(2)])));
            assert_noop!(
                register(5, KeyVisibility::Public),
                Error::<Test>::AlreadySubmitted
            );
        });
    }

    #[test]
    fn another_key_fails_and_pruning_clears_the_record() {
        new_test_ext().execute_with(|| {
            assert_ok!(register_dealt(5, commitments(&[point(1), point(2)])));
            // A subgroup confirming any other key fails the registration.
            assert_ok!(confirm(11, 5, 0, vk(1)));
            System::assert_last_event(Event::FailedRegistration(acct(5)).into());
            assert!(Registering::<Test>::get(acct(5)).is_none());
            assert!(ClientDealt::<Test>::get(acct(5)).is_none());

            assert_ok!(register_dealt(5, commitments(&[point(1), point(2)])));
            assert_ok!(Registry::prune_registration(RuntimeOrigin::signed(acct(5))));
            assert!(ClientDealt::<Test>::get(acct(5)).is_none());
        });
    }

    #[test]
    fn a_key_registered_meanwhile_is_not_overwritten() {
        new_test_ext().execute_with(|| {
            // Two accounts deal the same key; the first to complete keeps it.
            assert_ok!(register_dealt(5, commitments(&[point(1), point(2)])));
            assert_ok!(register_dealt(6, commitments(&[point(2), point(1)])));
            assert_ok!(confirm(11, 5, 0, three_g()));
            assert_ok!(confirm(11, 6, 0, three_g()));
            assert_ok!(confirm(14, 5, 1, three_g()));
            let first = Registered::<Test>::get(three_g()).unwrap();
            assert_ok!(confirm(14, 6, 1, three_g()));
            System::assert_last_event(Event::FailedRegistration(acct(6)).into());
            assert_eq!(Registered::<Test>::get(three_g()), Some(first));
            assert_eq!(
                DealtKeys::<Test>::get(three_g()),
                Some(commitments(&[point(1), point(2)]))
            );
        });
    }
}
