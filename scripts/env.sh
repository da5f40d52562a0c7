# Shared environment of the project's scripts (sourced, not run).
# Builds go to a persistent target directory outside the clone, so CI and later builds on the
# same machine reuse compiled dependencies. Override with CARGO_TARGET_DIR.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/entropy-register/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# The node's network stack (litep2p → str0m) asks for a vendored OpenSSL, which compiles
# OpenSSL's C sources for minutes in every clean build and check; link the system's instead
# (scripts/tools installs libssl-dev and pkg-config when missing).
export OPENSSL_NO_VENDOR="${OPENSSL_NO_VENDOR:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# The reference vectors: the shared file beside the clone (../shared) when it is there, else
# the byte-identical copy in the repository (a clone anywhere still runs them); ENTROPY_VECTORS
# overrides.
if [ -z "${ENTROPY_VECTORS:-}" ]; then
  ENTROPY_VECTORS="$ROOT/../shared/vectors/registration-vectors.json"
  [ -f "$ENTROPY_VECTORS" ] || ENTROPY_VECTORS="$ROOT/crates/vectors/tests/registration-vectors.json"
fi
export ENTROPY_VECTORS
# The runtime's nested wasm build looks for Cargo.lock above its target dir; ours is outside the
# clone, so point it at the devnet workspace (it then builds with the locked versions).
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$ROOT/devnet}"
