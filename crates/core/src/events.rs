//! The `Registry` pallet's events as SCALE (§1.6): one decoder for the servers, the tests and
//! the client. Variant order is the pallet's; the devnet runtime's metadata test checks it.

use codec::{Decode, Encode};

use crate::types::{AccountId32, ProgramsData, VerifyingKeyBytes};

/// `Registry` events, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum RegistryEvent {
    /// 0: `register` was called (account).
    SignalRegister(AccountId32),
    /// 1: a subgroup confirmed (account, subgroup, verifying key). (Spelled as in v0.2.0.)
    RecievedConfirmation(AccountId32, u8, VerifyingKeyBytes),
    /// 2: every subgroup confirmed the same key (account, verifying key).
    AccountRegistered(AccountId32, VerifyingKeyBytes),
    /// 3: confirmations disagreed (account).
    FailedRegistration(AccountId32),
    /// 4: `prune_registration` (account).
    RegistrationCancelled(AccountId32),
    /// 5: programs changed (verifying key owner account, new programs).
    ProgramInfoChanged(AccountId32, ProgramsData),
    /// 6: program modification account changed (old, new, verifying key).
    ProgramModificationAccountChanged(AccountId32, AccountId32, VerifyingKeyBytes),
}

/// The event names, by variant index.
pub const REGISTRY_EVENT_NAMES: [&str; 7] = [
    "SignalRegister",
    "RecievedConfirmation",
    "AccountRegistered",
    "FailedRegistration",
    "RegistrationCancelled",
    "ProgramInfoChanged",
    "ProgramModificationAccountChanged",
];

impl RegistryEvent {
    /// Decodes an event from its name and field bytes (as event subscriptions give them).
    pub fn from_fields(name: &str, fields: &[u8]) -> Option<Self> {
        let index = REGISTRY_EVENT_NAMES.iter().position(|n| *n == name)? as u8;
        let mut bytes = alloc::vec![index];
        bytes.extend_from_slice(fields);
        let mut input = &bytes[..];
        let e = Self::decode(&mut input).ok()?;
        input.is_empty().then_some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_from_name_and_fields() {
        let a = AccountId32([4; 32]);
        let vk = VerifyingKeyBytes::new(alloc::vec![2; 33]).unwrap();
        let e = RegistryEvent::AccountRegistered(a, vk.clone());
        let enc = e.encode();
        assert_eq!(enc[0], 2);
        assert_eq!(
            RegistryEvent::from_fields("AccountRegistered", &enc[1..]),
            Some(e)
        );
        assert_eq!(
            RegistryEvent::from_fields("AccountRegistered", &enc[2..]),
            None
        );
        assert_eq!(RegistryEvent::from_fields("Nope", &enc[1..]), None);
        let mut long = enc[1..].to_vec();
        long.push(0);
        assert_eq!(RegistryEvent::from_fields("AccountRegistered", &long), None);
    }
}
