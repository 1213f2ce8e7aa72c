#!/usr/bin/env bash
# Broadcast fan-out benchmark of the reference server (loopback only).
# Usage: server/bench/fanout.sh [CLIENTS] [MESSAGES] [PAYLOAD_BYTES]
# Env: CARGO_TARGET_DIR (default target/), results in server/bench-results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${1:-2000}
MESSAGES=${2:-200}
PAYLOAD=${3:-100}
TARGET=${CARGO_TARGET_DIR:-target}
# Each client costs one fd in the bench process and one in the server (both inherit this limit).
WANT=$(( CLIENTS + 1024 ))
HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ "$WANT" -gt "$HARD" ]; then WANT=$HARD; fi
ulimit -n "$WANT"
cargo build --profile server -p phoenix-server --bin phoenix-server --example fanout
exec "$TARGET/server/examples/fanout" --server "$TARGET/server/phoenix-server" \
  --clients "$CLIENTS" --messages "$MESSAGES" --payload "$PAYLOAD" --out server/bench-results.json
