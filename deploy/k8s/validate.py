"""Schema validation of deploy/k8s without a cluster.

    pip install kubernetes-validate            # Kubernetes' own schemas, bundled; brings jsonschema
    python deploy/k8s/validate.py --crds DIR    # DIR: the operators' CRD files (docs/deploy.md says which)

Core resources (Deployment, Service, ConfigMap, …) are checked by kubernetes-validate, strictly.
Custom resources (Strimzi's Kafka, KafkaNodePool, KafkaTopic; CloudNativePG's Cluster and
ScheduledBackup; KEDA's ScaledObject; the Prometheus Operator's PodMonitor and PrometheusRule) are
checked against the openAPIV3Schema of each CRD found in DIR, with unknown fields rejected (as
`kubectl apply --validate=strict` would). What a schema cannot say — that a topic or consumer group
exists in the code — tests/unit/deploy/test_k8s_manifests.py checks.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def _strict(schema: dict) -> dict:
    schema = copy.deepcopy(schema)

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        if node.get("x-kubernetes-int-or-string"):
            node.pop("type", None)
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        for key, value in node.items():
            if not key.startswith("x-kubernetes"):
                walk(value)

    walk(schema)
    props = schema.setdefault("properties", {})
    props.update(apiVersion={"type": "string"}, kind={"type": "string"}, metadata={"type": "object"})
    return schema


def crd_schemas(directory: Path) -> dict[tuple[str, str], dict]:
    schemas = {}
    for path in sorted(directory.glob("*.y*ml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schemas[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


# deploy/k8s, and the monitoring of deploy/observability/k8s (PodMonitor, PrometheusRule).
KUSTOMIZATIONS = (HERE, HERE.parent / "observability" / "k8s")


def manifests() -> list[tuple[Path, dict]]:
    files = [HERE / "secrets.example.yaml"]
    for directory in KUSTOMIZATIONS:
        kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
        files += [directory / name for name in kustomization["resources"]]
    return [(path, doc) for path in files for doc in yaml.safe_load_all(path.read_text()) if doc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crds", type=Path, required=True, help="directory holding the operators' CRD YAML files")
    parser.add_argument("--kubernetes-version", default="1.33.0")
    args = parser.parse_args(argv)
    import jsonschema

    schemas = crd_schemas(args.crds)
    failures = 0
    core: set[Path] = set()
    for path, doc in manifests():
        key = (doc["apiVersion"], doc["kind"])
        where = f"{path.name} {doc['kind']}/{doc['metadata']['name']}"
        if "." not in doc["apiVersion"].split("/")[0] or doc["apiVersion"].startswith("apps/"):
            core.add(path)
            continue
        if key not in schemas:
            print(f"FAIL {where}: no CRD for {key[0]} {key[1]} in {args.crds}")
            failures += 1
            continue
        errors = list(jsonschema.Draft7Validator(schemas[key]).iter_errors(doc))
        for error in errors:
            print(f"FAIL {where}: {'/'.join(map(str, error.path)) or '.'}: {error.message[:300]}")
        failures += len(errors)
        if not errors:
            print(f"ok   {where} ({key[0]})")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            "-k",
            args.kubernetes_version,
            *map(str, sorted(core)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout + result.stderr, end="")
    if result.returncode == 0:
        print(
            f"ok   {len(core)} files of core resources "
            f"(kubernetes-validate --strict, Kubernetes {args.kubernetes_version})"
        )
    return 1 if failures or result.returncode else 0


if __name__ == "__main__":
    raise SystemExit(main())
