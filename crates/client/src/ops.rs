//! The client's other operations: where an account stands, balances and transfers, storing a
//! program, and the read helpers (a registered key's record, the servers, the subgroups).

use codec::Encode;
use entropy_register_core::commitments::Commitments;
use entropy_register_core::events::RegistryEvent;
use entropy_register_core::types::{AccountId32, KeyVisibility, TransferArgs, VerifyingKey};
use serde::Serialize;

use crate::backend::{Call, Chain, PayloadSigner, WaitFor};
use crate::error::Error;
use crate::flow::Client;
use crate::request::{AccessMode, MAX_PROGRAM_BYTES};

/// How many blocks back [`Client::status`] looks for an `AccountRegistered` by default.
pub const STATUS_WINDOW: u32 = 100;

/// Where an account stands; `block` is the finalized block the answer was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Status {
    /// The network works on its registration.
    #[serde(rename_all = "camelCase")]
    Registering {
        /// As requested.
        program_modification_account: AccountId32,
        /// Read at.
        block: u32,
    },
    /// Its latest `AccountRegistered` in the window.
    #[serde(rename_all = "camelCase")]
    Registered {
        /// The key.
        verifying_key: String,
        /// Where.
        registered_block: u32,
        /// Read at.
        block: u32,
    },
    /// Neither.
    #[serde(rename_all = "camelCase")]
    None {
        /// Read at.
        block: u32,
    },
}

/// What the finalized chain holds of a registration reported on a best block
/// ([`Client::finality`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finality {
    /// The finalized block whose `AccountRegistered` names the account and the same key.
    pub finalized_block: u32,
    /// `true` when that is not the block the result named: a reorganisation moved the
    /// confirmations to another block (the key is the same).
    pub moved: bool,
}

/// A program's four parts, in the pallet's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Program {
    /// The bytecode (not empty).
    pub bytecode: Vec<u8>,
    /// Configuration schema.
    pub configuration_schema: Vec<u8>,
    /// Auxiliary data schema.
    pub auxiliary_data_schema: Vec<u8>,
    /// Oracle data pointer.
    pub oracle_data_pointer: Vec<u8>,
}

impl Program {
    /// Its pointer (the hash the chain stores it under).
    pub fn pointer(&self) -> [u8; 32] {
        entropy_register_core::hashing::program_pointer(
            &self.bytecode,
            &self.configuration_schema,
            &self.auxiliary_data_schema,
            &self.oracle_data_pointer,
        )
    }

    /// `InvalidInput` for an empty bytecode or more than [`MAX_PROGRAM_BYTES`] in all.
    pub fn check(&self) -> Result<(), Error> {
        if self.bytecode.is_empty() {
            return Err(Error::InvalidInput("bytecode is empty".into()));
        }
        let total = self.bytecode.len()
            + self.configuration_schema.len()
            + self.auxiliary_data_schema.len()
            + self.oracle_data_pointer.len();
        if total > MAX_PROGRAM_BYTES {
            return Err(Error::InvalidInput(format!(
                "the program is {total} bytes, more than {MAX_PROGRAM_BYTES}"
            )));
        }
        Ok(())
    }
}

/// `Registered[vk]` as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredKey {
    /// The mode (`clientDealt` when `DealtKeys[vk]` exists).
    pub access_mode: AccessMode,
    /// Client-dealt keys: the commitments recorded on chain.
    pub commitments: Option<Commitments>,
    /// The programs.
    pub programs: Vec<ProgramEntry>,
    /// Who may change them.
    pub program_modification_account: AccountId32,
}

/// One program of a registered key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgramEntry {
    /// Pointer (0x hex).
    pub pointer: String,
    /// Configuration (0x hex).
    pub config: String,
}

/// A threshold server as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerEntry {
    /// Subgroup.
    pub subgroup: u8,
    /// Stash.
    pub stash: AccountId32,
    /// TSS account.
    pub tss_account: AccountId32,
    /// x25519 key (0x hex).
    pub x25519: String,
    /// `host:port`.
    pub endpoint: String,
}

impl<C: Chain, P> Client<C, P> {
    /// Where `account` stands: registering, registered (its latest `AccountRegistered` at or
    /// after `since`, default the last [`STATUS_WINDOW`] blocks), or none.
    pub async fn status(&self, account: &AccountId32, since: Option<u32>) -> Result<Status, Error> {
        let state = self.finalized().await?;
        let head = state.number();
        if let Some(d) = state.registering(account).await? {
            return Ok(Status::Registering {
                program_modification_account: d.program_modification_account,
                block: head,
            });
        }
        let from = since.unwrap_or(head.saturating_sub(STATUS_WINDOW));
        if from > head {
            return Err(Error::InvalidInput(format!(
                "sinceBlock {from} is after the finalized head {head}"
            )));
        }
        for b in (from..=head).rev() {
            for e in self.at(b).await?.registry_events().await? {
                if let RegistryEvent::AccountRegistered(who, vk) = e {
                    if who == *account {
                        return Ok(Status::Registered {
                            verifying_key: entropy_register_core::hex::encode_0x(&vk),
                            registered_block: b,
                            block: head,
                        });
                    }
                }
            }
        }
        Ok(Status::None { block: head })
    }

    /// Free balance in the smallest unit.
    pub async fn balance(&self, account: &AccountId32) -> Result<u128, Error> {
        Ok(self.finalized().await?.free_balance(account).await?)
    }

    /// `Balances.transfer_keep_alive(to, amount)`; the block it succeeded in.
    pub async fn transfer(
        &self,
        signer: &dyn PayloadSigner,
        to: AccountId32,
        amount: u128,
        wait_for: WaitFor,
    ) -> Result<u32, Error> {
        let state = self.finalized().await?;
        self.ensure_funds(&state, &signer.account(), amount).await?;
        let call = Call {
            pallet: "Balances",
            name: "transfer_keep_alive",
            args: TransferArgs { dest: to, amount }.encode(),
        };
        self.submit(&call, signer, wait_for, &|| {}).await
    }

    /// `Programs.set_program`; the pointer and the block it succeeded in. `ProgramExists` when
    /// it is stored already.
    pub async fn store_program(
        &self,
        signer: &dyn PayloadSigner,
        program: &Program,
        wait_for: WaitFor,
    ) -> Result<([u8; 32], u32), Error> {
        program.check()?;
        let pointer = program.pointer();
        let state = self.finalized().await?;
        self.ensure_funds(&state, &signer.account(), 0).await?;
        if state.program_exists(&pointer).await? {
            return Err(Error::ProgramExists(entropy_register_core::hex::encode_0x(
                &pointer,
            )));
        }
        let call = Call {
            pallet: "Programs",
            name: "set_program",
            args: (
                &program.bytecode,
                &program.configuration_schema,
                &program.auxiliary_data_schema,
                &program.oracle_data_pointer,
            )
                .encode(),
        };
        let block = self.submit(&call, signer, wait_for, &|| {}).await?;
        Ok((pointer, block))
    }

    /// `Registered[vk]` (with `DealtKeys[vk]`), `None` when the key is not registered.
    pub async fn registered_key(&self, vk: &VerifyingKey) -> Result<Option<RegisteredKey>, Error> {
        let state = self.finalized().await?;
        let (info, dealt) =
            crate::concurrency::both(state.registered(vk), state.dealt_keys(vk)).await;
        let (info, dealt) = (info?, dealt?);
        Ok(info.map(|i| RegisteredKey {
            access_mode: match (&dealt, &i.key_visibility) {
                (Some(_), _) => AccessMode::ClientDealt,
                (None, KeyVisibility::Public) => AccessMode::Public,
                (None, KeyVisibility::Private(_)) => AccessMode::Private,
            },
            commitments: dealt,
            programs: i
                .programs_data
                .iter()
                .map(|p| ProgramEntry {
                    pointer: entropy_register_core::hex::encode_0x(&p.program_pointer),
                    config: entropy_register_core::hex::encode_0x(&p.program_config),
                })
                .collect(),
            program_modification_account: i.program_modification_account,
        }))
    }

    /// Every threshold server, by subgroup.
    pub async fn threshold_servers(&self) -> Result<Vec<ServerEntry>, Error> {
        let groups = self.finalized().await?.servers_by_subgroup().await?;
        Ok(groups
            .iter()
            .enumerate()
            .flat_map(|(g, servers)| {
                servers.iter().map(move |(stash, s)| ServerEntry {
                    subgroup: g as u8,
                    stash: *stash,
                    tss_account: s.tss_account,
                    x25519: entropy_register_core::hex::encode_0x(&s.x25519_public_key),
                    endpoint: crate::request::endpoint(s),
                })
            })
            .collect())
    }

    /// The stashes of each subgroup, index = subgroup.
    pub async fn signing_groups(&self) -> Result<Vec<Vec<AccountId32>>, Error> {
        Ok(self.finalized().await?.signing_groups().await?)
    }
}
