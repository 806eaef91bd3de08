#!/bin/bash
# iotagent-healthcheck [PATH]: HTTP GET of PATH (default /health) on the ops port of the
# executable this container runs; exit 0 on a 2xx answer. The runtime image has no curl: bash's
# /dev/tcp does the request. HEALTHCHECK_PORT and HEALTHCHECK_HOST override the guesses.
set -euo pipefail
path="${1:-/health}"
host="${HEALTHCHECK_HOST:-127.0.0.1}"
port="${HEALTHCHECK_PORT:-}"

if [ -z "${port}" ]; then
    # PID 1 is the executable (the entrypoint execs it), or docker-init/tini in front of it.
    executable=""
    while IFS= read -r -d '' argument; do
        case "${argument##*/}" in
            broker | v2k-bridge | k2v-bridge | pki-sidecar | dev-pki | loadtest | kafka-mock)
                executable="${argument##*/}"
                break
                ;;
        esac
    done </proc/1/cmdline
    case "${executable}" in
        broker) port="${BROKER_HTTP_PORT:-8888}" ;;
        v2k-bridge) port="${V2K_HTTP_PORT:-9000}" ;;
        k2v-bridge) port="${K2V_HTTP_PORT:-9000}" ;;
        pki-sidecar) port="${PKI_HTTP_PORT:-9001}" ;;
        dev-pki) port="${DEV_PKI_PORT:-3000}" ;;
        loadtest | kafka-mock) exit 0 ;; # no ops endpoint: running is healthy
        *) echo "iotagent-healthcheck: unknown executable; set HEALTHCHECK_PORT" >&2; exit 1 ;;
    esac
fi
[ "${port}" != 0 ] || exit 0 # the endpoint is switched off

exec 3<>"/dev/tcp/${host}/${port}"
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "${path}" "${host}" >&3
IFS= read -r -t 5 status <&3 || { echo "iotagent-healthcheck: no answer on ${port}" >&2; exit 1; }
case "${status}" in
    "HTTP/1."[01]" 2"*) exit 0 ;;
    *) echo "iotagent-healthcheck: ${path} on ${port}: ${status%$'\r'}" >&2; exit 1 ;;
esac
