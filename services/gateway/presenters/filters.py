"""Mastodon's filter entities (docs.joinmastodon.org/entities/Filter, FilterKeyword,
FilterStatus, FilterResult, V1_Filter) for Hubbub's filter records. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from services.gateway.presenters.mastodon import iso
from shared.contracts.filters import FilterKeyword, FilterRecord, FilterStatus


def keyword(k: FilterKeyword) -> dict[str, Any]:
    return {"id": str(k.id), "keyword": k.keyword, "whole_word": k.whole_word}


def filter_status(s: FilterStatus) -> dict[str, Any]:
    return {"id": str(s.id), "status_id": str(s.status_id)}


def filter_json(f: FilterRecord, *, rules: bool = True) -> dict[str, Any]:
    """The Filter entity; with its keywords and statuses (``rules``) as the filters API shows
    it, without them inside a FilterResult, as Mastodon serializes it there."""
    shaped: dict[str, Any] = {
        "id": str(f.id),
        "title": f.title,
        "context": list(f.context),
        "expires_at": iso(f.expires_at),
        "filter_action": f.action,
    }
    if rules:
        shaped["keywords"] = [keyword(k) for k in f.keywords]
        shaped["statuses"] = [filter_status(s) for s in f.statuses]
    return shaped


def filter_result(f: FilterRecord, keyword_matches: list[str] | None,
                  status_matches: list[int] | None) -> dict[str, Any]:
    """A FilterResult: the filter that matched, and what of it matched (null: nothing)."""
    return {"filter": filter_json(f, rules=False),
            "keyword_matches": keyword_matches or None,
            "status_matches": [str(i) for i in status_matches] if status_matches else None}


def v1_filter(k: FilterKeyword, f: FilterRecord) -> dict[str, Any]:
    """A V1_Filter: one keyword with its filter's context, expiry and action."""
    return {"id": str(k.id), "phrase": k.keyword, "context": list(f.context),
            "whole_word": k.whole_word, "expires_at": iso(f.expires_at),
            "irreversible": f.action == "hide"}
