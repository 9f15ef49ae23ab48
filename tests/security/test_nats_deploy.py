"""Servers of one's own get the same NATS users and rules as the embedded one: the committed
configuration is what the code generates, it loads in nats-server, and compose and Kubernetes
give each service its own user, with passwords from outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared import nats_users, permissions
from shared.nats_users import USERS
from shared.settings import SERVICES
from tests.helpers import kustomize

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nats" / "hubbub-users.conf"


def test_committed_config_is_what_the_code_generates():
    assert CONFIG.read_text() == permissions.external_authorization(), (
        "regenerate: hubbub secrets nats-config > deploy/nats/hubbub-users.conf")


def test_the_cli_prints_it():
    printed = subprocess.run([sys.executable, "-m", "services.cli", "secrets", "nats-config"],
                             capture_output=True, text=True, check=True, cwd=ROOT)
    assert printed.stdout == CONFIG.read_text()


def _nats_server() -> str:
    binary = Path(sys.executable).with_name("nats-server")
    if not binary.exists():
        pytest.skip("nats-server not installed")
    return str(binary)


def test_nats_server_loads_it_with_passwords_from_its_environment():
    made = subprocess.run([sys.executable, "-m", "services.cli", "secrets", "nats-env"],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout
    passwords = dict(line.split("=", 1) for line in made.split())
    assert set(passwords) == {permissions.password_variable(user) for user in USERS}
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUBBUB_NATS")}
    checked = subprocess.run([_nats_server(), "-c", str(CONFIG), "-t"], env=env | passwords,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    # The server parses a variable's value as a config value: a password starting with a
    # digit read as a date or a number, and the server refused to start (about one set in
    # five of url-safe tokens). Many fresh sets, each with every user's password, all load.
    for _ in range(40):
        fresh = {permissions.password_variable(user): nats_users.new_password()
                 for user in USERS}
        checked = subprocess.run([_nats_server(), "-c", str(CONFIG), "-t"], env=env | fresh,
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr + checked.stdout
    # Without the passwords it refuses to start (no user left without one).
    missing = subprocess.run([_nats_server(), "-c", str(CONFIG), "-t"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode != 0


def test_passwords_are_what_nats_server_reads_as_a_string():
    # A letter first (a leading digit reads as a number or a date), then letters and digits
    # ("-" and "_" can end an unquoted token): checked on many, since the failures were rare.
    for _ in range(2000):
        password = nats_users.new_password()
        assert len(password) == 43 and password[0].isalpha() and password.isalnum(), password
        assert password.isascii()


def test_compose_gives_each_service_its_own_nats_user():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    nats = compose["nats"]
    assert "/etc/nats/hubbub-users.conf" in nats["command"]
    assert any(str(volume).startswith("./deploy/nats/hubbub-users.conf:")
               for volume in nats["volumes"])
    assert nats["env_file"] == [".env"]
    for name in SERVICES:
        url = compose[name]["environment"]["HUBBUB_NATS_URL"]
        variable = permissions.password_variable(name)
        assert url.startswith(f"nats://{name}:${{{variable}:?"), url
    assert "HUBBUB_NATS_URL" not in compose["migrate"]["environment"]
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_kubernetes_gives_each_service_its_own_nats_user_from_a_secret(overlay):
    docs = kustomize.build(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    config = kustomize.find(docs, "ConfigMap", "hubbub-config")
    assert "HUBBUB_NATS_URL" not in config["data"]
    deployments = [doc for doc in docs if doc["kind"] == "Deployment"]
    assert len(deployments) == len(SERVICES)
    for doc in deployments:
        container = doc["spec"]["template"]["spec"]["containers"][0]
        name = container["args"][1]
        env = {item["name"]: item for item in container["env"]}
        secret = env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": "hubbub-nats", "key": permissions.password_variable(name)}
        assert env["HUBBUB_NATS_URL"]["value"] == f"nats://{name}:$(NATS_PASSWORD)@nats:4222"
        names = list(env)
        assert names.index("NATS_PASSWORD") < names.index("HUBBUB_NATS_URL")  # $(...) order


def test_the_nats_chart_loads_the_users_with_passwords_from_the_same_secret():
    values = yaml.safe_load((ROOT / "deploy/k8s/nats/values.yaml").read_text())
    assert (ROOT / "deploy/nats" / values["config"]["merge"]["$include"]) == CONFIG
    assert {"secretRef": {"name": "hubbub-nats"}} in values["container"]["merge"]["envFrom"]
