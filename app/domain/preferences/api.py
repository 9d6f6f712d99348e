"""`/api/v1/preferences` and `/api/v1/gdpr/erasures`: the consent ledger and erasures as JSON.

Contacts are addressed as `{entity_type}/{entity_id}`: the contact's type (employee, vendor,
user, or `contact` for any) and its id. Another organisation's contact is a 404, like a
missing one. Errors are problem+json.
"""

from __future__ import annotations

from litestar import Controller, Response, get, post

from app.domain.accounts.principal import Principal
from app.domain.contacts import services as contacts
from app.domain.contacts.fields import ENTITY_TYPES
from app.domain.preferences import erasure, services
from app.domain.preferences.filters import PreferenceFilters
from app.domain.preferences.schemas import (
    ChangeOut,
    ErasureIn,
    ErasureOut,
    ErasurePage,
    PreferenceDetail,
    PreferenceIn,
    PreferenceOut,
    PreferencePage,
)
from app.lib.errors import NotFound


async def _contact(principal: Principal, entity_type: str, entity_id: int) -> dict:
    """The live contact these path segments name, or 404."""
    if entity_type != "contact" and entity_type not in ENTITY_TYPES:
        raise NotFound(f"There is no such {entity_type[:30]}.")
    contact = await contacts.get_contact(principal, entity_id)
    if entity_type not in ("contact", contact["entity_type"]):
        raise NotFound(f"There is no such {entity_type}.")
    return contact


async def _detail(principal: Principal, contact: dict, *, changed: bool | None = None):
    preference = await services.get_preference(principal, contact["id"])
    history = await services.history(principal, contact["id"])
    base = PreferenceOut.of(preference, entity_type=contact["entity_type"], entity_id=contact["id"])
    return PreferenceDetail(
        **{name: getattr(base, name) for name in PreferenceOut.__struct_fields__},
        history=[ChangeOut.of(change) for change in history],
        changed=changed,
    )


class PreferenceApi(Controller):
    path = "/preferences"
    tags = ["preferences"]

    @get("/", name="api.preferences")
    async def index(
        self,
        principal: Principal,
        status: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> PreferencePage:
        """Recorded preferences, most recently changed first. Filters: `status` (opted_in,
        opted_out), `source`, and `since`/`until` (UTC dates, both included) on the last change."""
        filters = PreferenceFilters.of(status=status, source=source, since=since, until=until)
        page = await services.list_preferences(principal, filters, cursor=cursor, limit=limit)
        return PreferencePage(
            items=[
                PreferenceOut.of(row, entity_type=row["entity_type"], entity_id=row["contact_id"])
                for row in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @get("/{entity_type:str}/{entity_id:int}", name="api.preferences.get")
    async def show(
        self, principal: Principal, entity_type: str, entity_id: int
    ) -> PreferenceDetail:
        """The contact's preference and its full history."""
        return await _detail(principal, await _contact(principal, entity_type, entity_id))

    @post("/{entity_type:str}/{entity_id:int}", name="api.preferences.set", status_code=200)
    async def set_preference(
        self, principal: Principal, entity_type: str, entity_id: int, data: PreferenceIn
    ) -> PreferenceDetail:
        """Record the contact's choice. Opting out unsubscribes them in every Mailchimp audience
        that holds them (a job: follow `history[0].mailchimp`); opting in makes an unsubscribed
        member `pending`, so Mailchimp asks them to confirm. The same status again changes
        nothing (`changed: false`)."""
        contact = await _contact(principal, entity_type, entity_id)
        recorded = await services.set_preference(
            principal, contact["id"], status=data.status, source=data.source
        )
        return await _detail(principal, contact, changed=recorded.changed)


class ErasureApi(Controller):
    path = "/gdpr/erasures"
    tags = ["gdpr"]

    @get("/", name="api.erasures")
    async def index(
        self, principal: Principal, cursor: str | None = None, limit: int | None = None
    ) -> ErasurePage:
        page = await erasure.list_erasures(principal, cursor=cursor, limit=limit)
        return ErasurePage(
            items=[ErasureOut.of(row) for row in page.items], next_cursor=page.next_cursor
        )

    @post("/", name="api.erasures.create")
    async def create(self, principal: Principal, data: ErasureIn) -> Response[ErasureOut]:
        """Erase a contact (admins and API tokens): 202 with the erasure to follow, or 200 with
        the existing one when this contact's erasure was asked for before. A deleted contact
        can be erased too: its record still holds the person's data."""
        row, created = await erasure.request_erasure(
            principal, data.entity_id, entity_type=data.entity_type
        )
        return Response(
            ErasureOut.of(row),
            status_code=202 if created else 200,
            headers={"location": f"/api/v1/gdpr/erasures/{row['id']}"},
        )

    @get("/{erasure_id:int}", name="api.erasures.get")
    async def show(self, principal: Principal, erasure_id: int) -> ErasureOut:
        return ErasureOut.of(await erasure.get_erasure(principal, erasure_id))

    @post("/{erasure_id:int}/retry", name="api.erasures.retry", status_code=202)
    async def retry(self, principal: Principal, erasure_id: int) -> ErasureOut:
        """Try an incomplete erasure again now (one that is done stays done)."""
        return ErasureOut.of(await erasure.retry(principal, erasure_id))


ROUTES = [PreferenceApi, ErasureApi]
