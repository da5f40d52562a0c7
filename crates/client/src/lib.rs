//! # entropy-register-client
//!
//! The one registration client, shared by the browser/Node binding (`crates/wasm`) and the
//! native tools (the devnet launcher, the end-to-end tests, the benchmark). It submits
//! `Registry.register` (or `register_client_dealt`), follows the chain, runs the user's DKG
//! party in Private mode, delivers dealt shares in client-dealt mode, and trusts the key only
//! after the core's verification and every committee receipt verified.
//!
//! All IO comes through the traits of [`backend`]: the chain ([`backend::Chain`]), the
//! servers' HTTP ([`backend::Http`]), websockets ([`backend::Websocket`]) and a clock
//! ([`backend::Clock`]); none asks for `Send`, so a single-threaded page fits. The typed chain
//! reads ([`reads::State`]) are also what the threshold servers read chain state with.
//!
//! - [`flow`]: [`Client`], `register` and its steps (`submit`, `committee`, `follow`, `verify`);
//! - [`request`]: the request ([`request::Mode`] makes invalid combinations unrepresentable),
//!   progress events and the result;
//! - [`reads`]: typed chain reads and [`reads::ChainError`];
//! - [`servers`]: the client side of the servers' HTTP API;
//! - [`dkg_party`]: the user's DKG party (Private mode);
//! - [`dealt`]: delivering dealt shares (client-dealt mode);
//! - [`ops`]: status, balance, transfer, storing programs, read helpers;
//! - [`error`]: [`Error`] and its stable [`Code`]s.

pub mod backend;
pub mod concurrency;
pub mod dealt;
pub mod dkg_party;
pub mod error;
pub mod flow;
pub mod ops;
pub mod reads;
pub mod request;
pub mod servers;

#[cfg(test)]
mod mock;

pub use error::{Code, Error};
pub use flow::Client;
