#!/usr/bin/env bash
# make smoke: runs `make run` in the background as a new user would, waits for readiness, sends a
# device message over mutual TLS and reads it from Kafka with kcat, sends a configure event and
# receives it with mosquitto_sub, then stops everything and checks that no process is left.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUN_DIR=${RUN_DIR:-$(mktemp -d /tmp/iotagent-smoke.XXXXXX)}
export CONFIG=${CONFIG:-debug}
LOG=$RUN_DIR/make-run.log
mkdir -p "$RUN_DIR"

setsid scripts/run.sh >"$LOG" 2>&1 &
RUN_PID=$!
# SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT ignored.
# (On a terminal, Ctrl-C reaches `make run` itself, which stops the services the same way.)
cleanup() { kill -TERM "$RUN_PID" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 1800); do
  [ -s "$RUN_DIR/ready" ] && break
  kill -0 "$RUN_PID" 2>/dev/null || { echo "make run exited early:"; tail -40 "$LOG"; exit 1; }
  sleep 0.2
done
[ -s "$RUN_DIR/ready" ] || { echo "not ready after 6 minutes:"; tail -40 "$LOG"; exit 1; }
KAFKA=$(cat "$RUN_DIR/ready")
BIN=$(swift build -c "$CONFIG" --show-bin-path)
echo "ready; Kafka at $KAFKA"

"$BIN/pki-sidecar" device --ids smoke1 --out "$RUN_DIR/devices" --tenant admin --pki-url http://127.0.0.1:${DEV_PKI_PORT:-3000} >/dev/null
D=$RUN_DIR/devices
TLS=(-h localhost -p "${BROKER_MQTTS_PORT:-8883}" --cafile "$D/ca/ca.pem" --cert "$D/cert_smoke1/cert.pem" --key "$D/cert_smoke1/private.key")

# Device -> broker -> v2k-bridge -> Kafka.
mosquitto_pub "${TLS[@]}" -t admin:smoke1/attrs -q 1 -m '{"temperature":21,"smoke":true}'
found=""
for _ in $(seq 1 50); do
  found=$(timeout 10 kcat -b "$KAFKA" -C -t admin.device-data -o beginning -e -q -f '%k %s\n' 2>/dev/null | grep '"smoke":true' || true)
  [ -n "$found" ] && break
  sleep 0.2
done
echo "Kafka: $found"
case "$found" in
  admin:smoke1\ *'"deviceid":"smoke1"'*'"tenant":"admin"'*) echo "device -> Kafka: ok" ;;
  *) echo "device -> Kafka: FAILED"; exit 1 ;;
esac

# Kafka -> k2v-bridge -> broker -> device.
timeout 30 mosquitto_sub "${TLS[@]}" -t admin:smoke1/config -q 1 -C 1 >"$RUN_DIR/config.out" &
SUB=$!
sleep 1
echo '{"event":"configure","meta":{"service":"admin"},"data":{"id":"smoke1","attrs":{"target_temperature":23}}}' \
  | kcat -b "$KAFKA" -P -t admin.dojot.device-manager.device
wait "$SUB" || { echo "Kafka -> device: FAILED (nothing received)"; exit 1; }
received=$(cat "$RUN_DIR/config.out")
[ "$received" = '{"target_temperature":23}' ] || { echo "Kafka -> device: FAILED (got $received)"; exit 1; }
echo "Kafka -> device: ok"

# Every metric the alert rules use is exported by the running services.
scripts/check-metrics.sh

# Stop it as Ctrl-C would; then nothing may be left running.
trap - EXIT
kill -TERM "$RUN_PID"
wait "$RUN_PID" 2>/dev/null || true
# The services make run started (it records them), not other processes on the machine.
left=""
while read -r pid name; do
  kill -0 "$pid" 2>/dev/null && left="$left $name($pid)"
done <"$RUN_DIR/pids"
[ -z "$left" ] || { echo "processes left behind:$left"; exit 1; }
echo "smoke: passed"
