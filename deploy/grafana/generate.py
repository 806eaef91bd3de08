#!/usr/bin/env python3
"""Writes the Grafana dashboards of deploy/grafana from the panel lists below (run it after a
change; make test checks that the JSON is what this writes and that every metric a panel
queries is exported by the running services)."""
import json
import pathlib
import sys

RATE = "5m"

BROKER = [
    ("Connections", "short", [("open", "sum(broker_connections_active)"), ("sessions", "sum(broker_sessions)")]),
    ("Connects and refusals per second", "ops", [
        ("CONNECTs", f"sum(rate(broker_connects_total[{RATE}]))"),
        ("refused {{reason}}", f"sum by (reason) (rate(broker_connections_refused_total[{RATE}]))"),
        ("protocol errors", f"sum(rate(broker_protocol_errors_total[{RATE}]))"),
        ("keepalive timeouts", f"sum(rate(broker_keepalive_timeouts_total[{RATE}]))"),
    ]),
    ("Messages per second by QoS", "ops", [
        ("in QoS {{qos}}", f"sum by (qos) (rate(broker_messages_received_total[{RATE}]))"),
        ("out QoS {{qos}}", f"sum by (qos) (rate(broker_messages_sent_total[{RATE}]))"),
    ]),
    ("Queues, drops and shared groups", "short", [
        ("queue drops/s", f"sum(rate(broker_queue_dropped_total[{RATE}]))"),
        ("shared redeliveries/s", f"sum(rate(broker_shared_redelivered_total[{RATE}]))"),
        ("shared undeliverable/s", f"sum(rate(broker_shared_undeliverable_total[{RATE}]))"),
        ("publisher pauses/s", f"sum(rate(broker_publisher_pauses_total[{RATE}]))"),
    ]),
    ("TLS handshakes and failures by reason", "ops", [
        ("handshakes", f"sum(rate(broker_tls_handshakes_total[{RATE}]))"),
        ("failed {{reason}}", f"sum by (reason) (rate(broker_tls_handshake_failures_total[{RATE}]))"),
    ]),
    ("Revocation, lifetime and takeover closes per second", "ops", [
        ("revoked", f"sum(rate(broker_revocation_closes_total[{RATE}]))"),
        ("lifetime", f"sum(rate(broker_lifetime_closes_total[{RATE}]))"),
        ("takeovers", f"sum(rate(broker_session_takeovers_total[{RATE}]))"),
    ]),
    ("CRL next update and certificate expiry (hours left)", "h", [
        ("CRL nextUpdate", "(broker_tls_crl_next_update_seconds - time()) / 3600 and broker_tls_crl_next_update_seconds > 0"),
        ("broker certificate", "(broker_tls_certificate_not_after_seconds - time()) / 3600"),
    ]),
    ("Durable store", "short", [
        ("writes/s", f"sum(rate(broker_store_writes_total[{RATE}]))"),
        ("commit failures/s", f"sum(rate(broker_store_commit_failures_total[{RATE}]))"),
        ("retained messages", "sum(broker_retained_messages)"),
    ]),
]

BRIDGES = [
    ("v2k-bridge: device messages per second", "ops", [
        ("received", f"sum(rate(v2k_messages_received_total[{RATE}]))"),
        ("produced", f"sum(rate(v2k_messages_produced_total[{RATE}]))"),
        ("acknowledged", f"sum(rate(v2k_messages_acknowledged_total[{RATE}]))"),
        ("dead-lettered", f"sum(rate(v2k_messages_dead_lettered_total[{RATE}]))"),
    ]),
    ("v2k-bridge: in flight and Kafka trouble", "short", [
        ("in flight", "sum(v2k_inflight_messages)"),
        ("produce retries/s", f"sum(rate(v2k_produce_retries_total[{RATE}]))"),
        ("delivery failures/s", f"sum(rate(v2k_delivery_failures_total[{RATE}]))"),
        ("queue full/s", f"sum(rate(v2k_produce_queue_full_total[{RATE}]))"),
    ]),
    ("v2k-bridge: produce latency", "s", [
        ("p50", f"histogram_quantile(0.5, sum by (le) (rate(v2k_produce_latency_bucket[{RATE}])))"),
        ("p99", f"histogram_quantile(0.99, sum by (le) (rate(v2k_produce_latency_bucket[{RATE}])))"),
    ]),
    ("k2v-bridge: configure events per second", "ops", [
        ("consumed", f"sum(rate(k2v_records_consumed_total[{RATE}]))"),
        ("published", f"sum(rate(k2v_messages_published_total[{RATE}]))"),
        ("acknowledged", f"sum(rate(k2v_messages_acknowledged_total[{RATE}]))"),
        ("malformed", f"sum(rate(k2v_records_malformed_total[{RATE}]))"),
        ("skipped", f"sum(rate(k2v_records_skipped_total[{RATE}]))"),
    ]),
    ("k2v-bridge: in flight and offset commits", "short", [
        ("in flight", "sum(k2v_publishes_inflight)"),
        ("commits/s {{result}}", f"sum by (result) (rate(k2v_offset_commits_total[{RATE}]))"),
    ]),
    ("Bridges up", "short", [("v2k-bridge replicas", 'sum(up{job="v2k-bridge"})'), ("k2v-bridge", 'sum(up{job="k2v-bridge"})')]),
]

SIDECAR = [
    ("Certificate expiry (hours left)", "h", [("{{instance}}", "(pki_sidecar_certificate_not_after_seconds - time()) / 3600")]),
    ("Enrolments, CRL refreshes and failures", "short", [
        ("enrolments", "sum by (instance) (increase(pki_sidecar_enrolments_total[1h]))"),
        ("CRL refreshes", "sum by (instance) (increase(pki_sidecar_crl_refreshes_total[1h]))"),
        ("failures", "sum by (instance) (increase(pki_sidecar_failures_total[1h]))"),
    ]),
]


def dashboard(uid, title, panels):
    out = []
    for number, (panel_title, unit, queries) in enumerate(panels):
        out.append({
            "id": number + 1,
            "type": "timeseries",
            "title": panel_title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (number % 2), "y": 8 * (number // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [
                {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend,
                 "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                for i, (legend, expr) in enumerate(queries)
            ],
        })
    return {
        "uid": uid, "title": title, "tags": ["iotagent-mqtt", "dojot"], "timezone": "browser",
        "schemaVersion": 39, "version": 1, "refresh": "30s", "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]},
        "panels": out,
    }


DASHBOARDS = {
    "broker.json": dashboard("iotagent-mqtt-broker", "iotagent-mqtt: broker", BROKER),
    "bridges.json": dashboard("iotagent-mqtt-bridges", "iotagent-mqtt: v2k-bridge and k2v-bridge", BRIDGES),
    "pki-sidecar.json": dashboard("iotagent-mqtt-pki", "iotagent-mqtt: PKI sidecars", SIDECAR),
}

if __name__ == "__main__":
    here = pathlib.Path(__file__).parent
    check = "--check" in sys.argv
    stale = []
    for name, content in DASHBOARDS.items():
        text = json.dumps(content, indent=2) + "\n"
        path = here / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"deploy/grafana: {', '.join(stale)} differ from generate.py; run deploy/grafana/generate.py", file=sys.stderr)
        sys.exit(1)
