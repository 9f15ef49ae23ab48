"""The deployment files (Dockerfile, docker-compose.yml, Kubernetes manifests) stay in step
with the services the code defines. Static checks only: no Docker or cluster needed."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from shared.settings import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ("nats", "postgres", "valkey")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _published(entry) -> str:
    """The host side of a compose port, short ("8080:8080") or long ({published: 8080}) form."""
    if isinstance(entry, dict):
        return str(entry.get("published", ""))
    parts = str(entry).split(":")
    return parts[-2] if len(parts) > 1 else ""


def _k8s_docs() -> list[dict]:
    files = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))
    assert files, "no manifests in deploy/k8s"
    return [doc for f in files for doc in yaml.safe_load_all(f.read_text()) if doc]


def test_compose_has_servers_and_services():
    services = _compose()
    for name in ("nats", "postgres", *SERVICES):
        assert name in services
    assert "valkey" in services or "redis" in services


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_builds_image_and_runs_itself(name):
    service = _compose()[name]
    build = service["build"]
    assert Path(build["dockerfile"]) == Path("deploy/Dockerfile")
    assert (ROOT / build.get("context", ".")).resolve() == ROOT
    assert _argv(service["command"]) == ["service", name]
    assert service.get("restart") == "unless-stopped"
    depends = service["depends_on"]
    for server in SERVERS:
        assert depends[server]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_healthcheck_probes_own_readyz(name):
    test = " ".join(_argv(_compose()[name]["healthcheck"]["test"]))
    assert f"127.0.0.1:{DEFAULT_PORTS[name]}/readyz" in test


def test_nats_runs_jetstream():
    nats = _compose()["nats"]
    assert "-js" in _argv(nats["command"])
    assert "js-enabled-only" in " ".join(_argv(nats["healthcheck"]["test"]))


def test_every_long_running_container_has_healthcheck():
    for name, service in _compose().items():
        if name == "migrate":  # one-shot: it exits, so there is nothing to probe
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_only_gateway_publishes_host_ports():
    for name, service in _compose().items():
        published = [_published(p) for p in service.get("ports", [])]
        if name == "gateway":
            assert "8080" in published
        else:
            # A fixed host port would stop `docker compose up --scale NAME=N`.
            assert not published, f"{name} publishes {published}"


def test_dockerfile_runs_hubbub_as_non_root():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert any(line.startswith("ENTRYPOINT") and "hubbub" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "pip install ." in text
    assert (ROOT / ".dockerignore").exists()


def test_k8s_manifests_have_a_probed_deployment_per_service():
    docs = _k8s_docs()
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()
    deployments = {}
    for doc in docs:
        if doc["kind"] == "Deployment":
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            deployments[_argv(container["args"])[-1]] = container
    assert set(deployments) == set(SERVICES)
    for name, container in deployments.items():
        ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
        assert DEFAULT_PORTS[name] in ports.values()
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path
            assert ports.get(get["port"], get["port"]) == DEFAULT_PORTS[name]


def test_k8s_database_url_comes_from_secret():
    docs = _k8s_docs()
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            assert "HUBBUB_DATABASE_URL" not in doc.get("data", {})
        assert doc["kind"] != "Secret", "secrets belong outside the repo"
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        env = {e["name"]: e for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]}
        ref = env["HUBBUB_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "hubbub-secrets"


def test_k8s_gateway_has_a_service():
    services = [d for d in _k8s_docs() if d["kind"] == "Service"]
    assert any(s["spec"]["selector"] == {"app.kubernetes.io/name": "hubbub-gateway"}
               for s in services)
