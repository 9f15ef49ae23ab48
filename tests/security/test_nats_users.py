"""Which NATS URL a process connects with: its own user's, never another's, and the data
folder's passwords only ever sent to a server on this machine."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from shared.nats_users import load_or_create, operator_url, servers_for, url_for
from shared.settings import Settings


def test_each_user_gets_its_own_password(tmp_path: Path):
    passwords = load_or_create(tmp_path)
    settings = Settings(nats_url="nats://127.0.0.1:4222", data_dir=str(tmp_path))
    for user in ("posts", "gateway"):
        parts = urlsplit(url_for(settings, user))
        assert (parts.username, parts.password) == (user, passwords[user])
    assert [urlsplit(url).username for url in operator_url(settings)] == ["operator"]
    assert load_or_create(tmp_path) == passwords  # made once, kept


def test_a_url_with_credentials_is_used_as_it_is(tmp_path: Path):
    load_or_create(tmp_path)
    url = "nats://posts:given@127.0.0.1:4222"
    assert url_for(Settings(nats_url=url, data_dir=str(tmp_path)), "posts") == url


def test_local_passwords_never_go_to_another_machine(tmp_path: Path):
    load_or_create(tmp_path)
    url = "nats://nats.example.com:4222"
    assert url_for(Settings(nats_url=url, data_dir=str(tmp_path)), "posts") == url


def test_without_a_secrets_file_the_url_is_unchanged(tmp_path: Path):
    url = "nats://127.0.0.1:4222"
    assert url_for(Settings(nats_url=url, data_dir=str(tmp_path)), "posts") == url


def test_each_server_of_a_list_gets_the_users_password(tmp_path: Path):
    """HUBBUB_NATS_URL with commas: a cluster's servers, each reached as the same user (and
    only those on this machine given the data folder's password)."""
    passwords = load_or_create(tmp_path)
    settings = Settings(nats_url="nats://127.0.0.1:4222, nats://127.0.0.1:4223,"
                        "nats://nats.example.com:4222", data_dir=str(tmp_path))
    local, other, remote = servers_for(settings, "posts")
    assert [urlsplit(url).port for url in (local, other)] == [4222, 4223]
    for url in (local, other):
        assert (urlsplit(url).username, urlsplit(url).password) == ("posts", passwords["posts"])
    assert remote == "nats://nats.example.com:4222"
    assert url_for(settings, "posts") == ",".join((local, other, remote))
