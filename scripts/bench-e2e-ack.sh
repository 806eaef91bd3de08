#!/usr/bin/env bash
# What end-to-end acknowledgement costs a device: its PUBACK latency when the broker acknowledges
# only after v2k-bridge has the message in Kafka (BROKER_END_TO_END_ACK=true, the default) and when
# it acknowledges on receipt (false). Release build; kafka-mock, our broker (plain listener), one
# v2k-bridge, and loadtest devices at a steady rate, with loadtest matching every message in Kafka.
#   E2E_DEVICES (200), E2E_INTERVAL_MS (200: 1000 msg/s in all), E2E_DURATION (30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DEVICES=${E2E_DEVICES:-200}
INTERVAL_MS=${E2E_INTERVAL_MS:-200}
DURATION=${E2E_DURATION:-30}

build_release kafka-mock broker v2k-bridge loadtest
WORK=$(mktemp -d /tmp/e2e-ack-bench.XXXXXX)
trap stop_started_processes EXIT

run_mode() { # BROKER_END_TO_END_ACK value
  local mode=$1 dir="$WORK/$1"
  mkdir -p "$dir"
  "$BIN/kafka-mock" --topic "admin.device-data:4" --bootstrap-file "$dir/bootstrap" >"$dir/kafka.log" 2>&1 &
  local kafka=$!; PIDS+=($kafka)
  for _ in $(seq 1 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
  local bootstrap; bootstrap=$(head -1 "$dir/bootstrap")
  local mqtt_port; mqtt_port=$(free_port)
  BROKER_MQTT_PORT=$mqtt_port BROKER_MQTTS_PORT=0 BROKER_HTTP_PORT=0 BROKER_BIND=127.0.0.1 BROKER_AUTHZ=none \
    BROKER_MAX_CONNECTIONS_PER_ADDRESS=0 BROKER_END_TO_END_ACK="$mode" LOG_LEVEL=error "$BIN/broker" >"$dir/broker.log" 2>&1 &
  local broker=$!; PIDS+=($broker)
  wait_for_port "$mqtt_port"
  local http_port; http_port=$(free_port)
  V2K_APP_HOSTNAME=v2k-e2e V2K_MQTT_PROTOCOL=mqtt V2K_MQTT_HOST=127.0.0.1 V2K_MQTT_PORT=$mqtt_port \
    V2K_HTTP_BIND=127.0.0.1 V2K_HTTP_PORT=$http_port V2K_PRODUCER_METADATA_BROKER_LIST=$bootstrap \
    LOG_LEVEL=warning "$BIN/v2k-bridge" >"$dir/v2k.log" 2>&1 &
  local bridge=$!; PIDS+=($bridge)
  for _ in $(seq 1 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/ready")" = 200 ] && break
    sleep 0.1
  done
  "$BIN/loadtest" run --port "$mqtt_port" --devices "$DEVICES" --interval-ms "$INTERVAL_MS" --duration "$DURATION" \
    --kafka-brokers "$bootstrap" --summary "$dir/summary.json" >"$dir/loadtest.log" 2>&1 \
    || { echo "loadtest failed (BROKER_END_TO_END_ACK=$mode):" >&2; tail -20 "$dir/loadtest.log" >&2; exit 1; }
  python3 - "$mode" "$dir/summary.json" <<'EOF'
import json, sys
mode, path = sys.argv[1], sys.argv[2]
s = json.load(open(path))
ack, kafka = s["publish"]["steadyAckLatency"], s["kafka"]
print(f"| {mode} | {s['publish']['acknowledged']} | {s['publish']['perSecond']:.0f} | "
      f"{ack['p50']} / {ack['p99']} / {ack['max']} | {kafka['latency']['p50']} / {kafka['latency']['p99']} | {kafka['lost']} |")
EOF
  kill "$bridge" "$broker" "$kafka" 2>/dev/null || true
  wait "$bridge" "$broker" "$kafka" 2>/dev/null || true
}

echo "e2e-ack bench: $DEVICES devices, one QoS 1 message every $INTERVAL_MS ms each, $DURATION s" >&2
echo "| BROKER_END_TO_END_ACK | acknowledged | msg/s | device PUBACK ms p50 / p99 / max | device -> Kafka ms p50 / p99 | lost |"
echo "| --- | --- | --- | --- | --- | --- |"
run_mode true
run_mode false
