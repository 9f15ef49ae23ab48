"""shared.settings: from_env with explicit mappings (os.environ is never read or written here)."""

from __future__ import annotations

import msgspec
import pytest

from shared.settings import (
    DEFAULT_PORTS,
    SERVICES,
    Settings,
    from_env,
    server_env,
    with_servers,
)


def test_defaults_from_an_empty_mapping() -> None:
    settings = from_env({})
    assert settings == Settings()
    assert settings.nats_url == settings.database_url == settings.redis_url == ""
    assert settings.data_dir == ".hubbub"
    assert str(settings.data_path) == ".hubbub"
    assert settings.host == "127.0.0.1"
    assert settings.ports == DEFAULT_PORTS
    assert settings.ports is not DEFAULT_PORTS
    assert settings.public_url == ""
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.instance_title == "Hubbub"
    assert settings.instance_domain == "hubbub.local"
    assert settings.max_status_chars == 500
    assert settings.home_timeline_max == 800
    assert settings.db_pool_max == 10
    assert settings.dedupe_window_s == 300.0
    assert settings.max_deliver == 8
    assert settings.log_level == "INFO"
    assert settings.log_json is False


def test_default_ports() -> None:
    settings = from_env({})
    assert {name: settings.port(name) for name in SERVICES} == {
        "gateway": 8080, "posts": 8081, "graph": 8082, "fanout": 8083, "notify": 8084}


def test_unrelated_variables_are_ignored() -> None:
    assert from_env({"PORT": "1", "HOME": "/root", "hubbub_port": "2"}) == Settings()


def test_hubbub_port_sets_the_gateway_port() -> None:
    settings = from_env({"HUBBUB_PORT": "9000"})
    assert settings.port("gateway") == 9000
    assert settings.base_url == "http://127.0.0.1:9000"
    assert {name: settings.port(name) for name in SERVICES if name != "gateway"} == {
        name: port for name, port in DEFAULT_PORTS.items() if name != "gateway"}


def test_gateway_port_variable_also_sets_the_gateway_port() -> None:
    assert from_env({"HUBBUB_GATEWAY_PORT": "9100"}).port("gateway") == 9100


def test_hubbub_port_wins_over_gateway_port() -> None:
    settings = from_env({"HUBBUB_GATEWAY_PORT": "9100", "HUBBUB_PORT": "9200"})
    assert settings.port("gateway") == 9200


def test_empty_hubbub_port_keeps_the_default() -> None:
    assert from_env({"HUBBUB_PORT": ""}).port("gateway") == 8080


@pytest.mark.parametrize("service", [name for name in SERVICES if name != "gateway"])
def test_per_service_ports(service: str) -> None:
    settings = from_env({f"HUBBUB_{service.upper()}_PORT": "18000"})
    assert settings.port(service) == 18000
    for other in SERVICES:
        if other != service:
            assert settings.port(other) == DEFAULT_PORTS[other]


def test_port_zero_means_any_free_port_and_is_kept() -> None:
    settings = from_env({f"HUBBUB_{name.upper()}_PORT": "0" for name in SERVICES})
    assert all(settings.port(name) == 0 for name in SERVICES)


def test_port_falls_back_to_the_default_for_a_missing_entry() -> None:
    assert Settings(ports={}).port("notify") == 8084


def test_urls_and_strings() -> None:
    settings = from_env({
        "HUBBUB_NATS_URL": "nats://nats:4222",
        "HUBBUB_DATABASE_URL": "postgresql://u:p@db:5432/hubbub",
        "HUBBUB_REDIS_URL": "redis://cache:6379/0",
        "HUBBUB_DATA_DIR": "/var/lib/hubbub",
        "HUBBUB_HOST": "0.0.0.0",
        "HUBBUB_PUBLIC_URL": "https://social.example.com",
        "HUBBUB_INSTANCE_TITLE": "Example Social",
        "HUBBUB_DOMAIN": "example.com",
    })
    assert settings.nats_url == "nats://nats:4222"
    assert settings.database_url == "postgresql://u:p@db:5432/hubbub"
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.data_dir == "/var/lib/hubbub"
    assert str(settings.data_path) == "/var/lib/hubbub"
    assert settings.host == "0.0.0.0"
    assert settings.public_url == "https://social.example.com"
    assert settings.base_url == "https://social.example.com"
    assert settings.instance_title == "Example Social"
    assert settings.instance_domain == "example.com"


def test_base_url_without_public_url_uses_host_and_gateway_port() -> None:
    settings = from_env({"HUBBUB_HOST": "0.0.0.0", "HUBBUB_PORT": "8000"})
    assert settings.base_url == "http://0.0.0.0:8000"


def test_numbers_and_log_level() -> None:
    settings = from_env({
        "HUBBUB_MAX_STATUS_CHARS": "1000",
        "HUBBUB_HOME_TIMELINE_MAX": "400",
        "HUBBUB_DB_POOL_MAX": "3",
        "HUBBUB_DEDUPE_WINDOW_S": "12.5",
        "HUBBUB_MAX_DELIVER": "2",
        "HUBBUB_LOG_LEVEL": "debug",
    })
    assert settings.max_status_chars == 1000
    assert settings.home_timeline_max == 400
    assert settings.db_pool_max == 3
    assert settings.dedupe_window_s == 12.5
    assert settings.max_deliver == 2
    assert settings.log_level == "DEBUG"


def test_non_numeric_port_is_an_error() -> None:
    with pytest.raises(ValueError):
        from_env({"HUBBUB_PORT": "eighty"})


@pytest.mark.parametrize("value", ["1", "true", "True", "TRUE", "yes", "YES", "on", " on ",
                                   "true\n"])
def test_log_json_truthy(value: str) -> None:
    assert from_env({"HUBBUB_LOG_JSON": value}).log_json is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", "", " ", "2", "y",
                                   "enabled"])
def test_log_json_falsy(value: str) -> None:
    assert from_env({"HUBBUB_LOG_JSON": value}).log_json is False


# --- server_env -----------------------------------------------------------------------------


def _configured() -> Settings:
    return Settings(
        nats_url="nats://127.0.0.1:14222",
        database_url="postgresql://hubbub@127.0.0.1:15432/hubbub",
        redis_url="redis://127.0.0.1:16379/0",
        data_dir="/tmp/hubbub-data",
        ports={"gateway": 9080, "posts": 9081, "graph": 9082, "fanout": 9083, "notify": 9084},
        public_url="https://hub.example",
    )


def test_server_env_has_only_strings() -> None:
    env = server_env(_configured())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
    assert env["HUBBUB_NATS_URL"] == "nats://127.0.0.1:14222"
    assert env["HUBBUB_GATEWAY_PORT"] == "9080"
    assert env["HUBBUB_PUBLIC_URL"] == "https://hub.example"


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(_configured(), id="configured"),
        pytest.param(Settings(), id="defaults"),
        pytest.param(Settings(host="0.0.0.0", ports={"gateway": 8000}),
                     id="host-and-partial-ports"),
    ],
)
def test_server_env_round_trips_through_from_env(settings: Settings) -> None:
    child = from_env(server_env(settings))
    assert child.nats_url == settings.nats_url
    assert child.database_url == settings.database_url
    assert child.redis_url == settings.redis_url
    assert child.data_dir == settings.data_dir
    assert {name: child.port(name) for name in SERVICES} == {
        name: settings.port(name) for name in SERVICES}
    # The child is told the public URL outright, so it links to the same place as the parent.
    assert child.base_url == settings.base_url
    # A second trip changes nothing.
    assert server_env(child) == server_env(settings)


def test_with_servers_replaces_only_the_urls() -> None:
    base = from_env({"HUBBUB_PORT": "9000", "HUBBUB_DOMAIN": "example.com"})
    updated = with_servers(base, nats_url="nats://n", database_url="postgresql://d",
                           redis_url="redis://r")
    assert (updated.nats_url, updated.database_url, updated.redis_url) == (
        "nats://n", "postgresql://d", "redis://r")
    assert msgspec.structs.replace(updated, nats_url="", database_url="", redis_url="") == base


# --- each service's own credentials ---------------------------------------------------------


def _with_service_credentials() -> Settings:
    return msgspec.structs.replace(
        _configured(),
        database_url="postgresql://hubbub_owner:o@db/hubbub",
        migration_database_url="postgresql://hubbub_owner:o@db/hubbub",
        redis_url="redis://hubbub_admin:a@cache/0",
        service_database_urls={"posts": "postgresql://hubbub_posts:p@db/hubbub"},
        service_redis_urls={"posts": "redis://hubbub_posts:p@cache/0"})


def test_a_service_holds_only_its_own_credentials() -> None:
    posts = _with_service_credentials().for_service("posts")
    assert posts.database_url == "postgresql://hubbub_posts:p@db/hubbub"
    assert posts.redis_url == "redis://hubbub_posts:p@cache/0"
    assert posts.migration_database_url == ""  # not the owner's
    assert posts.service_database_urls == posts.service_redis_urls == {}  # nobody else's
    fanout = _with_service_credentials().for_service("fanout")
    assert fanout.database_url == "" and fanout.redis_url == ""  # no role of its own: nothing


def test_without_service_credentials_a_service_keeps_what_it_was_given() -> None:
    given = msgspec.structs.replace(_configured(), migration_database_url="postgresql://o@db/h")
    assert given.for_service("posts") == given


def test_a_child_environment_carries_only_its_services_credentials() -> None:
    env = server_env(_with_service_credentials(), "posts")
    assert env["HUBBUB_DATABASE_URL"] == "postgresql://hubbub_posts:p@db/hubbub"
    assert "HUBBUB_MIGRATION_DATABASE_URL" not in env
    assert "hubbub_owner" not in " ".join(env.values())
    assert "hubbub_admin" not in " ".join(env.values())
