"""deploy/grafana/hubbub.json and deploy/prometheus/alerts.yaml parse, show and alert on what
ops teams need, and name only metrics that shared/metrics.py defines: they cannot drift."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import Counter, Gauge, Histogram

from shared import metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "hubbub.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
# Series of other exporters the files may read: kube-state-metrics and Prometheus itself.
OUTSIDE = {"kube_deployment_status_replicas_available", "up"}
# Any hubbub_/kube_ word (no label is named so), and ``up`` as a series (``up{`` or ``up ==``).
_NAME = re.compile(r"\b((?:hubbub|kube)_[a-z0-9_]+|up(?=\s*[{=]))\b")


def _exposed() -> set[str]:
    """Every series name shared/metrics.py's collectors expose."""
    names: set[str] = set()
    for collector in vars(metrics).values():
        if isinstance(collector, Counter):
            names.add(f"{collector._name}_total")
        elif isinstance(collector, Histogram):
            names.update(f"{collector._name}{s}" for s in ("_bucket", "_count", "_sum"))
        elif isinstance(collector, Gauge):
            names.add(collector._name)
    return names


def _dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in board["panels"] for target in panel["targets"]]


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(ALERTS.read_text())
    assert doc["kind"] == "PrometheusRule"
    return [rule for group in doc["spec"]["groups"] for rule in group["rules"]]


def _names(expr: str) -> set[str]:
    return {m.group(1) for m in _NAME.finditer(expr)}


def test_the_name_pattern_finds_names() -> None:
    assert _names('sum(rate(hubbub_x_total{a="b"}[5m])) / up == 0') == {"hubbub_x_total", "up"}


def test_every_metric_the_dashboard_reads_is_defined() -> None:
    exposed = _exposed()
    for expr in _dashboard_exprs():
        names = _names(expr)
        assert names, expr
        assert names <= exposed | OUTSIDE, (expr, names - exposed - OUTSIDE)


def test_every_metric_the_alerts_read_is_defined() -> None:
    exposed = _exposed()
    for rule in _rules():
        names = _names(rule["expr"])
        assert names, rule["alert"]
        assert names <= exposed | OUTSIDE, (rule["alert"], names - exposed - OUTSIDE)


def test_the_dashboard_shows_what_ops_teams_watch() -> None:
    read = {name for expr in _dashboard_exprs() for name in _names(expr)}
    assert {"hubbub_http_request_seconds_count", "hubbub_http_request_seconds_bucket",
            "hubbub_delivery_seconds_bucket", "hubbub_consumer_pending_messages",
            "hubbub_consumer_ack_pending_messages", "hubbub_request_retries_total",
            "kube_deployment_status_replicas_available"} <= read
    exprs = "\n".join(_dashboard_exprs())
    assert "histogram_quantile(0.50" in exprs and "histogram_quantile(0.99" in exprs


def test_the_alerts_cover_lag_delivery_and_ready_replicas() -> None:
    by_name = {rule["alert"]: rule for rule in _rules()}
    lag = by_name["HubbubConsumerLagGrowing"]
    assert lag["for"] == "10m" and "hubbub_consumer_pending_messages" in lag["expr"]
    delivery = by_name["HubbubDeliveryP99OverObjective"]
    assert delivery["for"] == "5m" and "histogram_quantile(0.99" in delivery["expr"]
    assert "hubbub_delivery_seconds_bucket" in delivery["expr"]
    assert re.search(r"\)\s*>\s*1\s*$", delivery["expr"].strip()), "the 1 s objective"
    ready = by_name["HubbubServiceWithoutReadyReplicas"]
    assert "kube_deployment_status_replicas_available" in ready["expr"] and "== 0" in ready["expr"]
    for rule in by_name.values():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_the_alerts_deployment_names_are_the_manifests() -> None:
    """The ready-replicas rule matches hubbub-*; the Deployments are named so."""
    deployments = set()
    for path in (ROOT / "deploy" / "k8s" / "base").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Deployment":
                deployments.add(doc["metadata"]["name"])
    assert deployments and all(name.startswith("hubbub-") for name in deployments)
