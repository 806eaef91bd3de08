#!/usr/bin/env bash
# make bench: the same broker scenarios against our broker and Debian's mosquitto, in one run on
# this machine, with the ratios. BENCH_QUICK=1 runs small counts (a smoke run, not a measurement).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

swift build -c release --product broker >/dev/null
swift build -c release --product loadtest >/dev/null
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d /tmp/iotagent-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
ulimit -n 65536 2>/dev/null || echo "warning: could not raise the open-file limit; idle scenarios may fail"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  FANIN_MESSAGES=200; FANOUT_MESSAGES=10; IDLE_CONNECTIONS=1000
else
  FANIN_MESSAGES=${FANIN_MESSAGES:-4000}; FANOUT_MESSAGES=${FANOUT_MESSAGES:-200}; IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
fi

start_ours() {
  local port; port=$(free_port)
  BROKER_MQTT_PORT=$port BROKER_MQTTS_PORT=0 BROKER_HTTP_PORT=0 BROKER_BIND=127.0.0.1 BROKER_AUTHZ=none \
    BROKER_MAX_CONNECTIONS=0 LOG_LEVEL=error "$BIN/broker" >"$WORK/ours.log" 2>&1 &
  BROKER_PID=$!; BROKER_PORT=$port
  wait_for_port "$port"
}

start_mosquitto() {
  local port; port=$(free_port)
  cat >"$WORK/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 100
max_queued_messages 1000
log_dest none
user root
CONF
  mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
  BROKER_PID=$!; BROKER_PORT=$port
  wait_for_port "$port"
}

run_scenario() { # name, broker, loadtest arguments...
  local name=$1 broker=$2; shift 2
  "start_$broker"
  local result
  result=$("$BIN/loadtest" bench --port "$BROKER_PORT" "$@" --broker-pid "$BROKER_PID")
  kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true
  echo "{\"name\":\"$name\",\"broker\":\"$broker\",\"result\":$result}" >>"$WORK/results.jsonl"
  echo "  $name on $broker: $result" >&2
}

BROKERS="ours"
command -v mosquitto >/dev/null && BROKERS="ours mosquitto"
for broker in $BROKERS; do
  run_scenario "fan-in QoS 0 (50 pub, 2 shared consumers, 100 B)" "$broker" --scenario fan-in --qos 0 --messages "$FANIN_MESSAGES"
  run_scenario "fan-in QoS 1 (50 pub, 2 shared consumers, 100 B)" "$broker" --scenario fan-in --qos 1 --messages "$FANIN_MESSAGES"
  run_scenario "fan-in QoS 1 latency at 10000 msg/s" "$broker" --scenario fan-in --qos 1 --messages $((FANIN_MESSAGES / 20 + 10)) --rate 200
  run_scenario "fan-out (1 pub, 1000 subscribers)" "$broker" --scenario fan-out --messages "$FANOUT_MESSAGES"
  run_scenario "idle connections ($IDLE_CONNECTIONS)" "$broker" --scenario idle --connections "$IDLE_CONNECTIONS"
done
python3 scripts/bench_report.py "$WORK/results.jsonl"
