#!/usr/bin/env bash
# make run: the whole IoT-agent on this machine, no Docker: dev-pki, certificates through
# pki-sidecar (once, then kept running for CRL refresh), an embedded Kafka (librdkafka's mock
# cluster) unless KAFKA_BROKERS names a real one, the broker and both bridges over mutual TLS.
# Ctrl-C stops everything. Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

CONFIG=${CONFIG:-release}
RUN_DIR=$(realpath -m "${RUN_DIR:-./run}")
LOGS=$RUN_DIR/logs
CERTS=$RUN_DIR/certs
mkdir -p "$LOGS" "$CERTS" "$RUN_DIR/data"
rm -f "$RUN_DIR/pids" "$RUN_DIR/ready"

echo "building ($CONFIG)..."
swift build -c "$CONFIG" >"$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log"; exit 1; }
BIN=$(swift build -c "$CONFIG" --show-bin-path)

PIDS=()
NAMES=()
# In reverse order, one at a time: the bridges stop while the broker and Kafka are still there to
# take their last acknowledgements and commits; each gets 20 s before SIGKILL.
stop_all() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    local pid=${PIDS[$i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { echo "${NAMES[$i]} did not stop in 20 s: killed"; kill -KILL "$pid" 2>/dev/null; }
    wait "$pid" 2>/dev/null || true
  done
  echo "stopped; logs in $LOGS"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# Each service in its own session: Ctrl-C on the terminal reaches only this script, which
# then stops the services in order (a signal to the whole group would stop them all at once).
start() { # name, command... (environment set by the caller with env)
  local name=$1; shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
  echo "$! $name" >>"$RUN_DIR/pids"
}

wait_ready() { # name, url (the service started last)
  local pid=${PIDS[-1]}
  for _ in $(seq 1 600); do
    curl -fsS "$2" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "$1 exited; see $LOGS/$1.log" >&2; tail -20 "$LOGS/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 is not ready after 60 s; see $LOGS/$1.log" >&2
  tail -20 "$LOGS/$1.log" >&2
  exit 1
}

PKI_PORT=${DEV_PKI_PORT:-3000}
# Throw-away certificates and revocation need dev-pki's token; without DEV_PKI_TOKEN it makes one
# in its data directory, which the sidecars read.
PKI_TOKEN_FILE="$RUN_DIR/data/dev-pki/token"
start dev-pki env DEV_PKI_BIND=127.0.0.1 DEV_PKI_PORT="$PKI_PORT" DEV_PKI_DATA_DIR="$RUN_DIR/data/dev-pki" \
  DEV_PKI_CA_KEY_TYPE=ec256 "$BIN/dev-pki"
wait_ready dev-pki "http://127.0.0.1:$PKI_PORT/health"

# Certificates: once (init-container mode), then a sidecar per service keeps them fresh.
sidecar_env() { # name, health port
  echo PKI_URL="http://127.0.0.1:$PKI_PORT" CERT_DIR="$CERTS/$1" HOSTNAME="$1" PKI_KEY_TYPE=ec256 \
    PKI_TOKEN="${DEV_PKI_TOKEN:-}" PKI_TOKEN_FILE="$PKI_TOKEN_FILE" \
    INTERNAL_DNS=localhost EXTERNAL_SERVER_IP=127.0.0.1 PKI_HTTP_BIND=127.0.0.1 PKI_HTTP_PORT="$2" \
    CRL_UPDATE_INTERVAL_SEC=60
}
for service in iotagent-mqtt:9101 v2k-bridge:9102 k2v-bridge:9103; do
  name=${service%%:*}; port=${service##*:}
  mkdir -p "$CERTS/$name"
  env $(sidecar_env "$name" 0) "$BIN/pki-sidecar" --once >"$LOGS/pki-sidecar-$name-once.log" 2>&1 \
    || { echo "pki-sidecar --once for $name failed:"; tail -20 "$LOGS/pki-sidecar-$name-once.log"; exit 1; }
  start "pki-sidecar-$name" env $(sidecar_env "$name" "$port") "$BIN/pki-sidecar"
done

if [ -n "${KAFKA_BROKERS:-}" ]; then
  KAFKA=$KAFKA_BROKERS
  echo "Kafka: $KAFKA (from KAFKA_BROKERS)"
else
  rm -f "$RUN_DIR/kafka.bootstrap"
  start kafka-mock "$BIN/kafka-mock" --brokers 1 --topic admin.device-data:4 \
    --topic admin.dojot.device-manager.device:2 --bootstrap-file "$RUN_DIR/kafka.bootstrap"
  for _ in $(seq 1 100); do [ -s "$RUN_DIR/kafka.bootstrap" ] && break; sleep 0.1; done
  KAFKA=$(cat "$RUN_DIR/kafka.bootstrap")
  echo "Kafka: $KAFKA (embedded mock cluster, in memory)"
fi

B=$CERTS/iotagent-mqtt
start broker env BROKER_BIND=127.0.0.1 BROKER_MAX_CONNECTIONS_PER_ADDRESS="${BROKER_MAX_CONNECTIONS_PER_ADDRESS:-0}" BROKER_MQTT_PORT="${BROKER_MQTT_PORT:-1883}" BROKER_MQTTS_PORT="${BROKER_MQTTS_PORT:-8883}" \
  BROKER_HTTP_PORT=8888 BROKER_TLS_CA="$B/ca.crt" BROKER_TLS_CERT="$B/iotagent-mqtt.crt" BROKER_TLS_KEY="$B/iotagent-mqtt.key" \
  BROKER_TLS_CRL="$B/ca.crl" BROKER_DATA_DIR="${BROKER_DATA_DIR:-$RUN_DIR/broker-data}" "$BIN/broker"
wait_ready broker http://127.0.0.1:8888/ready

bridge_env() { # prefix, name
  local c=$CERTS/$2
  echo "$1_MQTT_HOST=localhost" "$1_MQTT_PORT=${BROKER_MQTTS_PORT:-8883}" "$1_MQTT_PROTOCOL=mqtts" \
    "$1_MQTT_CA=$c/ca.crt" "$1_MQTT_CERT=$c/$2.crt" "$1_MQTT_KEY=$c/$2.key" "$1_APP_HOSTNAME=$2"
}
start v2k-bridge env $(bridge_env V2K v2k-bridge) V2K_HTTP_PORT=9010 V2K_PRODUCER_METADATA_BROKER_LIST="$KAFKA" "$BIN/v2k-bridge"
wait_ready v2k-bridge http://127.0.0.1:9010/ready
start k2v-bridge env $(bridge_env K2V k2v-bridge) K2V_HTTP_PORT=9020 K2V_CONSUMER_METADATA_BROKER_LIST="$KAFKA" "$BIN/k2v-bridge"
wait_ready k2v-bridge http://127.0.0.1:9020/ready
echo "$KAFKA" >"$RUN_DIR/ready"

cat <<GUIDE

Everything is up (logs: $LOGS, data: $RUN_DIR/data).
  broker      mqtts://127.0.0.1:${BROKER_MQTTS_PORT:-8883} (mutual TLS), mqtt://127.0.0.1:${BROKER_MQTT_PORT:-1883} (plain, testing), http://127.0.0.1:8888/metrics
  v2k-bridge  http://127.0.0.1:9010/metrics     k2v-bridge  http://127.0.0.1:9020/metrics
  dev-pki     http://127.0.0.1:$PKI_PORT          Kafka       $KAFKA

A device certificate (CN admin:a1998e):
  $BIN/pki-sidecar device --ids a1998e --out $RUN_DIR/devices --tenant admin --pki-url http://127.0.0.1:$PKI_PORT
Publish as the device, over mutual TLS:
  mosquitto_pub -h localhost -p ${BROKER_MQTTS_PORT:-8883} --cafile $RUN_DIR/devices/ca/ca.pem \\
    --cert $RUN_DIR/devices/cert_a1998e/cert.pem --key $RUN_DIR/devices/cert_a1998e/private.key \\
    -t admin:a1998e/attrs -q 1 -m '{"temperature":21}'
See it in Kafka:
  kcat -b $KAFKA -C -t admin.device-data -o beginning -e -f '%k %s\\n'
Receive configuration as the device:
  mosquitto_sub -h localhost -p ${BROKER_MQTTS_PORT:-8883} --cafile $RUN_DIR/devices/ca/ca.pem \\
    --cert $RUN_DIR/devices/cert_a1998e/cert.pem --key $RUN_DIR/devices/cert_a1998e/private.key -t admin:a1998e/config -q 1
and send it from Kafka, as dojot's device manager would:
  echo '{"event":"configure","meta":{"service":"admin"},"data":{"id":"a1998e","attrs":{"target_temperature":23}}}' \\
    | kcat -b $KAFKA -P -t admin.dojot.device-manager.device

Ctrl-C stops everything.
GUIDE
wait -n "${PIDS[@]}" || true
echo "a service stopped unexpectedly; see $LOGS" >&2
