"""`/3.0/lists/{list_id}/webhooks`: creating one first validates its URL with a GET.

Omitted `events` default to everything but `campaign`; omitted `sources` to user and admin
(API changes echoing back to the app that made them is rarely wanted). `signing_enabled`
defaults to true; the `signing_secret` appears only in the creation response.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath

from app.mailchimp.sandbox.errors import field_error, invalid_resource, not_found
from app.mailchimp.sandbox.identity import new_id
from app.mailchimp.sandbox.members import require_object
from app.mailchimp.sandbox.routes import (
    CurrentAccount,
    CurrentSandbox,
    api_root,
    audience_of,
    json_body,
    shaped,
)
from app.mailchimp.sandbox.shapes import link, webhook_json
from app.mailchimp.sandbox.state import WEBHOOK_EVENTS, WEBHOOK_SOURCES, Audience, Webhook


def _flags(
    given: Any, names: tuple[str, ...], defaults: dict[str, bool], field: str
) -> dict[str, bool]:
    if given is None:
        return dict(defaults)
    if not isinstance(given, dict):
        raise field_error(field, f"{field} must be an object of true/false flags.")
    return {name: bool(given.get(name, defaults[name])) for name in names}


def _url(body: dict[str, Any]) -> str:
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise field_error("url", "This value should not be blank.")
    if not url.startswith(("http://", "https://")):
        raise field_error("url", "Please enter a valid URL, starting with http:// or https://")
    return url.strip()


async def _validated(
    sandbox: CurrentSandbox, audience: Audience, url: str, skip: str | None
) -> str:
    if any(h.url == url and h.id != skip for h in audience.webhooks.values()):
        raise field_error("url", "This URL is already a webhook of this audience.")
    problem = await sandbox.webhooks.validation_problem(url)
    if problem:
        raise invalid_resource(problem, errors=[{"field": "url", "message": problem}])
    return url


def webhook_of(audience: Audience, webhook_id: FromPath[str]) -> Webhook:
    webhook = audience.webhooks.get(webhook_id)
    if webhook is None:
        raise not_found()
    return webhook


class WebhooksController(Controller):
    path = "/lists/{list_id:str}/webhooks"

    @post("/", status_code=200)
    async def create(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        body = require_object(await json_body(request))
        events = _flags(
            body.get("events"),
            WEBHOOK_EVENTS,
            {e: e != "campaign" for e in WEBHOOK_EVENTS},
            "events",
        )
        sources = _flags(
            body.get("sources"),
            WEBHOOK_SOURCES,
            {s: s != "api" for s in WEBHOOK_SOURCES},
            "sources",
        )
        url = await _validated(sandbox, audience, _url(body), None)
        webhook = Webhook(
            id=new_id(),
            list_id=list_id,
            url=url,
            events=events,
            sources=sources,
            signing_enabled=bool(body.get("signing_enabled", True)),
            signing_secret=secrets.token_hex(32),
        )
        audience.webhooks[webhook.id] = webhook
        return shaped(request, webhook_json(webhook, api_root(request), with_secret=True))

    @get("/")
    async def list_webhooks(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        api = api_root(request)
        return shaped(
            request,
            {
                "webhooks": [webhook_json(h, api) for h in audience.webhooks.values()],
                "list_id": list_id,
                "total_items": len(audience.webhooks),
                "_links": [link("self", f"{api}/lists/{list_id}/webhooks")],
            },
        )

    @get("/{webhook_id:str}")
    async def get_webhook(
        self,
        request: Request,
        account: CurrentAccount,
        list_id: FromPath[str],
        webhook_id: FromPath[str],
    ) -> Response:
        webhook = webhook_of(audience_of(account, list_id), webhook_id)
        return shaped(request, webhook_json(webhook, api_root(request)))

    @patch("/{webhook_id:str}")
    async def update(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        webhook_id: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        webhook = webhook_of(audience, webhook_id)
        body = require_object(await json_body(request))
        events = _flags(body.get("events"), WEBHOOK_EVENTS, webhook.events, "events")
        sources = _flags(body.get("sources"), WEBHOOK_SOURCES, webhook.sources, "sources")
        url = webhook.url
        if "url" in body and _url(body) != webhook.url:
            url = await _validated(sandbox, audience, _url(body), webhook.id)  # saving re-validates
        webhook.url, webhook.events, webhook.sources = url, events, sources
        if "signing_enabled" in body:
            webhook.signing_enabled = bool(body["signing_enabled"])
        return shaped(request, webhook_json(webhook, api_root(request)))

    @delete("/{webhook_id:str}", status_code=204)
    async def remove(
        self, account: CurrentAccount, list_id: FromPath[str], webhook_id: FromPath[str]
    ) -> None:
        audience = audience_of(account, list_id)
        webhook_of(audience, webhook_id)
        del audience.webhooks[webhook_id]
