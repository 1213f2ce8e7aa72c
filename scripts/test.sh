#!/usr/bin/env bash
# THE test command (README, .ci/run, `npm test`): installs what is missing, fails fast on the lint
# gates (rustfmt, clippy native and wasm32, all with warnings as errors), runs the Rust tests,
# builds the server, the npm package and the demo page (www/), then runs every Node test (tests/node, tests/types, tests/server,
# tests/browser: *.test.mjs / *.test.cjs) in one `node --test` run. Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

step "setup"
bash scripts/setup.sh

# Lint gates, before anything slow: an unformatted tree or any clippy warning fails the run.
step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy -p phoenix-wasm --target wasm32-unknown-unknown -- -D warnings"
cargo clippy -p phoenix-wasm --target wasm32-unknown-unknown -- -D warnings

step "cargo test --workspace"
cargo test --workspace

step "cargo build -p phoenix-server"
cargo build -p phoenix-server

step "npm run build"
npm run build --silent

if [ -f www/build.mjs ]; then
  step "node www/build.mjs (demo page, used by tests/browser/e2e)"
  node www/build.mjs
fi

step "node --test"
mapfile -t files < <(
  for dir in tests/node tests/types tests/server tests/browser; do
    [ -d "$dir" ] || continue
    find "$dir" -type d -name node_modules -prune -o -type f \( -name '*.test.mjs' -o -name '*.test.cjs' \) -print
  done | LC_ALL=C sort
)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no *.test.mjs / *.test.cjs files under tests/node, tests/types, tests/server, tests/browser" >&2
  exit 1
fi
printf '  %s\n' "${files[@]}"
node --test --test-reporter=spec "${files[@]}"

step "all tests passed"
