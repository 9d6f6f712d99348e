"""`/api/v1/segments/{id}/sync`, `/api/v1/segments/{id}/runs`, `/api/v1/runs/...`."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_202_ACCEPTED

from app.domain.accounts.principal import Principal
from app.domain.segments import runs


class SyncIn(msgspec.Struct, forbid_unknown_fields=True):
    mode: str = "incremental"


class SyncAccepted(msgspec.Struct):
    run_id: int


class RunOut(msgspec.Struct):
    id: int
    segment_id: int
    status: str  # queued | running | completed | failed
    mode: str
    trigger: str
    selected: int
    created: int
    updated: int
    unchanged: int
    removed: int
    invalid: int
    rejected: int
    expected: int
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunList(msgspec.Struct):
    items: list[RunOut]
    next_cursor: str | None


class ItemOut(msgspec.Struct):
    id: int
    contact_id: int | None
    email: str
    outcome: str
    error_code: str
    message: str


class ItemList(msgspec.Struct):
    items: list[ItemOut]
    next_cursor: str | None


def run_out(run) -> RunOut:
    data = run if isinstance(run, dict) else run.to_dict()
    fields = {name: data[name] for name in RunOut.__struct_fields__ if name in data}
    return RunOut(segment_id=data["segment"], **fields)


class SegmentSyncApi(Controller):
    path = "/segments/{segment_id:int}"
    tags = ["sync"]

    @post("/sync", name="api.segments.sync", status_code=HTTP_202_ACCEPTED)
    async def start(self, principal: Principal, segment_id: int, data: SyncIn) -> SyncAccepted:
        """Queue a run: `incremental` (default, only changes), `full` (everyone) or `dry_run`.
        409 while another run of the segment is queued or running."""
        run = await runs.request(principal, segment_id, mode=data.mode, trigger="api")
        return SyncAccepted(run_id=run.id)

    @get("/runs", name="api.segments.runs")
    async def history(
        self,
        principal: Principal,
        segment_id: int,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, le=200),
    ) -> RunList:
        page = await runs.history(principal, segment_id, cursor=cursor, limit=limit)
        return RunList(items=[run_out(r) for r in page.items], next_cursor=page.next_cursor)


class RunApi(Controller):
    path = "/runs"
    tags = ["sync"]

    @get("/{run_id:int}", name="api.runs.show")
    async def show(self, principal: Principal, run_id: int) -> RunOut:
        return run_out(await runs.get(principal, run_id))

    @get("/{run_id:int}/items", name="api.runs.items")
    async def items(
        self,
        principal: Principal,
        run_id: int,
        outcome: str | None = None,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, le=200),
    ) -> ItemList:
        """The run's rows that were not a plain success, optionally of one `outcome`."""
        page = await runs.items(principal, run_id, outcome=outcome, cursor=cursor, limit=limit)
        return ItemList(
            items=[ItemOut(**{k: row[k] for k in ItemOut.__struct_fields__}) for row in page.items],
            next_cursor=page.next_cursor,
        )
