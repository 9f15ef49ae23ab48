"""Valkey ACL users: one per service that uses Valkey, each limited to the keys it uses and to
data commands; an admin user for tools and tests; the ``default`` user switched off.

Keys (shared/records.py, shared/viewer_cache.py, shared/presence.py): ``%R~`` is read-only.
- posts writes the status cache and viewers' flags (favourited, reblogged...), and reads
  notify's index of the places webhooks listen (``hooks:index:``);
- graph writes the account cache and viewers' hidden sets (blocks, mutes) and filters;
- fanout writes timelines (``tl:``), its own markers (``fanout:``) and reads presence, the
  status cache (a deleted status' tombstone) and graph's index of listed accounts
  (``acct:index:``, shared/member_index.py);
- the gateway reads the account and status caches, reads and fills timelines (the ``:big``
  cache, last reads) and viewers' caches, writes presence, counts rate limits (``rl:``) and
  keeps single sign-ons under way (``sso:``, services/gateway/sso_sign_in.py) and rendered
  public feeds (``feed:``, services/gateway/application/feed_cache.py);
- notify keeps its index of the places webhooks listen (``hooks:index:``,
  shared/member_index.py) and reads graph's index of belled accounts (``acct:index:``), to
  skip asking graph for the bell followers of a status whose author has none, and viewers'
  hidden sets, to learn whom a recipient refuses without asking graph every time.

Commands: reads, writes, scripts (the timeline and cache scripts), transactions and connection
commands, a cluster client's few (``CLUSTER_CLIENT``); never the dangerous or admin ones
(FLUSHALL, CONFIG, KEYS, DEBUG, ACL...), no SCRIPT FLUSH or FUNCTION, no pub/sub channels (NATS
carries messages).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

ADMIN = "hubbub_admin"

KEYS: dict[str, tuple[str, ...]] = {
    "posts": ("~status:*", "~viewer:*:flags*", "%R~hooks:index:*", "%R~acct:index:*",
              "%R~viewer:*:hidden*"),
    "graph": ("~acct:*", "~viewer:*:hidden*", "~viewer:*:filters*"),
    "fanout": ("~tl:*", "~fanout:*", "%R~online:*", "%R~status:*", "%R~acct:index:*",
               "%R~acct:{a*}:followers*"),
    "notify": ("~hooks:index:*", "%R~acct:index:*", "%R~viewer:*:hidden*"),
    "gateway": ("%R~acct:*", "%R~status:*", "~tl:*", "~viewer:*", "~online:*", "~rl:*",
                "~sso:*", "~feed:*"),
}

# What a cluster client needs (HUBBUB_REDIS_CLUSTER): the slot map (CLUSTER SLOTS/SHARDS), the
# cluster's state (CLUSTER INFO: redis-py checks it), reads from replicas (READONLY/READWRITE)
# and a migrating slot's redirection (ASKING). Read-only facts about the cluster; nothing that
# changes it (MEET, SETSLOT, FAILOVER... stay the admin's). Harmless on a single node.
CLUSTER_CLIENT = ("+cluster|slots", "+cluster|shards", "+cluster|info", "+cluster|nodes",
                  "+readonly", "+readwrite", "+asking")

COMMANDS = ("-@all", "+@read", "+@write", "+@scripting", "+@transaction", "+@connection",
            "-@dangerous", "-@admin", "-@pubsub", "-script|flush", "-script|kill", "-function",
            *CLUSTER_CLIENT)


def user_name(service: str) -> str:
    return f"hubbub_{service}"


def _hashed(secret: str) -> str:
    # The ACL file keeps SHA-256 digests, never the passwords themselves.
    return "#" + hashlib.sha256(secret.encode()).hexdigest()


def acl_file(passwords: dict[str, str]) -> str:
    """The server's ACL file for ``passwords`` (service -> password, plus ``ADMIN``)."""
    lines = ["user default off resetkeys resetchannels -@all"]
    for name, secret in passwords.items():
        if name == ADMIN:
            lines.append(f"user {ADMIN} on {_hashed(secret)} ~* &* +@all")
        else:
            rules = " ".join((*KEYS[name], "resetchannels", *COMMANDS))
            lines.append(f"user {user_name(name)} on {_hashed(secret)} {rules}")
    return "\n".join(lines) + "\n"


def passwords_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """``HUBBUB_CACHE_ADMIN_PASSWORD`` and ``HUBBUB_<SERVICE>_CACHE_PASSWORD``."""
    found = {ADMIN: env["HUBBUB_CACHE_ADMIN_PASSWORD"]}
    found.update((s, env[f"HUBBUB_{s.upper()}_CACHE_PASSWORD"]) for s in KEYS)
    return found


def main() -> None:
    """``python -m shared.cache_users PATH``: write the ACL file for a Valkey of your own
    (compose's one-shot ``valkey-users``), passwords from the environment."""
    import os
    import sys
    from pathlib import Path

    path = Path(sys.argv[1])
    path.write_text(acl_file(passwords_from_env(os.environ)))
    # Readable by the server's own user (another uid): it holds SHA-256 digests of random
    # passwords, not the passwords.
    path.chmod(0o644)


if __name__ == "__main__":
    main()
