#!/usr/bin/env bash
# The scale run of issue 9: SCALE_DEVICES (10000) simulated devices over mutual TLS connect to our
# broker and publish 1 message per device per second (QoS 1) for SCALE_DURATION (60) seconds;
# the run fails when anything is lost or errors pass LOADTEST_MAX_ERROR_RATE (0 here).
#
#   scripts/loadtest-scale.sh                 # throw-away CA and device certificates (loadtest certs)
#   SCALE_PKI=dev-pki scripts/loadtest-scale.sh   # dev-pki + pki-sidecar; devices enrol and cache
#   scripts/loadtest-scale.sh --kafka-brokers HOST:PORT   # extra arguments go to `loadtest run`
#
# Other knobs: SCALE_RAMP_UP (s, default 40), SCALE_OUT (default /tmp/loadtest-scale: summary.json,
# broker-metrics.txt, broker-timeline.txt, logs), SCALE_KEEP=1 keeps the certificates for the next run.
# Add --progress true to see the live line when the output is not a terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DEVICES=${SCALE_DEVICES:-10000}
DURATION=${SCALE_DURATION:-60}
RAMP_UP=${SCALE_RAMP_UP:-40}
OUT=${SCALE_OUT:-/tmp/loadtest-scale}
mkdir -p "$OUT"
# Each process (broker, loadtest) holds one socket per device; containers may cap the hard limit.
if ! ulimit -n 65536 2>/dev/null; then
  ulimit -n "$(ulimit -Hn)"
  echo "open-file limit is $(ulimit -n) (hard limit; 65536 refused)" >&2
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((DEVICES + 200)) ]; then
  echo "the open-file limit $(ulimit -n) is too low for $DEVICES devices" >&2
  exit 1
fi

products="broker loadtest"
[ "${SCALE_PKI:-local}" = dev-pki ] && products="$products dev-pki pki-sidecar"
# shellcheck disable=SC2086 # a list of products
build_release $products
trap stop_started_processes EXIT

PKI=$OUT/pki
BROKER_TLS=()
LOADTEST_TLS=(--cert-dir "$PKI/devices")
if [ "${SCALE_PKI:-local}" = dev-pki ]; then
  pki_port=$(free_port)
  DEV_PKI_PORT=$pki_port DEV_PKI_BIND=127.0.0.1 DEV_PKI_DATA_DIR=$PKI/dev-pki DEV_PKI_SERVER_NAMES=localhost LOG_LEVEL=warning \
    "$BIN/dev-pki" >"$OUT/dev-pki.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$pki_port"
  PKI_URL=http://127.0.0.1:$pki_port PKI_TOKEN_FILE=$PKI/dev-pki/token CERT_DIR=$PKI/broker HOSTNAME=localhost INTERNAL_DNS=localhost \
    EXTERNAL_SERVER_IP=127.0.0.1 PKI_KEY_TYPE=ec256 PKI_HTTP_PORT=0 LOG_LEVEL=warning "$BIN/pki-sidecar" --once
  BROKER_TLS=(BROKER_TLS_CA="$PKI/broker/ca.crt" BROKER_TLS_CERT="$PKI/broker/localhost.crt"
              BROKER_TLS_KEY="$PKI/broker/localhost.key" BROKER_TLS_CRL="$PKI/broker/ca.crl")
  LOADTEST_TLS+=(--pki-url "http://127.0.0.1:$pki_port")
else
  if [ ! -f "$PKI/devices/cert_lt$((DEVICES - 1))/cert.pem" ]; then
    rm -rf "$PKI"
    echo "making a throw-away CA and $DEVICES device certificates in $PKI/devices" >&2
    "$BIN/loadtest" certs --out "$PKI/devices" --devices "$DEVICES" >&2
  fi
  BROKER_TLS=(BROKER_TLS_CA="$PKI/devices/ca/ca.pem" BROKER_TLS_CERT="$PKI/devices/server/cert.pem"
              BROKER_TLS_KEY="$PKI/devices/server/private.key" BROKER_TLS_CRL=)
fi

mqtts_port=$(free_port)
http_port=$(free_port)
env "${BROKER_TLS[@]}" BROKER_BIND=127.0.0.1 BROKER_MQTT_PORT=0 BROKER_MQTTS_PORT="$mqtts_port" \
  BROKER_HTTP_PORT="$http_port" BROKER_MAX_CONNECTIONS=0 BROKER_MAX_CONNECTIONS_PER_ADDRESS=0 LOG_LEVEL=warning "$BIN/broker" >"$OUT/broker.log" 2>&1 &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
wait_for_port "$mqtts_port"

# The broker's own count of publishes in and PUBACKs out, every 5 s: tells a slow broker from a
# slow load generator when PUBACK latencies grow.
(
  while kill -0 "$BROKER_PID" 2>/dev/null; do
    echo "$(date +%T) $(curl -sf "http://127.0.0.1:$http_port/metrics" | grep -E '^broker_(packets_sent_total\{type="puback"\}|connects_total)' | tr '\n' ' ')"
    sleep 5
  done
) >"$OUT/broker-timeline.txt" 2>/dev/null &
PIDS+=($!)

echo "loadtest: $DEVICES devices, mutual TLS, ramp-up $RAMP_UP s, 1 msg/s each for $DURATION s" >&2
status=0
"$BIN/loadtest" run --host 127.0.0.1 --port "$mqtts_port" "${LOADTEST_TLS[@]}" --devices "$DEVICES" \
  --ramp-up "$RAMP_UP" --interval-ms 1000 --jitter-ms 100 --qos 1 --duration "$DURATION" \
  --max-error-rate 0 --summary "$OUT/summary.json" "$@" || status=$?

curl -sf "http://127.0.0.1:$http_port/metrics" >"$OUT/broker-metrics.txt" || true
grep -E '^broker_(connects_total|messages_received_total|tls_handshake|connections_refused)' "$OUT/broker-metrics.txt" >&2 || true
echo "broker peak RSS: $(grep VmHWM /proc/$BROKER_PID/status | awk '{print $2, $3}')" >&2
[ "${SCALE_KEEP:-0}" = 1 ] || rm -rf "$PKI"
echo "summary: $OUT/summary.json (exit status $status)" >&2
exit $status
