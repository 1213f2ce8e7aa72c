#!/usr/bin/env bash
# Builds the reference server and runs its Rust and Node test suites.
# CARGO_TARGET_DIR is honoured; PHX_SERVER_BIN defaults to the binary just built.
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET=${CARGO_TARGET_DIR:-target}
cargo test -p phoenix-server
cargo build -p phoenix-server
PHX_SERVER_BIN=${PHX_SERVER_BIN:-$TARGET/debug/phoenix-server} node --test tests/server/
