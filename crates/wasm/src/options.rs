//! The options of `register` as JS passes them, and their validation: everything is checked
//! here, before anything is signed or sent.

use entropy_register_core::dealing::{deal, generate_secret, Dealt};
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::types::{
    AccountId32, KeyVisibility, ProgramInstance, ProgramsData, RegisterArgs, MAX_PROGRAMS,
    SIGNING_PARTY_SIZE,
};
use serde::Deserialize;

use crate::error::{ClientError, Code};

/// Default number of blocks to wait after inclusion.
pub const DEFAULT_TIMEOUT_BLOCKS: u32 = 20;
/// Largest program configuration accepted (bytes).
pub const MAX_PROGRAM_CONFIG: usize = 64 * 1024;

/// How the signature-request account signs. An external signer (a wallet) gives `address` and a
/// `signPayload` function, which is read separately from these fields.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignerSpec {
    /// The account of an external signer (SS58 or hex).
    pub address: Option<String>,
    /// A secret URI: `//Alice`, a mnemonic with optional derivation path, or a hex seed.
    pub uri: Option<String>,
    /// A BIP-39 mnemonic.
    pub mnemonic: Option<String>,
    /// A raw secret: 32-byte mini secret or 64-byte secret key, hex.
    pub secret_key: Option<String>,
}

/// One program instance.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgramSpec {
    /// 32-byte program pointer, hex.
    pub pointer: String,
    /// Configuration bytes, hex (default empty).
    #[serde(default)]
    pub config: Option<String>,
}

/// `register`'s options (the callbacks and the signal are read separately).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterOptions {
    /// The signer.
    pub signer: SignerSpec,
    /// SS58 or hex; default the signer's own account.
    #[serde(default)]
    pub program_modification_account: Option<String>,
    /// 1 to 5 programs.
    #[serde(default)]
    pub programs: Vec<ProgramSpec>,
    /// `"public"` (default) or `"private"`.
    #[serde(default)]
    pub access_mode: Option<String>,
    /// Private mode: the user's x25519 secret (hex, 32 bytes); generated when absent.
    #[serde(default)]
    pub x25519_secret_key: Option<String>,
    /// Client-dealt mode: the secp256k1 secret key to deal (hex, 32 bytes); generated when
    /// absent.
    #[serde(default)]
    pub dealt_secret_key: Option<String>,
    /// Blocks to wait after inclusion.
    #[serde(default)]
    pub timeout_blocks: Option<u32>,
    /// `"finalized"` (default) or `"inBlock"`.
    #[serde(default)]
    pub wait_for: Option<String>,
}

/// How far a block must be before the client takes it as the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// Best blocks: faster, but a fork may still drop them.
    InBlock,
    /// Finalized blocks.
    Finalized,
}

impl WaitFor {
    /// Parses `"inBlock"` / `"finalized"` (default when absent).
    pub fn parse(s: Option<&str>, op: &'static str) -> Result<WaitFor, ClientError> {
        match s {
            None | Some("finalized") => Ok(WaitFor::Finalized),
            Some("inBlock") => Ok(WaitFor::InBlock),
            Some(other) => Err(ClientError::new(
                Code::InvalidInput,
                op,
                format!("waitFor must be 'inBlock' or 'finalized', got {other:?}"),
            )),
        }
    }
}

/// `transfer`'s options.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferOptions {
    /// The paying account.
    pub signer: SignerSpec,
    /// The receiving account (SS58 or hex).
    pub to: String,
    /// Amount in the chain's smallest unit, as a decimal string or a safe integer.
    pub amount: Amount,
    /// `"finalized"` (default) or `"inBlock"`.
    #[serde(default)]
    pub wait_for: Option<String>,
}

/// An amount as JS passes it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// A safe integer.
    Number(u64),
    /// Decimal digits.
    Text(String),
}

impl Amount {
    /// The value; a clear error for anything but decimal digits.
    pub fn value(&self, op: &'static str) -> Result<u128, ClientError> {
        let v = match self {
            Amount::Number(n) => Some(*n as u128),
            Amount::Text(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                t.parse::<u128>().ok()
            }
            Amount::Text(_) => None,
        };
        match v {
            Some(v) if v > 0 => Ok(v),
            _ => Err(ClientError::new(
                Code::InvalidInput,
                op,
                "amount must be a positive whole number (decimal string or safe integer)",
            )),
        }
    }
}

/// `storeProgram`'s options: the four parts of a program, hex.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoreProgramOptions {
    /// The deployer, who pays the deposit.
    pub signer: SignerSpec,
    /// The program's bytecode (hex).
    pub bytecode: String,
    /// Hex, default empty.
    #[serde(default)]
    pub configuration_schema: Option<String>,
    /// Hex, default empty.
    #[serde(default)]
    pub auxiliary_data_schema: Option<String>,
    /// Hex, default empty.
    #[serde(default)]
    pub oracle_data_pointer: Option<String>,
    /// `"finalized"` (default) or `"inBlock"`.
    #[serde(default)]
    pub wait_for: Option<String>,
}

/// Largest program accepted by the client (the devnet's `MaxBytecodeLength`).
pub const MAX_PROGRAM_BYTES: usize = 1_000_000;

/// A validated `storeProgram` request: the four parts, in the pallet's order.
pub struct ProgramParts {
    /// Bytecode, configuration schema, auxiliary data schema, oracle data pointer.
    pub parts: [Vec<u8>; 4],
}

impl StoreProgramOptions {
    /// Decodes and size-checks the parts.
    pub fn parts(&self, op: &'static str) -> Result<ProgramParts, ClientError> {
        let bad = |m: String| ClientError::new(Code::InvalidInput, op, m);
        let decode = |name: &str, h: Option<&str>| match h {
            None => Ok(Vec::new()),
            Some(h) => {
                entropy_register_core::hex::decode(h).map_err(|e| bad(format!("{name}: {e}")))
            }
        };
        let parts = [
            decode("bytecode", Some(&self.bytecode))?,
            decode("configurationSchema", self.configuration_schema.as_deref())?,
            decode("auxiliaryDataSchema", self.auxiliary_data_schema.as_deref())?,
            decode("oracleDataPointer", self.oracle_data_pointer.as_deref())?,
        ];
        if parts[0].is_empty() {
            return Err(bad("bytecode is empty".into()));
        }
        let total: usize = parts.iter().map(Vec::len).sum();
        if total > MAX_PROGRAM_BYTES {
            return Err(bad(format!(
                "the program is {total} bytes, more than {MAX_PROGRAM_BYTES}"
            )));
        }
        Ok(ProgramParts { parts })
    }
}

/// Who signs the `register` transaction.
pub enum Signer {
    /// A key held by the client.
    Pair(Box<Sr25519Pair>),
    /// An external signer (wallet) for this account: only the transaction is signed outside.
    External(AccountId32),
}

impl Signer {
    /// The signature-request account.
    pub fn account(&self) -> AccountId32 {
        match self {
            Signer::Pair(p) => p.account(),
            Signer::External(a) => *a,
        }
    }
}

/// A validated request.
pub struct RegisterRequest {
    /// The signature-request account.
    pub signer: Signer,
    /// The call's arguments.
    pub args: RegisterArgs,
    /// Give up after this many blocks after inclusion.
    pub timeout_blocks: u32,
    /// Which blocks count.
    pub wait_for: WaitFor,
    /// Private mode: the user's Noise / DKG key (named in the call).
    pub x25519: Option<X25519Keypair>,
    /// Client-dealt mode: the dealing.
    pub dealing: Option<Dealing>,
}

/// A client-dealt registration's key, split.
pub struct Dealing {
    /// The shares and their commitments.
    pub dealt: Dealt,
    /// The key that was dealt, when the client generated it (it is returned to the caller).
    pub generated_secret: Option<zeroize::Zeroizing<[u8; 32]>>,
}

fn invalid(msg: impl Into<String>) -> ClientError {
    ClientError::new(Code::InvalidInput, "register", msg)
}

/// Parses an account given as SS58 or 32 bytes of hex.
pub fn parse_account(s: &str) -> Result<AccountId32, ClientError> {
    AccountId32::from_ss58(s).or_else(|_| {
        entropy_register_core::hex::decode_array::<32>(s)
            .map(AccountId32)
            .map_err(|_| {
                invalid(format!(
                    "{s:?} is neither an SS58 address nor 32 bytes of hex"
                ))
            })
    })
}

/// Builds the signer; `external` says whether a `signPayload` function was given.
pub fn signer(spec: &SignerSpec, external: bool) -> Result<Signer, ClientError> {
    if external {
        if spec.uri.is_some() || spec.mnemonic.is_some() || spec.secret_key.is_some() {
            return Err(invalid(
                "an external signer takes only address and signPayload, no secret",
            ));
        }
        let address = spec
            .address
            .as_deref()
            .ok_or_else(|| invalid("an external signer needs its address"))?;
        return Ok(Signer::External(parse_account(address)?));
    }
    if spec.address.is_some() {
        return Err(invalid("signer.address needs a signPayload function"));
    }
    pair(spec).map(|p| Signer::Pair(Box::new(p)))
}

fn pair(spec: &SignerSpec) -> Result<Sr25519Pair, ClientError> {
    let given = [
        spec.uri.is_some(),
        spec.mnemonic.is_some(),
        spec.secret_key.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        return Err(invalid(
            "signer needs exactly one of uri, mnemonic or secretKey (or address + signPayload)",
        ));
    }
    let bad = |e: entropy_register_core::keys::KeyError| invalid(format!("signer: {e}"));
    if let Some(u) = &spec.uri {
        return Sr25519Pair::from_suri(u).map_err(bad);
    }
    if let Some(m) = &spec.mnemonic {
        return Sr25519Pair::from_suri(m.trim()).map_err(bad);
    }
    let hex = spec.secret_key.as_deref().unwrap_or_default();
    let bytes = entropy_register_core::hex::decode(hex)
        .map_err(|e| invalid(format!("signer.secretKey: {e}")))?;
    match bytes.len() {
        32 => Sr25519Pair::from_mini_secret(&bytes.try_into().expect("32 bytes")).map_err(bad),
        64 => Sr25519Pair::from_secret_bytes(&bytes).map_err(bad),
        n => Err(invalid(format!(
            "signer.secretKey must be 32 or 64 bytes, got {n}"
        ))),
    }
}

/// Validates the options; `external_signer` says whether `signer.signPayload` is a function.
pub fn parse(o: RegisterOptions, external_signer: bool) -> Result<RegisterRequest, ClientError> {
    let signer = signer(&o.signer, external_signer)?;
    let mode = o.access_mode.as_deref().unwrap_or("public");
    if o.dealt_secret_key.is_some() && mode != "clientDealt" {
        return Err(invalid(
            "dealtSecretKey is only used with accessMode 'clientDealt'",
        ));
    }
    let dealing = if mode == "clientDealt" {
        if external_signer {
            return Err(invalid(
                "accessMode 'clientDealt' needs the account's key (uri, mnemonic or secretKey): \
                 the user signs the envelope of every share, which an external signer cannot do",
            ));
        }
        if o.x25519_secret_key.is_some() {
            return Err(invalid(
                "x25519SecretKey is only used with accessMode 'private'",
            ));
        }
        let (secret, generated) = match &o.dealt_secret_key {
            Some(h) => (
                zeroize::Zeroizing::new(
                    entropy_register_core::hex::decode_array::<32>(h)
                        .map_err(|e| invalid(format!("dealtSecretKey: {e}")))?,
                ),
                false,
            ),
            None => (generate_secret(), true),
        };
        let dealt = deal(Some(&secret), SIGNING_PARTY_SIZE)
            .map_err(|e| invalid(format!("dealtSecretKey: {e}")))?;
        Some(Dealing {
            dealt,
            generated_secret: generated.then_some(secret),
        })
    } else {
        None
    };
    let x25519 =
        match mode {
            "clientDealt" => None,
            "public" => {
                if o.x25519_secret_key.is_some() {
                    return Err(invalid(
                        "x25519SecretKey is only used with accessMode 'private'",
                    ));
                }
                None
            }
            "private" if external_signer => return Err(invalid(
                "accessMode 'private' needs the account's key (uri, mnemonic or secretKey): the \
                 user signs every DKG message, which an external signer cannot do",
            )),
            "private" => Some(match &o.x25519_secret_key {
                Some(h) => X25519Keypair::from_secret(
                    entropy_register_core::hex::decode_array::<32>(h)
                        .map_err(|e| invalid(format!("x25519SecretKey: {e}")))?,
                ),
                None => X25519Keypair::generate(),
            }),
            other => {
                return Err(invalid(format!(
                    "accessMode must be 'public', 'private' or 'clientDealt', got {other:?}"
                )))
            }
        };
    if o.programs.is_empty() {
        return Err(ClientError::new(
            Code::NoProgramSet,
            "register",
            "at least one program is required",
        ));
    }
    if o.programs.len() > MAX_PROGRAMS as usize {
        return Err(ClientError::new(
            Code::TooManyPrograms,
            "register",
            format!("at most {MAX_PROGRAMS} programs, got {}", o.programs.len()),
        ));
    }
    let mut programs = Vec::new();
    for (i, p) in o.programs.iter().enumerate() {
        let program_pointer = entropy_register_core::hex::decode_array::<32>(&p.pointer)
            .map_err(|e| invalid(format!("programs[{i}].pointer: {e}")))?;
        let program_config = match &p.config {
            Some(c) => entropy_register_core::hex::decode(c)
                .map_err(|e| invalid(format!("programs[{i}].config: {e}")))?,
            None => Vec::new(),
        };
        if program_config.len() > MAX_PROGRAM_CONFIG {
            return Err(invalid(format!(
                "programs[{i}].config is {} bytes, more than {MAX_PROGRAM_CONFIG}",
                program_config.len()
            )));
        }
        programs.push(ProgramInstance {
            program_pointer,
            program_config,
        });
    }
    let program_modification_account = match &o.program_modification_account {
        Some(s) => parse_account(s)?,
        None => signer.account(),
    };
    let timeout_blocks = o.timeout_blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS);
    if timeout_blocks == 0 {
        return Err(invalid("timeoutBlocks must be at least 1"));
    }
    Ok(RegisterRequest {
        signer,
        args: RegisterArgs {
            program_modification_account,
            key_visibility: match &x25519 {
                Some(x) => KeyVisibility::Private(x.public),
                None => KeyVisibility::Public,
            },
            programs_data: ProgramsData::new(programs).expect("length checked above"),
        },
        timeout_blocks,
        wait_for: WaitFor::parse(o.wait_for.as_deref(), "register")?,
        x25519,
        dealing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(programs: usize) -> RegisterOptions {
        RegisterOptions {
            signer: SignerSpec {
                uri: Some("//Alice".into()),
                ..Default::default()
            },
            program_modification_account: None,
            programs: (0..programs)
                .map(|_| ProgramSpec {
                    pointer: format!("0x{}", "00".repeat(32)),
                    config: None,
                })
                .collect(),
            access_mode: None,
            x25519_secret_key: None,
            dealt_secret_key: None,
            timeout_blocks: None,
            wait_for: None,
        }
    }

    #[test]
    fn validation_codes() {
        let r = parse(opts(1), false).unwrap();
        assert_eq!(r.args.program_modification_account, r.signer.account());
        assert_eq!(r.timeout_blocks, DEFAULT_TIMEOUT_BLOCKS);
        assert_eq!(
            parse(opts(0), false).err().unwrap().code,
            Code::NoProgramSet
        );
        assert_eq!(
            parse(opts(6), false).err().unwrap().code,
            Code::TooManyPrograms
        );
        let mut o = opts(1);
        o.programs[0].pointer = "0x12".into();
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("secret".into());
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("private".into());
        let r = parse(o, false).unwrap();
        let x = r.x25519.expect("a generated key");
        assert_eq!(r.args.key_visibility, KeyVisibility::Private(x.public));
        let mut o = opts(1);
        o.x25519_secret_key = Some(format!("0x{}", "22".repeat(32)));
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        // Client-dealt: a generated key is returned, an imported one is not; bad keys refused.
        let mut o = opts(1);
        o.access_mode = Some("clientDealt".into());
        let r = parse(o, false).unwrap();
        assert_eq!(r.args.key_visibility, KeyVisibility::Public);
        let d = r.dealing.expect("a dealing");
        assert!(d.generated_secret.is_some());
        assert_eq!(d.dealt.shares.len(), SIGNING_PARTY_SIZE);
        let mut o = opts(1);
        o.access_mode = Some("clientDealt".into());
        o.dealt_secret_key = Some(format!("0x{}", "00".repeat(31) + "01"));
        let d = parse(o, false).unwrap().dealing.unwrap();
        assert!(d.generated_secret.is_none());
        assert_eq!(
            entropy_register_core::hex::encode(
                d.dealt.commitments.verifying_key().unwrap().as_bytes()
            ),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        );
        for bad in ["00".repeat(32), "ff".repeat(32), "12".into()] {
            let mut o = opts(1);
            o.access_mode = Some("clientDealt".into());
            o.dealt_secret_key = Some(bad);
            assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        }
        let mut o = opts(1);
        o.dealt_secret_key = Some(format!("0x{}", "11".repeat(32)));
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("clientDealt".into());
        o.signer = SignerSpec {
            address: Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
            ..Default::default()
        };
        assert_eq!(parse(o, true).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.signer.mnemonic = Some("x".into());
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.program_modification_account = Some("not an address".into());
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.signer = SignerSpec {
            secret_key: Some(format!("0x{}", "11".repeat(32))),
            ..Default::default()
        };
        assert!(parse(o, false).is_ok());
        let mut o = opts(1);
        o.signer = SignerSpec {
            address: Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
            ..Default::default()
        };
        assert!(matches!(
            parse(o, true).unwrap().signer,
            Signer::External(_)
        ));
        let mut o = opts(1);
        o.signer.address = Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into());
        assert_eq!(parse(o, true).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.signer = SignerSpec {
            address: Some("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
            ..Default::default()
        };
        o.access_mode = Some("private".into());
        assert_eq!(parse(o, true).err().unwrap().code, Code::InvalidInput);
    }

    #[test]
    fn wait_for_amounts_and_programs() {
        assert_eq!(WaitFor::parse(None, "x").unwrap(), WaitFor::Finalized);
        assert_eq!(
            WaitFor::parse(Some("inBlock"), "x").unwrap(),
            WaitFor::InBlock
        );
        assert_eq!(
            WaitFor::parse(Some("best"), "x").err().unwrap().code,
            Code::InvalidInput
        );
        let mut o = opts(1);
        o.wait_for = Some("soon".into());
        assert_eq!(parse(o, false).err().unwrap().code, Code::InvalidInput);

        assert_eq!(Amount::Number(7).value("t").unwrap(), 7);
        assert_eq!(
            Amount::Text("340282366920938463463374607431768211455".into())
                .value("t")
                .unwrap(),
            u128::MAX
        );
        for bad in [
            "",
            "-1",
            "1e3",
            "0",
            "340282366920938463463374607431768211456",
        ] {
            assert_eq!(
                Amount::Text(bad.into()).value("t").err().unwrap().code,
                Code::InvalidInput,
                "{bad:?}"
            );
        }

        let program = |bytecode: &str| StoreProgramOptions {
            signer: SignerSpec::default(),
            bytecode: bytecode.into(),
            configuration_schema: Some("0x01".into()),
            auxiliary_data_schema: None,
            oracle_data_pointer: None,
            wait_for: None,
        };
        let p = program("0xdead").parts("storeProgram").unwrap();
        assert_eq!(p.parts, [vec![0xde, 0xad], vec![1], vec![], vec![]]);
        for bad in ["", "0x", "0xzz"] {
            assert!(program(bad).parts("storeProgram").is_err(), "{bad:?}");
        }
        let big = format!("0x{}", "00".repeat(MAX_PROGRAM_BYTES));
        let e = program(&big).parts("storeProgram").err().unwrap();
        assert_eq!((e.code, e.operation), (Code::InvalidInput, "storeProgram"));
    }
}
