#!/usr/bin/env python3
"""validate-compose.py COMPOSE_FILE SCHEMA: the compose file against the Compose specification
(JSON Schema, draft 7), then a few rules of this project that the schema cannot express."""
import json
import sys

import jsonschema
import yaml


def main(compose_path, schema_path):
    with open(schema_path) as handle:
        schema = json.load(handle)
    with open(compose_path) as handle:
        compose = yaml.safe_load(handle)  # YAML merge keys (<<) are resolved like compose does
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in sorted(validator.iter_errors(compose), key=lambda e: list(map(str, e.path)))]

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
    # Every depends_on (list or map form) names a service.
    for name, service in services.items():
        for dependency in service.get("depends_on") or []:
            if dependency not in services:
                problems.append(f"{name} depends on unknown service {dependency}")
    for problem in problems:
        print(f"validate-compose: {compose_path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{compose_path}: valid against {schema_path}; {len(services)} services")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
