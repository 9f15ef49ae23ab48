"""The SCIM filters Hubbub answers (RFC 7644 3.4.2.2): one attribute ``eq`` a string, on the
attributes directories look people and groups up by. Anything else is 400 invalidFilter, not
a silently wider answer."""

from __future__ import annotations

import json
import re

from services.gateway.scim import discovery
from services.gateway.scim.errors import ScimError

# attribute (lower case) -> the name graph filters on
USER_FILTERS = {"username": "userName", "externalid": "externalId", "emails": "emails",
                "emails.value": "emails"}
GROUP_FILTERS = {"displayname": "displayName", "externalid": "externalId"}
EQ = re.compile(r'^\s*(\S+)\s+eq\s+("(?:[^"\\]|\\.)*")\s*$', re.IGNORECASE)
MAX_FILTER = 1000


def parse(text: str | None, supported: dict[str, str]) -> tuple[str | None, str]:
    """(attribute, value) of the filter, or (None, "") for no filter."""
    if text is None or not text.strip():
        return None, ""
    match = EQ.match(text) if len(text) <= MAX_FILTER else None
    if match is None:
        raise ScimError(400, 'Only filters of the form attribute eq "value" are supported',
                        "invalidFilter")
    attribute = match.group(1)
    for urn in (discovery.USER, discovery.GROUP):
        if attribute.lower().startswith(urn.lower() + ":"):
            attribute = attribute[len(urn) + 1:]
    name = supported.get(attribute.lower())
    if name is None:
        raise ScimError(400, f"Filtering on {attribute} is not supported "
                             f"(supported: {', '.join(sorted(set(supported.values())))})",
                        "invalidFilter")
    try:
        value = json.loads(match.group(2))
    except ValueError as exc:
        raise ScimError(400, "The filter's value is not a valid string",
                        "invalidFilter") from exc
    if not isinstance(value, str) or "\x00" in value:
        raise ScimError(400, "The filter's value is not a valid string", "invalidFilter")
    return name, value
