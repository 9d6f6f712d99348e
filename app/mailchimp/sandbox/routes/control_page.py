"""`/_sandbox/`: a small server-rendered control page (plain forms, POST-redirect-GET, no JS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.mailchimp.sandbox import control
from app.mailchimp.sandbox.errors import ApiProblem
from app.mailchimp.sandbox.routes import CurrentSandbox, site_root

FAULT_FIELDS = (
    "latency_ms",
    "rate_429",
    "retry_after",
    "rate_500",
    "rate_timeout",
    "timeout_seconds",
    "seed",
)


def _back(request: Request, path: str, **message: str) -> Redirect:
    path, _, fragment = path.partition("#")
    query = f"?{urlencode(message)}" if message else ""
    anchor = f"#{fragment}" if fragment else ""
    return Redirect(f"{site_root(request)}/_sandbox{path}{query}{anchor}", status_code=303)


def _describe(problem: ApiProblem) -> str:
    details = "; ".join(f"{e['field']}: {e['message']}" for e in problem.errors or [])
    return f"{problem.title}: {problem.detail}" + (f" ({details})" if details else "")


async def _act(request: Request, path: str, action: Callable[[dict[str, Any]], str]) -> Redirect:
    form = dict(await request.form())
    try:
        notice = action(form)
    except ApiProblem as problem:
        return _back(request, path, error=_describe(problem))
    return _back(request, path, notice=notice)


def _page(request: Request, name: str, **context: Any) -> Template:
    params = request.query_params
    return Template(
        name,
        context={
            "root": site_root(request),
            "notice": params.get("notice"),
            "error": params.get("error"),
            **context,
        },
    )


class ControlPage(Controller):
    path = "/_sandbox"
    include_in_schema = False

    @get("/")
    async def index(self, request: Request, sandbox: CurrentSandbox) -> Template:
        return _page(
            request,
            "control_index.html",
            sandbox=sandbox,
            accounts=list(sandbox.state.accounts.values()),
        )

    @post("/accounts")
    async def create_account(self, request: Request, sandbox: CurrentSandbox) -> Redirect:
        def create(form: dict[str, Any]) -> str:
            account = control.create_account(sandbox, {k: v for k, v in form.items() if v})
            return f"Created {account.account_name}."

        return await _act(request, "/", create)

    @post("/oauth-clients")
    async def register_client(self, request: Request, sandbox: CurrentSandbox) -> Redirect:
        def register(form: dict[str, Any]) -> str:
            return f"Registered OAuth client {control.register_client(sandbox, form)['client_id']}."

        return await _act(request, "/", register)

    @post("/reset")
    async def reset(self, request: Request, sandbox: CurrentSandbox) -> Redirect:
        sandbox.reset()
        return _back(request, "/", notice="The sandbox was reset.")

    @get("/accounts/{account_id:str}")
    async def account(
        self, request: Request, sandbox: CurrentSandbox, account_id: FromPath[str]
    ) -> Template:
        account = control.account_of(sandbox, account_id)
        deliveries = [
            d for d in sandbox.state.webhook_deliveries if d.account_id == account.account_id
        ]
        return _page(
            request,
            "control_account.html",
            account=account,
            keys=sandbox.state.keys_of(account),
            deliveries=deliveries[-20:][::-1],
            fault_fields=FAULT_FIELDS,
        )

    @post("/accounts/{account_id:str}/faults")
    async def faults(
        self, request: Request, sandbox: CurrentSandbox, account_id: FromPath[str]
    ) -> Redirect:
        def save(form: dict[str, Any]) -> str:
            values = {k: form[k] for k in FAULT_FIELDS if form.get(k, "") != ""}
            control.set_faults(sandbox, account_id, values)
            return "Fault settings saved."

        return await _act(request, f"/accounts/{account_id}", save)

    @post("/accounts/{account_id:str}/revoke")
    async def revoke(
        self, request: Request, sandbox: CurrentSandbox, account_id: FromPath[str]
    ) -> Redirect:
        def revoke(form: dict[str, Any]) -> str:
            control.revoke(sandbox, form.get("api_key") or account_id)
            return "API key revoked."

        return await _act(request, f"/accounts/{account_id}", revoke)

    @post("/accounts/{account_id:str}/lists/{list_id:str}/members/{member_hash:str}/changes")
    async def change_member(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account_id: FromPath[str],
        list_id: FromPath[str],
        member_hash: FromPath[str],
    ) -> Redirect:
        def change(form: dict[str, Any]) -> str:
            merges = {
                k.removeprefix("merge_"): v for k, v in form.items() if k.startswith("merge_")
            }
            body = {**form, "merge_fields": merges}
            account = control.account_of(sandbox, account_id)
            member = control.change_member(sandbox, account, list_id, member_hash, body)
            return f"{member.email_address}: {form.get('action', '').replace('_', ' ')} recorded."

        return await _act(request, f"/accounts/{account_id}#list-{list_id}", change)

    @post("/accounts/{account_id:str}/lists/{list_id:str}/signups")
    async def signup(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account_id: FromPath[str],
        list_id: FromPath[str],
    ) -> Redirect:
        def subscribe(form: dict[str, Any]) -> str:
            merges = {
                k.removeprefix("merge_"): v for k, v in form.items() if k.startswith("merge_") and v
            }
            account = control.account_of(sandbox, account_id)
            member = control.signup(
                sandbox,
                account,
                list_id,
                {"email_address": form.get("email_address"), "merge_fields": merges},
            )
            return f"{member.email_address} subscribed through the signup form."

        return await _act(request, f"/accounts/{account_id}#list-{list_id}", subscribe)

    @post("/accounts/{account_id:str}/campaigns/{campaign_id:str}/send")
    async def send(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account_id: FromPath[str],
        campaign_id: FromPath[str],
    ) -> Redirect:
        def send(_: dict[str, Any]) -> str:
            sent = control.send_campaign(
                sandbox, control.account_of(sandbox, account_id), campaign_id
            )
            return f"Campaign sent to {sent['emails_sent']} subscribers."

        return await _act(request, f"/accounts/{account_id}#campaigns", send)

    @post("/accounts/{account_id:str}/campaigns/{campaign_id:str}/activity")
    async def activity(
        self,
        request: Request,
        sandbox: CurrentSandbox,
        account_id: FromPath[str],
        campaign_id: FromPath[str],
    ) -> Redirect:
        def record(form: dict[str, Any]) -> str:
            control.add_activity(
                sandbox, control.account_of(sandbox, account_id), campaign_id, form
            )
            return "Opens and clicks recorded."

        return await _act(request, f"/accounts/{account_id}#campaigns", record)
