"""Where things live in Mailchimp's API, and how a member is named there."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

_HASH = re.compile(r"[0-9a-f]{32}")


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: md5 of the trimmed, lower-cased address."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()  # noqa: S324 - an id, not a MAC


def member_id(email_or_hash: str) -> str:
    """A subscriber hash as is, or the hash of an address."""
    value = email_or_hash.strip()
    return value if _HASH.fullmatch(value) else subscriber_hash(value)


def resource_path(*segments: str) -> str:
    # Quoted so an id with a slash cannot reach another resource.
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def member_path(list_id: str, email_or_hash: str, *rest: str) -> str:
    return resource_path("lists", list_id, "members", member_id(email_or_hash), *rest)
