"""Shared steps for sync tests: a connected organisation, a segment, a run to completion."""

from __future__ import annotations

from typing import Any

from app.domain.segments import runs, services
from app.domain.segments.services import SegmentInput
from app.domain.segments.tables import SyncRun
from app.mailchimp.sandbox import Sandbox
from tests.factories import Member, make_organisation
from tests.fixtures.app import wait_until
from tests.mailchimp_factories import connect

AUDIENCE = "e1e1e1e1e1"
FIELDS = [
    {"tag": "DEPT", "name": "Department", "type": "text"},
    {
        "tag": "START",
        "name": "Start date",
        "type": "date",
        "options": {"date_format": "YYYY-MM-DD"},
    },
]


async def connected(
    sandbox: Sandbox, *, fields: list[dict] | None = None, double_optin: bool = False
):
    owner = await make_organisation()
    key, account = await connect(
        owner,
        sandbox,
        audiences=[
            {
                "id": AUDIENCE,
                "name": "Staff",
                "merge_fields": fields or FIELDS,
                "double_optin": double_optin,
            }
        ],
    )
    return owner, key, account


async def make_segment(owner: Member, **overrides: Any):
    data = SegmentInput(
        name=overrides.pop("name", "All staff"),
        list_id=overrides.pop("list_id", AUDIENCE),
        segment_type=overrides.pop("segment_type", "employee"),
        field_mapping=overrides.pop(
            "field_mapping", {"FNAME": "first_name", "LNAME": "last_name", "DEPT": "department"}
        ),
        **overrides,
    )
    return await services.create(owner.principal, data)


async def sync(
    owner: Member, segment_id: int, mode: str = "incremental", *, timeout: float = 60
) -> SyncRun:
    run = await runs.request(owner.principal, segment_id, mode=mode)

    async def finished():
        current = await runs.get(owner.principal, run.id)
        return current if current.status in ("completed", "failed") else None

    return await wait_until(finished, timeout=timeout, interval=0.05)


def audience(account, list_id: str = AUDIENCE) -> dict[str, Any]:
    """The sandbox audience as {email: member}, archived members included."""
    return {m.email_address: m for m in account.audiences[list_id].members.values()}


def writes(sandbox: Sandbox, key: str) -> dict[str, int]:
    return {w["email_address"]: w["created"] + w["updated"] for w in sandbox.write_counts(key)}


async def sync_run_of(client, segment_id: int, mode: str = "incremental") -> SyncRun:
    """Press a segment's sync button as a signed-in person would, and wait for the run."""
    from tests.factories import post_form

    response = await post_form(client, f"/segments/{segment_id}/sync", {"mode": mode})
    assert response.status_code == 302, response.text

    async def finished():
        run = (
            await SyncRun.objects()
            .where(SyncRun.segment == segment_id)
            .order_by(SyncRun.id, ascending=False)
            .first()
        )
        return run if run and run.status in ("completed", "failed") else None

    return await wait_until(finished, timeout=60)
