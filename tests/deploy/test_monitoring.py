"""Alert rules and dashboard (deploy/monitoring): promtool accepts the rules, every alert has
a runbook, and every metric a rule or a panel queries is one the services really export
(read from their prometheus_client definitions) or comes from a named standard exporter."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.deployconfig import REPO

pytestmark = pytest.mark.deploy

MONITORING = REPO / "deploy/monitoring"
RULES = MONITORING / "alerts.yml"
DASHBOARD = MONITORING / "grafana-dashboard.json"

# Not from the services: standard exporters and Prometheus itself (see alerts.yml's header).
EXTERNAL = {"up", "kafka_consumergroup_lag", "kube_deployment_spec_replicas",
            "kube_deployment_status_replicas_ready"}
# Metrics another change is still adding (each with where it comes from); none at present.
PENDING: dict[str, str] = {}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "rate", "irate", "increase", "deriv", "delta",
    "histogram_quantile", "max_over_time", "min_over_time", "avg_over_time", "le", "bool",
    "offset", "topk", "bottomk", "abs", "clamp_min", "clamp_max", "time", "vector",
}
_DEF = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*[\"']([a-zA-Z_:][a-zA-Z0-9_:]*)[\"']")


def exported_metrics() -> set[str]:
    """Series names the services' prometheus_client metrics produce."""
    names: set[str] = set()
    for path in [*REPO.glob("services/**/*.py"), *REPO.glob("shared/**/*.py")]:
        for kind, name in _DEF.findall(path.read_text(encoding="utf-8")):
            base = name.removesuffix("_total") if kind == "Counter" else name
            names |= {
                "Counter": {f"{base}_total", f"{base}_created"},
                "Gauge": {base},
                "Histogram": {f"{base}_bucket", f"{base}_sum", f"{base}_count"},
                "Summary": {base, f"{base}_sum", f"{base}_count"},
            }[kind]
    return names


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (label matchers, groupings, ranges, strings and
    functions removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    tokens = set(re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)", expr))
    return {t for t in tokens if t not in PROMQL_WORDS}


def rule_exprs() -> list[str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [r["expr"] for g in groups for r in g["rules"]]


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def test_the_services_export_metrics_at_all() -> None:
    assert {"outbox_backlog", "events_consumed_total", "notifications_total",
            "http_request_duration_seconds_bucket"} <= exported_metrics()


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_queried_metric_is_exported(source: str) -> None:
    exprs = rule_exprs() if source == "rules" else dashboard_exprs()
    used = set().union(*(metric_names(e) for e in exprs))
    assert used, "no metric found: the parser is broken"
    unknown = used - exported_metrics() - EXTERNAL - set(PENDING)
    assert unknown == set(), f"{source} query metrics nobody exports: {sorted(unknown)}"


def test_the_metric_check_can_fail() -> None:
    assert metric_names('sum by (job) (rate(no_such_metric_total{a="b"}[5m]))') == \
        {"no_such_metric_total"}
    assert "no_such_metric_total" not in exported_metrics()


def test_every_alert_has_a_runbook() -> None:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    alerts = [r["alert"] for g in groups for r in g["rules"]]
    assert len(alerts) >= 7
    for alert in alerts:
        runbook = REPO / "docs/runbooks" / f"{alert}.md"
        assert runbook.is_file(), f"no runbook for {alert}"
        assert alert in runbook.read_text(encoding="utf-8")


def promtool() -> Path | None:
    cached = REPO / ".cache/bin/promtool"
    if cached.is_file():
        return cached
    found = shutil.which("promtool")
    return Path(found) if found else None


def test_promtool_accepts_the_rules() -> None:
    tool = promtool()
    assert tool is not None, "no promtool (scripts/bootstrap unpacks it into .cache/bin)"
    done = subprocess.run([str(tool), "check", "rules", str(RULES)], capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
