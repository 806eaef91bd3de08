#!/bin/bash
# iotagent-entrypoint EXECUTABLE [ARGS...]: runs one of the image's executables as PID 1 (exec,
# so that it gets SIGTERM directly; they all shut down cleanly on it and spawn no children).
#
# ENROL_BEFORE_START=true (for v2k-bridge and k2v-bridge) first gets this container's own key
# and certificate with `pki-sidecar --once` into CERT_DIR, then starts the bridge with them. It
# is the per-replica init step of docker compose, where `--scale v2k-bridge=3` gives every
# replica its own host name but no init container of its own. In Kubernetes an init container
# and a sidecar do this instead and this variable stays unset.
set -euo pipefail

[ $# -gt 0 ] || set -- broker
executable="${1##*/}"

enrol() {
    local prefix="$1" mark="$2" name
    # Client id, certificate CN and file names: <PREFIX>_APP_HOSTNAME, else the host name. The
    # broker grants service rights only to identities that contain the service's mark
    # (PLUGIN_ACL_*_SERVICENAME), and compose replicas are named after their container id, so
    # the mark is put in front when the name lacks it: v2k-bridge-3f2a9b1c0d4e.
    local app_var="${prefix}_APP_HOSTNAME"
    name="${!app_var:-${HOSTNAME:-$(cat /proc/sys/kernel/hostname)}}"
    [[ "${name}" == *"${mark}"* ]] || name="${mark}-${name}"
    local dir="${CERT_DIR:-/certs}"
    echo "iotagent-entrypoint: enrolling ${name} into ${dir}" >&2
    HOSTNAME="${name}" CERT_DIR="${dir}" PKI_HTTP_PORT=0 pki-sidecar --once
    export HOSTNAME="${name}" "${prefix}_APP_HOSTNAME=${name}"
    local ca="${prefix}_MQTT_CA" cert="${prefix}_MQTT_CERT" key="${prefix}_MQTT_KEY"
    export "${ca}=${!ca:-${dir}/ca.crt}" "${cert}=${!cert:-${dir}/${name}.crt}" "${key}=${!key:-${dir}/${name}.key}"
}

if [ "${ENROL_BEFORE_START:-false}" = true ]; then
    case "${executable}" in
        v2k-bridge) enrol V2K "${PLUGIN_ACL_V2K_SERVICENAME:-v2k-bridge}" ;;
        k2v-bridge) enrol K2V "${PLUGIN_ACL_K2V_SERVICENAME:-k2v-bridge}" ;;
        *) echo "iotagent-entrypoint: ENROL_BEFORE_START is for v2k-bridge and k2v-bridge, not ${executable}" >&2; exit 2 ;;
    esac
fi

exec "$@"
