"""Sandbox Mailchimp accounts for tests, and connecting an organisation to one."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from app.domain.connections import services as connections
from app.mailchimp.sandbox import Sandbox
from app.mailchimp.sandbox.seed import apply_seed
from app.mailchimp.sandbox.state import Account
from tests.factories import Member
from tests.fixtures.secrets import remember_secret

_counter = itertools.count(1)

STANDARD_FIELDS = [
    {"tag": "DEPT", "name": "Department", "type": "text"},
    {
        "tag": "STARTDATE",
        "name": "Start date",
        "type": "date",
        "options": {"date_format": "YYYY-MM-DD"},
    },
]


def new_api_key(dc: str = "us19") -> str:
    key = f"{secrets.token_hex(16)}-{dc}"
    remember_secret(key)
    return key


def mailchimp_account(
    sandbox: Sandbox,
    *,
    name: str | None = None,
    audiences: list[dict[str, Any]] | None = None,
    api_key: str | None = None,
    revoked: bool = False,
) -> tuple[str, Account]:
    """A sandbox account (with audiences) and its API key."""
    n = next(_counter)
    key = api_key or new_api_key()
    entry = {
        "api_key": key,
        "account_name": name or f"Mailchimp Account {n}",
        "login_email": f"marketing{n}@bluefin-{n}.com",
        "revoked": revoked,
        "audiences": audiences
        if audiences is not None
        else [
            {"id": f"a{n:09d}"[:10], "name": "Employees", "merge_fields": STANDARD_FIELDS},
            {"id": f"b{n:09d}"[:10], "name": "Vendors", "double_optin": True},
        ],
    }
    apply_seed(sandbox.state, {"accounts": [entry]})
    account = sandbox.account(key)
    return key, account


async def connect(member: Member, sandbox: Sandbox, **account_options: Any) -> tuple[str, Account]:
    """An organisation connected (through the real service) to a fresh sandbox account."""
    key, account = mailchimp_account(sandbox, **account_options)
    await connections.connect_api_key(member.principal, api_key=key)
    return key, account
