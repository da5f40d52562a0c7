//! subxt glue shared by the wasm client (subxt `web`) and the devnet tools (subxt `native`):
//! a call whose arguments the core already SCALE-encoded, and the core's sr25519 pair as a
//! subxt signer, so no second copy of a key or of an argument layout exists.

use entropy_register_core::keys::Sr25519Pair;
use subxt::utils::MultiSignature;
use subxt::PolkadotConfig;

/// A call whose arguments are already SCALE-encoded (by the core's types).
pub struct RawCall {
    pallet: &'static str,
    call: &'static str,
    args: RawArgs,
}

impl RawCall {
    /// `pallet.call(args)` with `args` = the SCALE encoding of the call's fields, in order.
    pub fn new(pallet: &'static str, call: &'static str, args: Vec<u8>) -> Self {
        RawCall {
            pallet,
            call,
            args: RawArgs(args),
        }
    }
}

/// Already-encoded call arguments, written as they are.
pub struct RawArgs(Vec<u8>);

impl scale_encode::EncodeAsFields for RawArgs {
    fn encode_as_fields_to<R: scale_encode::TypeResolver>(
        &self,
        _fields: &mut dyn scale_encode::FieldIter<'_, R::TypeId>,
        _types: &R,
        out: &mut Vec<u8>,
    ) -> Result<(), scale_encode::Error> {
        out.extend_from_slice(&self.0);
        Ok(())
    }
}

impl subxt::tx::Payload for RawCall {
    type CallData = RawArgs;
    fn pallet_name(&self) -> &str {
        self.pallet
    }
    fn call_name(&self) -> &str {
        self.call
    }
    fn call_data(&self) -> &RawArgs {
        &self.args
    }
}

/// The core's sr25519 pair as a subxt signer.
pub struct PairSigner<'a>(pub &'a Sr25519Pair);

impl subxt::tx::Signer<PolkadotConfig> for PairSigner<'_> {
    fn account_id(&self) -> subxt::utils::AccountId32 {
        subxt::utils::AccountId32(self.0.public())
    }
    fn sign(&self, payload: &[u8]) -> MultiSignature {
        MultiSignature::Sr25519(self.0.sign(payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subxt::tx::{Payload, Signer};

    #[test]
    fn names_args_and_signatures() {
        let c = RawCall::new("Registry", "register", vec![1, 2, 3]);
        assert_eq!((c.pallet_name(), c.call_name()), ("Registry", "register"));
        assert_eq!(c.call_data().0, vec![1, 2, 3]);
        let alice = Sr25519Pair::from_suri("//Alice").unwrap();
        let s = PairSigner(&alice);
        assert_eq!(s.account_id().0, alice.public());
        let MultiSignature::Sr25519(sig) = s.sign(b"payload") else {
            panic!("an sr25519 signature")
        };
        assert!(entropy_register_core::keys::verify(
            &alice.public(),
            b"payload",
            &sig
        ));
    }
}
