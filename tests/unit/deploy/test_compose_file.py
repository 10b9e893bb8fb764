"""docker-compose.yml names only services, settings and ports the code has."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from services.claims.settings import ClaimsSettings
from services.console.settings import ConsoleSettings
from services.enrollment.settings import EnrollmentSettings
from services.grievances.settings import GrievancesSettings
from services.notifications.settings import NotificationsSettings
from shared.settings import InfraSettings

REPO = Path(__file__).resolve().parents[3]
SERVICE_SETTINGS = {
    "enrollment": EnrollmentSettings,
    "claims": ClaimsSettings,
    "notifications": NotificationsSettings,
    "grievances": GrievancesSettings,
    "console": ConsoleSettings,
}
# Variables read by the images themselves, not by Jaring's code.
IMAGE_VARIABLES = {"SERVICE_PORT", "KAFKA_VERSION", "POSTGRES_PASSWORD"}


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def known_variables() -> set[str]:
    names = {name.upper() for name in InfraSettings.model_fields}
    for settings in SERVICE_SETTINGS.values():
        prefix = settings.model_config["env_prefix"]
        names |= {prefix + name.upper() for name in settings.model_fields if name != "infra"}
    return names | IMAGE_VARIABLES


def env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_every_jaring_service_runs_a_module_that_exists():
    for name, service in compose()["services"].items():
        command = service.get("command")
        if not command:
            continue
        assert command[:2] == ["python", "-m"], name
        assert importlib.util.find_spec(command[2]) is not None, f"{name} runs {command[2]}, which does not exist"


def test_the_services_are_there_with_their_default_ports_published():
    services = compose()["services"]
    for name, settings in SERVICE_SETTINGS.items():
        port = settings.model_fields["http_port"].default
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert services[name]["environment"][f"{name.upper()}_HTTP_PORT"] == port
        assert services[name]["ports"] == [f"{port}:{port}"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == set(SERVICE_SETTINGS), "only the APIs are published on the host"


def test_every_variable_given_to_a_jaring_container_is_a_setting_the_code_reads():
    known = known_variables()
    for name, service in compose()["services"].items():
        if name in ("kafka", "postgres"):
            continue
        for variable in service.get("environment", {}):
            assert variable in known, f"{name} sets {variable}, which no settings object reads"
    for variable in env_example():
        assert variable in known, f".env.example sets {variable}, which no settings object reads"


def test_services_wait_for_healthy_kafka_and_postgres():
    services = compose()["services"]
    for name in SERVICE_SETTINGS:
        depends = services[name]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "healthcheck" in services["kafka"] and "healthcheck" in services["postgres"]


def test_compose_kafka_version_is_the_one_the_local_stack_pins():
    pom = (REPO / "deploy/local/kafka/pom.xml").read_text()
    assert f"<kafka.version>{env_example()['KAFKA_VERSION']}</kafka.version>" in pom


def test_the_civil_registry_stand_in_runs_and_enrollment_subscribes_to_it():
    services = compose()["services"]
    registry = services["registry"]
    assert registry["command"][:3] == ["python", "-m", "deploy.local.standins.registry"]
    assert "8107" in registry["command"]
    enrollment = services["enrollment"]
    assert enrollment["environment"]["ENROLLMENT_REGISTRY_BASE_URL"] == "http://registry:8107"
    assert enrollment["environment"]["ENROLLMENT_REGISTRY_CALLBACK_URL"] == "http://enrollment:8101/v1/registry/notify"
    assert enrollment["depends_on"]["registry"]["condition"] == "service_healthy"
    assert "ENROLLMENT_REGISTRY_SECRET" in env_example()
