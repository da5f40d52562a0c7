//! JS options → the client's typed requests. Everything is checked here, before anything is
//! signed or sent; the access mode becomes a [`Mode`], so a Private key and a dealing cannot
//! travel together.

use entropy_register_client::backend::{PayloadSigner, TxToSign, WaitFor};
use entropy_register_client::ops::Program;
use entropy_register_client::request::{
    programs, DealtSecret, Mode, RegisterRequest, DEFAULT_TIMEOUT_BLOCKS,
};
use entropy_register_client::Error;
use entropy_register_core::committee::InclusionBlock;
use entropy_register_core::keys::{Sr25519Pair, X25519Keypair};
use entropy_register_core::types::{AccountId32, ProgramInstance, VerifyingKey};
use futures::future::LocalBoxFuture;
use serde::Deserialize;

/// How an account signs, as JS gives it. An external signer gives `address` and either a
/// wallet's `signer` object or a `signPayload` function, which are read separately from these
/// fields.
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
    /// `"public"` (default), `"private"` or `"clientDealt"`.
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
    /// The value; a clear error for anything but a positive whole number.
    pub fn value(&self) -> Result<u128, Error> {
        let v = match self {
            Amount::Number(n) => Some(*n as u128),
            Amount::Text(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                t.parse::<u128>().ok()
            }
            Amount::Text(_) => None,
        };
        match v {
            Some(v) if v > 0 => Ok(v),
            _ => Err(invalid(
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

impl StoreProgramOptions {
    /// The program, decoded and checked.
    pub fn program(&self) -> Result<Program, Error> {
        let decode = |name: &str, h: Option<&str>| match h {
            None => Ok(Vec::new()),
            Some(h) => {
                entropy_register_core::hex::decode(h).map_err(|e| invalid(format!("{name}: {e}")))
            }
        };
        let p = Program {
            bytecode: decode("bytecode", Some(&self.bytecode))?,
            configuration_schema: decode(
                "configurationSchema",
                self.configuration_schema.as_deref(),
            )?,
            auxiliary_data_schema: decode(
                "auxiliaryDataSchema",
                self.auxiliary_data_schema.as_deref(),
            )?,
            oracle_data_pointer: decode("oracleDataPointer", self.oracle_data_pointer.as_deref())?,
        };
        p.check()?;
        Ok(p)
    }
}

/// Who signs: a key held here, or an external signer `E` (a wallet).
pub enum Signing<E> {
    /// A held key.
    Key(Box<Sr25519Pair>),
    /// An external signer.
    External(E),
}

impl<E: PayloadSigner> PayloadSigner for Signing<E> {
    fn account(&self) -> AccountId32 {
        match self {
            Signing::Key(k) => k.account(),
            Signing::External(e) => e.account(),
        }
    }
    fn sign<'a>(&'a self, tx: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
        match self {
            Signing::Key(k) => PayloadSigner::sign(&**k, tx),
            Signing::External(e) => e.sign(tx),
        }
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

/// `"inBlock"` / `"finalized"` (the default when absent).
pub fn wait_for(s: Option<&str>) -> Result<WaitFor, Error> {
    match s {
        None | Some("finalized") => Ok(WaitFor::Finalized),
        Some("inBlock") => Ok(WaitFor::InBlock),
        Some(other) => Err(invalid(format!(
            "waitFor must be 'inBlock' or 'finalized', got {other:?}"
        ))),
    }
}

/// An account given as SS58 or 32 bytes of hex.
pub fn parse_account(s: &str) -> Result<AccountId32, Error> {
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

/// The signer; `external` builds the external signer for an address when JS gave a
/// `signPayload` function.
pub fn signer<E>(
    spec: &SignerSpec,
    external: Option<impl FnOnce(AccountId32) -> E>,
) -> Result<Signing<E>, Error> {
    if let Some(make) = external {
        if spec.uri.is_some() || spec.mnemonic.is_some() || spec.secret_key.is_some() {
            return Err(invalid(
                "an external signer takes only address and signer (or signPayload), no secret",
            ));
        }
        let address = spec
            .address
            .as_deref()
            .ok_or_else(|| invalid("an external signer needs its address"))?;
        return Ok(Signing::External(make(parse_account(address)?)));
    }
    if spec.address.is_some() {
        return Err(invalid(
            "signer.address needs a wallet's signer (signer.signer) or a signPayload function",
        ));
    }
    key(spec).map(|k| Signing::Key(Box::new(k)))
}

fn key(spec: &SignerSpec) -> Result<Sr25519Pair, Error> {
    let given = [&spec.uri, &spec.mnemonic, &spec.secret_key]
        .iter()
        .filter(|s| s.is_some())
        .count();
    if given != 1 {
        return Err(invalid(
            "signer needs exactly one of uri, mnemonic or secretKey (or address + a wallet's signer)",
        ));
    }
    let bad = |e: entropy_register_core::keys::KeyError| invalid(format!("signer: {e}"));
    if let Some(u) = &spec.uri {
        return Sr25519Pair::from_suri(u).map_err(bad);
    }
    if let Some(m) = &spec.mnemonic {
        return Sr25519Pair::from_suri(m.trim()).map_err(bad);
    }
    let bytes = entropy_register_core::hex::decode(spec.secret_key.as_deref().unwrap_or_default())
        .map_err(|e| invalid(format!("signer.secretKey: {e}")))?;
    match bytes.len() {
        32 => Sr25519Pair::from_mini_secret(&bytes.try_into().expect("32 bytes")).map_err(bad),
        64 => Sr25519Pair::from_secret_bytes(&bytes).map_err(bad),
        n => Err(invalid(format!(
            "signer.secretKey must be 32 or 64 bytes, got {n}"
        ))),
    }
}

fn held_key<E>(s: Signing<E>, mode: &str, why: &str) -> Result<Sr25519Pair, Error> {
    match s {
        Signing::Key(k) => Ok(*k),
        Signing::External(_) => Err(invalid(format!(
            "accessMode '{mode}' needs the account's key (uri, mnemonic or secretKey): {why}, \
             which an external signer cannot do"
        ))),
    }
}

fn secret32(name: &str, hex: &str) -> Result<zeroize::Zeroizing<[u8; 32]>, Error> {
    entropy_register_core::hex::decode_array::<32>(hex)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| invalid(format!("{name}: {e}")))
}

/// Validates `register`'s options into a request; `external` as for [`signer`].
pub fn parse<E: PayloadSigner>(
    o: RegisterOptions,
    external: Option<impl FnOnce(AccountId32) -> E>,
) -> Result<RegisterRequest<Signing<E>>, Error> {
    let signing = signer(&o.signer, external)?;
    let mode_name = o.access_mode.as_deref().unwrap_or("public");
    if o.dealt_secret_key.is_some() && mode_name != "clientDealt" {
        return Err(invalid(
            "dealtSecretKey is only used with accessMode 'clientDealt'",
        ));
    }
    if o.x25519_secret_key.is_some() && mode_name != "private" {
        return Err(invalid(
            "x25519SecretKey is only used with accessMode 'private'",
        ));
    }
    let mode = match mode_name {
        "public" => Mode::Public(signing),
        "private" => Mode::Private {
            user: held_key(signing, "private", "the user signs every DKG message")?,
            x25519: match &o.x25519_secret_key {
                Some(h) => X25519Keypair::from_secret(*secret32("x25519SecretKey", h)?),
                None => X25519Keypair::generate(),
            },
        },
        "clientDealt" => Mode::ClientDealt {
            user: held_key(
                signing,
                "clientDealt",
                "the user signs the envelope of every share",
            )?,
            secret: match &o.dealt_secret_key {
                Some(h) => {
                    let s = secret32("dealtSecretKey", h)?;
                    entropy_register_core::dealing::check_secret(&s)
                        .map_err(|e| invalid(format!("dealtSecretKey: {e}")))?;
                    DealtSecret::Imported(s)
                }
                None => DealtSecret::generate(),
            },
        },
        other => {
            return Err(invalid(format!(
                "accessMode must be 'public', 'private' or 'clientDealt', got {other:?}"
            )))
        }
    };
    let mut list = Vec::new();
    for (i, p) in o.programs.iter().enumerate() {
        list.push(ProgramInstance {
            program_pointer: entropy_register_core::hex::decode_array::<32>(&p.pointer)
                .map_err(|e| invalid(format!("programs[{i}].pointer: {e}")))?,
            program_config: match &p.config {
                Some(c) => entropy_register_core::hex::decode(c)
                    .map_err(|e| invalid(format!("programs[{i}].config: {e}")))?,
                None => Vec::new(),
            },
        });
    }
    let programs = programs(list)?;
    let program_modification_account = o
        .program_modification_account
        .as_deref()
        .map(parse_account)
        .transpose()?;
    let timeout_blocks = o.timeout_blocks.unwrap_or(DEFAULT_TIMEOUT_BLOCKS);
    if timeout_blocks == 0 {
        return Err(invalid("timeoutBlocks must be at least 1"));
    }
    Ok(RegisterRequest {
        mode,
        program_modification_account,
        programs,
        wait_for: wait_for(o.wait_for.as_deref())?,
        timeout_blocks,
    })
}

/// The verifying key, test signature and transcript of a `RegisterResult` given as JSON text.
pub fn test_signature_of_result(
    json: &str,
) -> Result<
    (
        VerifyingKey,
        entropy_register_core::test_signature::TestSignature,
        Vec<u8>,
    ),
    Error,
> {
    use entropy_register_core::test_signature::{transcript, TestSignature};
    let bad = |what: &str| Error::InvalidInput(format!("not a registration result: {what}"));
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| bad(&format!("not JSON ({e})")))?;
    let text = |k: &str| v[k].as_str().ok_or_else(|| bad(&format!("no {k}")));
    let account = parse_account(text("account")?)?;
    let block = v["inclusionBlock"]
        .as_u64()
        .and_then(|b| u32::try_from(b).ok())
        .ok_or_else(|| bad("no inclusionBlock"))?;
    let vk = entropy_register_core::hex::decode(text("verifyingKey")?)
        .ok()
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| bad("verifyingKey is not a key"))?;
    let sig = entropy_register_core::hex::decode(text("testSignature")?)
        .ok()
        .and_then(|b| TestSignature::from_bytes(&b).ok())
        .ok_or_else(|| bad("testSignature is not 65 bytes of hex"))?;
    let committee = v["committee"]
        .as_array()
        .ok_or_else(|| bad("no committee"))?
        .iter()
        .map(|m| {
            m["tssAccount"]
                .as_str()
                .ok_or_else(|| bad("a committee member without tssAccount"))
                .and_then(parse_account)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        vk,
        sig,
        transcript(&account, InclusionBlock(block), &vk, &committee),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entropy_register_client::request::MAX_PROGRAM_BYTES;
    use entropy_register_client::Code;
    use entropy_register_core::types::KeyVisibility;

    /// An external signer for these tests (a wallet that is never called here).
    struct Wallet(AccountId32);
    impl PayloadSigner for Wallet {
        fn account(&self) -> AccountId32 {
            self.0
        }
        fn sign<'a>(&'a self, _: TxToSign<'a>) -> LocalBoxFuture<'a, Result<[u8; 64], String>> {
            Box::pin(async { Err("not in this test".to_string()) })
        }
    }

    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

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

    fn held(o: RegisterOptions) -> Result<RegisterRequest<Signing<Wallet>>, Error> {
        parse(o, None::<fn(AccountId32) -> Wallet>)
    }

    fn wallet(o: RegisterOptions) -> Result<RegisterRequest<Signing<Wallet>>, Error> {
        parse(o, Some(Wallet))
    }

    fn code<T>(r: Result<T, Error>) -> Code {
        match r {
            Ok(_) => panic!("accepted"),
            Err(e) => e.code(),
        }
    }

    #[test]
    fn validation_codes() {
        let r = held(opts(1)).unwrap();
        assert_eq!(r.program_modification_account, None);
        assert_eq!(r.timeout_blocks, DEFAULT_TIMEOUT_BLOCKS);
        assert!(matches!(r.mode, Mode::Public(Signing::Key(_))));
        assert_eq!(code(held(opts(0))), Code::NoProgramSet);
        assert_eq!(code(held(opts(6))), Code::TooManyPrograms);
        let mut o = opts(1);
        o.programs[0].pointer = "0x12".into();
        assert_eq!(code(held(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("secret".into());
        assert_eq!(code(held(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("private".into());
        let r = held(o).unwrap();
        match &r.mode {
            Mode::Private { x25519, .. } => {
                assert_eq!(
                    r.mode.key_visibility(),
                    KeyVisibility::Private(x25519.public)
                )
            }
            _ => panic!("Private"),
        }
        let mut o = opts(1);
        o.x25519_secret_key = Some(format!("0x{}", "22".repeat(32)));
        assert_eq!(code(held(o)), Code::InvalidInput);
        // Client-dealt: a generated key is kept to return, an imported one is not.
        let mut o = opts(1);
        o.access_mode = Some("clientDealt".into());
        let r = held(o).unwrap();
        assert_eq!(r.mode.key_visibility(), KeyVisibility::Public);
        assert!(matches!(
            r.mode,
            Mode::ClientDealt {
                secret: DealtSecret::Generated(_),
                ..
            }
        ));
        let mut o = opts(1);
        o.access_mode = Some("clientDealt".into());
        o.dealt_secret_key = Some(format!("0x{}", "00".repeat(31) + "01"));
        assert!(matches!(
            held(o).unwrap().mode,
            Mode::ClientDealt {
                secret: DealtSecret::Imported(_),
                ..
            }
        ));
        for bad in ["00".repeat(32), "ff".repeat(32), "12".into()] {
            let mut o = opts(1);
            o.access_mode = Some("clientDealt".into());
            o.dealt_secret_key = Some(bad.clone());
            assert_eq!(code(held(o)), Code::InvalidInput, "{bad}");
        }
        let mut o = opts(1);
        o.dealt_secret_key = Some(format!("0x{}", "11".repeat(32)));
        assert_eq!(code(held(o)), Code::InvalidInput);
        // An external signer: Public only.
        for mode in ["clientDealt", "private"] {
            let mut o = opts(1);
            o.access_mode = Some(mode.into());
            o.signer = SignerSpec {
                address: Some(ALICE.into()),
                ..Default::default()
            };
            assert_eq!(code(wallet(o)), Code::InvalidInput, "{mode}");
        }
        let mut o = opts(1);
        o.signer = SignerSpec {
            address: Some(ALICE.into()),
            ..Default::default()
        };
        let r = wallet(o).unwrap();
        assert!(matches!(r.mode, Mode::Public(Signing::External(_))));
        assert_eq!(r.mode.account().to_ss58(), ALICE);
        let mut o = opts(1);
        o.signer.address = Some(ALICE.into());
        assert_eq!(code(wallet(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.signer = SignerSpec {
            address: Some(ALICE.into()),
            ..Default::default()
        };
        assert_eq!(code(held(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.signer.mnemonic = Some("x".into());
        assert_eq!(code(held(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.program_modification_account = Some("not an address".into());
        assert_eq!(code(held(o)), Code::InvalidInput);
        let mut o = opts(1);
        o.signer = SignerSpec {
            secret_key: Some(format!("0x{}", "11".repeat(32))),
            ..Default::default()
        };
        assert!(held(o).is_ok());
        let mut o = opts(1);
        o.timeout_blocks = Some(0);
        assert_eq!(code(held(o)), Code::InvalidInput);
    }

    #[test]
    fn wait_for_amounts_and_programs() {
        assert_eq!(wait_for(None).unwrap(), WaitFor::Finalized);
        assert_eq!(wait_for(Some("inBlock")).unwrap(), WaitFor::InBlock);
        assert_eq!(code(wait_for(Some("best"))), Code::InvalidInput);
        let mut o = opts(1);
        o.wait_for = Some("soon".into());
        assert_eq!(code(held(o)), Code::InvalidInput);

        assert_eq!(Amount::Number(7).value().unwrap(), 7);
        assert_eq!(
            Amount::Text("340282366920938463463374607431768211455".into())
                .value()
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
                code(Amount::Text(bad.into()).value()),
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
        let p = program("0xdead").program().unwrap();
        assert_eq!(
            (p.bytecode, p.configuration_schema),
            (vec![0xde, 0xad], vec![1])
        );
        for bad in ["", "0x", "0xzz"] {
            assert!(program(bad).program().is_err(), "{bad:?}");
        }
        let big = format!("0x{}", "00".repeat(MAX_PROGRAM_BYTES));
        assert_eq!(code(program(&big).program()), Code::InvalidInput);
    }

    #[test]
    fn a_result_without_its_fields_is_invalid_input() {
        for bad in ["", "{}", r#"{"account":"5F","inclusionBlock":1}"#] {
            let e = super::test_signature_of_result(bad).unwrap_err();
            assert_eq!(
                e.code(),
                entropy_register_client::Code::InvalidInput,
                "{bad}: {e}"
            );
        }
    }
}
