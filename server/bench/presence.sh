#!/usr/bin/env bash
# Presence-room benchmark of the reference server (loopback only): N clients join one room
# (every join is a presence_diff to everyone already there), then paced broadcasts, then chat.
# Usage: server/bench/presence.sh [CLIENTS] [extra flags of server/examples/presence_room.rs]
# Env: CARGO_TARGET_DIR (default target/), SERVER_BIN (default: the server built here).
# Results in server/bench-presence.json (or --out FILE).
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS=${1:-1000}
shift || true
TARGET=${CARGO_TARGET_DIR:-target}
# Each client costs one fd in the bench process and one in the server (both inherit this limit).
WANT=$(( CLIENTS + 1024 ))
HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ "$WANT" -gt "$HARD" ]; then WANT=$HARD; fi
ulimit -n "$WANT"
cargo build --profile server -p phoenix-server --bin phoenix-server --example presence_room
exec "$TARGET/server/examples/presence_room" --server "${SERVER_BIN:-$TARGET/server/phoenix-server}" \
  --clients "$CLIENTS" "$@"
