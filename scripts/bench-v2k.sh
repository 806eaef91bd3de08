#!/usr/bin/env bash
# The v2k-bridge benchmark: device messages per second from MQTT to Kafka, acknowledged.
# Release build; starts kafka-mock, our broker (plain listener, BROKER_MAX_INFLIGHT raised: it
# caps the bridge's window), one v2k-bridge, then N QoS 1 JSON messages from many devices
# (v2k-bench-publish). The clock runs from the first publish until the bridge has acknowledged
# all N (each only after Kafka's delivery report); kcat then counts the records.
#   V2K_BENCH_MESSAGES (200000), V2K_BENCH_DEVICES (50), V2K_BENCH_WINDOW (2000: bridge and
#   broker in-flight), V2K_BENCH_DEVICE_WINDOW (100), V2K_BENCH_PARTITIONS (16)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

MESSAGES=${V2K_BENCH_MESSAGES:-200000}
DEVICES=${V2K_BENCH_DEVICES:-50}
WINDOW=${V2K_BENCH_WINDOW:-2000}
DEVICE_WINDOW=${V2K_BENCH_DEVICE_WINDOW:-100}
PARTITIONS=${V2K_BENCH_PARTITIONS:-16}
PER_DEVICE=$((MESSAGES / DEVICES))
MESSAGES=$((PER_DEVICE * DEVICES))

build_release kafka-mock broker v2k-bridge v2k-bench-publish
WORK=$(mktemp -d /tmp/v2k-bench.XXXXXX)
trap stop_started_processes EXIT

"$BIN/kafka-mock" --topic "bench.device-data:$PARTITIONS" --bootstrap-file "$WORK/bootstrap" >"$WORK/kafka.log" 2>&1 &
PIDS+=($!); KAFKA_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
BOOTSTRAP=$(head -1 "$WORK/bootstrap")

MQTT_PORT=$(free_port)
BROKER_MQTT_PORT=$MQTT_PORT BROKER_MQTTS_PORT=0 BROKER_HTTP_PORT=0 BROKER_BIND=127.0.0.1 BROKER_AUTHZ=none \
  BROKER_MAX_INFLIGHT=$WINDOW BROKER_MAX_QUEUED=$((WINDOW * 2)) LOG_LEVEL=error "$BIN/broker" >"$WORK/broker.log" 2>&1 &
PIDS+=($!); BROKER_PID=$!
wait_for_port "$MQTT_PORT"

HTTP_PORT=$(free_port)
V2K_APP_HOSTNAME=v2k-bench V2K_MQTT_PROTOCOL=mqtt V2K_MQTT_HOST=127.0.0.1 V2K_MQTT_PORT=$MQTT_PORT \
  V2K_MAX_INFLIGHT=$WINDOW V2K_HTTP_BIND=127.0.0.1 V2K_HTTP_PORT=$HTTP_PORT \
  V2K_PRODUCER_METADATA_BROKER_LIST=$BOOTSTRAP LOG_LEVEL=warning "$BIN/v2k-bridge" >"$WORK/v2k.log" 2>&1 &
PIDS+=($!); BRIDGE_PID=$!
for _ in $(seq 1 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ready")" = 200 ] && break
  sleep 0.1
done

acknowledged() {
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "v2k_messages_acknowledged_total" { printf "%d", $2 }'
}
cpu_ticks() { # utime + stime of a process, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
TICKS=$(getconf CLK_TCK)
declare -A CPU_BEFORE
for name in KAFKA BROKER BRIDGE; do pid_var="${name}_PID"; CPU_BEFORE[$name]=$(cpu_ticks "${!pid_var}"); done

echo "v2k bench: $MESSAGES QoS 1 messages from $DEVICES devices, window $WINDOW, $PARTITIONS partitions" >&2
if [ -n "${V2K_BENCH_PERF:-}" ]; then
  perf record -F 499 -g -p "$BRIDGE_PID" -o "$V2K_BENCH_PERF" >/dev/null 2>&1 &
  PERF_PID=$!; PIDS+=($PERF_PID)
  sleep 0.5
fi
START=$(date +%s.%N)
"$BIN/v2k-bench-publish" --port "$MQTT_PORT" --devices "$DEVICES" --messages "$PER_DEVICE" --window "$DEVICE_WINDOW" \
  --tenant bench >"$WORK/publish.json" &
PUBLISH_PID=$!; PIDS+=($PUBLISH_PID)
DEADLINE=$(( $(date +%s) + 300 ))
while :; do
  done_count=$(acknowledged)
  [ "${done_count:-0}" -ge "$MESSAGES" ] && break
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then echo "timed out at $done_count acknowledged" >&2; exit 1; fi
  sleep 0.05
done
END=$(date +%s.%N)
wait "$PUBLISH_PID"
if [ -n "${PERF_PID:-}" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; fi
SECONDS_TAKEN=$(python3 -c "print(f'{$END - $START:.3f}')")
RATE=$(python3 -c "print(int($MESSAGES / ($END - $START)))")
IN_KAFKA=$(kcat -b "$BOOTSTRAP" -C -t bench.device-data -o beginning -e -q -f 'x\n' | wc -l)

echo "publisher: $(cat "$WORK/publish.json")" >&2
echo "CPU seconds during the run (2 cores = 2 CPU-seconds per second):" >&2
for name in KAFKA BROKER BRIDGE; do
  pid_var="${name}_PID"
  used=$(( $(cpu_ticks "${!pid_var}") - CPU_BEFORE[$name] ))
  python3 -c "print(f'  ${name,,}: {$used / $TICKS:.1f} s')" >&2
done
echo "{\"messages\":$MESSAGES,\"seconds\":$SECONDS_TAKEN,\"rate\":$RATE,\"in_kafka\":$IN_KAFKA,\"window\":$WINDOW,\"devices\":$DEVICES}"
