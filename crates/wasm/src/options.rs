//! The options of `register` as JS passes them, and their validation: everything is checked
//! here, before anything is signed or sent.

use entropy_register_core::keys::Sr25519Pair;
use entropy_register_core::types::{
    AccountId32, KeyVisibility, ProgramInstance, ProgramsData, RegisterArgs, MAX_PROGRAMS,
};
use serde::Deserialize;

use crate::error::{ClientError, Code};

/// Default number of blocks to wait after inclusion.
pub const DEFAULT_TIMEOUT_BLOCKS: u32 = 20;
/// Largest program configuration accepted (bytes).
pub const MAX_PROGRAM_CONFIG: usize = 64 * 1024;

/// How the signature-request account signs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignerSpec {
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
    /// `"public"`.
    #[serde(default)]
    pub access_mode: Option<String>,
    /// Blocks to wait after inclusion.
    #[serde(default)]
    pub timeout_blocks: Option<u32>,
}

/// A validated request.
pub struct RegisterRequest {
    /// The signature-request account.
    pub signer: Sr25519Pair,
    /// The call's arguments.
    pub args: RegisterArgs,
    /// Give up after this many blocks after inclusion.
    pub timeout_blocks: u32,
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

/// Builds the signer.
pub fn signer(spec: &SignerSpec) -> Result<Sr25519Pair, ClientError> {
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
            "signer needs exactly one of uri, mnemonic or secretKey",
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

/// Validates the options.
pub fn parse(o: RegisterOptions) -> Result<RegisterRequest, ClientError> {
    let signer = signer(&o.signer)?;
    match o.access_mode.as_deref().unwrap_or("public") {
        "public" => {}
        "private" => {
            return Err(invalid(
                "accessMode 'private' is not available in this version of the package",
            ))
        }
        other => {
            return Err(invalid(format!(
                "accessMode must be 'public', got {other:?}"
            )))
        }
    }
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
            key_visibility: KeyVisibility::Public,
            programs_data: ProgramsData::new(programs).expect("length checked above"),
        },
        timeout_blocks,
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
            timeout_blocks: None,
        }
    }

    #[test]
    fn validation_codes() {
        let r = parse(opts(1)).unwrap();
        assert_eq!(r.args.program_modification_account, r.signer.account());
        assert_eq!(r.timeout_blocks, DEFAULT_TIMEOUT_BLOCKS);
        assert_eq!(parse(opts(0)).err().unwrap().code, Code::NoProgramSet);
        assert_eq!(parse(opts(6)).err().unwrap().code, Code::TooManyPrograms);
        let mut o = opts(1);
        o.programs[0].pointer = "0x12".into();
        assert_eq!(parse(o).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.access_mode = Some("secret".into());
        assert_eq!(parse(o).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.signer.mnemonic = Some("x".into());
        assert_eq!(parse(o).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.program_modification_account = Some("not an address".into());
        assert_eq!(parse(o).err().unwrap().code, Code::InvalidInput);
        let mut o = opts(1);
        o.signer = SignerSpec {
            secret_key: Some(format!("0x{}", "11".repeat(32))),
            ..Default::default()
        };
        assert!(parse(o).is_ok());
    }
}
