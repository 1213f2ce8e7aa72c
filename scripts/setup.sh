#!/usr/bin/env bash
# Installs everything the build and the tests need. Idempotent: each step is skipped when the
# tool is already there at the right version. Works as root on a fresh Debian 12 machine and in
# CI (CI=true, no stdin). Only crates.io, npm and Debian's apt are used; nothing is downloaded
# from anywhere else.
#
#   bash scripts/setup.sh
#
# Pinned versions:
#   - wasm-bindgen-cli: exactly the `wasm-bindgen` version in Cargo.lock (read below);
#   - wasm-opt: the npm devDependency `binaryen` (node_modules/.bin/wasm-opt), via `npm ci`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"; fi
}

command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup first)"
command -v rustup >/dev/null 2>&1 || die "rustup not found (needed for the wasm32 target)"
command -v node >/dev/null 2>&1 || die "node not found (Node 20+ is needed)"
command -v npm >/dev/null 2>&1 || die "npm not found"

# cargo install with --locked first (reproducible); if the crate's lockfile names a version the
# registry no longer serves (seen: webpki-roots 1.0.11 for wasm-bindgen-cli 0.2.130), resolve anew.
cargo_install() {
  local crate="$1" version="$2"
  log "cargo install $crate $version (compiles from source, takes a few minutes)"
  cargo install "$crate" --version "=$version" --locked --force \
    || { log "--locked failed for $crate; retrying without --locked"
         cargo install "$crate" --version "=$version" --force; }
}

# 1. Rust target.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "ok: rust target wasm32-unknown-unknown"
else
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 1b. rustfmt and clippy: scripts/test.sh gates on both.
for component in rustfmt clippy; do
  if rustup component list --installed | grep -q "^$component"; then
    log "ok: rust component $component"
  else
    log "rustup component add $component"
    rustup component add "$component"
  fi
done

# 2. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate in Cargo.lock. The build calls
#    it directly (wasm-pack added nothing to that and cost minutes of compiling on a new machine).
WBG_VERSION="$(awk '
  $0 == "[[package]]" { name = "" }
  /^name = / { gsub(/"/, "", $3); name = $3 }
  /^version = / && name == "wasm-bindgen" { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
[ -n "$WBG_VERSION" ] || die "no wasm-bindgen package in Cargo.lock"
have_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have_wbg" = "$WBG_VERSION" ]; then
  log "ok: wasm-bindgen $have_wbg"
else
  cargo_install wasm-bindgen-cli "$WBG_VERSION"
fi

# 3. Debian Chromium for the browser tests (playwright-core drives it; no browser download).
if [ -x /usr/bin/chromium ]; then
  log "ok: /usr/bin/chromium"
elif command -v apt-get >/dev/null 2>&1; then
  log "apt-get install chromium"
  as_root apt-get update -q
  as_root apt-get install -y -q chromium </dev/null
else
  die "/usr/bin/chromium missing and apt-get unavailable"
fi

# 4. npm devDependencies (esbuild, binaryen's wasm-opt, playwright-core, phoenix, ws).
# A stamp of package.json + package-lock.json decides whether node_modules is current.
stamp_file="node_modules/.phoenix-wasm-setup-stamp"
stamp="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x node_modules/.bin/wasm-opt ]; then
  log "ok: node_modules"
else
  log "npm ci"
  if ! npm ci --no-audit --no-fund </dev/null; then
    # Seen: a lock written by `npm install` that `npm ci` rejects because the registry here lacks
    # some other-platform optional packages (jest 30's unrs-resolver bindings). Keep going, loudly.
    log "WARNING: npm ci failed (package-lock.json not usable as is); falling back to npm install"
    npm install --no-audit --no-fund </dev/null
  fi
  echo "$stamp" > "$stamp_file"
fi
node_modules/.bin/wasm-opt --version >/dev/null || die "wasm-opt (npm binaryen) does not run"
node_modules/.bin/esbuild --version >/dev/null || die "esbuild does not run"

log "done: $(rustc --version),"\
" wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), $(wasm-opt --version),"\
" $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
