"""`/3.0/lists/{list_id}/members…`: upsert, update, create, read, archive, forget, tags."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import MultiDict
from litestar.params import FromPath

from app.mailchimp.sandbox import members
from app.mailchimp.sandbox.errors import field_error
from app.mailchimp.sandbox.identity import iso, parse_iso
from app.mailchimp.sandbox.member_tags import update_tags
from app.mailchimp.sandbox.routes import (
    CurrentAccount,
    CurrentSandbox,
    api_root,
    audience_of,
    json_body,
    query_flag,
    shaped,
)
from app.mailchimp.sandbox.shapes import link, member_json, page
from app.mailchimp.sandbox.state import MEMBER_STATUSES, Account, Audience, Member

SORT_FIELDS = ("timestamp_opt", "timestamp_signup", "last_changed")


class MembersController(Controller):
    path = "/lists/{list_id:str}/members"

    @get("/")
    async def list_members(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        selected = _filter(list(audience.members.values()), request)
        api = api_root(request)
        return shaped(
            request,
            {
                "members": [
                    member_json(audience, m, api) for m in page(selected, request.query_params)
                ],
                "list_id": list_id,
                "total_items": len(selected),
                "_links": [link("self", f"{api}/lists/{list_id}/members")],
            },
        )

    @post("/", status_code=200)
    async def create(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        write = members.post_member(
            audience,
            await json_body(request),
            now=sandbox.state.now(),
            skip_merge_validation=query_flag(request, "skip_merge_validation"),
        )
        return _written(request, sandbox, account, audience, write)

    @get("/{key:str}")
    async def get_member(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str], key: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        member = members.find_member(audience, key)
        return shaped(request, member_json(audience, member, api_root(request)))

    @put("/{key:str}")
    async def upsert(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        write = members.put_member(
            audience,
            key,
            await json_body(request),
            now=sandbox.state.now(),
            skip_merge_validation=query_flag(request, "skip_merge_validation"),
        )
        return _written(request, sandbox, account, audience, write)

    @patch("/{key:str}")
    async def update(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> Response:
        audience = audience_of(account, list_id)
        write = members.patch_member(
            audience,
            key,
            await json_body(request),
            now=sandbox.state.now(),
            skip_merge_validation=query_flag(request, "skip_merge_validation"),
        )
        return _written(request, sandbox, account, audience, write)

    @delete("/{key:str}", status_code=204)
    async def archive(
        self,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> None:
        audience = audience_of(account, list_id)
        sandbox.publish(account, members.archive_member(audience, key, now=sandbox.state.now()))

    @post("/{key:str}/actions/delete-permanent", status_code=204)
    async def delete_permanent(
        self,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> None:
        audience = audience_of(account, list_id)
        events = members.delete_permanently(audience, key, now=sandbox.state.now())
        sandbox.publish(account, events)

    @get("/{key:str}/tags")
    async def list_tags(
        self, request: Request, account: CurrentAccount, list_id: FromPath[str], key: FromPath[str]
    ) -> Response:
        audience = audience_of(account, list_id)
        member = members.find_member(audience, key, accept_email=False)
        tags = [
            {"id": audience.tag_id(name), "name": name, "date_added": iso(added)}
            for name, added in member.tags.items()
        ]
        href = f"{api_root(request)}/lists/{list_id}/members/{member.subscriber_hash}/tags"
        return shaped(
            request,
            {
                "tags": page(tags, request.query_params),
                "total_items": len(tags),
                "_links": [link("self", href)],
            },
        )

    @post("/{key:str}/tags", status_code=204)
    async def change_tags(
        self,
        request: Request,
        account: CurrentAccount,
        sandbox: CurrentSandbox,
        list_id: FromPath[str],
        key: FromPath[str],
    ) -> None:
        audience = audience_of(account, list_id)
        member = members.find_member(audience, key, accept_email=False)
        update_tags(audience, member, await json_body(request), now=sandbox.state.now())


def _written(
    request: Request,
    sandbox: CurrentSandbox,
    account: Account,
    audience: Audience,
    write: members.MemberWrite,
) -> Response:
    account.count_write(audience.id, write.member, created=write.created)
    sandbox.publish(account, write.events)
    return shaped(request, member_json(audience, write.member, api_root(request)))


def _filter(candidates: list[Member], request: Request) -> list[Member]:
    params = request.query_params
    status = params.get("status")
    if status is not None and status not in (*MEMBER_STATUSES, "archived"):
        raise field_error(
            "status",
            "Data presented is not one of the accepted values: "
            + ", ".join((*MEMBER_STATUSES, "archived"))
            + ".",
        )
    since = _time_param(params, "since_last_changed")
    before = _time_param(params, "before_last_changed")
    selected = [
        m
        for m in candidates
        if (status is None or m.status == status)
        # Mailchimp compares at whole seconds; "since" includes that second so nothing is missed
        and (since is None or m.last_changed >= since)
        and (before is None or m.last_changed < before)
        and params.get("unique_email_id") in (None, m.unique_email_id)
        and params.get("email_type") in (None, m.email_type)
        and (not query_flag(request, "vip_only") or m.vip)
    ]
    sort_field = params.get("sort_field")
    if sort_field is not None:
        if sort_field not in SORT_FIELDS:
            raise field_error(
                "sort_field",
                "Data presented is not one of the accepted values: " + ", ".join(SORT_FIELDS) + ".",
            )
        selected.sort(
            key=lambda m: _sortable(getattr(m, sort_field)),
            reverse=params.get("sort_dir", "ASC").upper() == "DESC",
        )
    return selected


def _sortable(value: datetime | str | None) -> str:
    return value if isinstance(value, str) else iso(value)


def _time_param(params: MultiDict, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    moment = parse_iso(raw)
    if moment is None:
        raise field_error(name, f"{name} must be an ISO 8601 time, e.g. 2015-10-21T15:41:36+00:00.")
    return moment
