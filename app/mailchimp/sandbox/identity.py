"""How Mailchimp names things: subscriber hashes, ids, API keys, timestamps, fake addresses."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

API_KEY_PATTERN = re.compile(r"^[0-9a-f]{32}-(us\d{1,3})$")
# Mailchimp refuses addresses at well-known throwaway or documentation domains.
FAKE_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "mailinator.com"}
)
_EMAIL_PATTERN = re.compile(
    r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def subscriber_hash(email: str) -> str:
    """MD5 of the lower-cased, trimmed address, as Mailchimp computes it."""
    return hashlib.md5(normalise_email(email).encode(), usedforsecurity=False).hexdigest()


def member_key_to_hash(key: str) -> str:
    """Member paths accept the hash or the address itself."""
    return subscriber_hash(key) if "@" in key else key.lower()


def looks_fake(email: str) -> bool:
    address = email.strip()
    if not _EMAIL_PATTERN.match(address) or ".." in address:
        return True
    domain = address.rsplit("@", 1)[1].lower()
    return domain in FAKE_DOMAINS or any(domain.endswith("." + fake) for fake in FAKE_DOMAINS)


def fake_email_detail(email: str) -> str:
    return f"{email} looks fake or invalid, please enter a real email address."


def dc_of(api_key: str) -> str | None:
    match = API_KEY_PATTERN.match(api_key)
    return match.group(1) if match else None


def new_api_key(dc: str = "us21") -> str:
    return f"{secrets.token_hex(16)}-{dc}"


def new_id(length: int = 10) -> str:
    """Mailchimp ids (lists, campaigns, webhooks, unique_email_id) are short lowercase hex."""
    return secrets.token_hex((length + 1) // 2)[:length]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str:
    """Mailchimp's timestamp format; an unset time is an empty string, never null."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_iso(value: str) -> datetime | None:
    text = value.strip().replace("Z", "+00:00")
    # A '+' sent unencoded in a query string arrives as a space.
    text = text.replace(" ", "+") if "T" in text else text.replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
