"""Each schema's migrations are numbered once: branches that each added an ``NNNN_`` file would
otherwise both run, in an order decided by their names' tails (shared/db.py applies them sorted)."""

from __future__ import annotations

import re

from shared.db import SCHEMAS, migration_files


def test_each_schema_numbers_its_migrations_once() -> None:
    for schema in SCHEMAS:
        names = [name for name, _ in migration_files(schema)]
        numbers = []
        for name in names:
            found = re.fullmatch(r"(\d{4})_[a-z0-9_]+\.sql", name)
            assert found, (schema, name)
            numbers.append(int(found.group(1)))
        assert len(set(numbers)) == len(numbers), (schema, names)  # (gaps are history: fine)
