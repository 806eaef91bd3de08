#!/usr/bin/env bash
# Checks the deployment files without Docker or kubectl (make validate-deploy):
#   1. hadolint on docker/Dockerfile* (settings: .hadolint.yaml), shellcheck on the scripts
#   2. docker/Dockerfile PRODUCTS against Package.swift; deploy/docker-compose.yml against the Compose specification's JSON Schema, as shipped by
#      check-jsonschema (--builtin-schema vendor.compose-spec), plus project rules
#   3. deploy/prometheus: promtool check rules / check config / test rules (Debian's prometheus)
#   4. deploy/kubernetes: base and every overlay rendered by scripts/render-kustomize.py, each
#      manifest checked by kubernetes-validate --strict against the oldest and the newest
#      Kubernetes versions we support (K8S_VERSIONS), plus project rules (security, probes)
# The validators live in a virtual environment in .build/venv-deploy, created on first use and
# re-used while scripts/requirements-deploy.txt is unchanged. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.build/venv-deploy
requirements=scripts/requirements-deploy.txt
rendered=.build/deploy-rendered
k8s_versions="${K8S_VERSIONS:-1.29.0 1.37.0}"
failures=0

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; failures=$((failures + 1)); }

# The venv is (re)installed when missing or when the requirements changed.
stamp="${venv}/.requirements"
if [ ! -x "${venv}/bin/python" ] || ! cmp -s "${requirements}" "${stamp}"; then
    step "virtual environment ${venv}"
    python3 -m venv "${venv}"
    "${venv}/bin/pip" install --quiet --disable-pip-version-check -r "${requirements}"
    cp "${requirements}" "${stamp}"
fi
bin="${venv}/bin"

step "hadolint $("${bin}/hadolint" --version | awk '{print $NF}')"
for dockerfile in docker/Dockerfile*; do
    if "${bin}/hadolint" --config .hadolint.yaml "${dockerfile}"; then
        echo "ok  ${dockerfile}"
    else
        fail "hadolint ${dockerfile}"
    fi
done

step "shellcheck $("${bin}/shellcheck" --version | awk '/^version/ {print $2}')"
for script in docker/*.sh scripts/validate-deploy.sh; do
    if "${bin}/shellcheck" "${script}"; then echo "ok  ${script}"; else fail "shellcheck ${script}"; fi
done

step "docker compose file against the Compose specification (check-jsonschema $("${bin}/check-jsonschema" --version | awk '{print $NF}'))"
if "${bin}/check-jsonschema" --builtin-schema vendor.compose-spec deploy/docker-compose.yml \
    && "${bin}/python" scripts/validate-compose.py deploy/docker-compose.yml; then
    :
else
    fail "deploy/docker-compose.yml"
fi

step "docker/Dockerfile's PRODUCTS are the package's executable products"
# A renamed product would otherwise be caught only by the image build (or hidden by a stale binary).
declared=$(grep -o '\.executable(name: "[^"]*"' Package.swift | sed 's/.*"\(.*\)"/\1/' | sort)
read -ra products <<<"$(sed -n 's/^ARG PRODUCTS="\(.*\)"/\1/p' docker/Dockerfile)"
for product in "${products[@]}"; do
    if grep -qx "${product}" <<<"${declared}"; then echo "ok  ${product}"; else fail "docker/Dockerfile product ${product} is not in Package.swift"; fi
done

step "Prometheus alert rules, their unit tests and the scrape configuration ($(promtool --version 2>&1 | awk 'NR == 1 {print $1, $3}'))"
if promtool check rules deploy/prometheus/alerts.yml \
    && promtool check config --syntax-only deploy/prometheus/prometheus.yml \
    && (cd deploy/prometheus && promtool test rules alerts.test.yml); then
    :
else
    fail "deploy/prometheus"
fi

step "Grafana dashboards are what deploy/grafana/generate.py writes"
if python3 deploy/grafana/generate.py --check; then echo "ok  deploy/grafana"; else fail "deploy/grafana"; fi

for kustomization in deploy/kubernetes/base deploy/kubernetes/overlays/*; do
    [ -d "${kustomization}" ] || continue
    name="${kustomization#deploy/kubernetes/}"
    step "kustomization ${name}: render + policy, kubernetes-validate --strict (Kubernetes ${k8s_versions})"
    out="${rendered}/${name//\//-}"
    if ! "${bin}/python" scripts/render-kustomize.py "${kustomization}" "${out}" >/dev/null; then
        fail "render or policy of ${name}"
        continue
    fi
    manifests=("${out}"/*.yaml)
    for version in ${k8s_versions}; do
        if "${bin}/kubernetes-validate" --strict --quiet -k "${version}" "${manifests[@]}"; then
            echo "ok  ${name}: ${#manifests[@]} manifests valid for Kubernetes ${version}"
        else
            fail "kubernetes-validate ${name} (Kubernetes ${version})"
        fi
    done
    printf '    %s\n' "${manifests[@]##*/}"
done

echo
if [ "${failures}" -gt 0 ]; then
    echo "validate-deploy: ${failures} check(s) failed" >&2
    exit 1
fi
echo "validate-deploy: all checks passed"
