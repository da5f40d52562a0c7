use crate::{
    mock::*, Error, Event, IsValidatorSynced, SigningGroups, SubgroupCount, ThresholdServers,
    ThresholdToStash, ValidatorToSubgroup,
};
use entropy_register_core::committee::{CommitteeBlock, CommitteeError};
use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;

#[test]
fn genesis_builds_groups_and_maps() {
    new_test_ext().execute_with(|| {
        assert_eq!(SigningGroups::<Test>::get(0), Some(vec![acct(1), acct(2)]));
        assert_eq!(SubgroupCount::<Test>::get(), 2);
        assert_eq!(ValidatorToSubgroup::<Test>::get(acct(3)), Some(1));
        assert_eq!(ThresholdToStash::<Test>::get(acct(12)), Some(acct(2)));
        assert!(IsValidatorSynced::<Test>::get(acct(4)));
        assert_eq!(
            ThresholdServers::<Test>::get(acct(1)).unwrap().endpoint,
            b"127.0.0.1:3001".to_vec()
        );
    });
}

#[test]
fn change_endpoint_success_and_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(StakingExtension::change_endpoint(
            RuntimeOrigin::signed(acct(1)),
            b"10.0.0.1:9".to_vec()
        ));
        assert_eq!(
            ThresholdServers::<Test>::get(acct(1)).unwrap().endpoint,
            b"10.0.0.1:9".to_vec()
        );
        System::assert_last_event(Event::EndpointChanged(acct(1), b"10.0.0.1:9".to_vec()).into());
        assert_noop!(
            StakingExtension::change_endpoint(RuntimeOrigin::signed(acct(1)), vec![b'x'; 101]),
            Error::<Test>::EndpointTooLong
        );
        assert_noop!(
            StakingExtension::change_endpoint(RuntimeOrigin::signed(acct(9)), b"a:1".to_vec()),
            Error::<Test>::NoThresholdServer
        );
    });
}

#[test]
fn change_threshold_accounts_success_and_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(StakingExtension::change_threshold_accounts(
            RuntimeOrigin::signed(acct(1)),
            acct(50),
            [7; 32]
        ));
        assert_eq!(ThresholdToStash::<Test>::get(acct(50)), Some(acct(1)));
        assert_eq!(ThresholdToStash::<Test>::get(acct(11)), None);
        let info = ThresholdServers::<Test>::get(acct(1)).unwrap();
        assert_eq!(info.x25519_public_key, [7; 32]);
        System::assert_last_event(Event::ThresholdAccountChanged(acct(1), info).into());
        assert_noop!(
            StakingExtension::change_threshold_accounts(
                RuntimeOrigin::signed(acct(2)),
                acct(50),
                [1; 32]
            ),
            Error::<Test>::TssAccountAlreadyExists
        );
        assert_noop!(
            StakingExtension::change_threshold_accounts(
                RuntimeOrigin::signed(acct(9)),
                acct(51),
                [1; 32]
            ),
            Error::<Test>::NoThresholdServer
        );
    });
}

#[test]
fn declare_synced_success_and_errors() {
    new_test_ext().execute_with(|| {
        assert_ok!(StakingExtension::declare_synced(
            RuntimeOrigin::signed(acct(13)),
            false
        ));
        assert!(!IsValidatorSynced::<Test>::get(acct(3)));
        System::assert_last_event(Event::ValidatorSyncStatus(acct(3), false).into());
        // A stash is not a TSS account.
        assert_noop!(
            StakingExtension::declare_synced(RuntimeOrigin::signed(acct(3)), true),
            Error::<Test>::NoThresholdKey
        );
    });
}

#[test]
fn committee_follows_the_core_rule_and_skips_unsynced() {
    new_test_ext().execute_with(|| {
        let stashes = |b| {
            StakingExtension::committee(CommitteeBlock(b))
                .unwrap()
                .into_iter()
                .map(|(s, _)| s)
                .collect::<Vec<_>>()
        };
        assert_eq!(stashes(8), vec![acct(1), acct(3)]);
        assert_eq!(stashes(9), vec![acct(2), acct(4)]);
        IsValidatorSynced::<Test>::insert(acct(4), false);
        assert_eq!(stashes(9), vec![acct(2), acct(3)]);
        IsValidatorSynced::<Test>::insert(acct(3), false);
        assert_eq!(
            StakingExtension::committee(CommitteeBlock(9)),
            Err(CommitteeError::NoSyncedValidators { subgroup: 1 })
        );
        SigningGroups::<Test>::remove(1);
        assert_eq!(
            StakingExtension::committee(CommitteeBlock(9)),
            Err(CommitteeError::SigningGroupError { subgroup: 1 })
        );
        assert_eq!(
            StakingExtension::committee(CommitteeBlock(8)).unwrap_err(),
            CommitteeError::SigningGroupError { subgroup: 1 }
        );
    });
}
