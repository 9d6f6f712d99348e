"""`/3.0`, `/3.0/ping` and audiences: lists, merge fields, batch subscribe."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from app.mailchimp.sandbox.audiences import create_audience
from app.mailchimp.sandbox.batch import batch_subscribe
from app.mailchimp.sandbox.errors import not_found
from app.mailchimp.sandbox.merge_fields import add_merge_field
from app.mailchimp.sandbox.routes import (
    CurrentAccount,
    CurrentSandbox,
    api_root,
    audience_of,
    json_body,
    query_flag,
    shaped,
)
from app.mailchimp.sandbox.shapes import (
    audience_json,
    link,
    member_json,
    merge_field_json,
    page,
    root_json,
)


@get("/ping")
async def ping(request: Request) -> Response:
    return shaped(request, {"health_status": "Everything's Chimpy!"})


@get("/")
async def account_root(request: Request, account: CurrentAccount) -> Response:
    subscribers = sum(
        1
        for audience in account.audiences.values()
        for member in audience.members.values()
        if member.status == "subscribed"
    )
    return shaped(request, root_json(account, api_root(request), subscribers))


class ListsController(Controller):
    path = "/lists"

    @get("/")
    async def list_audiences(self, request: Request, account: CurrentAccount) -> Response:
        api = api_root(request)
        audiences = list(account.audiences.values())
        return shaped(
            request,
            {
                "lists": [
                    audience_json(account, a, api) for a in page(audiences, request.query_params)
                ],
                "total_items": len(audiences),
                "constraints": {
                    "may_create": True,
                    "max_instances": -1,
                    "current_total_instances": len(audiences),
                },
                "_links": [link("self", f"{api}/lists"), link("create", f"{api}/lists", "POST")],
            },
        )

    @post("/", status_code=200)
    async def create(
        self, request: Request, account: CurrentAccount, sandbox: CurrentSandbox
    ) -> Response:
        audience = create_audience(account, await json_body(request), now=sandbox.state.now())
        return shaped(request, audience_json(account, audience, api_root(request)))

    @get("/{list_id:str}")
    async def get_audience(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        return shaped(request, audience_json(account, audience, api_root(request)))

    @post("/{list_id:str}", status_code=200)
    async def batch(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        outcome = batch_subscribe(
            audience,
            await json_body(request),
            now=sandbox.state.now(),
            skip_merge_validation=query_flag(request, "skip_merge_validation"),
            skip_duplicate_check=query_flag(request, "skip_duplicate_check"),
        )
        for write in (*outcome.new, *outcome.updated):
            account.count_write(list_id, write.member, created=write.created)
            sandbox.publish(account, write.events)
        api = api_root(request)
        return shaped(
            request,
            {
                "new_members": [member_json(audience, w.member, api) for w in outcome.new],
                "updated_members": [member_json(audience, w.member, api) for w in outcome.updated],
                "errors": outcome.errors,
                "total_created": len(outcome.new),
                "total_updated": len(outcome.updated),
                "error_count": len(outcome.errors),
                "_links": [link("self", f"{api}/lists/{list_id}", "POST")],
            },
        )

    @get("/{list_id:str}/merge-fields")
    async def merge_fields(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        params = request.query_params
        fields = [
            f
            for f in sorted(audience.merge_fields, key=lambda f: f.display_order)
            if params.get("type") in (None, f.type)
            and params.get("required") in (None, str(f.required).lower())
        ]
        api = api_root(request)
        return shaped(
            request,
            {
                "merge_fields": [merge_field_json(audience, f, api) for f in page(fields, params)],
                "list_id": list_id,
                "total_items": len(fields),
                "_links": [link("self", f"{api}/lists/{list_id}/merge-fields")],
            },
        )

    @post("/{list_id:str}/merge-fields", status_code=200)
    async def add_merge_field(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        field = add_merge_field(audience, await json_body(request))
        return shaped(request, merge_field_json(audience, field, api_root(request)))

    @get("/{list_id:str}/merge-fields/{merge_id:int}")
    async def merge_field(
        self,
        request: Request,
        account: CurrentAccount,
        list_id: FromPath[str],
        merge_id: FromPath[int],
    ) -> Response:
        audience = audience_of(account, list_id)
        field = next((f for f in audience.merge_fields if f.merge_id == merge_id), None)
        if field is None:
            raise not_found()
        return shaped(request, merge_field_json(audience, field, api_root(request)))
