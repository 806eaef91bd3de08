#!/usr/bin/env bash
# The broker's start-up recovery: a store of 100 000 persistent sessions with 1 000 000 queued
# messages (128 B), written by broker-store-bench, then the release broker started on it; prints
# the time until its listener accepts connections, the broker's own recovery log line and its RSS.
# Usage: scripts/bench-recovery.sh BIN_DIR WORK_DIR [SESSIONS] [MESSAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bin=$1 work=$2 sessions=${3:-100000} messages=${4:-1000000}
rm -rf "$work" && mkdir -p "$work"
"$bin/broker-store-bench" recovery "$work/store" "$sessions" "$messages" 128
port=$(free_port)
started=$(date +%s.%N)
BROKER_MQTT_PORT=$port BROKER_MQTTS_PORT=0 BROKER_HTTP_PORT=0 BROKER_BIND=127.0.0.1 BROKER_AUTHZ=none \
  BROKER_DATA_DIR="$work/store" LOG_LEVEL=info "$bin/broker" >"$work/broker.log" 2>&1 &
pid=$!
wait_for_port "$port"
listening=$(date +%s.%N)
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
kill "$pid"; wait "$pid" 2>/dev/null || true
python3 -c 'import sys; s, m, a, b, r = sys.argv[1:]; print(f"broker recovery: {s} sessions, {m} messages: listening after {float(b) - float(a):.2f} s, RSS {int(r) / 1024:.0f} MiB")' \
  "$sessions" "$messages" "$started" "$listening" "$rss_kb"
grep 'store recovered' "$work/broker.log" | head -1
rm -rf "$work"
