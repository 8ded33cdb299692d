# Pinned tool versions (sourced by the other scripts). wasm-bindgen-cli must equal the
# `wasm-bindgen = "=…"` pin in Cargo.toml: the CLI refuses a library of another version.
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130
CARGO_FUZZ_VERSION=0.13.2
