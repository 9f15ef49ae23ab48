"""Every NATS subject Hubbub uses, in one place."""

EVENTS_STREAM = "HUBBUB_EVENTS"
EVENTS_PREFIX = "hubbub.evt"
EVENTS_WILDCARD = "hubbub.evt.>"


def event(event_type: str) -> str:
    """``post.status.created`` -> ``hubbub.evt.post.status.created``."""
    return f"{EVENTS_PREFIX}.{event_type}"


def service(name: str, verb: str) -> str:
    return f"hubbub.svc.{name}.{verb}"


def live_user(account_id: int) -> str:
    return f"hubbub.live.user.{account_id}"


def live_users() -> str:
    """One live message for many users at once (``shared.contracts.live.LiveBatch``): every
    gateway takes it and hands it to those of the users connected to it."""
    return "hubbub.live.users"


def live_community(community_id: int) -> str:
    return f"hubbub.live.community.{community_id}"


def live_tag(tag: str) -> str:
    return f"hubbub.live.tag.{tag}"


def live_list(list_id: int) -> str:
    return f"hubbub.live.list.{list_id}"


def live_network(network_id: int) -> str:
    return f"hubbub.live.network.{network_id}"


# Core NATS (not JetStream): a revoked token's digest, so every gateway drops it from its cache.
TOKEN_REVOKED = "hubbub.gateway.token.revoked"
