//! # devnet-tss
//!
//! The devnet's threshold signature server. All protocol rules and formats come from
//! `entropy-register-core` (the HTTP API from its `api` module) and every chain read from
//! `entropy-register-client`; this crate is the IO around them:
//!
//! - [`chain`]: the connection, the client's typed reads, `confirm_register` submissions;
//! - [`store`]: the encrypted key store (redb + the core's records);
//! - [`transport`]: websocket frames and the Noise XK handshake;
//! - [`sessions`]: DKG listeners and the DKG driver;
//! - [`server`]: one account's registration (DKG → store → forward → confirm → receipt);
//! - [`early`]: DKGs started when a block with registrations arrives, before its `/user/new`;
//! - [`dealt`]: the client-dealt flow (a user's dealt share, the subgroup comparison);
//! - [`http`]: the routes; [`refusal`]: refusals as HTTP answers; [`limits`]: the bounds and
//!   the serving loop that keeps them;
//! - [`config`]: command line and identity.

pub mod chain;
pub mod config;
pub mod dealt;
pub mod early;
pub mod http;
pub mod limits;
pub mod refusal;
pub mod server;
pub mod sessions;
pub mod store;
pub mod transport;
