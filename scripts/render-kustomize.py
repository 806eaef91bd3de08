#!/usr/bin/env python3
"""Renders a kustomization without kubectl, for scripts/validate-deploy.sh.

    render-kustomize.py DIR OUTDIR   # one file per resource: OUTDIR/<kind>-<name>.yaml

It implements the subset of kustomize that deploy/kubernetes uses, and refuses anything else
(so that a feature it does not know is never silently skipped):
  resources   files (all their YAML documents) and directories with a kustomization
  namespace   set on every namespaced resource
  images      name -> newName / newTag / digest, on every container and init container
  patches     JSON 6902 only (inline `patch` or `path`), with a `target` that must match
Then it checks what kustomize would refuse (duplicate resources, missing files) and a few
rules of this project for every container: resources requests and limits, non-root,
read-only root file system, no privilege escalation, all capabilities dropped, RuntimeDefault
seccomp, and liveness probes on long-running containers.
"""
import copy
import os
import sys

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


class RenderError(Exception):
    pass


def load_kustomization(directory):
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path) as handle:
                document = yaml.safe_load(handle) or {}
            unknown = set(document) - SUPPORTED
            if unknown:
                raise RenderError(f"{path}: unsupported fields {sorted(unknown)} (supported: {sorted(SUPPORTED)})")
            return path, document
    raise RenderError(f"{directory}: no kustomization.yaml")


def render(directory):
    path, kustomization = load_kustomization(directory)
    resources = []
    for entry in kustomization.get("resources", []):
        target = os.path.normpath(os.path.join(directory, entry))
        if os.path.isdir(target):
            resources += render(target)
        elif os.path.isfile(target):
            with open(target) as handle:
                resources += [doc for doc in yaml.safe_load_all(handle) if doc]
        else:
            raise RenderError(f"{path}: resource {entry} does not exist")
    for patch in kustomization.get("patches", []):
        apply_patch(path, directory, patch, resources)
    for image in kustomization.get("images", []):
        apply_image(path, image, resources)
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    seen = set()
    for resource in resources:
        key = identity(resource)
        if key in seen:
            raise RenderError(f"{path}: duplicate resource {key}")
        seen.add(key)
    return resources


def identity(resource):
    metadata = resource.get("metadata", {})
    return (resource.get("apiVersion"), resource.get("kind"), metadata.get("namespace"), metadata.get("name"))


def matches(target, resource):
    api_version = resource.get("apiVersion", "")
    group, _, version = api_version.rpartition("/")
    checks = {"group": group, "version": version, "kind": resource.get("kind"),
              "name": resource.get("metadata", {}).get("name"),
              "namespace": resource.get("metadata", {}).get("namespace")}
    for key, value in target.items():
        if key not in checks:
            raise RenderError(f"patch target field {key!r} is not supported")
        if checks[key] != value:
            return False
    return True


def apply_patch(path, directory, patch, resources):
    if "target" not in patch:
        raise RenderError(f"{path}: a patch without target (strategic merge) is not supported")
    if "path" in patch:
        with open(os.path.join(directory, patch["path"])) as handle:
            text = handle.read()
    else:
        text = patch.get("patch", "")
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise RenderError(f"{path}: only JSON 6902 patches (a list of operations) are supported")
    targets = [r for r in resources if matches(patch["target"], r)]
    if not targets:
        raise RenderError(f"{path}: patch target {patch['target']} matches no resource")
    for resource in targets:
        for operation in operations:
            apply_operation(resource, operation, f"{path}: {patch['target']}")


def pointer(path):
    if not path.startswith("/"):
        raise RenderError(f"bad JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def apply_operation(document, operation, where):
    op, parts = operation.get("op"), pointer(operation.get("path", ""))
    parent = document
    for part in parts[:-1]:
        try:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        except (KeyError, IndexError, ValueError) as error:
            raise RenderError(f"{where}: {operation['path']}: no such element ({error})")
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, copy.deepcopy(operation["value"]))
            return
        if index >= len(parent):
            raise RenderError(f"{where}: {operation['path']}: index out of range")
    elif op != "add" and last not in parent:
        raise RenderError(f"{where}: {operation['path']}: no such member")
    if op in ("add", "replace"):
        if isinstance(parent, list):
            parent[index] = copy.deepcopy(operation["value"])
        else:
            parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[index if isinstance(parent, list) else last]
    elif op == "test":
        current = parent[index] if isinstance(parent, list) else parent[last]
        if current != operation["value"]:
            raise RenderError(f"{where}: test of {operation['path']} failed")
    else:
        raise RenderError(f"{where}: JSON patch operation {op!r} is not supported")


def pod_spec(resource):
    spec = resource.get("spec", {})
    if resource.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    if resource.get("kind") == "Pod":
        return spec
    return spec.get("template", {}).get("spec") if resource.get("kind") in WORKLOADS | {"CronJob"} else None


def containers(spec):
    return [("init", c) for c in spec.get("initContainers", [])] + [("main", c) for c in spec.get("containers", [])]


def apply_image(path, image, resources):
    name = image.get("name")
    if not name:
        raise RenderError(f"{path}: images entry without name")
    for resource in resources:
        spec = pod_spec(resource)
        for _, container in containers(spec or {}):
            current = container.get("image", "")
            base = current.split("@")[0]
            base = base.rsplit(":", 1)[0] if ":" in base.rsplit("/", 1)[-1] else base
            if base != name:
                continue
            new = image.get("newName", base)
            if "digest" in image:
                container["image"] = f"{new}@{image['digest']}"
            else:
                tag = image.get("newTag", current[len(base) + 1:] if len(current) > len(base) else "")
                container["image"] = f"{new}:{tag}" if tag else new


def check_policy(resources):
    """This project's rules for every container of every workload."""
    problems = []
    for resource in resources:
        spec = pod_spec(resource)
        if spec is None:
            continue
        where = f"{resource['kind']}/{resource['metadata']['name']}"
        pod_security = spec.get("securityContext", {})
        if pod_security.get("runAsNonRoot") is not True:
            problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
        for kind, container in containers(spec):
            name = f"{where}/{container['name']}"
            security = container.get("securityContext", {})
            resources_ = container.get("resources", {})
            for field in ("requests", "limits"):
                for key in ("cpu", "memory"):
                    if key not in resources_.get(field, {}):
                        problems.append(f"{name}: no resources.{field}.{key}")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{name}: readOnlyRootFilesystem is not true")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{name}: allowPrivilegeEscalation is not false")
            if security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is not True:
                problems.append(f"{name}: runAsNonRoot is not true")
            if security.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{name}: capabilities.drop is not [ALL]")
            seccomp = security.get("seccompProfile", pod_security.get("seccompProfile", {}))
            if seccomp.get("type") != "RuntimeDefault":
                problems.append(f"{name}: seccompProfile is not RuntimeDefault")
            if kind == "main" and "livenessProbe" not in container:
                problems.append(f"{name}: no livenessProbe")
    problems += check_broker_storage(resources)
    return problems


def check_broker_storage(resources):
    """The broker keeps what it acknowledged in BROKER_DATA_DIR: a StatefulSet whose claim is
    mounted where its ConfigMap points the data directory."""
    broker = next((r for r in resources if r["metadata"]["name"] == "iotagent-mqtt" and pod_spec(r) is not None), None)
    if broker is None:
        return ["no iotagent-mqtt workload"]
    if broker["kind"] != "StatefulSet":
        return [f"{broker['kind']}/iotagent-mqtt: the broker must be a StatefulSet (its data directory is a PersistentVolumeClaim)"]
    claims = {t["metadata"]["name"] for t in broker["spec"].get("volumeClaimTemplates", [])}
    config = next((r for r in resources if r["kind"] == "ConfigMap" and r["metadata"]["name"] == "iotagent-mqtt-broker"), {})
    data_dir = config.get("data", {}).get("BROKER_DATA_DIR")
    if not data_dir:
        return ["ConfigMap/iotagent-mqtt-broker: BROKER_DATA_DIR is not set (the broker would keep everything in memory)"]
    main = next(c for kind, c in containers(pod_spec(broker)) if kind == "main" and c["name"] == "broker")
    mounted = [m for m in main.get("volumeMounts", []) if m["name"] in claims and (data_dir + "/").startswith(m["mountPath"].rstrip("/") + "/")]
    if not mounted:
        return [f"StatefulSet/iotagent-mqtt: BROKER_DATA_DIR {data_dir} is not on a volumeClaimTemplate mount"]
    return []


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    directory, output = argv[1], argv[2]
    try:
        resources = render(directory)
    except (RenderError, OSError, yaml.YAMLError) as error:
        print(f"render-kustomize: {error}", file=sys.stderr)
        return 1
    problems = check_policy(resources)
    for problem in problems:
        print(f"render-kustomize: policy: {problem}", file=sys.stderr)
    os.makedirs(output, exist_ok=True)
    for old in os.listdir(output):
        if old.endswith(".yaml"):
            os.remove(os.path.join(output, old))
    for resource in resources:
        name = f"{resource['kind']}-{resource['metadata']['name']}.yaml".lower()
        with open(os.path.join(output, name), "w") as handle:
            yaml.safe_dump(resource, handle, sort_keys=False)
        print(os.path.join(output, name))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
