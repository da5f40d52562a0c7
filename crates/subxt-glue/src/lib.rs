//! subxt glue shared by the wasm binding (subxt `web`) and the devnet servers and tools (subxt
//! `native`): the chain configuration, a call whose arguments the core already SCALE-encoded,
//! the core's sr25519 pair as a subxt signer, and the client's chain traits over subxt
//! ([`chain::SubxtChain`]), so no second copy of a key, an argument layout or a chain read
//! exists.

pub mod chain;
pub mod kept;
pub use chain::{Included, SubmitError, SubxtChain, SubxtState};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use entropy_register_core::keys::Sr25519Pair;
use subxt::config::{Config, DefaultTransactionExtensions, SubstrateConfig};
use subxt::metadata::ArcMetadata;
use subxt::utils::{AccountId32, MultiAddress, MultiSignature};

/// The devnet's chain configuration: Polkadot-style addresses (`MultiAddress<AccountId32, ()>`),
/// sr25519 signatures, BlakeTwo256 headers, the default transaction extensions; metadata cached
/// per spec version. Unlike subxt's `PolkadotConfig` it carries no pre-V14 type definitions
/// (the Polkadot relay chain's history, parsed from YAML), which a devnet never needs: leaving
/// them out saves ~48 KiB gzip of the wasm client and their parsing at start-up.
#[derive(Debug, Clone, Default)]
pub struct DevnetConfig {
    metadata: Arc<RwLock<HashMap<u32, ArcMetadata>>>,
}

impl Config for DevnetConfig {
    type AccountId = AccountId32;
    type Address = MultiAddress<AccountId32, ()>;
    type Signature = MultiSignature;
    type Hasher = <SubstrateConfig as Config>::Hasher;
    type Header = <SubstrateConfig as Config>::Header;
    type TransactionExtensions = DefaultTransactionExtensions<Self>;
    type AssetId = u32;

    fn metadata_for_spec_version(&self, spec_version: u32) -> Option<ArcMetadata> {
        self.metadata.read().ok()?.get(&spec_version).cloned()
    }

    fn set_metadata_for_spec_version(&self, spec_version: u32, metadata: ArcMetadata) {
        if let Ok(mut m) = self.metadata.write() {
            m.insert(spec_version, metadata);
        }
    }
}

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

impl subxt::tx::Signer<DevnetConfig> for PairSigner<'_> {
    fn account_id(&self) -> AccountId32 {
        AccountId32(self.0.public())
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
