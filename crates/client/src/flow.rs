//! `register` as every platform runs it: check the request against chain state, submit, follow
//! the chain block by block, run the user's DKG party (Private) or deliver the dealt shares
//! (client-dealt), collect the client's own confirmations, and trust the key only after the
//! core's verification and every committee receipt verified.

use codec::Encode;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::dealing::deal;
use entropy_register_core::dkg::KeyShare;
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::test_signature::TestSignature;
use entropy_register_core::types::{
    AccountId32, ProgramsData, RegisterArgs, RegisterClientDealtArgs, ServerInfo, VerifyingKey,
    REGISTER_CLIENT_DEALT_CALL_INDEX,
};
use entropy_register_core::verify::{
    verify_dealt_registration, verify_registration, Expectation, SeenConfirmation,
};
use futures::future::LocalBoxFuture;
use futures::StreamExt;

use crate::backend::{
    Call, Chain, Clock, Http, PayloadSigner, TxStatus, TxToSign, WaitFor, Websocket,
};
use crate::error::Error;
use crate::reads::{State, REGISTRY};
use crate::request::{
    DealtSecret, Member, Mode, Progress, RegisterRequest, Registration, VerifiedMember,
};

/// The Registry pallet's index and the call indices this client encodes (v0.2.0's).
pub const REGISTRY_INDEX: u8 = 51;
/// `Registry.register`.
pub const REGISTER_CALL_INDEX: u8 = 0;
/// `Registry.confirm_register`.
pub const CONFIRM_REGISTER_CALL_INDEX: u8 = 4;

/// The one registration client: a chain connection and the platform's HTTP, websocket and
/// clock.
pub struct Client<C, P> {
    chain: C,
    io: P,
}

/// Where the chain says a registration ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The block of `AccountRegistered`.
    pub registered_block: u32,
    /// The registered key.
    pub verifying_key: VerifyingKey,
    /// The account's confirmations seen on the way, with their signers.
    pub confirmations: Vec<SeenConfirmation>,
}

/// The checks a signer's signature gets before anything is submitted.
struct Checked<'a>(&'a dyn PayloadSigner);

impl PayloadSigner for Checked<'_> {
    fn account(&self) -> AccountId32 {
        self.0.account()
    }
    fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
        Box::pin(async move {
            let account = self.0.account();
            let sig = self.0.sign(tx).await?;
            if !entropy_register_core::keys::verify(&account.0, tx.payload, &sig) {
                return Err(format!(
                    "the signature does not verify for {account} (is it an sr25519 key?)"
                ));
            }
            Ok(sig)
        })
    }
}

impl<C: Chain, P> Client<C, P> {
    /// A client over `chain` and the platform IO `io`.
    pub fn new(chain: C, io: P) -> Self {
        Client { chain, io }
    }

    /// The chain connection.
    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// The platform IO.
    pub fn io(&self) -> &P {
        &self.io
    }

    /// The state at the latest finalized block.
    pub async fn finalized(&self) -> Result<State<C::State>, Error> {
        Ok(State::new(self.chain.finalized().await?))
    }

    /// The state at block `n`.
    pub async fn at(&self, n: u32) -> Result<State<C::State>, Error> {
        Ok(State::new(self.chain.at(n).await?))
    }

    /// `ChainVersionMismatch` unless the runtime has the Registry at the index this client
    /// encodes, with `register` and `confirm_register` where v0.2.0 has them.
    pub async fn check_runtime(&self) -> Result<(), Error> {
        for (call, index) in [
            ("register", REGISTER_CALL_INDEX),
            ("confirm_register", CONFIRM_REGISTER_CALL_INDEX),
        ] {
            self.ensure_call(call, index).await?;
        }
        Ok(())
    }

    /// `ChainVersionMismatch` unless the runtime has `Registry.{call}` as call `index`.
    pub async fn ensure_call(&self, call: &str, index: u8) -> Result<(), Error> {
        match self.chain.call_index(REGISTRY, call).await? {
            Some((REGISTRY_INDEX, i)) if i == index => Ok(()),
            Some((p, i)) => Err(Error::ChainVersionMismatch(format!(
                "Registry.{call} is call {p}.{i}; this client encodes {REGISTRY_INDEX}.{index}"
            ))),
            None => Err(Error::ChainVersionMismatch(format!(
                "the chain has no Registry.{call}: it does not support this client"
            ))),
        }
    }

    /// Signs (checking the signature), submits and waits for `call`: the block it succeeded in,
    /// a best block with `WaitFor::InBlock`, else a finalized one. `on_submitted` runs once the
    /// pool accepted it.
    pub async fn submit(
        &self,
        call: &Call,
        signer: &dyn PayloadSigner,
        wait_for: WaitFor,
        on_submitted: &dyn Fn(),
    ) -> Result<u32, Error> {
        let account = signer.account();
        let mut progress = self
            .chain
            .submit(call, &Checked(signer))
            .await
            .map_err(|e| Error::from_tx(account, e))?;
        on_submitted();
        while let Some(status) = progress.next().await {
            match status? {
                TxStatus::InBestBlock { block, outcome } if wait_for == WaitFor::InBlock => {
                    outcome.map_err(|e| Error::from_dispatch(account, e))?;
                    return Ok(block.number);
                }
                TxStatus::Finalized { block, outcome } => {
                    outcome.map_err(|e| Error::from_dispatch(account, e))?;
                    return Ok(block.number);
                }
                TxStatus::InBestBlock { .. } | TxStatus::Retracted => continue,
                TxStatus::Dropped(m) => return Err(Error::TxDropped(m)),
                TxStatus::Invalid(m) => return Err(Error::TxInvalid(m)),
            }
        }
        Err(Error::ServerUnreachable(
            "chain node: the transaction status stream ended".into(),
        ))
    }

    /// `InsufficientFunds` unless `a` holds at least `needed` (and something).
    pub async fn ensure_funds(
        &self,
        state: &State<C::State>,
        a: &AccountId32,
        needed: u128,
    ) -> Result<(), Error> {
        let free = state.free_balance(a).await?;
        if free == 0 || free < needed {
            return Err(Error::InsufficientFunds {
                account: *a,
                free: Some(free),
                needed,
            });
        }
        Ok(())
    }

    /// Checks a registration against the finalized state before anything is signed: every
    /// program exists, the account is not registering and can pay.
    pub async fn preflight(
        &self,
        account: &AccountId32,
        programs: &ProgramsData,
    ) -> Result<State<C::State>, Error> {
        let state = self.finalized().await?;
        let exist = crate::concurrency::all(
            programs
                .iter()
                .map(|p| state.program_exists(&p.program_pointer)),
        )
        .await?;
        if let Some(p) = programs.iter().zip(exist).find(|(_, e)| !e).map(|(p, _)| p) {
            return Err(Error::UnknownProgram(
                entropy_register_core::hex::encode_0x(&p.program_pointer),
            ));
        }
        if state.registering(account).await?.is_some() {
            return Err(Error::AlreadySubmitted(*account));
        }
        self.ensure_funds(&state, account, 0).await?;
        Ok(state)
    }

    /// Waits until block `after + 1` is finalized.
    pub async fn finalized_past(&self, after: u32) -> Result<(), Error> {
        let mut blocks = self.chain.follow(after, WaitFor::Finalized).await?;
        match blocks.next().await {
            Some(b) => b.map(drop).map_err(Into::into),
            None => Err(Error::ServerUnreachable(
                "chain node: the finalized block stream ended".into(),
            )),
        }
    }

    /// The committee of a registration included in `n` (computed from the state at `n` for
    /// block N+1), index = subgroup, and the chain's subgroup count (one member per subgroup).
    pub async fn committee(&self, n: u32) -> Result<(Vec<ServerInfo>, u8), Error> {
        let state = self.at(n).await?;
        let committee = state.committee(InclusionBlock(n).committee_block()).await?;
        let count = committee.len() as u8;
        Ok((committee, count))
    }

    /// Follows blocks after `n` until `account` is registered (its `AccountRegistered`),
    /// reporting the account's confirmations; `FailedRegistration` ends it, and so do
    /// `timeout_blocks` blocks without an outcome.
    pub async fn follow(
        &self,
        account: &AccountId32,
        n: u32,
        wait_for: WaitFor,
        timeout_blocks: u32,
        progress: &dyn Fn(Progress),
    ) -> Result<Followed, Error> {
        let mut confirmations = Vec::new();
        let mut blocks = self.chain.follow(n, wait_for).await?;
        while let Some(b) = blocks.next().await {
            let b = b?;
            if b > n.saturating_add(timeout_blocks) {
                return Err(Error::Timeout {
                    after: n,
                    blocks: timeout_blocks,
                });
            }
            let state = self.at(b).await?;
            let (seen, events) =
                crate::concurrency::both(state.confirmations(account), state.registry_events())
                    .await;
            for c in seen? {
                // The chain refuses a subgroup's second confirmation (`AlreadyConfirmed`), but a
                // refused call inside a server's batch is still in the block: a server that
                // retried its own confirmation repeats it exactly, which adds nothing and is
                // counted once. A repeat that differs (signer or key) is kept, and fails the
                // verification as a duplicate.
                let repeat = confirmations.iter().any(|s: &SeenConfirmation| {
                    (s.signer, s.subgroup, &s.verifying_key)
                        == (c.signer, c.subgroup, &c.verifying_key)
                });
                if repeat {
                    continue;
                }
                progress(Progress::Confirmation {
                    block: b,
                    subgroup: c.subgroup,
                    server: c.signer,
                });
                confirmations.push(c);
            }
            for e in events? {
                match e {
                    RegistryEvent::AccountRegistered(a, vk) if a == *account => {
                        let verifying_key = VerifyingKey::from_bytes(&vk).map_err(|e| {
                            Error::VerificationFailed(format!("the registered key: {e}"))
                        })?;
                        progress(Progress::Registered {
                            block: b,
                            verifying_key,
                        });
                        if wait_for == WaitFor::Finalized {
                            progress(Progress::Finalized { block: b });
                        }
                        return Ok(Followed {
                            registered_block: b,
                            verifying_key,
                            confirmations,
                        });
                    }
                    RegistryEvent::FailedRegistration(a) if a == *account => {
                        return Err(Error::RegistrationFailed(format!(
                            "the servers' confirmations disagreed (block {b})"
                        )));
                    }
                    _ => {}
                }
            }
        }
        Err(Error::ServerUnreachable(
            "chain node: the block subscription ended".into(),
        ))
    }

    /// Checks a registration that was reported on a best block (`WaitFor::InBlock`) against
    /// finality: follows finalized blocks from its inclusion block until the finalized chain
    /// decides, for at most `timeout_blocks` finalized blocks past `registered_block`.
    /// - `Ok`: the finalized chain's `AccountRegistered` names `account` with `verifying_key`,
    ///   in the block the result named or, if a reorganisation moved the confirmations, in
    ///   another one ([`Finality::moved`]).
    /// - `Err(Reorged)`: a reorganisation dropped the result: the finalized chain registered
    ///   another key for the account, or it is finalized past `registered_block` and holds
    ///   neither a registration of the account nor one in progress.
    /// - `Err(Timeout)`: still in progress on the finalized chain after `timeout_blocks`.
    pub async fn finality(
        &self,
        account: &AccountId32,
        verifying_key: &VerifyingKey,
        inclusion_block: u32,
        registered_block: u32,
        timeout_blocks: u32,
    ) -> Result<crate::ops::Finality, Error> {
        if registered_block < inclusion_block {
            return Err(Error::InvalidInput(format!(
                "registeredBlock {registered_block} is before inclusionBlock {inclusion_block}"
            )));
        }
        let mut blocks = self
            .chain
            .follow(inclusion_block.saturating_sub(1), WaitFor::Finalized)
            .await?;
        while let Some(b) = blocks.next().await {
            let b = b?;
            let state = self.at(b).await?;
            for e in state.registry_events().await? {
                let RegistryEvent::AccountRegistered(who, vk) = e else {
                    continue;
                };
                if who != *account {
                    continue;
                }
                if vk[..] == verifying_key.as_bytes()[..] {
                    return Ok(crate::ops::Finality {
                        finalized_block: b,
                        moved: b != registered_block,
                    });
                }
                return Err(Error::Reorged(format!(
                    "the finalized chain registered another key for {account} in block {b} \
                     (0x{}), not 0x{} of block {registered_block}",
                    entropy_register_core::hex::encode(&vk),
                    verifying_key.to_hex(),
                )));
            }
            if b >= registered_block && state.registering(account).await?.is_none() {
                return Err(Error::Reorged(format!(
                    "block {b} is finalized and holds no registration of {account}: the result \
                     named block {registered_block} of a fork the network abandoned"
                )));
            }
            if b >= registered_block.saturating_add(timeout_blocks) {
                return Err(Error::Timeout {
                    after: registered_block,
                    blocks: timeout_blocks,
                });
            }
        }
        Err(Error::ServerUnreachable(
            "chain node: the block subscription ended".into(),
        ))
    }
}

impl<C: Chain, P: Http + Clock> Client<C, P> {
    /// Verifies a followed registration: the core's rule (exactly the committee computed from
    /// chain state confirmed, one key, `Registered[vk]` holds the request; Private: the user's
    /// share is of the key; client-dealt: the dealt key and its commitments), then every
    /// committee member's signed receipt against on-chain accounts and the test signature each
    /// receipt carries (returned: the share holders' signature over the registration's
    /// transcript, verified under the registered key).
    #[allow(clippy::too_many_arguments)]
    pub async fn verify(
        &self,
        account: AccountId32,
        n: u32,
        request: &RegisterArgs,
        committee: &[ServerInfo],
        subgroups: u8,
        followed: &Followed,
        share: Option<&KeyShare>,
        dealt: Option<&entropy_register_core::commitments::Commitments>,
    ) -> Result<(Vec<VerifiedMember>, TestSignature), Error> {
        let bad = |e: String| Error::VerificationFailed(e);
        let vk = followed.verifying_key;
        let state = self.at(followed.registered_block).await?;
        let info = state.registered(&vk).await?;
        let expected = Expectation {
            account,
            inclusion_block: InclusionBlock(n),
            request,
            committee,
            subgroups,
        };
        let verified = match dealt {
            None => verify_registration(
                &expected,
                &followed.confirmations,
                info.as_ref(),
                share.map(|s| s.verifying_key()).as_ref(),
            ),
            Some(commitments) => {
                let dealt_vk = commitments
                    .verifying_key()
                    .map_err(|e| bad(e.to_string()))?;
                let recorded = state.dealt_keys(&vk).await?;
                verify_dealt_registration(
                    &expected,
                    commitments,
                    &dealt_vk,
                    &followed.confirmations,
                    info.as_ref(),
                    recorded.as_ref(),
                )
            }
        }
        .map_err(|e| bad(e.to_string()))?;
        if verified.verifying_key != vk {
            return Err(bad("the confirmed key is not the registered key".into()));
        }
        let accounts: Vec<AccountId32> = committee.iter().map(|s| s.tss_account).collect();
        let receipts =
            futures::future::try_join_all(committee.iter().enumerate().map(|(g, server)| {
                let state = &state;
                let accounts = &accounts;
                async move {
                    let receipt =
                        crate::servers::fetch_receipt(&self.io, server, &account, n).await?;
                    let subgroup = state.subgroup_of_tss(&receipt.server).await?;
                    receipt
                        .verify(&account, InclusionBlock(n), &vk, |_| subgroup)
                        .map_err(|e| bad(e.to_string()))?;
                    // The holders' test signature must verify under the key (after a DKG,
                    // and in client-dealt mode, where the committee signs with the shares it
                    // received).
                    receipt
                        .verify_test_signature(accounts)
                        .map_err(|e| bad(e.to_string()))?;
                    let confirmed_in = followed
                        .confirmations
                        .iter()
                        .find(|c| c.signer == server.tss_account)
                        .map(|c| c.block)
                        .unwrap_or(followed.registered_block);
                    Ok::<_, Error>(VerifiedMember {
                        member: Member::new(g as u8, server),
                        confirmed_in,
                        receipt,
                    })
                }
            }))
            .await?;
        let test_signature = entropy_register_core::verify::committee_test_signature(
            receipts.iter().map(|m| &m.receipt),
        )
        .map_err(|e| bad(e.to_string()))?;
        Ok((receipts, test_signature))
    }
}

impl<C: Chain, P: Http + Websocket + Clock> Client<C, P> {
    /// Registers and resolves with the verified registration; `cancel` resolving ends it with
    /// `Cancelled` (the transaction may still complete on chain).
    pub async fn register<S: PayloadSigner>(
        &self,
        req: RegisterRequest<S>,
        progress: &dyn Fn(Progress),
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Registration, Error> {
        let run = self.run(req, progress);
        futures::pin_mut!(run);
        futures::pin_mut!(cancel);
        match futures::future::select(run, cancel).await {
            futures::future::Either::Left((r, _)) => r,
            futures::future::Either::Right(((), _)) => Err(Error::Cancelled),
        }
    }

    async fn run<S: PayloadSigner>(
        &self,
        req: RegisterRequest<S>,
        progress: &dyn Fn(Progress),
    ) -> Result<Registration, Error> {
        let account = req.mode.account();
        let state = self.preflight(&account, &req.programs).await?;
        let args = RegisterArgs {
            program_modification_account: req.program_modification_account.unwrap_or(account),
            key_visibility: req.mode.key_visibility(),
            programs_data: req.programs.clone(),
        };
        let (call, dealt) = match &req.mode {
            Mode::ClientDealt { secret, .. } => {
                self.ensure_call("register_client_dealt", REGISTER_CLIENT_DEALT_CALL_INDEX)
                    .await?;
                let subgroups = state.subgroup_count().await?;
                let dealt = deal(Some(secret.bytes()), subgroups as usize)
                    .map_err(|e| Error::InvalidInput(format!("dealtSecretKey: {e}")))?;
                let vk = dealt
                    .commitments
                    .verifying_key()
                    .map_err(|e| Error::InvalidInput(e.to_string()))?;
                progress(Progress::Dealt { verifying_key: vk });
                let args = RegisterClientDealtArgs {
                    program_modification_account: args.program_modification_account,
                    programs_data: args.programs_data.clone(),
                    commitments: dealt.commitments.clone(),
                };
                let call = Call {
                    pallet: REGISTRY,
                    name: "register_client_dealt",
                    args: args.encode(),
                };
                (call, Some(dealt))
            }
            _ => {
                let call = Call {
                    pallet: REGISTRY,
                    name: "register",
                    args: args.encode(),
                };
                (call, None)
            }
        };
        drop(state);
        let n = self
            .submit(&call, req.mode.signer(), req.wait_for, &|| {
                progress(Progress::Submitted)
            })
            .await?;
        progress(Progress::InBlock { block: n });
        let (committee, subgroups) = self.committee(n).await?;
        progress(Progress::Committee {
            block: n + 1,
            members: committee
                .iter()
                .enumerate()
                .map(|(g, s)| Member::new(g as u8, s))
                .collect(),
        });

        let mut share = None;
        let mut delivered = None;
        let followed = match &req.mode {
            Mode::Public(_) => {
                self.follow(&account, n, req.wait_for, req.timeout_blocks, progress)
                    .await?
            }
            Mode::Private { user, x25519 } => {
                let dkg = crate::dkg_party::join(&self.io, user, x25519, n, &committee);
                let following =
                    self.follow(&account, n, req.wait_for, req.timeout_blocks, progress);
                // Either failing ends the registration; the connections stay open until the
                // registration is on chain.
                let ((s, _connections), followed) =
                    futures::future::try_join(dkg, following).await?;
                share = Some(s);
                followed
            }
            Mode::ClientDealt { user, .. } => {
                // A server answers after its subgroup's confirmation, which can come after the
                // registration: `registered` and `finalized` wait for every delivery, so they
                // stay the last events.
                let held = std::cell::RefCell::new(Vec::new());
                let hold_end = |p: Progress| match p {
                    Progress::Registered { .. } | Progress::Finalized { .. } => {
                        held.borrow_mut().push(p)
                    }
                    p => progress(p),
                };
                let dealing = dealt.as_ref().expect("dealt in client-dealt mode");
                let delivery = async {
                    // The servers judge a share against finalized state: with `InBlock`, N is
                    // not final yet, so the shares wait for it (the follow below still bounds
                    // the whole by `timeout_blocks`).
                    if req.wait_for == WaitFor::InBlock {
                        self.finalized_past(n - 1).await?;
                    }
                    let at_n = self.at(n).await?;
                    crate::dealt::deliver(&self.io, &at_n, user, dealing, n, progress).await
                };
                let following =
                    self.follow(&account, n, req.wait_for, req.timeout_blocks, &hold_end);
                let (d, followed) = futures::future::try_join(delivery, following).await?;
                held.take().into_iter().for_each(progress);
                delivered = Some(d);
                followed
            }
        };
        let (members, test_signature) = self
            .verify(
                account,
                n,
                &args,
                &committee,
                subgroups,
                &followed,
                share.as_ref(),
                dealt.as_ref().map(|d| &d.commitments),
            )
            .await?;
        let vk = followed.verifying_key;
        progress(Progress::TestSignature {
            signature: test_signature,
            verifying_key: vk,
        });
        Ok(Registration {
            account,
            verifying_key: vk,
            ethereum_address: entropy_register_core::eth::ethereum_address_eip55(&vk),
            inclusion_block: n,
            registered_block: followed.registered_block,
            access_mode: req.mode.access_mode(),
            committee: members,
            test_signature,
            key_share: share,
            x25519_secret_key: match &req.mode {
                Mode::Private { x25519, .. } => Some(x25519.secret_bytes()),
                _ => None,
            },
            dealt_shares: delivered,
            dealt_secret_key: match &req.mode {
                Mode::ClientDealt {
                    secret: DealtSecret::Generated(s),
                    ..
                } => Some(s.clone()),
                _ => None,
            },
        })
    }
}
