"""Placeholder: the Valkey Cluster of the cluster mode comes with the valkey-cluster branch,
which replaces this file. Only the signature is fixed here, for shared/infra_cluster.py."""

from __future__ import annotations

from shared.infra import EmbeddedServers

# Lets the cluster tests skip what needs a real Valkey Cluster until that branch is merged.
PLACEHOLDER = True


def start_valkey_cluster(servers: EmbeddedServers, *, primaries: int = 3, replicas: int = 1
                         ) -> str:
    raise NotImplementedError("comes with the valkey-cluster branch")
