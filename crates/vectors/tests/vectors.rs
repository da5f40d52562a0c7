//! Runs every case of the shared reference vectors (`../shared/vectors/registration-vectors.json`
//! beside the clone, else the repository's copy `tests/registration-vectors.json`, or the file
//! named by `ENTROPY_VECTORS`). A missing file is a failure, not a skip.

use entropy_register_vectors::{run_document, KNOWN_GROUPS};

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/registration-vectors.json"
);
const COPY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/registration-vectors.json"
);

/// The repository's copy must be the shared file, byte for byte, wherever both are present.
#[test]
fn the_repository_copy_is_the_shared_file() {
    let copy = std::fs::read(COPY).expect("the repository's copy of the vectors");
    if let Ok(shared) = std::fs::read(SHARED) {
        assert!(
            copy == shared,
            "{COPY} differs from {SHARED}: copy it again"
        );
    }
    assert!(!copy.is_empty());
}

fn load() -> serde_json::Value {
    let path = std::env::var("ENTROPY_VECTORS").unwrap_or_else(|_| {
        if std::path::Path::new(SHARED).exists() {
            SHARED.to_string()
        } else {
            COPY.to_string()
        }
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vectors at {path}: {e}"));
    serde_json::from_str(&text).expect("vectors file is JSON")
}

#[test]
fn every_shared_vector_passes() {
    let doc = load();
    let reports = run_document(&doc).unwrap();
    assert_eq!(reports.len(), 21, "the shared file has 21 groups");
    let mut failures = Vec::new();
    for r in &reports {
        assert!(r.known, "group {} has no handler", r.name);
        assert!(
            r.passed + r.failures.len() > 0,
            "group {} ran no case",
            r.name
        );
        for (case, why) in &r.failures {
            failures.push(format!("{}/{case}: {why}", r.name));
        }
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    for g in KNOWN_GROUPS {
        assert!(
            reports.iter().any(|r| r.name == *g),
            "group {g} missing from the file"
        );
    }
}

#[test]
fn a_tampered_vector_fails_for_the_right_reason() {
    let doc = load();
    // Change one expected byte of a positive case: it must fail.
    let mut d = doc.clone();
    let case = &mut d["groups"]["scale_key_visibility"][0];
    case["expected"]["scale"] = serde_json::json!("0x01");
    assert!(entropy_register_vectors::run_case("scale_key_visibility", case).is_err());
    // Claim a positive case is negative: it must fail too.
    let mut d = doc.clone();
    let case = &mut d["groups"]["eth_address"][0];
    case["expected"]["error"] = serde_json::json!("InvalidVerifyingKey");
    assert!(entropy_register_vectors::run_case("eth_address", case).is_err());
    // A negative HPKE case labelled with the wrong failure kind fails.
    let mut d = doc;
    let cases = d["groups"]["hpke_signed_message_open"]
        .as_array_mut()
        .unwrap();
    let neg = cases
        .iter_mut()
        .find(|c| c["expected"]["error"] == "BadSignature")
        .unwrap();
    neg["expected"]["error"] = serde_json::json!("Hpke(OpenError)");
    assert!(entropy_register_vectors::run_case("hpke_signed_message_open", neg).is_err());
}
