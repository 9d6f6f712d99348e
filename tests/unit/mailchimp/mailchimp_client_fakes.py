"""Shared test helpers for the Mailchimp client: realistic answers and a sleep recorder."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from app.mailchimp.paths import subscriber_hash

API_KEY = "0123456789abcdef0123456789abcdef-us6"
BASE_URL = "https://us6.api.mailchimp.com/3.0"
BASIC_AUTH = "Basic " + base64.b64encode(f"listbridge:{API_KEY}".encode()).decode()
LIST_ID = "a1b2c3d4e5"


def problem(status: int, title: str, detail: str, **extra: Any) -> httpx.Response:
    """A Mailchimp error answer, shaped like the real ones (FACTS §3.4)."""
    body = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "995c5cb0-3280-4a6e-808b-3b096d0bb219",
        **extra,
    }
    headers = {"Content-Type": "application/problem+json; charset=utf-8"}
    return httpx.Response(status, json=body, headers=headers)


def member_json(email: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": subscriber_hash(email),
        "email_address": email,
        "status": "subscribed",
        "merge_fields": {"FNAME": "", "LNAME": ""},
        "timestamp_signup": "",
        "list_id": LIST_ID,
        "tags": [],
        "_links": [],
        **extra,
    }


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers each pause instead of taking it."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
