"""`/api/v1/connection` and `/api/v1/audiences`: the Mailchimp connection as JSON."""

from __future__ import annotations

from dataclasses import asdict

from litestar import Controller, delete, get, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences, services
from app.domain.connections.schemas import (
    AudienceList,
    AudienceOut,
    ConnectIn,
    ConnectionOut,
    MergeFieldList,
    MergeFieldOut,
)


def _out(view: services.ConnectionView) -> ConnectionOut:
    return ConnectionOut(**asdict(view))


class ConnectionApi(Controller):
    path = "/connection"
    tags = ["mailchimp"]

    @get("/", name="api.connection")
    async def show(self, principal: Principal) -> ConnectionOut | None:
        """The organisation's Mailchimp connection, or null. Never includes the secret."""
        view = await services.current(principal)
        return _out(view) if view else None

    @post("/", name="api.connection.create", status_code=HTTP_201_CREATED)
    async def create(self, principal: Principal, data: ConnectIn) -> ConnectionOut:
        """Connect with an API key (`<key>-us<N>`), verified live; replaces any connection."""
        return _out(await services.connect_api_key(principal, api_key=data.api_key))

    @delete("/", name="api.connection.delete", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, principal: Principal) -> None:
        """Disconnect: removes our webhooks, wipes the secret; segments and history stay."""
        await services.disconnect(principal)


class AudienceApi(Controller):
    path = "/audiences"
    tags = ["mailchimp"]

    @get("/", name="api.audiences")
    async def index(self, principal: Principal, refresh: bool = False) -> AudienceList:
        """The connected account's audiences (all of them), cached for five minutes."""
        found = await audiences.audiences(principal, refresh=refresh)
        return AudienceList(items=[AudienceOut(**asdict(a)) for a in found])

    @get("/{list_id:str}/merge-fields", name="api.audiences.merge_fields")
    async def merge_fields(
        self, principal: Principal, list_id: str, refresh: bool = False
    ) -> MergeFieldList:
        found = await audiences.merge_fields(principal, list_id, refresh=refresh)
        return MergeFieldList(
            items=[MergeFieldOut(**{**asdict(f), "choices": list(f.choices)}) for f in found]
        )


ROUTES = [ConnectionApi, AudienceApi]
