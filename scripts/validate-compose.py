#!/usr/bin/env python3
"""validate-compose.py COMPOSE_FILE: rules of this project that the Compose specification's schema
(checked by check-jsonschema --builtin-schema vendor.compose-spec) cannot express."""
import sys

import yaml


def main(compose_path):
    with open(compose_path) as handle:
        compose = yaml.safe_load(handle)  # YAML merge keys (<<) are resolved like compose does
    problems = []
    services = compose.get("services", {})
    for name in ("kafka", "x509-identity-mgmt", "iotagent-mqtt", "v2k-bridge", "k2v-bridge"):
        if name not in services:
            problems.append(f"service {name} is missing")
    v2k = services.get("v2k-bridge", {})
    # --scale v2k-bridge=N needs distinct containers: no fixed name, host name or host port.
    for field in ("container_name", "hostname", "ports"):
        if field in v2k:
            problems.append(f"v2k-bridge must not set {field} (it would break --scale)")
    published = {str(p).rsplit(":", 1)[0].rsplit(":", 1)[-1] for p in services.get("iotagent-mqtt", {}).get("ports", [])}
    for port in ("1883", "8883", "8888"):
        if port not in published:
            problems.append(f"iotagent-mqtt does not publish {port}")
    # The plain listener (identity = username) and the ops port must not face the network.
    for mapping in services.get("iotagent-mqtt", {}).get("ports", []):
        parts = str(mapping).split(":")
        if parts[-1] in ("1883", "8888") and (len(parts) < 3 or parts[0] not in ("127.0.0.1", "::1")):
            problems.append(f"iotagent-mqtt publishes {mapping} on every interface (bind it to 127.0.0.1)")
    # What the broker acknowledged survives a crash only on a named volume.
    broker = services.get("iotagent-mqtt", {})
    data_dir = (broker.get("environment") or {}).get("BROKER_DATA_DIR")
    volumes = [str(v).split(":") for v in broker.get("volumes", [])]
    if not data_dir:
        problems.append("iotagent-mqtt does not set BROKER_DATA_DIR")
    elif not any(len(v) >= 2 and v[0] in (compose.get("volumes") or {}) and (data_dir + "/").startswith(v[1].rstrip("/") + "/") for v in volumes):
        problems.append(f"iotagent-mqtt: BROKER_DATA_DIR {data_dir} is not on a named volume")
    # Every depends_on (list or map form) names a service.
    for name, service in services.items():
        for dependency in service.get("depends_on") or []:
            if dependency not in services:
                problems.append(f"{name} depends on unknown service {dependency}")
    for problem in problems:
        print(f"validate-compose: {compose_path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{compose_path}: project rules hold; {len(services)} services")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
