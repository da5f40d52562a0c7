//! `devnet/metadata/devnet.scale` is the runtime metadata the clients compile against (subxt
//! codegen / dynamic decoding). This test fails when it is stale; regenerate with
//! `ENTROPY_UPDATE_METADATA=1 cargo test -p devnet-runtime --test metadata`.

use devnet_runtime::Runtime;

#[test]
fn exported_metadata_is_current() {
    let version = *Runtime::metadata_versions()
        .iter()
        .max()
        .expect("a metadata version");
    // Aura's `SlotDuration` constant reads storage (BlockTime's slot), so the metadata is
    // built inside externalities: the constant shows the default slot.
    let current: Vec<u8> = polkadot_sdk::sp_io::TestExternalities::default().execute_with(|| {
        Runtime::metadata_at_version(version)
            .expect("metadata")
            .to_vec()
    });
    assert_eq!(
        &current[..4],
        b"meta",
        "metadata is prefixed with the magic number"
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../metadata/devnet.scale");
    if std::env::var_os("ENTROPY_UPDATE_METADATA").is_some() {
        std::fs::write(path, &current).expect("write metadata");
        return;
    }
    let exported = std::fs::read(path).unwrap_or_default();
    assert!(
        exported == current,
        "devnet/metadata/devnet.scale is stale (v{version}, {} bytes now, {} exported): run \
         ENTROPY_UPDATE_METADATA=1 cargo test -p devnet-runtime --test metadata",
        current.len(),
        exported.len()
    );
}
