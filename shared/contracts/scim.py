"""SCIM 2.0 provisioning (RFC 7643/7644) as graph serves it: the tokens a network admin makes
for its directory, and the directory's users (accounts) and groups (communities). The SCIM
protocol itself (JSON shapes, filters, PATCH) is the gateway's (services/gateway/scim/); these
are the records it reads and writes, always within one network (the token's)."""

from __future__ import annotations

import msgspec


class CreateScimToken(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the admin asking
    label: str = ""


class ScimToken(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    label: str
    created_at: int  # ms since the Unix epoch
    last_used_at: int | None = None
    token: str | None = None  # only in the answer to its creation: graph keeps its digest


class ScimTokensOf(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int  # the admin asking


class ScimTokens(msgspec.Struct, frozen=True, kw_only=True):
    tokens: list[ScimToken]


class RevokeScimToken(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    token_id: int


class CheckScimToken(msgspec.Struct, frozen=True, kw_only=True):
    token_hash: str  # SHA-256 hex of the bearer token


class ScimClient(msgspec.Struct, frozen=True, kw_only=True):
    """Whom a valid SCIM token speaks for."""
    token_id: int
    network_id: int


class ScimEmail(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    value: str
    type: str | None = None
    primary: bool | None = None


class UserFields(msgspec.Struct, frozen=True, kw_only=True):
    """What the directory writes of a user (the gateway checked the shapes; graph checks the
    domain rules: userName an address of a claimed domain, unique)."""
    user_name: str
    external_id: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    formatted: str | None = None
    display_name: str | None = None
    emails: list[ScimEmail] = []
    active: bool | None = None


class ScimUser(msgspec.Struct, frozen=True, kw_only=True):
    id: int  # the account's id
    fields: UserFields
    deactivated: bool  # the account's state (a network admin may have deactivated it too)
    created_at: int  # ms
    updated_at: int  # ms
    version: int


class CreateScimUser(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    fields: UserFields


class ScimRef(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    id: int


class ReplaceScimUser(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    id: int
    fields: UserFields
    version: int | None = None  # the version the change was made on (412 if it moved on)


class ScimQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a network's users or groups, optionally those whose ``attribute`` equals
    ``value`` (userName, externalId, emails for users; displayName, externalId for groups)."""
    network_id: int
    attribute: str | None = None
    value: str = ""
    start_index: int = 1  # SCIM's: 1-based
    count: int = 100


class ScimUsers(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    users: list[ScimUser]


class GroupFields(msgspec.Struct, frozen=True, kw_only=True):
    display_name: str
    external_id: str | None = None
    member_ids: list[int] = []


class ScimMember(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    display: str


class ScimGroup(msgspec.Struct, frozen=True, kw_only=True):
    id: int  # the community's id
    display_name: str
    external_id: str | None
    members: list[ScimMember]
    created_at: int
    updated_at: int
    version: int


class CreateScimGroup(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    token_id: int  # the community's creator is the admin who made the token
    fields: GroupFields


class ReplaceScimGroup(msgspec.Struct, frozen=True, kw_only=True):
    network_id: int
    id: int
    fields: GroupFields
    version: int | None = None


class ScimGroups(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    groups: list[ScimGroup]


class Done(msgspec.Struct, frozen=True, kw_only=True):
    pass
