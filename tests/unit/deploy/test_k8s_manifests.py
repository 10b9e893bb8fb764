"""deploy/k8s names only topics, consumer groups, modules, ports and settings the code has.

The manifests cannot be applied here (no cluster); this checks them against the code the way
test_compose_file.py checks docker-compose.yml. Schema validation: deploy/k8s/validate.py.
"""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from services.claims.app import consumers as claims_consumers
from services.claims.settings import ClaimsSettings
from services.console.consumers import index_consumers
from services.console.settings import ConsoleSettings
from services.enrollment.app import consumers as enrollment_consumers
from services.enrollment.settings import EnrollmentSettings
from services.grievances.app import consumers as grievances_consumers
from services.grievances.settings import GrievancesSettings
from services.notifications.app import consumers as notifications_consumers
from services.notifications.settings import NotificationsSettings
from shared.service import select_consumers
from shared.settings import InfraSettings
from shared.topics import CATALOGUE, DEAD_LETTER_RETENTION_MS

REPO = Path(__file__).resolve().parents[3]
K8S = REPO / "deploy" / "k8s"
SETTINGS = {
    "enrollment": EnrollmentSettings,
    "claims": ClaimsSettings,
    "notifications": NotificationsSettings,
    "grievances": GrievancesSettings,
    "console": ConsoleSettings,
}
CONSUMERS = {
    "enrollment": enrollment_consumers,
    "claims": claims_consumers,
    "notifications": notifications_consumers,
    "grievances": grievances_consumers,
    "console": lambda _s: index_consumers("console"),
}
# Observers consume to show, not to act: their lag is no family's wait, so KEDA does not scale them.
OBSERVERS = {"console"}
IMAGE_VARIABLES = {"SERVICE_PORT"}  # read by the image's HEALTHCHECK, not by Jaring's code


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def resources() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [d for name in kustomization["resources"] for d in documents(name)]


def of_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in resources() if d["kind"] == kind}


def known_variables() -> set[str]:
    names = {name.upper() for name in InfraSettings.model_fields}
    for settings in SETTINGS.values():
        prefix = settings.model_config["env_prefix"]
        names |= {prefix + name.upper() for name in settings.model_fields if name != "infra"}
    return names | IMAGE_VARIABLES


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env(deployment: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container(deployment).get("env", [])}


def service_of(deployment: dict) -> str:
    module = container(deployment)["command"][2]
    return module.split(".")[1]


def consumers_run_by(deployment: dict) -> list:
    name = service_of(deployment)
    settings = SETTINGS[name]()
    wanted = env(deployment).get(f"{name.upper()}_CONSUMERS", {}).get("value", "all")
    return select_consumers(CONSUMERS[name](settings), wanted)


def test_every_file_parses_and_the_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secrets.example.yaml"}
    assert listed == on_disk
    for doc in resources():
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]


def test_a_kafka_topic_for_every_topic_and_dead_letter_topic_in_the_catalogue():
    topics = of_kind("KafkaTopic")
    wanted = {t.name: t.retention_ms for t in CATALOGUE} | {t.dlq: DEAD_LETTER_RETENTION_MS for t in CATALOGUE}
    assert {d["spec"]["topicName"] for d in topics.values()} == set(wanted)
    for doc in topics.values():
        spec = doc["spec"]
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == "jaring"
        assert spec["replicas"] == 3
        assert str(spec["config"]["min.insync.replicas"]) == "2"
        assert int(spec["config"]["retention.ms"]) == wanted[spec["topicName"]]


def test_kafka_is_the_pinned_version_with_three_copies_and_two_in_sync():
    (kafka,) = of_kind("Kafka").values()
    pom = ET.parse(REPO / "deploy/local/kafka/pom.xml").getroot()
    version = pom.find("{http://maven.apache.org/POM/4.0.0}properties/{http://maven.apache.org/POM/4.0.0}kafka.version")
    assert kafka["spec"]["kafka"]["version"] == version.text
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    pools = of_kind("KafkaNodePool")
    assert sum(p["spec"]["replicas"] for p in pools.values()) >= 3
    config_map = of_kind("ConfigMap")["jaring-config"]["data"]
    assert config_map["KAFKA_BOOTSTRAP_SERVERS"] == f"{kafka['metadata']['name']}-kafka-bootstrap:9092"
    assert config_map["KAFKA_REPLICATION_FACTOR"] == "3"
    partitions = {d["spec"]["partitions"] for d in of_kind("KafkaTopic").values()}
    assert partitions == {int(config_map["KAFKA_TOPIC_PARTITIONS"])}, "services create missing topics the same way"


def test_every_deployment_runs_a_module_that_exists_on_its_port_with_liveness_apart_from_readiness():
    deployments = of_kind("Deployment")
    assert {service_of(d) for d in deployments.values()} == set(SETTINGS)
    for name, deployment in deployments.items():
        c = container(deployment)
        assert c["command"][:2] == ["python", "-m"] and importlib.util.find_spec(c["command"][2]), name
        service = service_of(deployment)
        port = SETTINGS[service].model_fields["http_port"].default
        assert c["ports"] == [{"name": "http", "containerPort": port}], name
        variables = env(deployment)
        assert variables[f"{service.upper()}_HTTP_PORT"]["value"] == str(port)
        assert variables[f"{service.upper()}_HTTP_HOST"]["value"] == "0.0.0.0"
        assert variables["SERVICE_PORT"]["value"] == str(port)
        # A database outage must take pods out of service, not restart them all.
        probes = {probe: c[probe]["httpGet"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")}
        assert probes == {
            "startupProbe": {"path": "/livez", "port": "http"},
            "readinessProbe": {"path": "/readyz", "port": "http"},
            "livenessProbe": {"path": "/livez", "port": "http"},
        }, name
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001  # the image's user


def test_every_variable_given_to_a_pod_is_a_setting_the_code_reads():
    known = known_variables()
    for name, deployment in of_kind("Deployment").items():
        for variable in env(deployment):
            assert variable in known, f"{name} sets {variable}, which no settings object reads"
    for variable in of_kind("ConfigMap")["jaring-config"]["data"]:
        assert variable in known, f"jaring-config sets {variable}, which no settings object reads"
    example = {d["metadata"]["name"]: d for d in documents("secrets.example.yaml")}
    for variable in example["jaring-secrets"]["stringData"]:
        assert variable in known, f"secrets.example.yaml sets {variable}, which no settings object reads"


def test_the_database_url_comes_from_the_secret_cloudnativepg_writes():
    (cluster,) = of_kind("Cluster").values()
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "jaring"
    for name, deployment in of_kind("Deployment").items():
        ref = env(deployment)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"{cluster['metadata']['name']}-app", "key": "uri"}, name


def test_each_consumer_group_runs_in_exactly_one_deployment():
    groups: dict[str, str] = {}
    for name, deployment in of_kind("Deployment").items():
        for consumer in consumers_run_by(deployment):
            assert consumer.name not in groups, f"{consumer.name} runs in {groups[consumer.name]} and {name}"
            groups[consumer.name] = name
    every = {c.name for s, make in CONSUMERS.items() for c in make(SETTINGS[s]())}
    assert set(groups) == every, "every consumer group of the code runs somewhere"


def test_keda_scales_each_consumer_deployment_on_the_lag_of_the_groups_it_runs():
    deployments = of_kind("Deployment")
    topics = {t.name for t in CATALOGUE}
    partitions = {d["spec"]["partitions"] for d in of_kind("KafkaTopic").values()}
    scaled = of_kind("ScaledObject")
    for name, deployment in deployments.items():
        runs = {(c.name, topic) for c in consumers_run_by(deployment) for topic in c.topic_names}
        if service_of(deployment) in OBSERVERS:
            assert name not in scaled and deployment["spec"]["replicas"] >= 2, name
            continue
        if not runs:
            assert name not in scaled, f"{name} consumes nothing: nothing to scale on"
            continue
        assert name in scaled, f"{name} runs consumers {sorted({g for g, _ in runs})} but no ScaledObject scales it"
        spec = scaled[name]["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert spec["maxReplicaCount"] <= min(partitions), "more consumers than partitions would sit idle"
        assert "replicas" not in deployment["spec"], f"{name}: KEDA owns the replica count"
        # A trigger per group and topic it reads: KEDA's kafka scaler watches one topic's lag.
        kafka = [t["metadata"] for t in spec["triggers"] if t["type"] == "kafka"]
        triggers = {(meta["consumerGroup"], meta["topic"]): meta for meta in kafka}
        assert len(triggers) == len(kafka), f"{name}: a group and topic watched twice"
        assert set(triggers) == runs, name
        for (group, topic), meta in triggers.items():
            assert topic in topics, (name, group)
            assert meta["bootstrapServers"] == of_kind("ConfigMap")["jaring-config"]["data"]["KAFKA_BOOTSTRAP_SERVERS"]
            assert set(meta) <= {
                "bootstrapServers",
                "consumerGroup",
                "topic",
                "lagThreshold",
                "offsetResetPolicy",
                "activationLagThreshold",
                "allowIdleConsumers",
            }, "a misspelt trigger key is ignored"
            assert int(meta["lagThreshold"]) > 0


@pytest.mark.parametrize("name", ["enrollment", "claims", "notifications", "grievances", "console"])
def test_each_api_has_a_service_on_its_port(name):
    service = of_kind("Service")[name]
    port = SETTINGS[name].model_fields["http_port"].default
    assert service["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
    assert service["spec"]["selector"] == of_kind("Deployment")[name]["spec"]["selector"]["matchLabels"]


def test_the_console_reaches_each_service_by_its_kubernetes_service():
    variables = env(of_kind("Deployment")["console"])
    for name in ("claims", "enrollment", "notifications"):
        port = of_kind("Service")[name]["spec"]["ports"][0]["port"]
        assert variables[f"CONSOLE_{name.upper()}_BASE_URL"]["value"] == f"http://{name}:{port}"


def test_a_drain_takes_at_most_one_pod_of_each_deployment():
    budgets = of_kind("PodDisruptionBudget")
    deployments = of_kind("Deployment")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        assert budget["spec"]["selector"] == deployments[name]["spec"]["selector"], name
        # maxUnavailable, not minAvailable: KEDA may run one replica, and a drain must still move it.
        assert budget["spec"] == {"maxUnavailable": 1, "selector": budget["spec"]["selector"]}, name


def test_the_database_is_backed_up_nightly_to_an_object_store_named_by_a_secret():
    (cluster,) = of_kind("Cluster").values()
    (scheduled,) = of_kind("ScheduledBackup").values()
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    assert len(scheduled["spec"]["schedule"].split()) == 6, "CloudNativePG's cron format has seconds first"
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://") and store["wal"]["compression"]
    secrets = {d["metadata"]["name"]: d for d in documents("secrets.example.yaml")}
    for ref in store["s3Credentials"].values():
        assert ref["key"] in secrets[ref["name"]]["stringData"], ref
