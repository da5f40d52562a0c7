//! # devnet-launcher
//!
//! Everything around the devnet that is neither chain nor server:
//!
//! - [`launcher`]: starts the node and the threshold servers, waits until they are ready,
//!   keeps their logs in one folder and stops them cleanly;
//! - [`netns`]: a network namespace per validator + server pair, for a devnet whose parties do
//!   not share 127.0.0.1;
//! - [`native`]: the registration client's IO for native tools (reqwest, tokio-tungstenite,
//!   tokio), so the demo, the end-to-end tests and the benchmark run the very client the
//!   browser runs;
//! - the binaries `devnet-launch` (the devnet for people and CI) and `registration-bench`.

pub mod launcher;
pub mod native;
pub mod netns;
