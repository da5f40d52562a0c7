//! `ValidateConfirmRegistered`: a transaction extension that refuses, before inclusion,
//! `confirm_register` calls that would fail (they are free, so they must not reach blocks).
//! Codes as the reference (§1.5): 1 signer is no TSS account, 2 account not registering,
//! 3 subgroup already confirmed, 4 signing group missing, 5 signer not in that group.
//! It adds no bytes to the extrinsic or the signed payload.

use crate::{Call, Config, Registering};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use pallet_staking_extension::{SigningGroups, ThresholdToStash};
use polkadot_sdk::frame_support::traits::{Get, IsSubType};
use polkadot_sdk::sp_runtime::impl_tx_ext_default;
use polkadot_sdk::sp_runtime::traits::{
    AsSystemOriginSigner, DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication,
    TransactionExtension, ValidateResult,
};
use polkadot_sdk::sp_runtime::transaction_validity::{
    InvalidTransaction, TransactionSource, TransactionValidityError, ValidTransaction,
};
use polkadot_sdk::sp_weights::Weight;
use scale_info::TypeInfo;

/// The pool filter for free confirmations.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct ValidateConfirmRegistered<T: Config + Send + Sync>(PhantomData<T>);

impl<T: Config + Send + Sync> ValidateConfirmRegistered<T> {
    /// The extension (it carries no data).
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: Config + Send + Sync> Default for ValidateConfirmRegistered<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Config + Send + Sync> core::fmt::Debug for ValidateConfirmRegistered<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ValidateConfirmRegistered")
    }
}

fn custom(code: u8) -> TransactionValidityError {
    InvalidTransaction::Custom(code).into()
}

impl<T: Config + Send + Sync>
    TransactionExtension<<T as polkadot_sdk::frame_system::Config>::RuntimeCall>
    for ValidateConfirmRegistered<T>
where
    <T as polkadot_sdk::frame_system::Config>::RuntimeCall: IsSubType<Call<T>> + Dispatchable,
    <<T as polkadot_sdk::frame_system::Config>::RuntimeCall as Dispatchable>::RuntimeOrigin:
        AsSystemOriginSigner<T::AccountId> + Clone,
{
    const IDENTIFIER: &'static str = "ValidateConfirmRegistered";
    type Implicit = ();
    type Val = ();
    type Pre = ();

    fn weight(&self, _call: &<T as polkadot_sdk::frame_system::Config>::RuntimeCall) -> Weight {
        T::DbWeight::get().reads(4)
    }

    fn validate(
        &self,
        origin: DispatchOriginOf<<T as polkadot_sdk::frame_system::Config>::RuntimeCall>,
        call: &<T as polkadot_sdk::frame_system::Config>::RuntimeCall,
        _info: &DispatchInfoOf<<T as polkadot_sdk::frame_system::Config>::RuntimeCall>,
        _len: usize,
        _self_implicit: Self::Implicit,
        _inherited_implication: &impl Implication,
        _source: TransactionSource,
    ) -> ValidateResult<Self::Val, <T as polkadot_sdk::frame_system::Config>::RuntimeCall> {
        if let Some(Call::confirm_register {
            sig_req_account,
            signing_subgroup,
            ..
        }) = call.is_sub_type()
        {
            let Some(who) = origin.as_system_origin_signer() else {
                return Err(InvalidTransaction::BadSigner.into());
            };
            let stash = ThresholdToStash::<T>::get(who).ok_or_else(|| custom(1))?;
            let details = Registering::<T>::get(sig_req_account).ok_or_else(|| custom(2))?;
            if details.confirmations.contains(signing_subgroup) {
                return Err(custom(3));
            }
            let group = SigningGroups::<T>::get(signing_subgroup).ok_or_else(|| custom(4))?;
            if !group.contains(&stash) {
                return Err(custom(5));
            }
        }
        Ok((ValidTransaction::default(), (), origin))
    }

    impl_tx_ext_default!(<T as polkadot_sdk::frame_system::Config>::RuntimeCall; prepare);
}
