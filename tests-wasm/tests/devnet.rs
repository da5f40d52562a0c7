//! The client against the running devnet: Public, Private and client-dealt registrations verified end to end, the read
//! helpers, and every refusal a dapp can meet (unknown program, too many / no programs, an
//! unfunded account, a bad URL, an unreachable node, timeout, abort, already submitted).
//! Runs with `wasm-pack test --node`, and in browsers with `WASM_BINDGEN_USE_BROWSER=1 wasm-pack
//! test --headless --chrome` / `--firefox` (see the README for the exact commands).
#![cfg(target_arch = "wasm32")]

use entropy_register_tests_wasm::*;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

fn progress_log() -> (js_sys::Array, js_sys::Function) {
    let log = js_sys::Array::new();
    let sink = log.clone();
    let f = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        sink.push(&e);
    });
    let func: js_sys::Function = f.as_ref().clone().unchecked_into();
    f.forget();
    (log, func)
}

/// The `type` of each logged progress event, in order.
fn kinds(log: &js_sys::Array) -> Vec<String> {
    log.iter()
        .map(|e| json(&e)["type"].as_str().unwrap().to_string())
        .collect()
}

fn with(opts: serde_json::Value, key: &str, value: &JsValue) -> JsValue {
    let o = js(opts);
    js_sys::Reflect::set(&o, &key.into(), value).unwrap();
    o
}

#[wasm_bindgen_test]
async fn public_registration_is_verified_and_reported() {
    let c = client().await;
    let (log, on_progress) = progress_log();
    let opts = with(
        json!({
            "signer": {"uri": "//Eve"},
            "programs": [{"pointer": GENESIS_PROGRAM}],
            "accessMode": "public",
        }),
        "onProgress",
        &on_progress,
    );
    let out = json(&c.register(opts).await.expect("registers"));
    let n = out["inclusionBlock"].as_u64().unwrap();
    let r = out["registeredBlock"].as_u64().unwrap();
    assert!(r > n, "{out}");
    let vk = out["verifyingKey"].as_str().unwrap();
    assert_eq!(vk.len(), 2 + 66);
    assert!(out["ethereumAddress"].as_str().unwrap().starts_with("0x"));
    let committee = out["committee"].as_array().unwrap();
    assert_eq!(committee.len(), 2);
    for (g, m) in committee.iter().enumerate() {
        assert_eq!(m["subgroup"], g as u64);
        assert_eq!(m["receipt"]["subgroup"], g as u64);
        assert_eq!(
            m["receipt"]["verifyingKey"]
                .as_str()
                .unwrap()
                .to_lowercase(),
            vk.to_lowercase()
        );
    }
    // Progress: submitted, inBlock N, committee N+1, one confirmation per subgroup, registered.
    let events: Vec<serde_json::Value> = log.iter().map(|e| json(&e)).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"submitted"), "{kinds:?}");
    assert!(
        kinds.contains(&"inBlock") && kinds.contains(&"committee"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "confirmation").count(),
        2,
        "{kinds:?}"
    );
    // Default waitFor 'finalized': registered, then finalized, both at the registration block,
    // then the verified test signature.
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["registered", "finalized", "testSignature"],
        "{kinds:?}"
    );
    let committee_event = events.iter().find(|e| e["type"] == "committee").unwrap();
    assert_eq!(committee_event["block"].as_u64().unwrap(), n + 1);
    assert_eq!(events[events.len() - 2]["block"].as_u64(), Some(r));
    assert_eq!(events[events.len() - 3]["verifyingKey"], vk);
    let sig = out["testSignature"].as_str().expect("a test signature");
    assert_eq!(sig.len(), 2 + 130);
    assert_eq!(events[events.len() - 1]["signature"], sig);
    assert_eq!(events[events.len() - 1]["verifyingKey"], vk);
    for m in committee {
        assert_eq!(m["receipt"]["testSignature"], sig);
    }
    // The exported check agrees, and refuses a tampered signature or another block.
    entropy_register_wasm::verify_test_signature(&out.to_string()).expect("verifies");
    let mut tampered = out.clone();
    let flipped = if sig.ends_with('0') { "1" } else { "0" };
    tampered["testSignature"] = format!("{}{flipped}", &sig[..sig.len() - 1]).into();
    let e = entropy_register_wasm::verify_test_signature(&tampered.to_string()).unwrap_err();
    assert_eq!(code(&e), "VerificationFailed");
    let mut moved = out.clone();
    moved["inclusionBlock"] = (n + 1).into();
    let e = entropy_register_wasm::verify_test_signature(&moved.to_string()).unwrap_err();
    assert_eq!(code(&e), "VerificationFailed");
    let mut none = out.clone();
    none.as_object_mut().unwrap().remove("testSignature");
    let e = entropy_register_wasm::verify_test_signature(&none.to_string()).unwrap_err();
    assert_eq!(code(&e), "InvalidInput");

    // The read helper agrees with what was asked.
    let info = json(&c.registered_info(vk.into()).await.unwrap());
    assert_eq!(info["accessMode"], "public");
    assert_eq!(info["programs"][0]["pointer"], GENESIS_PROGRAM);
    // status() finds the registration again (what a reloaded page does).
    let eve = "5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw";
    let status = json(&c.status(eve.into(), None).await.unwrap());
    assert_eq!(status["state"], "registered", "{status}");
    assert_eq!(status["verifyingKey"], vk);
    assert_eq!(status["registeredBlock"].as_u64(), Some(r));
    // Searching only blocks after the registration finds nothing.
    let after = r as u32 + 1;
    while json(&c.status(eve.into(), None).await.unwrap())["block"].as_u64() < Some(after.into()) {
        gloo_timers::future::TimeoutFuture::new(300).await;
    }
    let status = json(&c.status(eve.into(), Some(after)).await.unwrap());
    assert_eq!(
        status["state"], "none",
        "searched only from {after}: {status}"
    );
    let later = status["block"].as_u64().unwrap() as u32;
    let e = c.status("//Eve".into(), None).await.unwrap_err();
    assert_eq!(code(&e), "InvalidInput");
    let e = c.status(eve.into(), Some(later + 1000)).await.unwrap_err();
    assert_eq!(code(&e), "InvalidInput");
}

#[wasm_bindgen_test]
async fn private_registration_returns_a_share_of_the_registered_key() {
    let c = client().await;
    let (log, on_progress) = progress_log();
    let opts = with(
        json!({
            "signer": {"uri": "//Alice"},
            "programs": [{"pointer": GENESIS_PROGRAM}],
            "accessMode": "private",
        }),
        "onProgress",
        &on_progress,
    );
    let out = json(&c.register(opts).await.expect("a Private registration"));
    assert_eq!(out["accessMode"], "private");
    let vk = out["verifyingKey"].as_str().unwrap().to_string();
    // The exported share parses and is a share of the registered key.
    let share = out["keyShare"].as_str().expect("the user's share");
    let share_vk = entropy_register_wasm::key_share_verifying_key(share).unwrap();
    assert_eq!(share_vk, vk);
    assert_eq!(out["x25519SecretKey"].as_str().unwrap().len(), 66);
    let info = json(&c.registered_info(vk.clone()).await.unwrap());
    assert_eq!(info["accessMode"], "private");
    assert_eq!(out["committee"].as_array().unwrap().len(), 2);
    let kinds = kinds(&log);
    // The user signed the test signature as a party; it verifies like a Public one.
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["finalized", "testSignature"],
        "{kinds:?}"
    );
    entropy_register_wasm::verify_test_signature(&out.to_string()).expect("verifies");
}

/// A wallet-style signer: `signPayload({address, payload})` → `Promise<{signature}>`, here
/// backed by `key` (the client never sees it).
fn wallet(address: &str, key: &'static str) -> JsValue {
    let pair = entropy_register_core::keys::Sr25519Pair::from_suri(key).unwrap();
    let sign = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |req: JsValue| {
        let payload = js_sys::Reflect::get(&req, &"payload".into())
            .unwrap()
            .as_string()
            .unwrap();
        let bytes = entropy_register_core::hex::decode(&payload).unwrap();
        let answer = js(json!({
            "signature": entropy_register_core::hex::encode_0x(&pair.sign(&bytes))
        }));
        js_sys::Promise::resolve(&answer)
    });
    let signer = js(json!({ "address": address }));
    js_sys::Reflect::set(&signer, &"signPayload".into(), sign.as_ref()).unwrap();
    sign.forget();
    signer
}

#[wasm_bindgen_test]
async fn external_signer_registers_without_handing_over_a_secret() {
    let bob = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty";
    let opts = with(
        json!({"programs": [{"pointer": GENESIS_PROGRAM}]}),
        "signer",
        &wallet(bob, "//Bob"),
    );
    let out = json(&client().await.register(opts).await.expect("registers"));
    assert_eq!(out["account"], bob);
    assert_eq!(out["committee"].as_array().unwrap().len(), 2);
}

#[wasm_bindgen_test]
async fn external_signer_with_the_wrong_key_is_refused() {
    let ferdie = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";
    let opts = with(
        json!({"programs": [{"pointer": GENESIS_PROGRAM}]}),
        "signer",
        &wallet(ferdie, "//NotFerdie"),
    );
    let e = client().await.register(opts).await.unwrap_err();
    assert_eq!(code(&e), "SignerFailed");
}

#[wasm_bindgen_test]
async fn threshold_servers_lists_both_subgroups() {
    let servers = json(&client().await.threshold_servers().await.unwrap());
    let servers = servers.as_array().unwrap();
    assert_eq!(servers.len(), 4);
    assert_eq!(servers.iter().filter(|s| s["subgroup"] == 0).count(), 2);
    assert!(servers
        .iter()
        .all(|s| s["endpoint"].as_str().unwrap().starts_with("127.0.0.1:300")));
}

#[wasm_bindgen_test]
async fn unknown_program_is_refused_before_signing() {
    let e = client()
        .await
        .register(js(json!({
            "signer": {"uri": "//Ferdie"},
            "programs": [{"pointer": format!("0x{}", "11".repeat(32))}],
        })))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UnknownProgram");
}

#[wasm_bindgen_test]
async fn too_many_and_no_programs() {
    let c = client().await;
    let six: Vec<_> = (0..6)
        .map(|_| json!({"pointer": GENESIS_PROGRAM}))
        .collect();
    let e = c
        .register(js(json!({"signer": {"uri": "//Ferdie"}, "programs": six})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "TooManyPrograms");
    let e = c
        .register(js(json!({"signer": {"uri": "//Ferdie"}, "programs": []})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoProgramSet");
}

#[wasm_bindgen_test]
async fn unfunded_account_gets_insufficient_funds() {
    let e = client()
        .await
        .register(js(json!({
            "signer": {"uri": fresh_uri()},
            "programs": [{"pointer": GENESIS_PROGRAM}],
        })))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InsufficientFunds");
    let op = js_sys::Reflect::get(&e, &"operation".into()).unwrap();
    assert_eq!(op.as_string().as_deref(), Some("register"));
}

#[wasm_bindgen_test]
async fn bad_input_is_refused_with_invalid_input() {
    let c = client().await;
    for opts in [
        json!({"signer": {}, "programs": [{"pointer": GENESIS_PROGRAM}]}),
        json!({"signer": {"uri": "//Ferdie"}, "programs": [{"pointer": "0x1234"}]}),
        json!({"signer": {"uri": "//Ferdie"}, "programs": [{"pointer": GENESIS_PROGRAM}], "accessMode": "secret"}),
        json!({"signer": {"uri": "//Ferdie"}, "programs": [{"pointer": GENESIS_PROGRAM}], "programModificationAccount": "nope"}),
        json!({"signer": {"uri": "//Ferdie"}, "programs": [{"pointer": GENESIS_PROGRAM}], "timeoutBlocks": 0}),
        json!({"signer": {"uri": "//Ferdie"}, "programs": [{"pointer": GENESIS_PROGRAM}], "accessMode": "private", "x25519SecretKey": "0x12"}),
        json!({"programs": [{"pointer": GENESIS_PROGRAM}]}),
    ] {
        let e = c.register(js(opts.clone())).await.unwrap_err();
        assert_eq!(code(&e), "InvalidInput", "{opts}");
    }
}

#[wasm_bindgen_test]
async fn connect_errors() {
    let e = entropy_register_wasm::Client::connect("http://127.0.0.1:9944".into())
        .await
        .err()
        .unwrap();
    assert_eq!(code(&e), "InvalidInput");
    let e = entropy_register_wasm::Client::connect("ws://127.0.0.1:9".into())
        .await
        .err()
        .unwrap();
    assert_eq!(code(&e), "ServerUnreachable");
}

#[wasm_bindgen_test]
async fn timeout_counts_blocks() {
    let e = client()
        .await
        .register(js(json!({
            "signer": {"uri": "//Dave"},
            "programs": [{"pointer": GENESIS_PROGRAM}],
            "timeoutBlocks": 1,
        })))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "Timeout");
}

#[wasm_bindgen_test]
async fn abort_cancels_and_a_second_submission_is_refused() {
    let c = client().await;
    let controller = web_sys::AbortController::new().unwrap();
    let signal = controller.signal();
    // Abort as soon as the call is in a block.
    let ctl = controller.clone();
    let on_progress = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        if json(&e)["type"] == "inBlock" {
            ctl.abort();
        }
    });
    let opts = with(
        json!({"signer": {"uri": "//Charlie"}, "programs": [{"pointer": GENESIS_PROGRAM}]}),
        "onProgress",
        on_progress.as_ref(),
    );
    js_sys::Reflect::set(&opts, &"signal".into(), &signal).unwrap();
    let e = c.register(opts).await.unwrap_err();
    assert_eq!(code(&e), "Cancelled");
    // The call is on chain: the account is registering, and a second submission is refused.
    let charlie = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y";
    let status = json(&c.status(charlie.into(), None).await.unwrap());
    assert_eq!(status["state"], "registering", "{status}");
    let e = c
        .register(js(
            json!({"signer": {"uri": "//Charlie"}, "programs": [{"pointer": GENESIS_PROGRAM}]}),
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AlreadySubmitted");
}

#[wasm_bindgen_test]
async fn status_of_an_idle_account_is_none() {
    let fresh = json(&entropy_register_wasm::generate_account());
    let address = fresh["address"].as_str().unwrap().to_string();
    let s = json(&client().await.status(address, None).await.unwrap());
    assert_eq!(s["state"], "none");
}

#[wasm_bindgen_test]
async fn signing_groups_hold_two_stashes_each() {
    let groups = json(&client().await.signing_groups().await.unwrap());
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert!(
        groups.iter().all(|g| g.as_array().unwrap().len() == 2),
        "{groups:?}"
    );
}

/// A fresh account funded by Ferdie stores its own program and registers with it, resolving
/// at the best block (`waitFor: 'inBlock'`).
#[wasm_bindgen_test]
async fn fresh_account_stores_a_program_and_registers_in_block() {
    let c = client().await;
    let fresh = json(&entropy_register_wasm::generate_account());
    let address = fresh["address"].as_str().unwrap().to_string();
    let signer = json!({"secretKey": fresh["secretKey"]});
    let amount = "100000000000"; // 10 units
    c.transfer(js(
        json!({"signer": {"uri": "//Ferdie"}, "to": address, "amount": amount}),
    ))
    .await
    .expect("Ferdie pays");
    assert_eq!(c.balance(address.clone()).await.unwrap(), amount);

    let bytecode = format!("0x{:016x}", (js_sys::Math::random() * 1e15) as u64);
    let stored = json(
        &c.store_program(js(json!({"signer": signer, "bytecode": bytecode})))
            .await
            .expect("stores the program"),
    );
    let pointer = entropy_register_core::hashing::program_pointer(
        &entropy_register_core::hex::decode(&bytecode).unwrap(),
        &[],
        &[],
        &[],
    );
    assert_eq!(
        stored["pointer"],
        entropy_register_core::hex::encode_0x(&pointer)
    );
    let e = c
        .store_program(js(json!({"signer": signer, "bytecode": bytecode})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ProgramExists");

    let (log, on_progress) = progress_log();
    let opts = with(
        json!({
            "signer": signer,
            "programs": [{"pointer": stored["pointer"], "config": "0x0102"}],
            "waitFor": "inBlock",
        }),
        "onProgress",
        &on_progress,
    );
    let out = json(&c.register(opts).await.expect("registers"));
    let kinds = kinds(&log);
    // waitFor 'inBlock': no finalized event; the verified test signature comes last.
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["registered", "testSignature"],
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|k| k == "finalized"), "{kinds:?}");
    let info = json(
        &c.registered_info(out["verifyingKey"].as_str().unwrap().into())
            .await
            .unwrap(),
    );
    assert_eq!(info["programs"][0]["pointer"], stored["pointer"]);
    assert_eq!(info["programs"][0]["config"], "0x0102");

    // The best-block result checked against finality: the finalized chain registered the same
    // key for the account, and `status` (finalized) agrees with the block it names.
    let fin = json(
        &c.finality(js(out.clone()), None)
            .await
            .expect("the finalized chain keeps the result"),
    );
    let finalized_block = fin["finalizedBlock"].as_u64().unwrap();
    assert!(
        finalized_block >= out["registeredBlock"].as_u64().unwrap(),
        "{fin}"
    );
    assert_eq!(
        fin["moved"],
        finalized_block != out["registeredBlock"].as_u64().unwrap(),
        "{fin}"
    );
    let status = json(&c.status(address.clone(), None).await.unwrap());
    assert_eq!(status["verifyingKey"], out["verifyingKey"]);
    assert_eq!(status["registeredBlock"].as_u64(), Some(finalized_block));
    // A result with another key: the finalized chain holds this account's key, not that one.
    let mut other = out.clone();
    // (secp256k1's generator: a valid key no registration holds.)
    other["verifyingKey"] =
        json!("0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    let e = c.finality(js(other), Some(5)).await.unwrap_err();
    assert_eq!(code(&e), "Reorged");
    // Bad input changes nothing and says what is wrong.
    for bad in [
        json!({"account": address, "verifyingKey": "0x02", "inclusionBlock": 1, "registeredBlock": 2}),
        json!({"account": address, "verifyingKey": out["verifyingKey"], "inclusionBlock": "one", "registeredBlock": 2}),
        json!({"account": "nobody", "verifyingKey": out["verifyingKey"], "inclusionBlock": 1, "registeredBlock": 2}),
        json!({"account": address, "verifyingKey": out["verifyingKey"], "inclusionBlock": 5, "registeredBlock": 2}),
    ] {
        let e = c.finality(js(bad.clone()), None).await.unwrap_err();
        assert_eq!(code(&e), "InvalidInput", "{bad}");
    }
}

#[wasm_bindgen_test]
async fn transfer_and_store_program_refuse_bad_input() {
    let c = client().await;
    let ferdie = json!({"uri": "//Ferdie"});
    for (opts, op) in [
        (
            json!({"signer": ferdie, "to": "nobody", "amount": "1"}),
            "transfer",
        ),
        (
            json!({"signer": ferdie, "to": "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL", "amount": "-5"}),
            "transfer",
        ),
        (
            json!({"signer": ferdie, "to": "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL", "amount": 1, "waitFor": "soon"}),
            "transfer",
        ),
    ] {
        let e = c.transfer(js(opts.clone())).await.unwrap_err();
        assert_eq!(code(&e), "InvalidInput", "{opts}");
        let got = js_sys::Reflect::get(&e, &"operation".into()).unwrap();
        assert_eq!(got.as_string().as_deref(), Some(op));
    }
    for opts in [
        json!({"signer": ferdie, "bytecode": "0x"}),
        json!({"signer": ferdie, "bytecode": "0xzz"}),
        json!({"signer": {}, "bytecode": "0x00"}),
    ] {
        let e = c.store_program(js(opts.clone())).await.unwrap_err();
        assert_eq!(code(&e), "InvalidInput", "{opts}");
    }
    // An unfunded account cannot pay the transfer.
    let e = c
        .transfer(js(json!({"signer": {"uri": fresh_uri()}, "to": "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL", "amount": "1000"})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InsufficientFunds", "{e:?}");
}

/// A funded fresh account (10 units from //Ferdie): its signer spec.
async fn funded_account(c: &entropy_register_wasm::Client) -> serde_json::Value {
    let fresh = json(&entropy_register_wasm::generate_account());
    c.transfer(js(json!({
        "signer": {"uri": "//Ferdie"},
        "to": fresh["address"],
        "amount": "100000000000",
    })))
    .await
    .expect("Ferdie pays");
    json!({"secretKey": fresh["secretKey"]})
}

/// The compressed public key of a secp256k1 secret, computed here (not by the client).
fn public_key(secret: &[u8; 32]) -> String {
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    let pk = k256::SecretKey::from_slice(secret).unwrap().public_key();
    entropy_register_core::hex::encode_0x(pk.to_encoded_point(true).as_bytes())
}

#[wasm_bindgen_test]
async fn client_dealt_registration_of_an_imported_key() {
    let c = client().await;
    let signer = funded_account(&c).await;
    let mut secret = [0u8; 32];
    for b in secret.iter_mut() {
        *b = (js_sys::Math::random() * 256.0) as u8;
    }
    secret[0] &= 0x7f; // below the curve order
    let expected_vk = public_key(&secret);
    let (log, on_progress) = progress_log();
    let opts = json!({
        "signer": signer,
        "programs": [{"pointer": GENESIS_PROGRAM}],
        "accessMode": "clientDealt",
        "dealtSecretKey": entropy_register_core::hex::encode_0x(&secret),
    });
    let out = json(
        &c.register(with(opts.clone(), "onProgress", &on_progress))
            .await
            .expect("a client-dealt registration"),
    );
    assert_eq!(out["accessMode"], "clientDealt");
    assert_eq!(
        out["verifyingKey"], expected_vk,
        "the registered key is the dealt key"
    );
    assert!(
        out.get("dealtSecretKey").is_none(),
        "an imported key is not echoed"
    );
    assert!(out.get("keyShare").is_none());
    // Every server of each subgroup received its share and signed a receipt for this key.
    let shares = out["dealtShares"].as_array().expect("delivered shares");
    assert_eq!(shares.len(), 4, "{out}");
    for g in 0..2u64 {
        assert_eq!(shares.iter().filter(|s| s["subgroup"] == g).count(), 2);
    }
    for s in shares {
        assert_eq!(s["receipt"]["subgroup"], s["subgroup"]);
        assert_eq!(s["receipt"]["verifyingKey"], expected_vk);
        // The server answers that it holds a share of the key, of its own subgroup.
        let url = format!(
            "http://{}/user/key/{}",
            s["endpoint"].as_str().unwrap(),
            expected_vk
        );
        let held: serde_json::Value = gloo_net::http::Request::get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(held["partyIndex"], s["subgroup"], "{url}: {held}");
    }
    assert_eq!(out["committee"].as_array().unwrap().len(), 2);
    let kinds = kinds(&log);
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("dealt"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "shareDelivered").count(),
        4,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "confirmation").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["registered", "finalized", "testSignature"],
        "{kinds:?}"
    );
    // The committee signed with the dealt shares it received.
    entropy_register_wasm::verify_test_signature(&out.to_string()).expect("verifies");
    let info = json(&c.registered_info(expected_vk.clone()).await.unwrap());
    assert_eq!(info["accessMode"], "clientDealt");
    assert_eq!(info["commitments"].as_array().unwrap().len(), 2);

    // The same key cannot be registered again.
    let again = c.register(js(opts)).await.unwrap_err();
    assert_eq!(code(&again), "KeyAlreadyRegistered");
}

#[wasm_bindgen_test]
async fn client_dealt_generated_key_and_refusals() {
    let c = client().await;
    let signer = funded_account(&c).await;
    let out = json(
        &c.register(js(json!({
            "signer": signer,
            "programs": [{"pointer": GENESIS_PROGRAM}],
            "accessMode": "clientDealt",
            "waitFor": "inBlock",
        })))
        .await
        .expect("a client-dealt registration with a generated key"),
    );
    let secret = out["dealtSecretKey"]
        .as_str()
        .expect("the generated key is returned");
    let secret: [u8; 32] = entropy_register_core::hex::decode_array(secret).unwrap();
    assert_eq!(out["verifyingKey"], public_key(&secret));
    assert_eq!(out["dealtShares"].as_array().unwrap().len(), 4);

    // Refused before anything is signed.
    let base = json!({"signer": {"uri": fresh_uri()}, "programs": [{"pointer": GENESIS_PROGRAM}]});
    let refused = |extra: serde_json::Value| {
        let mut o = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        o
    };
    for bad in [
        json!({"accessMode": "clientDealt", "dealtSecretKey": format!("0x{}", "00".repeat(32))}),
        json!({"accessMode": "clientDealt", "dealtSecretKey": format!("0x{}", "ff".repeat(32))}),
        json!({"accessMode": "public", "dealtSecretKey": format!("0x{}", "11".repeat(32))}),
        json!({"accessMode": "clientDealt", "x25519SecretKey": format!("0x{}", "11".repeat(32))}),
    ] {
        let e = c.register(js(refused(bad.clone()))).await.unwrap_err();
        assert_eq!(code(&e), "InvalidInput", "{bad}");
    }
}
