#!/usr/bin/env bash
# make bench: the same broker scenarios against our broker and Debian's mosquitto, in one run on
# this machine, with the ratios. BENCH_QUICK=1 runs small counts (a smoke run, not a measurement);
# BENCH_ONLY=<pattern> runs only the scenarios whose name matches.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

swift build -c release --product broker >/dev/null
swift build -c release --product loadtest >/dev/null
swift build -c release --product broker-store-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
WORK=$(mktemp -d /tmp/iotagent-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 24000 ] || echo "note: open-file limit $(ulimit -n); the idle scenario needs about 2 x IDLE_CONNECTIONS between both processes"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  FANIN_MESSAGES=200; FANOUT_MESSAGES=10; IDLE_CONNECTIONS=1000; STORM_CONNECTIONS=200; PLAIN_STORM_CONNECTIONS=500
else
  STORM_CONNECTIONS=${STORM_CONNECTIONS:-2000}; PLAIN_STORM_CONNECTIONS=${PLAIN_STORM_CONNECTIONS:-10000}
  FANIN_MESSAGES=${FANIN_MESSAGES:-4000}; FANOUT_MESSAGES=${FANOUT_MESSAGES:-200}; IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
fi

# Throw-away certificates for the TLS storm (never committed): a CA, the broker's certificate
# (SAN 127.0.0.1) and one EC P-256 certificate per device, as devices have in production.
make_certificates() {
  local d=$WORK/tls
  mkdir -p "$d"
  "$BIN/loadtest" certs --out "$d/devices" --tenant bench --device-prefix storm --devices "$STORM_CONNECTIONS" --write-ca-key >/dev/null
  cp "$d/devices/ca/ca.pem" "$d/ca.crt"; cp "$d/devices/ca/ca.key" "$d/ca.key"
  cp "$d/devices/server/cert.pem" "$d/server.crt"; cp "$d/devices/server/private.key" "$d/server.key"
  # An empty CRL, so that both brokers check revocation as they would in production.
  printf '[ca]\ndefault_ca=ca\n[ca]\ndatabase=%s/index.txt\ncrlnumber=%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n' "$d" "$d" >"$d/ca.cnf"
  : >"$d/index.txt"; echo 01 >"$d/crlnumber"
  openssl ca -config "$d/ca.cnf" -gencrl -keyfile "$d/ca.key" -cert "$d/ca.crt" -out "$d/ca.crl" 2>/dev/null
  TLS_ARGS=(--cafile "$d/ca.crt" --cert-dir "$d/devices" --device-prefix storm)
}

start_ours() {
  local port; port=$(free_port)
  local tls_port=0
  [ "${WITH_TLS:-0}" = 1 ] && tls_port=$port
  local plain_port=$port
  [ "${WITH_TLS:-0}" = 1 ] && plain_port=0
  BROKER_MQTT_PORT=$plain_port BROKER_MQTTS_PORT=$tls_port BROKER_HTTP_PORT=0 BROKER_BIND=127.0.0.1 BROKER_AUTHZ=none \
    BROKER_TLS_CA=$WORK/tls/ca.crt BROKER_TLS_CERT=$WORK/tls/server.crt BROKER_TLS_KEY=$WORK/tls/server.key \
    BROKER_TLS_CRL=$WORK/tls/ca.crl BROKER_MAX_CONNECTIONS=0 BROKER_MAX_CONNECTIONS_PER_ADDRESS=0 LOG_LEVEL=error env ${OURS_ENV:-} "$BIN/broker" >"$WORK/ours.log" 2>&1 &
  BROKER_PID=$!; BROKER_PORT=$port
  wait_for_port "$port"
}

start_mosquitto() {
  local port; port=$(free_port)
  # max_queued_messages 0: no queue limit. With its default (1000) mosquitto acknowledges QoS 1
  # publishes and then drops most of them at the shared subscribers' queues; a broker that drops
  # does less work, so its CPU figures would not compare.
  cat >"$WORK/mosquitto.conf" <<CONF
listener $port 127.0.0.1
$( [ "${WITH_TLS:-0}" = 1 ] && printf 'cafile %s\ncertfile %s\nkeyfile %s\ncrlfile %s\nrequire_certificate true\nuse_identity_as_username true\n' \
    "$WORK/tls/ca.crt" "$WORK/tls/server.crt" "$WORK/tls/server.key" "$WORK/tls/ca.crl" )
allow_anonymous true
persistence false
max_inflight_messages 100
max_queued_messages 0
log_dest none
user root
CONF
  mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
  BROKER_PID=$!; BROKER_PORT=$port
  wait_for_port "$port"
}

run_scenario() { # name, broker, loadtest arguments...
  local name=$1 broker=$2; shift 2
  # BENCH_ONLY=<grep -E pattern>: only the scenarios whose name matches (e.g. BENCH_ONLY=storm).
  if [ -n "${BENCH_ONLY:-}" ] && ! grep -Eq -- "$BENCH_ONLY" <<<"$name"; then return 0; fi
  "start_$broker"
  local result
  result=$("$BIN/loadtest" bench --port "$BROKER_PORT" "$@" --broker-pid "$BROKER_PID")
  kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true
  echo "{\"name\":\"$name\",\"broker\":\"$broker\",\"result\":$result}" >>"$WORK/results.jsonl"
  echo "  $name on $broker: $result" >&2
}

make_certificates
BROKERS="ours"
command -v mosquitto >/dev/null && BROKERS="ours mosquitto"
for broker in $BROKERS; do
  # Storms as devices make them after a restart: 64 connects (TCP, TLS, CONNECT until CONNACK)
  # under way at a time, each one done opens the next. The plain storm comes from one thread
  # with raw sockets (RawConnectionStorm), light enough not to be what limits the rate.
  run_scenario "plain connection storm ($PLAIN_STORM_CONNECTIONS connections, 64 in flight, raw-socket client)" "$broker" --scenario storm --connections "$PLAIN_STORM_CONNECTIONS" --in-flight 64
  WITH_TLS=1 run_scenario "TLS connection storm ($STORM_CONNECTIONS mutual-TLS devices, a certificate each, 64 in flight)" "$broker" --scenario storm --connections "$STORM_CONNECTIONS" --in-flight 64 "${TLS_ARGS[@]}"

  run_scenario "fan-in QoS 0 (50 pub, 2 shared consumers, 100 B)" "$broker" --scenario fan-in --qos 0 --messages "$FANIN_MESSAGES"
  run_scenario "fan-in QoS 1 (50 pub, 2 shared consumers, 100 B)" "$broker" --scenario fan-in --qos 1 --messages "$FANIN_MESSAGES"
  run_scenario "fan-in QoS 1 latency at 10000 msg/s" "$broker" --scenario fan-in --qos 1 --messages $((FANIN_MESSAGES / 20 + 10)) --rate 200
  run_scenario "fan-out (1 pub, 1000 subscribers)" "$broker" --scenario fan-out --messages "$FANOUT_MESSAGES"
  run_scenario "idle connections ($IDLE_CONNECTIONS)" "$broker" --scenario idle --connections "$IDLE_CONNECTIONS"
done
# The durable store (ours only): the same fan-in with a data directory (end-to-end acknowledgement
# on: shared copies are held by their publishers, not stored), and with persistent consumers and
# end-to-end acknowledgement off, where every message is written and deleted again (fsync per batch).
rm -rf "$WORK/store"
OURS_ENV="BROKER_DATA_DIR=$WORK/store/a" run_scenario "fan-in QoS 1, data directory" ours --scenario fan-in --qos 1 --messages "$FANIN_MESSAGES"
OURS_ENV="BROKER_END_TO_END_ACK=false" run_scenario "fan-in QoS 1, persistent consumers, in memory" ours --scenario fan-in --qos 1 --messages "$FANIN_MESSAGES" --persistent-consumers
OURS_ENV="BROKER_END_TO_END_ACK=false BROKER_DATA_DIR=$WORK/store/b" run_scenario "fan-in QoS 1, persistent consumers, data directory" ours --scenario fan-in --qos 1 --messages "$FANIN_MESSAGES" --persistent-consumers
[ "${BENCH_QUICK:-0}" = 1 ] || [ -n "${BENCH_ONLY:-}" ] || scripts/bench-recovery.sh "$BIN" "$WORK/recovery" | tee -a "$WORK/recovery.txt" >&2
python3 scripts/bench_report.py "$WORK/results.jsonl"
