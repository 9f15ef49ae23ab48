"""The gateway's layers, read from its imports (ast, nothing imported):

- a route module imports no other route module: what routes share lives in the application
  layer (services/gateway/application) or the presenters;
- nothing outside the routes (application layer, presenters, hydration, express lane,
  streaming) imports a route module;
- presenters shape records into JSON and do no I/O: no bus, NATS, Redis or Postgres client;
- the gateway imports no other service's code: it reaches posts, graph, fanout and notify over
  NATS, and what both sides need (contracts, records, media checks) lives in ``shared/``;
- every gateway module a gateway module imports exists (a lazy import of a moved module would
  otherwise fail only when its line runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"
ROUTES = "services.gateway.routes"
PRESENTERS = "services.gateway.presenters"
IO_MODULES = ("shared.bus", "shared.consumers", "shared.service_host", "nats", "redis",
              "asyncpg", "hiredis", "shared.fastredis",
              "services.gateway.context", "services.gateway.hydrate",
              "shared.cache", "shared.db")

KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()  # (importer, imported): none today


def _module_name(path: Path) -> str:
    parts = path.relative_to(GATEWAY.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (lazy imports included); ``from a import b``
    counts as ``a.b`` too, since b may be a module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _gateway_modules() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(GATEWAY.rglob("*.py"))}


def _is_route(module: str) -> bool:
    return module.startswith(ROUTES + ".")


def _route_modules(imports: set[str]) -> set[str]:
    """The route modules among ``imports`` (``from services.gateway.routes import x``: x)."""
    return {m for m in imports if _is_route(m) and _source(m) is not None}


def test_routes_do_not_import_each_other():
    offending = {(module, imported) for module, imports in _gateway_modules().items()
                 if _is_route(module) for imported in _route_modules(imports)
                 if imported != module}
    assert offending - KNOWN_EXCEPTIONS == set()


def test_nothing_below_the_routes_imports_them():
    # The app (services/gateway/app.py) mounts the routes: the one module above them.
    offending = {(module, imported) for module, imports in _gateway_modules().items()
                 if not _is_route(module) and module != "services.gateway.app"
                 for imported in _route_modules(imports)}
    assert offending - KNOWN_EXCEPTIONS == set()


def test_presenters_do_no_io():
    offending = {(module, imported) for module, imports in _gateway_modules().items()
                 if module == PRESENTERS or module.startswith(PRESENTERS + ".")
                 for imported in imports
                 if any(imported == io or imported.startswith(io + ".") for io in IO_MODULES)}
    assert offending == set()


def test_the_gateway_imports_no_other_service():
    offending = {(module, imported) for module, imports in _gateway_modules().items()
                 for imported in imports
                 if imported.startswith("services.") and not imported.startswith("services.gateway")
                 and imported.split(".")[1] in {"posts", "graph", "fanout", "notify"}}
    assert offending == set()


def test_gateway_imports_resolve():
    missing = set()
    for module, imports in _gateway_modules().items():
        for imported in imports:
            if not imported.startswith("services.gateway"):
                continue
            parent, _, name = imported.rpartition(".")
            # ``from module import name``: name may be a function or a class, not a module.
            if _source(imported) is None and not _defines(parent, name):
                missing.add((module, imported))
    assert missing == set()


def _source(module: str) -> Path | None:
    base = GATEWAY.parents[1] / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _defines(module: str, name: str) -> bool:
    source = _source(module)
    if source is None:
        return False
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        elif isinstance(node, (ast.ImportFrom, ast.Import)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False
