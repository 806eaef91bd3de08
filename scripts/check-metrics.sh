#!/usr/bin/env bash
# Every metric the alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboards
# (deploy/grafana/*.json) name is exported by a running service: scrapes the ops endpoints of the `make run` system (the targets of
# deploy/prometheus/prometheus.yml) and looks each name up. Run while `make run` is up (smoke.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
pages=$(mktemp)
trap 'rm -f "$pages"' EXIT
for target in $(grep -oE '127\.0\.0\.1:[0-9]+' deploy/prometheus/prometheus.yml); do
  curl -sf "http://$target/metrics" >>"$pages" || { echo "check-metrics: nothing answers on $target/metrics" >&2; exit 1; }
done
missing=0
for metric in $(grep -ohE '\b(broker|v2k|k2v|pki_sidecar)_[a-z_]+' deploy/prometheus/alerts.yml deploy/grafana/*.json | sort -u); do
  # Histograms export <name>_bucket/_sum/_count.
  if ! grep -qE "^${metric}(_bucket|_sum|_count)?(\{| )" "$pages"; then
    echo "check-metrics: $metric is used by the alert rules or a dashboard but no service exports it" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "check-metrics: every metric of the alert rules and dashboards is exported"
exit "$missing"
