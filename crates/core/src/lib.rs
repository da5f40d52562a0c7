//! # entropy-register-core
//!
//! The one implementation of the registration protocol that the runtime, the threshold servers
//! and the wasm client share: wire types (SCALE/JSON/bincode identical to Entropy v0.2.0),
//! registration rules, crypto, the Noise transport and the DKG as sans-IO state machines.
//!
//! Without the default `std` feature only the types, hashing and rules are compiled (`no_std`,
//! for the runtime). With `std`: keys, HPKE envelopes, key-store records, Noise, DKG,
//! verification and the test-vector runner.
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod api;
pub mod batch;
pub mod commitments;
pub mod committee;
pub mod events;
pub mod hashing;
pub mod hex;
pub mod new_user;
pub mod ss58;
pub mod storage;
pub mod types;
pub mod wire;

#[cfg(feature = "std")]
pub mod client_dealt;
#[cfg(feature = "std")]
pub mod dealing;
#[cfg(feature = "std")]
pub mod dkg;
#[cfg(feature = "std")]
pub mod envelope;
#[cfg(feature = "std")]
pub mod eth;
#[cfg(feature = "std")]
pub mod keys;
#[cfg(feature = "std")]
pub mod kvdb;
#[cfg(feature = "std")]
pub mod noise;
#[cfg(feature = "std")]
pub mod session;
#[cfg(feature = "std")]
pub mod share_transfer;
#[cfg(feature = "std")]
pub mod test_signature;
#[cfg(feature = "std")]
pub mod verify;

pub use committee::{
    select_committee, CommitteeBlock, CommitteeError, CommitteeMember, InclusionBlock,
};
pub use types::*;
