"""UpdateProfile: the owner edits their profile (Mastodon's update_credentials). Only the fields
given change; every limit is checked before anything is written."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import msgspec
import redis.asyncio as redis

from services.graph import account_cache, store
from shared import errors, events, outbox
from shared.contracts.graph import CredentialAccount, ProfileField
from shared.contracts.graph import UpdateProfile as Request
from shared.records import AccountRecord

# Mastodon's limits, so that clients' own counters agree with ours.
MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELDS = 4
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 255
MAX_TITLE = 100  # Hubbub's job title and department
MAX_URL = 2048
PRIVACIES = ("public", "unlisted", "private")  # direct is no default: Mastodon refuses it too
LANGUAGE = re.compile(r"^[a-z]{2,3}$")  # ISO 639-1 (or -3) code


def http_url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must be an http(s) URL"
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        return f"must be a URL of at most {MAX_URL} characters, without spaces"
    return None


class Problems:
    """What is wrong with a request: in words for the message, and per field as Mastodon's
    ``details`` codes."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.details: errors.Details = {}

    def add(self, words: str, field: str, code: str, description: str) -> None:
        self.words.append(words)
        errors.add(self.details, field, code, description)

    def too_long(self, words: str, field: str, limit: int, unit: str = "characters") -> None:
        self.add(words, field, errors.TOO_LONG, f"is too long (maximum is {limit} {unit})")

    def raise_any(self) -> None:
        if self.words:
            raise errors.Invalid("Validation failed: " + ", ".join(self.words), self.details)


def clean_fields(fields: list[ProfileField], problems: Problems) -> list[dict[str, str]]:
    """The fields to store (blank rows dropped, as Mastodon's form sends four of them); what
    is wrong with them goes to ``problems``."""
    kept = [{"name": f.name.strip(), "value": f.value.strip()} for f in fields]
    kept = [f for f in kept if f["name"] or f["value"]]
    if len(kept) > MAX_FIELDS:
        problems.too_long(f"fields must be at most {MAX_FIELDS}", "fields", MAX_FIELDS, "fields")
    for f in kept:
        if not f["name"]:
            problems.add("fields name can't be blank", "fields", errors.BLANK,
                         "name can't be blank")
        if len(f["name"]) > MAX_FIELD_NAME:
            problems.too_long(f"fields name must be at most {MAX_FIELD_NAME} characters",
                              "fields", MAX_FIELD_NAME)
        if len(f["value"]) > MAX_FIELD_VALUE:
            problems.too_long(f"fields value must be at most {MAX_FIELD_VALUE} characters",
                              "fields", MAX_FIELD_VALUE)
    return kept


class UpdateProfile:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache

    async def __call__(self, req: Request) -> CredentialAccount:
        changes = self._changes(req)
        async with self.pool.acquire() as conn, conn.transaction():
            member = await store.member_of(conn, req.account_id)
            if member is None or member["deactivated"]:
                raise errors.NotFound("Record not found")
            changed = await store.update_profile(conn, req.account_id, changes)
            if changed:
                await outbox.add(conn, "graph", events.AccountUpdated(account_id=req.account_id))
            [account] = await store.accounts_by_ids(conn, [req.account_id])
            defaults = await store.posting_defaults(conn, req.account_id)
        if changed:
            # Delete rather than write the record: a follow committing meanwhile may have
            # changed the counters, and the next reader's miss refills the whole of it.
            await account_cache.invalidate(self.cache, req.account_id)
        return credential_account(account, defaults)

    def _changes(self, req: Request) -> store.ProfileChanges:
        """What the request changes; 422 for anything out of bounds."""
        changes: dict[str, Any] = {}
        problems = Problems()

        def text(column: str, value: str | None, limit: int) -> None:
            if value is None:
                return
            value = value.strip()
            if len(value) > limit:
                problems.too_long(f"{column} must be at most {limit} characters", column, limit)
            changes[column] = value

        text("display_name", req.display_name, MAX_DISPLAY_NAME)
        text("note", req.note, MAX_NOTE)
        text("title", req.title, MAX_TITLE)
        text("department", req.department, MAX_TITLE)
        for column in ("locked", "bot", "discoverable"):
            if getattr(req, column) is not None:
                changes[column] = getattr(req, column)
        for column in ("avatar_url", "header_url"):
            url = getattr(req, column)
            if url is None:
                continue
            url = url.strip()
            problem = http_url_problem(url) if url else None
            if problem:
                problems.add(f"{column} {problem}", column, errors.INVALID, problem)
            changes[column] = url or None  # empty: back to the default picture
        if req.fields is not None:
            fields = clean_fields(req.fields, problems)
            changes["fields"] = msgspec.json.encode(fields).decode()
        if req.privacy is not None:
            if req.privacy not in PRIVACIES:
                problems.add(f"source privacy must be one of {', '.join(PRIVACIES)}",
                             "source[privacy]", errors.INCLUSION, "is not included in the list")
            changes["default_privacy"] = req.privacy
        if req.sensitive is not None:
            changes["default_sensitive"] = req.sensitive
        if req.language is not None:
            language = req.language.strip().lower()
            if language and not LANGUAGE.match(language):
                problems.add("source language must be an ISO 639 code", "source[language]",
                             errors.INVALID, "must be an ISO 639 code")
            changes["default_language"] = language or None
        problems.raise_any()
        return store.ProfileChanges(**changes)


def credential_account(account: AccountRecord, defaults: asyncpg.Record) -> CredentialAccount:
    return CredentialAccount(account=account, privacy=defaults["default_privacy"],
                             sensitive=defaults["default_sensitive"],
                             language=defaults["default_language"])
