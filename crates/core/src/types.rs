//! Wire types of the registration protocol, SCALE-identical to Entropy v0.2.0 (§1–§3).
//!
//! Every type here compiles without `std` so the runtime can use the same definitions.

use alloc::string::String;
use alloc::vec::Vec;
use codec::{Compact, Decode, DecodeWithMemTracking, Encode, Input, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

/// Pallet index of `Registry` in the runtime.
pub const REGISTRY_PALLET_INDEX: u8 = 51;
/// Call index of `Registry::register`.
pub const REGISTER_CALL_INDEX: u8 = 0;
/// Call index of `Registry::confirm_register`.
pub const CONFIRM_REGISTER_CALL_INDEX: u8 = 4;
/// Call index of `Registry::register_client_dealt` (ours; not in v0.2.0).
pub const REGISTER_CLIENT_DEALT_CALL_INDEX: u8 = 5;
/// Number of signing subgroups, i.e. of threshold servers in a DKG committee.
pub const SIGNING_PARTY_SIZE: usize = 2;
/// Most program instances one registration may name.
pub const MAX_PROGRAMS: u32 = 5;
/// Length of a compressed secp256k1 verifying key.
pub const VERIFYING_KEY_LENGTH: u32 = 33;
/// Most verifying keys one program modification account may control.
pub const MAX_MODIFIABLE_KEYS: u32 = 25;
/// `KeyVersionNumber` written into new registrations.
pub const KEY_VERSION_NUMBER: u8 = 1;

/// A 32-byte account id (sr25519 public key). SCALE: the raw 32 bytes; serde: SS58 (prefix 42),
/// as `AccountId32` travels in the reference's JSON.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Default,
)]
pub struct AccountId32(pub [u8; 32]);

impl AccountId32 {
    /// The SS58 (prefix 42) text form.
    pub fn to_ss58(&self) -> String {
        crate::ss58::encode(&self.0)
    }
    /// Parses an SS58 (prefix 42) address.
    pub fn from_ss58(s: &str) -> Result<Self, crate::ss58::Ss58Error> {
        crate::ss58::decode(s).map(AccountId32)
    }
}

impl core::fmt::Debug for AccountId32 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.to_ss58())
    }
}

impl core::fmt::Display for AccountId32 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.to_ss58())
    }
}

impl From<[u8; 32]> for AccountId32 {
    fn from(b: [u8; 32]) -> Self {
        AccountId32(b)
    }
}

impl AsRef<[u8]> for AccountId32 {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for AccountId32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_ss58())
    }
}

impl<'de> Deserialize<'de> for AccountId32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AccountId32::from_ss58(&s).map_err(serde::de::Error::custom)
    }
}

/// A `Vec<T>` that refuses to decode more than `N` items (SCALE layout of FRAME's `BoundedVec`).
#[derive(Clone, PartialEq, Eq, Encode, TypeInfo, Serialize, Deserialize, Default)]
#[codec(encode_bound(T: Encode))]
#[scale_info(skip_type_params(T))]
#[serde(transparent)]
pub struct BoundedVec<T, const N: u32>(Vec<T>);

impl<T, const N: u32> BoundedVec<T, N> {
    /// Wraps `items`, or gives them back if there are more than `N`.
    pub fn new(items: Vec<T>) -> Result<Self, Vec<T>> {
        if items.len() > N as usize {
            Err(items)
        } else {
            Ok(BoundedVec(items))
        }
    }
    /// The bound.
    pub const fn bound() -> u32 {
        N
    }
    /// The items.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T, const N: u32> core::ops::Deref for BoundedVec<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: core::fmt::Debug, const N: u32> core::fmt::Debug for BoundedVec<T, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Decode, const N: u32> Decode for BoundedVec<T, N> {
    fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
        let len = <Compact<u32>>::decode(input)?.0;
        if len > N {
            return Err("BoundedVec exceeds its limit".into());
        }
        let items = codec::decode_vec_with_len::<T, I>(input, len as usize)?;
        Ok(BoundedVec(items))
    }
}

impl<T: DecodeWithMemTracking, const N: u32> DecodeWithMemTracking for BoundedVec<T, N> {}

impl<T: MaxEncodedLen, const N: u32> MaxEncodedLen for BoundedVec<T, N> {
    fn max_encoded_len() -> usize {
        Compact(N).encoded_size() + T::max_encoded_len().saturating_mul(N as usize)
    }
}

/// The raw verifying-key bytes as the chain stores them (`BoundedVec<u8, 33>`): bounded but not
/// checked to be a curve point. Use [`VerifyingKey`] for a validated key.
pub type VerifyingKeyBytes = BoundedVec<u8, VERIFYING_KEY_LENGTH>;

/// A validated 33-byte SEC1-compressed secp256k1 public key: the registered account's
/// verifying key. SCALE layout is that of `BoundedVec<u8, 33>` (`0x84 ‖ 33 bytes`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VerifyingKey([u8; 33]);

/// Why bytes are not a verifying key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyingKeyError {
    /// Not 33 bytes long.
    #[error("a verifying key is 33 bytes (compressed secp256k1), got {0}")]
    BadLength(usize),
    /// 33 bytes, but not a point on secp256k1 in compressed form.
    #[error("the bytes are not a compressed secp256k1 public key")]
    NotOnCurve,
}

impl VerifyingKey {
    /// Validates 33 bytes as a compressed secp256k1 point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyingKeyError> {
        let arr: [u8; 33] = bytes
            .try_into()
            .map_err(|_| VerifyingKeyError::BadLength(bytes.len()))?;
        if arr[0] != 0x02 && arr[0] != 0x03 {
            return Err(VerifyingKeyError::NotOnCurve);
        }
        k256::PublicKey::from_sec1_bytes(&arr).map_err(|_| VerifyingKeyError::NotOnCurve)?;
        Ok(VerifyingKey(arr))
    }
    /// The 33 compressed bytes.
    pub fn as_bytes(&self) -> &[u8; 33] {
        &self.0
    }
    /// Lowercase hex without `0x`: the key-store key of the share (§4.7).
    pub fn to_hex(&self) -> String {
        crate::hex::encode(&self.0)
    }
    /// The chain's bounded form.
    pub fn to_bounded(&self) -> VerifyingKeyBytes {
        BoundedVec(self.0.to_vec())
    }
    /// The uncompressed SEC1 form (65 bytes, `0x04 ‖ x ‖ y`).
    pub fn to_uncompressed(&self) -> [u8; 65] {
        use k256::elliptic_curve::sec1::ToEncodedPoint;
        let pk = k256::PublicKey::from_sec1_bytes(&self.0).expect("validated at construction");
        let p = pk.to_encoded_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(p.as_bytes());
        out
    }
}

impl core::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "VerifyingKey(0x{})", self.to_hex())
    }
}

impl Encode for VerifyingKey {
    fn size_hint(&self) -> usize {
        34
    }
    fn encode_to<O: codec::Output + ?Sized>(&self, dest: &mut O) {
        Compact(VERIFYING_KEY_LENGTH).encode_to(dest);
        dest.write(&self.0);
    }
}

impl Decode for VerifyingKey {
    fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
        let raw = VerifyingKeyBytes::decode(input)?;
        VerifyingKey::from_bytes(&raw).map_err(|_| "not a 33-byte compressed secp256k1 key".into())
    }
}

impl DecodeWithMemTracking for VerifyingKey {}

impl MaxEncodedLen for VerifyingKey {
    fn max_encoded_len() -> usize {
        34
    }
}

impl TypeInfo for VerifyingKey {
    type Identity = VerifyingKeyBytes;
    fn type_info() -> scale_info::Type {
        VerifyingKeyBytes::type_info()
    }
}

impl Serialize for VerifyingKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::hex::encode_0x(&self.0))
    }
}

impl<'de> Deserialize<'de> for VerifyingKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = crate::hex::decode(&s).map_err(serde::de::Error::custom)?;
        VerifyingKey::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// One program a registration applies (SCALE: pointer ‖ Compact(len) ‖ config).
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    Serialize,
    Deserialize,
    Debug,
)]
pub struct ProgramInstance {
    /// `Programs` pallet hash of the program (H256).
    pub program_pointer: [u8; 32],
    /// Program configuration bytes.
    pub program_config: Vec<u8>,
}

/// The programs of one registration: 1 to 5 instances (`BoundedVec<ProgramInstance, 5>`).
pub type ProgramsData = BoundedVec<ProgramInstance, MAX_PROGRAMS>;

/// Who holds key shares (§1.2). SCALE: `0x00` or `0x01 ‖ 32 bytes`.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Serialize,
    Deserialize,
    Debug,
)]
pub enum KeyVisibility {
    /// The servers alone hold all shares.
    Public,
    /// The user is the last DKG party and keeps its own share; its x25519 public key
    /// authenticates its Noise connections.
    Private([u8; 32]),
}

/// A threshold server's on-chain record (`ThresholdServers[stash]`, §2).
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    Serialize,
    Deserialize,
    Debug,
)]
pub struct ServerInfo {
    /// The server's sr25519 account (signs confirmations and DKG messages).
    pub tss_account: AccountId32,
    /// The server's Noise/HPKE static x25519 key.
    pub x25519_public_key: [u8; 32],
    /// `host:port`, no scheme.
    pub endpoint: Vec<u8>,
}

/// One committee member as sent in `OcwMessageDkg` (§3.2).
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    Serialize,
    Deserialize,
    Debug,
)]
pub struct ValidatorInfo {
    /// Static x25519 key.
    pub x25519_public_key: [u8; 32],
    /// `host:port`, UTF-8.
    pub ip_address: Vec<u8>,
    /// SCALE(AccountId32), i.e. the 32 raw bytes.
    pub tss_account: Vec<u8>,
}

impl From<&ServerInfo> for ValidatorInfo {
    fn from(s: &ServerInfo) -> Self {
        ValidatorInfo {
            x25519_public_key: s.x25519_public_key,
            ip_address: s.endpoint.clone(),
            tss_account: s.tss_account.0.to_vec(),
        }
    }
}

/// The off-chain worker's `/user/new` body (§3.2).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct OcwMessageDkg {
    /// The block N that included the `register` calls.
    pub block_number: u32,
    /// `Registry::Dkg[N]`: SCALE(AccountId32) of each registering account.
    pub sig_request_accounts: Vec<Vec<u8>>,
    /// The committee, one per subgroup, in subgroup order.
    pub validators_info: Vec<ValidatorInfo>,
}

/// `Registering[account]` (§1.2).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RegisteringDetails {
    /// Account allowed to change the programs later.
    pub program_modification_account: AccountId32,
    /// Subgroups that confirmed so far.
    pub confirmations: Vec<u8>,
    /// Requested programs.
    pub programs_data: ProgramsData,
    /// Access mode.
    pub key_visibility: KeyVisibility,
    /// Set by the first confirmation.
    pub verifying_key: Option<VerifyingKeyBytes>,
    /// `KeyVersionNumber` at registration time.
    pub version_number: u8,
}

/// `Registered[verifying_key]` (§1.2).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RegisteredInfo {
    /// Access mode.
    pub key_visibility: KeyVisibility,
    /// Programs applied to the key.
    pub programs_data: ProgramsData,
    /// Account allowed to change the programs.
    pub program_modification_account: AccountId32,
    /// Key version.
    pub version_number: u8,
}

/// Arguments of `Registry::register` (call index 0).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RegisterArgs {
    /// Account allowed to change the programs later.
    pub program_modification_account: AccountId32,
    /// Access mode.
    pub key_visibility: KeyVisibility,
    /// 1–5 programs.
    pub programs_data: ProgramsData,
}

#[cfg(any(test, feature = "test-helpers"))]
impl RegisterArgs {
    /// Full call data: `0x33 0x00 ‖ SCALE(args)`.
    pub fn call_data(&self) -> Vec<u8> {
        call_data(REGISTRY_PALLET_INDEX, REGISTER_CALL_INDEX, self)
    }
}

/// Arguments of `Registry::register_client_dealt` (call index 5; ours, not in v0.2.0): a
/// registration without DKG. The user dealt the key itself, one share per subgroup; the
/// commitments (`x_i·G` per subgroup) fix the verifying key, which the chain records at once.
/// `KeyVisibility` keeps v0.2.0's two variants (the shared vectors pin that a third does not
/// decode), so such a registration is recorded as `Public` (the servers hold every share) and
/// its commitments in `ClientDealt[account]` / `DealtKeys[vk]`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct RegisterClientDealtArgs {
    /// Account allowed to change the programs later.
    pub program_modification_account: AccountId32,
    /// 1–5 programs.
    pub programs_data: ProgramsData,
    /// One commitment per subgroup.
    pub commitments: crate::commitments::Commitments,
}

#[cfg(any(test, feature = "test-helpers"))]
impl RegisterClientDealtArgs {
    /// Full call data: `0x33 0x05 ‖ SCALE(args)`.
    pub fn call_data(&self) -> Vec<u8> {
        call_data(
            REGISTRY_PALLET_INDEX,
            REGISTER_CLIENT_DEALT_CALL_INDEX,
            self,
        )
    }
}

/// Arguments of `Registry::confirm_register` (call index 4).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ConfirmRegisterArgs {
    /// The account being registered.
    pub sig_req_account: AccountId32,
    /// The confirming server's subgroup.
    pub signing_subgroup: u8,
    /// The DKG's verifying key.
    pub verifying_key: VerifyingKeyBytes,
}

#[cfg(any(test, feature = "test-helpers"))]
impl ConfirmRegisterArgs {
    /// Full call data: `0x33 0x04 ‖ SCALE(args)`.
    pub fn call_data(&self) -> Vec<u8> {
        call_data(REGISTRY_PALLET_INDEX, CONFIRM_REGISTER_CALL_INDEX, self)
    }
}

/// Arguments of `Balances::transfer_keep_alive`: `MultiAddress::Id(dest)` ‖ `Compact(amount)`
/// (how clients and servers fund accounts on the devnet).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TransferArgs {
    /// The receiving account.
    pub dest: AccountId32,
    /// Amount in the chain's smallest unit.
    pub amount: u128,
}

impl Encode for TransferArgs {
    fn encode_to<O: codec::Output + ?Sized>(&self, out: &mut O) {
        0u8.encode_to(out); // MultiAddress::Id
        self.dest.encode_to(out);
        Compact(self.amount).encode_to(out);
    }
}

#[cfg(any(test, feature = "test-helpers"))]
fn call_data<T: Encode>(pallet: u8, call: u8, args: &T) -> Vec<u8> {
    let mut out = alloc::vec![pallet, call];
    args.encode_to(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_args_encode_as_multiaddress_id_and_compact_amount() {
        let args = TransferArgs {
            dest: AccountId32([7; 32]),
            amount: 100,
        };
        let mut expected = alloc::vec![0u8];
        expected.extend_from_slice(&[7; 32]);
        expected.extend_from_slice(&[0x91, 0x01]); // Compact(100)
        assert_eq!(args.encode(), expected);
    }
}
