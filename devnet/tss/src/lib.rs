//! # devnet-tss
//!
//! The devnet's threshold signature server and launcher. All protocol rules and formats come
//! from `entropy-register-core`; this crate is the IO around them:
//!
//! - [`chain`]: typed storage reads and signed `Registry` calls (subxt, native);
//! - [`store`]: the encrypted key store (redb + the core's records);
//! - [`transport`]: websocket frames and the Noise XK handshake;
//! - [`sessions`]: DKG listeners and the DKG driver;
//! - [`server`]: one account's registration (DKG → store → forward → confirm → receipt);
//! - [`dealt`]: the client-dealt flow (a user's dealt share, the subgroup comparison);
//! - [`http`]: the routes;
//! - [`client`]: the registration flow for Rust callers (demo, tests, benchmark);
//! - [`config`]: command line and identity;
//! - [`launcher`]: node + four servers for development, tests and CI.

pub mod chain;
pub mod client;
pub mod config;
pub mod dealt;
pub mod http;
pub mod launcher;
pub mod server;
pub mod sessions;
pub mod store;
pub mod transport;
