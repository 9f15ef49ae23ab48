"""The tests say what they test, and the layout holds it:

- No test module imports another test module (``tests.<...>.test_*``): what tests share lives in
  ``tests.helpers`` (a package) or in a ``conftest.py`` fixture.
- A module under ``tests/api/`` is a black-box test of the Mastodon API: it imports nothing from
  ``services`` or ``shared`` (helpers from ``tests.helpers`` may), and of the test stack it uses
  only ``stack.idle`` (waiting for the consumers) and ``stack.base_url`` (where the gateway is).
  A test that reads a store, calls a use case or patches a service belongs under
  ``tests/<service>/`` (or ``tests/unit/`` when it needs no servers).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
BLACK_BOX_STACK = {"idle", "base_url"}


def modules(under: Path) -> list[Path]:
    return sorted(under.rglob("test_*.py"))


def imported(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "tests import by absolute module names"
            names.append(node.module or "")
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts[1:])


def stack_uses(tree: ast.Module) -> set[str]:
    """Attributes read from the test stack: ``api.stack.X`` or ``stack.X``."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if (isinstance(owner, ast.Attribute) and owner.attr == "stack") or (
                    isinstance(owner, ast.Name) and owner.id == "stack"):
                used.add(node.attr)
    return used


def test_no_test_module_imports_another() -> None:
    found = {str(path.relative_to(TESTS)): bad for path in modules(TESTS)
             if (bad := [n for n in imported(ast.parse(path.read_text())) if is_test_module(n)])}
    assert found == {}


def test_api_tests_use_the_api_only() -> None:
    api_modules = modules(TESTS / "api")
    assert api_modules
    found: dict[str, list[str]] = {}
    for path in api_modules:
        tree = ast.parse(path.read_text())
        bad = [n for n in imported(tree) if n.split(".")[0] in ("services", "shared")]
        bad += [f"stack.{a}" for a in sorted(stack_uses(tree) - BLACK_BOX_STACK)]
        if bad:
            found[str(path.relative_to(TESTS))] = bad
    assert found == {}
