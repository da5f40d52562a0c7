//! # Propagation: the off-chain worker that wakes the threshold servers (§3)
//!
//! At block B (= N+1) it reads `Registry::Dkg[B-1]`, computes the committee for B with the
//! core's rule, and POSTs the SCALE `OcwMessageDkg{N, accounts, committee}` to
//! `http://<endpoint>/user/new` of **each committee member** (endpoints from
//! `ThresholdServers`; a deviation from v0.2.0, where every node posted only to its own server,
//! §3.1), with a 45 s deadline. Every validator's node runs this worker, so each committee
//! member receives the message once per validator; a server accepts the first and refuses the
//! others as repeated (`docs/decisions.md`, "One validator, one server"). Blocks without
//! registrations send nothing. It also
//! prunes `Dkg[n-2]` at the start of block n, so `Dkg[N]` lives in blocks N and N+1.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

/// The HTTP deadline of each POST, in milliseconds. A server answers once GRANDPA has finalized
/// the block the request comes from (it judges against finalized state), which takes a few
/// blocks; the deadline leaves room for that and for slow finality.
pub const POST_DEADLINE_MS: u64 = 45_000;

#[polkadot_sdk::polkadot_sdk_frame::pallet]
pub mod pallet {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;
    use entropy_register_core::committee::CommitteeBlock;
    use entropy_register_core::types::OcwMessageDkg;
    use pallet_registry::Dkg;
    use polkadot_sdk::polkadot_sdk_frame::prelude::*;
    use polkadot_sdk::sp_runtime::offchain::{http, Duration};

    #[pallet::config]
    pub trait Config: polkadot_sdk::frame_system::Config + pallet_registry::Config {}

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(n: BlockNumberFor<T>) -> Weight {
            let n: u32 = n.saturated_into();
            if let Some(old) = n.checked_sub(2) {
                Dkg::<T>::remove(old);
            }
            T::DbWeight::get().writes(1)
        }

        fn offchain_worker(n: BlockNumberFor<T>) {
            Self::post_dkg(n.saturated_into());
        }
    }

    impl<T: Config> Pallet<T> {
        /// The message for the off-chain worker of block `block` (= N+1) and the URLs to POST it
        /// to; `None` when nothing registered in N or no committee can be formed (logged).
        pub fn dkg_message(block: u32) -> Option<(OcwMessageDkg, Vec<String>)> {
            let n = block.checked_sub(1)?;
            let accounts = Dkg::<T>::get(n);
            if accounts.is_empty() {
                return None;
            }
            let committee = match pallet_registry::Pallet::<T>::dkg_committee(CommitteeBlock(block))
            {
                Ok(c) => c,
                Err(e) => {
                    log::error!(target: "propagation", "no DKG committee for block {block}: {e:?}");
                    return None;
                }
            };
            let urls = committee
                .iter()
                .map(|v| {
                    entropy_register_core::api::url(
                        &String::from_utf8_lossy(&v.ip_address),
                        entropy_register_core::api::routes::USER_NEW,
                    )
                })
                .collect();
            Some((
                OcwMessageDkg {
                    block_number: n,
                    sig_request_accounts: accounts,
                    validators_info: committee,
                },
                urls,
            ))
        }

        /// Sends the block's DKG message to every committee member; returns how many answered
        /// 200.
        pub fn post_dkg(block: u32) -> usize {
            let Some((msg, urls)) = Self::dkg_message(block) else {
                return 0;
            };
            let body = msg.encode();
            let deadline = polkadot_sdk::sp_io::offchain::timestamp()
                .add(Duration::from_millis(POST_DEADLINE_MS));
            let mut pending = Vec::new();
            for url in &urls {
                match http::Request::post(url, alloc::vec![body.clone()])
                    .deadline(deadline)
                    .send()
                {
                    Ok(p) => pending.push((url, p)),
                    Err(e) => log::warn!(target: "propagation", "POST {url} not sent: {e:?}"),
                }
            }
            let (urls_sent, requests): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
            let results = http::PendingRequest::try_wait_all(requests, deadline);
            let mut ok = 0;
            for (url, r) in urls_sent.into_iter().zip(results) {
                match r {
                    Ok(Ok(resp)) if resp.code == 200 => ok += 1,
                    Ok(Ok(resp)) => {
                        log::warn!(target: "propagation", "POST {url}: status {}", resp.code)
                    }
                    Ok(Err(e)) => log::warn!(target: "propagation", "POST {url}: {e:?}"),
                    Err(_) => log::warn!(target: "propagation", "POST {url}: deadline passed"),
                }
            }
            log::info!(target: "propagation", "block {block}: DKG message for N={} sent to {ok}/{} servers", msg.block_number, urls.len());
            ok
        }
    }
}
