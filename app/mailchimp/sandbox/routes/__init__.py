"""Shared pieces of the sandbox's routes: dependencies, request parsing, absolute URLs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from litestar import Request, Response
from litestar.params import SkipValidation

from app.mailchimp.sandbox.core import Sandbox
from app.mailchimp.sandbox.errors import ApiProblem, not_found
from app.mailchimp.sandbox.gate import ACCOUNT_SCOPE_KEY
from app.mailchimp.sandbox.shapes import select_fields
from app.mailchimp.sandbox.state import Account, Audience

CurrentSandbox = SkipValidation[Sandbox]
CurrentAccount = SkipValidation[Account]


def provide_sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def provide_account(request: Request) -> Account:
    return request.scope[ACCOUNT_SCOPE_KEY]  # type: ignore[literal-required]


def mount_prefix(request: Request) -> str:
    """The path an enclosing app mounted us under.

    Litestar's `is_mount` strips the prefix from `path` but leaves `root_path` empty, so it is
    recovered from `raw_path`, which still holds the full path the client asked for.
    """
    raw = request.scope.get("raw_path")
    if not raw:
        return ""
    full = unquote(raw.decode("latin-1")).rstrip("/")
    path = request.scope["path"].rstrip("/")
    if not path:
        return full
    return full[: -len(path)] if full.endswith(path) else ""


def site_root(request: Request) -> str:
    """Absolute URL of the sandbox's own root (where `/3.0`, `/oauth2` and `/_sandbox` live)."""
    sandbox: Sandbox = request.app.state.sandbox
    if sandbox.public_base_url:
        return sandbox.public_base_url
    return str(request.base_url).rstrip("/") + mount_prefix(request)


def api_root(request: Request) -> str:
    return f"{site_root(request)}/3.0"


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(
            400, "JSON Parse Exception", "We encountered an unspecified JSON parsing error."
        ) from None


def query_flag(request: Request, name: str) -> bool:
    return str(request.query_params.get(name, "")).lower() in ("true", "1")


def shaped(request: Request, document: dict[str, Any]) -> Response:
    """A 200 JSON answer after `fields` / `exclude_fields`, which every GET accepts."""
    params = request.query_params
    body = select_fields(document, params.get("fields"), params.get("exclude_fields"))
    return Response(content=body, status_code=200, media_type="application/json; charset=utf-8")


def audience_of(account: Account, list_id: str) -> Audience:
    audience = account.audiences.get(list_id)
    if audience is None:
        raise not_found()
    return audience
