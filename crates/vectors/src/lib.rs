//! Runs test vectors in the schema of `registration-vectors.json` against this crate.
//!
//! Every group has a handler that computes the case's outputs from its input; the outputs are
//! compared with `expected` field by field. A negative case (`expected.error`) passes only if
//! the handler fails with the same failure kind. Unknown expected keys are ignored, as the
//! schema asks; an unknown *group* cannot be run and counts as a failure.

use serde_json::{json, Map, Value};

use codec::{Decode, Encode};
use entropy_register_core::committee::{select_committee, CommitteeBlock, CommitteeError};
use entropy_register_core::envelope::EncryptedSignedMessage;
use entropy_register_core::hashing::{self, StorageHasher};
use entropy_register_core::keys;
use entropy_register_core::kvdb::{RecordKey, ScryptParams};
use entropy_register_core::session::{SessionId, SubscribeMessage};
use entropy_register_core::types::*;

/// Result of one group.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// Group name.
    pub name: String,
    /// Whether a handler exists for the group.
    pub known: bool,
    /// Passed cases.
    pub passed: usize,
    /// Failed cases with reasons.
    pub failures: Vec<(String, String)>,
}

/// A handler's answer: the computed fields, or a failure label with the fields computed
/// before the failure.
type Computed = Result<Map<String, Value>, (String, Map<String, Value>)>;
type Handler = fn(&Value) -> Computed;

/// Names of the groups this runner knows.
pub const KNOWN_GROUPS: &[&str] = &[
    "scale_key_visibility",
    "scale_program_instance",
    "scale_programs_data",
    "scale_register_args",
    "scale_confirm_register_call",
    "scale_ocw_message_dkg",
    "scale_registering_details",
    "scale_registered_info",
    "scale_server_info",
    "scale_decode_errors",
    "program_pointer",
    "dev_accounts",
    "tss_keys",
    "storage_keys",
    "hpke_signed_message_open",
    "session_id",
    "subscribe_message",
    "bincode_subscribe_response",
    "committee_selection",
    "eth_address",
    "kvdb_record",
];

fn handler(group: &str) -> Option<Handler> {
    Some(match group {
        "scale_key_visibility" => |i| scale_case(&key_visibility(i)?),
        "scale_program_instance" => |i| scale_case(&program_instance(i)?),
        "scale_programs_data" => |i| scale_case(&programs_data(&i["programs"])?),
        "scale_register_args" => scale_register_args,
        "scale_confirm_register_call" => scale_confirm_register_call,
        "scale_ocw_message_dkg" => scale_ocw_message_dkg,
        "scale_registering_details" => scale_registering_details,
        "scale_registered_info" => scale_registered_info,
        "scale_server_info" => |i| {
            scale_case(&ServerInfo {
                tss_account: AccountId32(arr(&i["tss_account"])?),
                x25519_public_key: arr(&i["x25519_public_key"])?,
                endpoint: bytes(&i["endpoint"])?,
            })
        },
        "scale_decode_errors" => scale_decode_errors,
        "program_pointer" => |i| {
            out([(
                "program_pointer",
                hexv(&hashing::program_pointer(
                    &bytes(&i["bytecode"])?,
                    &bytes(&i["configuration_schema"])?,
                    &bytes(&i["auxiliary_data_schema"])?,
                    &bytes(&i["oracle_data_pointer"])?,
                )),
            )])
        },
        "dev_accounts" => dev_accounts,
        "tss_keys" => tss_keys,
        "storage_keys" => storage_keys,
        "hpke_signed_message_open" => hpke_open,
        "session_id" => session_id,
        "subscribe_message" => subscribe_message,
        "bincode_subscribe_response" => |i| {
            let r = if i["ok"].as_bool().ok_or_else(|| bad("ok"))? {
                Ok(())
            } else {
                Err(string(&i["err"])?)
            };
            out([(
                "bincode",
                hexv(&entropy_register_core::wire::encode_subscribe_response(&r)),
            )])
        },
        "committee_selection" => committee_selection,
        "eth_address" => eth_address,
        "kvdb_record" => kvdb_record,
        _ => return None,
    })
}

// ---------- input helpers ----------

fn bad(field: &str) -> (String, Map<String, Value>) {
    (format!("InputError({field})"), Map::new())
}
fn string(v: &Value) -> Result<String, (String, Map<String, Value>)> {
    v.as_str().map(str::to_string).ok_or_else(|| bad("string"))
}
fn bytes(v: &Value) -> Result<Vec<u8>, (String, Map<String, Value>)> {
    entropy_register_core::hex::decode(v.as_str().ok_or_else(|| bad("hex"))?)
        .map_err(|_| bad("hex"))
}
fn arr<const N: usize>(v: &Value) -> Result<[u8; N], (String, Map<String, Value>)> {
    bytes(v)?.try_into().map_err(|_| bad("fixed-length hex"))
}
fn num(v: &Value) -> Result<u64, (String, Map<String, Value>)> {
    v.as_u64().ok_or_else(|| bad("number"))
}
fn hexv(b: &[u8]) -> Value {
    Value::String(entropy_register_core::hex::encode_0x(b))
}
fn out<const N: usize>(fields: [(&str, Value); N]) -> Computed {
    Ok(fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}

fn key_visibility(i: &Value) -> Result<KeyVisibility, (String, Map<String, Value>)> {
    match i["variant"].as_str() {
        Some("Public") => Ok(KeyVisibility::Public),
        Some("Private") => Ok(KeyVisibility::Private(arr(&i["x25519_public_key"])?)),
        _ => Err(bad("variant")),
    }
}
fn program_instance(i: &Value) -> Result<ProgramInstance, (String, Map<String, Value>)> {
    Ok(ProgramInstance {
        program_pointer: arr(&i["program_pointer"])?,
        program_config: bytes(&i["program_config"])?,
    })
}
fn programs_data(v: &Value) -> Result<ProgramsData, (String, Map<String, Value>)> {
    let items = v
        .as_array()
        .ok_or_else(|| bad("programs"))?
        .iter()
        .map(program_instance)
        .collect::<Result<Vec<_>, _>>()?;
    ProgramsData::new(items).map_err(|_| ("TooManyPrograms".to_string(), Map::new()))
}

/// Encodes and checks the decode round trip.
fn scale_case<T: Encode + Decode + PartialEq>(v: &T) -> Computed {
    let enc = v.encode();
    let back = T::decode(&mut &enc[..]).map_err(|e| (format!("DecodeError({e})"), Map::new()))?;
    if &back != v {
        return Err(("RoundTripMismatch".into(), Map::new()));
    }
    out([("scale", hexv(&enc))])
}

fn register_args(i: &Value) -> Result<RegisterArgs, (String, Map<String, Value>)> {
    Ok(RegisterArgs {
        program_modification_account: AccountId32(arr(&i["program_modification_account"])?),
        key_visibility: key_visibility(&i["key_visibility"])?,
        programs_data: programs_data(&i["programs_data"])?,
    })
}

fn scale_register_args(i: &Value) -> Computed {
    let a = register_args(i)?;
    out([
        ("args_scale", hexv(&a.encode())),
        ("call_data", hexv(&a.call_data())),
    ])
}

fn scale_confirm_register_call(i: &Value) -> Computed {
    let vk = VerifyingKeyBytes::new(bytes(&i["verifying_key"])?)
        .map_err(|_| ("MismatchedVerifyingKeyLength".to_string(), Map::new()))?;
    let a = ConfirmRegisterArgs {
        sig_req_account: AccountId32(arr(&i["sig_req_account"])?),
        signing_subgroup: num(&i["signing_subgroup"])? as u8,
        verifying_key: vk,
    };
    out([
        ("args_scale", hexv(&a.encode())),
        ("call_data", hexv(&a.call_data())),
    ])
}

fn scale_ocw_message_dkg(i: &Value) -> Computed {
    let accounts = i["sig_request_accounts"]
        .as_array()
        .ok_or_else(|| bad("sig_request_accounts"))?
        .iter()
        .map(bytes)
        .collect::<Result<Vec<_>, _>>()?;
    let validators = i["validators_info"]
        .as_array()
        .ok_or_else(|| bad("validators_info"))?
        .iter()
        .map(|v| {
            Ok(ValidatorInfo {
                x25519_public_key: arr(&v["x25519_public_key"])?,
                ip_address: bytes(&v["ip_address"])?,
                tss_account: bytes(&v["tss_account"])?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let m = OcwMessageDkg {
        block_number: num(&i["block_number"])? as u32,
        sig_request_accounts: accounts.clone(),
        validators_info: validators,
    };
    let mut o = scale_case(&m)?;
    let opt = Some(accounts.clone()).encode();
    o.insert("sig_request_accounts_option_scale".into(), hexv(&opt));
    o.insert(
        "sig_request_accounts_option_blake2s256".into(),
        hexv(&hashing::account_list_digest(&accounts)),
    );
    Ok(o)
}

fn optional_vk(v: &Value) -> Result<Option<VerifyingKeyBytes>, (String, Map<String, Value>)> {
    if v.is_null() {
        return Ok(None);
    }
    VerifyingKeyBytes::new(bytes(v)?)
        .map(Some)
        .map_err(|_| bad("verifying_key"))
}

fn scale_registering_details(i: &Value) -> Computed {
    let confirmations = i["confirmations"]
        .as_array()
        .ok_or_else(|| bad("confirmations"))?
        .iter()
        .map(|c| num(c).map(|n| n as u8))
        .collect::<Result<Vec<_>, _>>()?;
    scale_case(&RegisteringDetails {
        program_modification_account: AccountId32(arr(&i["program_modification_account"])?),
        confirmations,
        programs_data: programs_data(&i["programs_data"])?,
        key_visibility: key_visibility(&i["key_visibility"])?,
        verifying_key: optional_vk(&i["verifying_key"])?,
        version_number: num(&i["version_number"])? as u8,
    })
}

fn scale_registered_info(i: &Value) -> Computed {
    scale_case(&RegisteredInfo {
        key_visibility: key_visibility(&i["key_visibility"])?,
        programs_data: programs_data(&i["programs_data"])?,
        program_modification_account: AccountId32(arr(&i["program_modification_account"])?),
        version_number: num(&i["version_number"])? as u8,
    })
}

fn classify_decode(e: &str) -> &'static str {
    let l = e.to_ascii_lowercase();
    // "failed to read variant byte: Not enough data" is a short read, not a bad variant.
    if l.contains("exceeds") {
        "BoundExceeded"
    } else if l.contains("not enough") {
        "NotEnoughData"
    } else if l.contains("variant") {
        "InvalidVariant"
    } else if l.contains("trailing") {
        "TrailingBytes"
    } else {
        "Other"
    }
}

fn try_decode<T: Decode>(data: &[u8]) -> Result<(), String> {
    let mut input = data;
    T::decode(&mut input).map_err(|e| format!("{e}"))?;
    if !input.is_empty() {
        return Err("trailing bytes".into());
    }
    Ok(())
}

fn scale_decode_errors(i: &Value) -> Computed {
    let data = bytes(&i["scale"])?;
    let r = match i["type"].as_str().ok_or_else(|| bad("type"))? {
        "KeyVisibility" => try_decode::<KeyVisibility>(&data),
        "ProgramInstance" => try_decode::<ProgramInstance>(&data),
        "ProgramsData" => try_decode::<ProgramsData>(&data),
        "VerifyingKey" => try_decode::<VerifyingKeyBytes>(&data),
        "OcwMessageDkg" => try_decode::<OcwMessageDkg>(&data),
        "ValidatorInfo" => try_decode::<ValidatorInfo>(&data),
        "ServerInfo" => try_decode::<ServerInfo>(&data),
        "RegisteringDetails" => try_decode::<RegisteringDetails>(&data),
        "RegisteredInfo" => try_decode::<RegisteredInfo>(&data),
        "AccountId32" => try_decode::<AccountId32>(&data),
        "RegisterArgs" => try_decode::<RegisterArgs>(&data),
        "ConfirmRegisterArgs" => try_decode::<ConfirmRegisterArgs>(&data),
        other => return Err((format!("UnknownType({other})"), Map::new())),
    };
    match r {
        Ok(()) => out([("decoded", Value::Bool(true))]),
        Err(msg) => {
            let mut m = Map::new();
            m.insert("reason".into(), Value::String(classify_decode(&msg).into()));
            Err(("DecodeError".into(), m))
        }
    }
}

fn dev_accounts(i: &Value) -> Computed {
    let suri = format!("{}{}", string(&i["phrase"])?, string(&i["suri"])?);
    let d = keys::derive_suri(&suri).map_err(|e| (format!("KeyError({e})"), Map::new()))?;
    let soft = d.mini_secret.is_none();
    let secret = d.pair.secret_bytes();
    out([
        ("public", hexv(&d.pair.public())),
        ("ss58", Value::String(d.pair.account().to_ss58())),
        (
            "mini_secret",
            d.mini_secret
                .as_ref()
                .map(|m| hexv(&m[..]))
                .unwrap_or(Value::Null),
        ),
        ("secret_key_scalar", hexv(&secret[..32])),
        (
            "secret_key",
            if soft { Value::Null } else { hexv(&secret[..]) },
        ),
        (
            "secret_key_ed25519_expanded",
            if soft {
                Value::Null
            } else {
                hexv(&d.pair.secret_ed25519_expanded()[..])
            },
        ),
    ])
}

fn tss_keys(i: &Value) -> Computed {
    let d = keys::derive_tss_keys(&string(&i["mnemonic"])?)
        .map_err(|e| (format!("KeyError({e})"), Map::new()))?;
    out([
        ("bip39_seed", hexv(&d.bip39_seed[..])),
        ("sr25519_mini_secret", hexv(&d.sr25519_mini_secret[..])),
        ("tss_account", hexv(&d.keys.account.public())),
        (
            "tss_account_ss58",
            Value::String(d.keys.account.account().to_ss58()),
        ),
        ("x25519_secret", hexv(&d.x25519_secret[..])),
        ("x25519_public", hexv(&d.keys.x25519.public)),
    ])
}

fn storage_keys(i: &Value) -> Computed {
    let pallet = string(&i["pallet"])?;
    let storage = string(&i["storage"])?;
    let hasher = match i["hasher"].as_str() {
        Some("Blake2_128Concat") => StorageHasher::Blake2_128Concat,
        Some("Identity") => StorageHasher::Identity,
        Some("Twox64Concat") => StorageHasher::Twox64Concat,
        _ => return Err(bad("hasher")),
    };
    let prefix = hashing::storage_prefix(&pallet, &storage);
    let mut o = Map::new();
    o.insert("pallet_prefix".into(), hexv(&prefix[..16]));
    o.insert("storage_prefix".into(), hexv(&prefix[16..]));
    let key = &i["key"];
    if key.is_null() {
        o.insert("storage_key".into(), hexv(&prefix));
        return Ok(o);
    }
    let key_scale = match i["key_type"].as_str() {
        Some("AccountId32") => AccountId32(arr(key)?).encode(),
        Some("VerifyingKey") => VerifyingKeyBytes::new(bytes(key)?)
            .map_err(|_| bad("key"))?
            .encode(),
        Some("u32") => (num(key)? as u32).encode(),
        Some("u8") => (num(key)? as u8).encode(),
        Some("u64") => num(key)?.encode(),
        _ => return Err(bad("key_type")),
    };
    let hashed = hasher.hash(&key_scale);
    o.insert("key_scale".into(), hexv(&key_scale));
    o.insert("hashed_key".into(), hexv(&hashed));
    o.insert(
        "storage_key".into(),
        hexv(&hashing::storage_map_key(
            &pallet, &storage, hasher, &key_scale,
        )),
    );
    Ok(o)
}

fn hpke_open(i: &Value) -> Computed {
    let json = string(&i["json"])?;
    let secret: [u8; 32] = arr(&i["recipient_x25519_secret"])?;
    let aad = if i["associated_data"].is_null() {
        Vec::new()
    } else {
        bytes(&i["associated_data"])?
    };
    let env = EncryptedSignedMessage::from_json(json.as_bytes())
        .map_err(|e| (e.label().to_string(), Map::new()))?;
    let plain = env
        .decrypt_with_aad(&secret, &aad)
        .map_err(|e| (e.label().to_string(), Map::new()))?;
    let mut partial = Map::new();
    partial.insert(
        "signed_message_json".into(),
        Value::String(String::from_utf8_lossy(&plain).into_owned()),
    );
    let signed = entropy_register_core::envelope::SignedMessage::from_json(&plain)
        .map_err(|e| (e.label().to_string(), partial.clone()))?;
    if !signed.verify() {
        return Err(("BadSignature".into(), partial));
    }
    partial.insert("message".into(), hexv(&signed.message));
    partial.insert("sender".into(), hexv(&signed.sender.0));
    partial.insert("sender_ss58".into(), Value::String(signed.sender.to_ss58()));
    partial.insert(
        "receiver_x25519".into(),
        signed
            .receiver_x25519
            .map(|k| hexv(&k))
            .unwrap_or(Value::Null),
    );
    Ok(partial)
}

fn session_json(s: &SessionId) -> Value {
    match s {
        SessionId::Dkg { user, block_number } => {
            json!({"variant": "Dkg", "user": entropy_register_core::hex::encode_0x(&user.0), "block_number": block_number})
        }
    }
}

fn session_id(i: &Value) -> Computed {
    let s = SessionId::Dkg {
        user: AccountId32(arr(&i["user"])?),
        block_number: num(&i["block_number"])? as u32,
    };
    let b = s.to_bincode();
    if SessionId::from_bincode(&b).ok() != Some(s) {
        return Err(("RoundTripMismatch".into(), Map::new()));
    }
    let SessionId::Dkg { user, .. } = s;
    out([
        ("bincode", hexv(&b)),
        ("shared_randomness", hexv(&s.shared_randomness())),
        ("user_ss58", Value::String(user.to_ss58())),
    ])
}

fn subscribe_message(i: &Value) -> Computed {
    let b = bytes(&i["bincode"])?;
    let m =
        SubscribeMessage::from_bincode(&b).map_err(|e| (format!("Malformed({e})"), Map::new()))?;
    if m.to_bincode() != b {
        return Err(("RoundTripMismatch".into(), Map::new()));
    }
    out([
        ("valid", Value::Bool(m.verify_signature())),
        ("public_key", hexv(&m.public_key.0)),
        ("public_key_ss58", Value::String(m.public_key.to_ss58())),
        ("session_id", session_json(&m.session_id)),
        ("session_id_bincode", hexv(&m.session_id.to_bincode())),
        ("signature", hexv(&m.signature)),
    ])
}

fn committee_selection(i: &Value) -> Computed {
    let groups: Vec<Vec<[u8; 32]>> = i["signing_groups"]
        .as_array()
        .ok_or_else(|| bad("signing_groups"))?
        .iter()
        .map(|g| {
            g.as_array()
                .ok_or_else(|| bad("group"))?
                .iter()
                .map(arr)
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let synced: Vec<Vec<bool>> = i["synced"]
        .as_array()
        .ok_or_else(|| bad("synced"))?
        .iter()
        .map(|g| {
            g.as_array()
                .ok_or_else(|| bad("synced"))?
                .iter()
                .map(|b| b.as_bool().ok_or_else(|| bad("synced")))
                .collect()
        })
        .collect::<Result<_, _>>()?;
    let block = CommitteeBlock(num(&i["block_number"])? as u32);
    let is_synced = |stash: &[u8; 32]| {
        groups
            .iter()
            .zip(&synced)
            .any(|(g, s)| g.iter().zip(s).any(|(x, ok)| x == stash && *ok))
    };
    // v0.2.0 has two subgroups, always.
    let subgroups = SIGNING_PARTY_SIZE as u8;
    match select_committee(
        block,
        subgroups,
        |g| groups.get(g as usize).cloned(),
        is_synced,
    ) {
        Ok(c) => out([
            (
                "committee",
                Value::Array(c.iter().map(|m| hexv(&m.stash)).collect()),
            ),
            (
                "original_indices",
                Value::Array(c.iter().map(|m| json!(m.original_index)).collect()),
            ),
        ]),
        Err(CommitteeError::NoSyncedValidators { .. }) => {
            Err(("NoSyncedValidators".into(), Map::new()))
        }
        Err(CommitteeError::SigningGroupError { .. } | CommitteeError::NoSubgroups) => {
            Err(("SigningGroupError".into(), Map::new()))
        }
    }
}

fn eth_address(i: &Value) -> Computed {
    let vk = VerifyingKey::from_bytes(&bytes(&i["verifying_key"])?)
        .map_err(|_| ("InvalidVerifyingKey".to_string(), Map::new()))?;
    let addr = entropy_register_core::eth::ethereum_address(&vk);
    out([
        ("uncompressed", hexv(&vk.to_uncompressed())),
        ("address", hexv(&addr)),
        (
            "address_eip55",
            Value::String(entropy_register_core::eth::to_eip55(&addr)),
        ),
    ])
}

fn kvdb_record(i: &Value) -> Computed {
    let s = &i["scrypt"];
    if num(&s["len"]).unwrap_or(32) != 32 {
        return Err(bad("scrypt.len"));
    }
    let params = ScryptParams {
        log_n: num(&s["log_n"])? as u8,
        r: num(&s["r"])? as u32,
        p: num(&s["p"])? as u32,
    };
    let key = RecordKey::derive(
        string(&i["password"])?.as_bytes(),
        &bytes(&i["salt"])?,
        params,
    )
    .map_err(|e| (format!("BadParams({e})"), Map::new()))?;
    let mut partial = Map::new();
    partial.insert("derived_key".into(), hexv(key.as_bytes()));
    let record = bytes(&i["record"])?;
    // The record must be exactly kvdb_bincode(EncryptedRecord{ciphertext, nonce}).
    let nonce: [u8; 24] = arr(&i["nonce"])?;
    let expect_record = entropy_register_core::wire::Writer::kvdb()
        .vec_u8(&bytes(&i["ciphertext"])?)
        .bytes(&nonce)
        .finish();
    if expect_record != record {
        return Err(("RecordLayoutMismatch".into(), partial));
    }
    let plain = key
        .open(&record)
        .map_err(|_| ("DecryptionFailed".to_string(), partial.clone()))?;
    if key.seal_with_nonce(&plain, nonce) != record {
        return Err(("ResealMismatch".into(), partial));
    }
    partial.insert("plaintext".into(), hexv(&plain));
    let kv = match i["plaintext_layer"].as_str() {
        Some("raw") => Value::Null,
        Some("kvdb_bincode_vec_u8") => hexv(
            &entropy_register_core::wire::kvdb_decode_vec(&plain)
                .map_err(|e| (format!("Malformed({e})"), partial.clone()))?,
        ),
        _ => return Err(bad("plaintext_layer")),
    };
    partial.insert("kv_value".into(), kv);
    Ok(partial)
}

// ---------- comparison ----------

fn norm(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("0x") => Value::String(s.to_ascii_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(norm).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), norm(v))).collect()),
        other => other.clone(),
    }
}

fn labels_match(expected: &str, got: &str) -> bool {
    expected == got || (expected.starts_with("Hpke(") && got.starts_with("Hpke("))
}

/// Field-by-field check; informational keys of negative cases are skipped.
fn compare(expected: &Map<String, Value>, computed: &Map<String, Value>) -> Result<(), String> {
    for (k, want) in expected {
        if k == "error" || k == "library_message" {
            continue;
        }
        if let Some(got) = computed.get(k) {
            if norm(got) != norm(want) {
                return Err(format!("{k}: expected {want}, got {got}"));
            }
        }
    }
    Ok(())
}

/// Runs one case.
pub fn run_case(group: &str, case: &Value) -> Result<(), String> {
    let h = handler(group).ok_or_else(|| format!("no handler for group {group}"))?;
    let empty = Map::new();
    let expected = case["expected"].as_object().unwrap_or(&empty);
    let computed = h(&case["input"]);
    match (expected.get("error").and_then(Value::as_str), computed) {
        (None, Ok(c)) => {
            let checked = expected.keys().filter(|k| c.contains_key(*k)).count();
            if checked == 0 {
                return Err("no expected field could be checked".into());
            }
            compare(expected, &c)
        }
        (None, Err((label, _))) => Err(format!("unexpected failure {label}")),
        (Some(want), Ok(_)) => Err(format!("expected failure {want}, but it succeeded")),
        (Some(want), Err((label, partial))) => {
            if !labels_match(want, &label) {
                return Err(format!("expected failure {want}, got {label}"));
            }
            compare(expected, &partial)
        }
    }
}

/// Runs every group of a vectors document.
pub fn run_document(doc: &Value) -> Result<Vec<GroupReport>, String> {
    let groups = doc["groups"]
        .as_object()
        .ok_or("the document has no `groups` object")?;
    let mut reports = Vec::new();
    for (name, cases) in groups {
        let known = handler(name).is_some();
        let mut r = GroupReport {
            name: name.clone(),
            known,
            passed: 0,
            failures: Vec::new(),
        };
        let cases = cases
            .as_array()
            .ok_or_else(|| format!("group {name} is not a list"))?;
        for (idx, case) in cases.iter().enumerate() {
            let case_name = case["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{idx}"));
            match run_case(name, case) {
                Ok(()) => r.passed += 1,
                Err(e) => r.failures.push((case_name, e)),
            }
        }
        reports.push(r);
    }
    Ok(reports)
}
