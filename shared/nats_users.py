"""Who connects to NATS: one user per service, and the operator's for tools.

The embedded server (``hubbub up``, ``hubbub infra``, the tests) gets random passwords, made
once per data folder and kept in ``<data>/secrets/nats.json`` (mode 0600). A process connecting
with a URL that names no user takes its own user's password from there; a URL that carries
credentials (``nats://posts:…@nats:4222``, how containers get theirs) is used as it is, and
so is one naming a server that is not on this machine. So
``hubbub infra`` prints a URL without secrets, and each service still connects as itself.

``operator`` has every right: it is for the tools an operator runs (``hubbub rebuild``, the
benchmarks) and the tests' own inspection, never for a service.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from shared.settings import SERVICES, Settings

OPERATOR = "operator"
USERS = (*SERVICES, OPERATOR)
SECRETS_FILE = Path("secrets") / "nats.json"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Passwords = dict[str, str]


def secrets_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / SECRETS_FILE


def load(data_dir: str | Path) -> Passwords | None:
    """The data folder's NATS passwords, or None when it has none (an external server)."""
    try:
        found = json.loads(secrets_path(data_dir).read_text())
    except FileNotFoundError:
        return None
    return {str(user): str(password) for user, password in found.items()}


_LETTERS = string.ascii_letters
_ALPHANUMERIC = string.ascii_letters + string.digits


def new_password() -> str:
    """A random password (43 characters, ~256 bits) that nats-server reads back as a string.

    A deployed server takes each password from an environment variable (``$HUBBUB_NATS_…``
    in deploy/nats/hubbub-users.conf), and nats-server parses a variable's value as a config
    value: one that starts with a digit is read as a number or a date and the server refuses
    to start ("All ISO8601 dates must be in full Zulu form"), and ``-`` or ``_`` can end an
    unquoted token. So: a letter first, then letters and digits only."""
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(42))


def load_or_create(data_dir: str | Path) -> Passwords:
    """The passwords of every user, made (and kept, readable by us only) the first time."""
    passwords = load(data_dir) or {}
    if all(user in passwords for user in USERS):
        return passwords
    for user in USERS:
        passwords.setdefault(user, new_password())
    write_private(secrets_path(data_dir), json.dumps(passwords, indent=2) + "\n")
    return passwords


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, in a folder only its owner can enter; created
    with that mode, so it is never readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def inbox_prefix(user: str) -> str:
    """Each user's replies come to its own inboxes: the permissions let it read those only, so
    no process can listen in on the answers another one gets."""
    return f"_INBOX.{user}"


def server_urls(nats_url: str) -> list[str]:
    """``HUBBUB_NATS_URL`` may list several servers of one cluster, separated by commas
    (``nats://n1:4222,nats://n2:4222``): the client connects to one and, when it is lost,
    reconnects to another (and learns the rest of the cluster from the server it reaches)."""
    return [part.strip() for part in nats_url.split(",") if part.strip()]


def servers_for(settings: Settings, user: str) -> list[str]:
    """The NATS URLs ``user`` connects with, one per server (see the module's docstring)."""
    return [_with_password(url, settings, user) for url in server_urls(settings.nats_url)]


def url_for(settings: Settings, user: str) -> str:
    """The same, as one string (commas between servers): for an environment variable."""
    return ",".join(servers_for(settings, user))


def _with_password(url: str, settings: Settings, user: str) -> str:
    parts = urlsplit(url)
    # Embedded servers listen on loopback only: the data folder's passwords are never sent to
    # a server elsewhere (one of the operator's, with users of its own).
    if parts.username or parts.hostname not in LOOPBACK:
        return url
    passwords = load(settings.data_dir)
    if not passwords or user not in passwords:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user, safe='')}:{quote(passwords[user], safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def operator_url(settings: Settings) -> list[str]:
    """For tools and tests that inspect or publish directly, never for a service: the
    operator's server URLs, a list (``nats.connect`` takes it as it is)."""
    return servers_for(settings, OPERATOR)
