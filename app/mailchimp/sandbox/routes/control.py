"""`/_sandbox/api/…`: the sandbox's JSON control endpoints (not part of Mailchimp's API).

`{account}` is an account id or one of its API keys. Errors are problem+json, like the API.

    GET  /accounts                                    every account (keys, faults, audiences)
    POST /accounts          {api_key?, account_name?, login_email?, first_name?, last_name?,
                             role?, dc?, revoked?}    -> 201 the account (a key is made if absent)
    GET  /accounts/{account}
    POST /accounts/{account}/revoke                   a key: that key; an account id: all keys
    PUT  /accounts/{account}/faults   {latency_ms, rate_429, retry_after, rate_500, rate_timeout,
                                       timeout_seconds, seed}   (rates are fractions, sum <= 1)
    POST /oauth-clients     {client_id, client_secret, redirect_uri, name?}
    POST /accounts/{account}/lists/{list_id}/members/{hash or email}/changes
            {action: unsubscribe | clean | edit_profile | change_email | resubscribe,
             source?: user | admin, merge_fields?: {...}, new_email?: "..."}
            -> the member; fires webhooks (unsubscribe/resubscribe default to source user)
    POST /accounts/{account}/lists/{list_id}/signups  {email_address, merge_fields?}
            a person subscribes through the form (also after delete-permanent)
    POST /accounts/{account}/campaigns/{id}/send      -> {id, status, emails_sent, send_time}
    POST /accounts/{account}/campaigns/{id}/activity  {opens, unique_opens?, clicks,
                                                       unique_clicks?} -> 204
    GET  /accounts/{account}/write-counts  [{list_id, subscriber_hash, email_address, created,
                                            updated}]  (API writes per member)
    GET  /accounts/{account}/requests      the request log: method, path, query, status, fault
    GET  /webhook-deliveries?account=…     every delivery with its attempts and outcome
    POST /reset                            back to the starting seed
    POST /seed              a seed document (same format as demo_seed.json), added to the state
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath

from app.mailchimp.sandbox import control
from app.mailchimp.sandbox.errors import invalid_resource
from app.mailchimp.sandbox.members import require_object
from app.mailchimp.sandbox.routes import CurrentSandbox, api_root, json_body
from app.mailchimp.sandbox.seed import apply_seed
from app.mailchimp.sandbox.shapes import member_json


class ControlApi(Controller):
    path = "/_sandbox/api"

    @get("/accounts")
    async def accounts(self, sandbox: CurrentSandbox) -> list[dict[str, Any]]:
        return [control.account_json(sandbox, a) for a in sandbox.state.accounts.values()]

    @post("/accounts", status_code=201)
    async def create_account(self, request: Request, sandbox: CurrentSandbox) -> dict[str, Any]:
        body = require_object(await json_body(request))
        return control.account_json(sandbox, control.create_account(sandbox, body))

    @get("/accounts/{account:str}")
    async def account(self, sandbox: CurrentSandbox, account: FromPath[str]) -> dict[str, Any]:
        return control.account_json(sandbox, control.account_of(sandbox, account))

    @post("/accounts/{account:str}/revoke", status_code=200)
    async def revoke(self, sandbox: CurrentSandbox, account: FromPath[str]) -> dict[str, Any]:
        control.revoke(sandbox, account)
        return control.account_json(sandbox, control.account_of(sandbox, account))

    @put("/accounts/{account:str}/faults")
    async def faults(
        self, request: Request, sandbox: CurrentSandbox, account: FromPath[str]
    ) -> dict[str, Any]:
        body = require_object(await json_body(request))
        return control.account_json(sandbox, control.set_faults(sandbox, account, body))

    @post("/oauth-clients", status_code=201)
    async def oauth_client(self, request: Request, sandbox: CurrentSandbox) -> dict[str, str]:
        return control.register_client(sandbox, require_object(await json_body(request)))

    @post("/accounts/{account:str}/lists/{list_id:str}/members/{key:str}/changes", status_code=200)
    async def member_change(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account: FromPath[str],
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> dict[str, Any]:
        owner = control.account_of(sandbox, account)
        body = require_object(await json_body(request))
        member = control.change_member(sandbox, owner, list_id, key, body)
        return member_json(owner.audiences[list_id], member, api_root(request))

    @post("/accounts/{account:str}/lists/{list_id:str}/signups", status_code=200)
    async def signup(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account: FromPath[str],
        list_id: FromPath[str],
    ) -> dict[str, Any]:
        owner = control.account_of(sandbox, account)
        member = control.signup(sandbox, owner, list_id, require_object(await json_body(request)))
        return member_json(owner.audiences[list_id], member, api_root(request))

    @post("/accounts/{account:str}/campaigns/{campaign_id:str}/send", status_code=200)
    async def send(
        self, sandbox: CurrentSandbox, account: FromPath[str], campaign_id: FromPath[str]
    ) -> dict[str, Any]:
        return control.send_campaign(sandbox, control.account_of(sandbox, account), campaign_id)

    @post("/accounts/{account:str}/campaigns/{campaign_id:str}/activity", status_code=204)
    async def activity(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account: FromPath[str],
        campaign_id: FromPath[str],
    ) -> None:
        owner = control.account_of(sandbox, account)
        control.add_activity(sandbox, owner, campaign_id, require_object(await json_body(request)))

    @get("/accounts/{account:str}/write-counts")
    async def write_counts(
        self, sandbox: CurrentSandbox, account: FromPath[str]
    ) -> list[dict[str, Any]]:
        control.account_of(sandbox, account)
        return sandbox.write_counts(account)

    @get("/accounts/{account:str}/requests")
    async def requests(
        self, sandbox: CurrentSandbox, account: FromPath[str]
    ) -> list[dict[str, Any]]:
        return control.request_log_json(control.account_of(sandbox, account))

    @get("/webhook-deliveries")
    async def deliveries(self, request: Request, sandbox: CurrentSandbox) -> list[dict[str, Any]]:
        ref = request.query_params.get("account")
        account_id = control.account_of(sandbox, ref).account_id if ref else None
        return control.deliveries_json(sandbox, account_id)

    @post("/reset", status_code=204)
    async def reset(self, sandbox: CurrentSandbox) -> None:
        sandbox.reset()

    @post("/seed", status_code=204)
    async def seed(self, request: Request, sandbox: CurrentSandbox) -> None:
        try:
            apply_seed(sandbox.state, require_object(await json_body(request)))
        except (KeyError, ValueError) as exc:
            raise invalid_resource(f"The seed was refused: {exc}") from None
