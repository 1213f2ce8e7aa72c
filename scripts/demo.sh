#!/usr/bin/env bash
# README command 1: installs what is missing, builds the npm package (dist/) and the demo page
# (www/, when it has a build script), then serves everything with the reference server at
# http://127.0.0.1:4000 (Ctrl-C stops it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bash scripts/setup.sh
npm run build --silent
if [ -f www/build.mjs ]; then
  node www/build.mjs
fi
echo "[demo] starting the reference server on http://127.0.0.1:4000"
exec cargo run -p phoenix-server --profile server
