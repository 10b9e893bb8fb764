"""deploy/observability: the alert rules pass `promtool check rules` and fire in promtool's own
rule tests; the scrape config is valid and points at the local stack's ports; the dashboard
loads; the Kubernetes PodMonitor and PrometheusRule agree with the manifests and alerts.yml.
That every metric the dashboard and the rules query is exported: tests/integration/test_metrics.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local.stack import PROCESSES
from tests.support.metrics import metric_names_in

REPO = Path(__file__).resolve().parents[3]
OBSERVABILITY = REPO / "deploy" / "observability"
SERVICES = ("enrollment", "claims", "notifications", "console")
INSTALL = "apt-get install -y prometheus  # Debian's package ships promtool"


def promtool(*args: str) -> subprocess.CompletedProcess:
    # Not skipped when missing: a check that silently does not run is no check (.ci/run installs it).
    found = shutil.which("promtool")
    assert found, f"promtool is needed to check the alert rules; install it with: {INSTALL}"
    return subprocess.run([found, *args], cwd=OBSERVABILITY, capture_output=True, text=True, timeout=120)


def yaml_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def alert_rules() -> list[dict]:
    return [
        rule
        for group in yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    ]


def test_promtool_finds_the_alert_rules_and_the_scrape_config_valid():
    rules = promtool("check", "rules", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in rules.stdout
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_each_alert_fires_in_promtools_rule_tests():
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = yaml.safe_load((OBSERVABILITY / "alerts.test.yml").read_text())["tests"]
    fired = {check["alertname"] for case in cases for check in case["alert_rule_test"] if check["exp_alerts"]}
    assert fired == {rule["alert"] for rule in alert_rules()}, "every alert has a test in which it fires"


def test_the_wanted_alerts_are_there():
    wanted = {
        "JaringConsumerLagGrowing",
        "JaringDeadLettersArriving",
        "JaringOutboxStale",
        "JaringPaymentDeadlineBreached",
        "JaringDeliveryFailures",
    }
    rules = alert_rules()
    assert {r["alert"] for r in rules} == wanted
    assert all(r["labels"]["severity"] in {"warning", "critical"} and r["annotations"]["summary"] for r in rules)
    stale = next(r for r in rules if r["alert"] == "JaringOutboxStale")
    assert "> 60" in stale["expr"] and "jaring_outbox_oldest_age_seconds" in stale["expr"]


def test_the_local_scrape_config_targets_each_service_on_the_stacks_port():
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for static in job["static_configs"] for t in static["targets"]]
        for job in config["scrape_configs"]
    }
    ports = {p.name: p.default_port for p in PROCESSES}
    assert targets == {name: [f"127.0.0.1:{ports[name]}"] for name in SERVICES}


def test_the_dashboard_loads_and_every_panel_queries_a_metric():
    dashboard = json.loads((OBSERVABILITY / "grafana" / "jaring.json").read_text())
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert metric_names_in(target["expr"]), (panel["title"], target["expr"])
    queried = {n for p in panels for t in p["targets"] for n in metric_names_in(t["expr"])}
    assert {
        "jaring_consumer_lag",
        "jaring_outbox_oldest_age_seconds",
        "jaring_claims",
        "jaring_http_requests_total",
    } <= queried


def test_the_pod_monitor_scrapes_every_jaring_deployment_on_its_http_port():
    (monitor,) = yaml_documents(OBSERVABILITY / "k8s" / "podmonitors.yaml")
    [expression] = monitor["spec"]["selector"]["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("app.kubernetes.io/name", "In")
    k8s = REPO / "deploy" / "k8s"
    kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    deployments = [
        d for name in kustomization["resources"] for d in yaml_documents(k8s / name) if d["kind"] == "Deployment"
    ]
    assert set(expression["values"]) == {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] for d in deployments
    }
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    for deployment in deployments:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert "http" in {p["name"] for p in container["ports"]}, deployment["metadata"]["name"]


def test_the_prometheus_rule_for_kubernetes_holds_the_same_alerts():
    (rule,) = yaml_documents(OBSERVABILITY / "k8s" / "prometheusrule.yaml")
    assert rule["spec"]["groups"] == yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]
    kustomization = yaml.safe_load((OBSERVABILITY / "k8s" / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {p.name for p in (OBSERVABILITY / "k8s").glob("*.yaml")} - {
        "kustomization.yaml"
    }


@pytest.mark.parametrize(
    "expr, names",
    [
        ('sum by (group) (rate(a_total{x="b_total"}[5m]))', {"a_total"}),
        (
            "histogram_quantile(0.95, sum by (le) (rate(h_bucket[$__rate_interval]))) > 1e3 and on(job) up",
            {"h_bucket", "up"},
        ),
    ],
)
def test_metric_names_are_read_from_promql(expr, names):
    assert metric_names_in(expr) == names
