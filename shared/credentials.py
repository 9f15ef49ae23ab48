"""Generated passwords of the embedded servers' users, one file each under
``<data dir>/secrets/`` (folder 0700, files 0600): made once, read back at every start, so a
data folder keeps working across restarts. They are never logged; tools read the files (or the
URLs ``hubbub infra`` prints to its standard output)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote


def secrets_dir(data_dir: Path) -> Path:
    folder = data_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def password(data_dir: Path, name: str) -> str:
    """The password stored as ``name``, generated on first use (URL- and SQL-literal-safe)."""
    return stored(data_dir, name, lambda: secrets.token_urlsafe(24))


def stored(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """The secret stored as ``name``, made by ``make`` on first use (one line of text).
    Two processes racing to make it: the loser's ``open`` raises FileExistsError, or it reads
    the file before the winner wrote it (empty); callers read again shortly."""
    path = secrets_dir(data_dir) / name
    if path.exists():
        return path.read_text().strip()
    value = make()
    # Created with its final mode: the password is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value


def with_user(url: str, user: str, secret: str) -> str:
    """``url`` (scheme://host...) with ``user:secret@`` in front of the host."""
    scheme, rest = url.split("://", 1)
    rest = rest.split("@", 1)[-1]
    return f"{scheme}://{quote(user, safe='')}:{quote(secret, safe='')}@{rest}"


EMBEDDED_SUPERUSER = "postgres"
EMBEDDED_SUPERUSER_SECRET = "postgres-postgres"


def embedded_superuser_url(database_url: str, data_dir: Path) -> str:
    """The embedded PostgreSQL's superuser, for tools that need more than the owner role (a
    benchmark's bulk seeding without FK checks, a test ending another role's session); never
    for a service."""
    return with_user(database_url, EMBEDDED_SUPERUSER,
                     password(data_dir, EMBEDDED_SUPERUSER_SECRET))
