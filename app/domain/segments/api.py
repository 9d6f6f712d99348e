"""`/api/v1/segments`: segments as JSON (sync runs are in sync_api.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from app.domain.accounts.principal import Principal
from app.domain.segments import services
from app.domain.segments.schemas import SegmentIn, SegmentList, SegmentOut, SegmentPatch
from app.domain.segments.services import SegmentInput
from app.domain.segments.sync_api import RunApi, SegmentSyncApi

_FIELDS = [f for f in SegmentOut.__struct_fields__]


def segment_out(segment: Any) -> SegmentOut:
    data = segment if isinstance(segment, dict) else segment.to_dict()
    return SegmentOut(**{name: data[name] for name in _FIELDS})


class SegmentApi(Controller):
    path = "/segments"
    tags = ["segments"]

    @get("/", name="api.segments")
    async def index(
        self,
        principal: Principal,
        cursor: str | None = None,
        limit: int | None = Parameter(default=None, ge=1, le=200),
    ) -> SegmentList:
        page = await services.list_segments(principal, cursor=cursor, limit=limit)
        return SegmentList(items=[segment_out(s) for s in page.items], next_cursor=page.next_cursor)

    @get("/{segment_id:int}", name="api.segments.show")
    async def show(self, principal: Principal, segment_id: int) -> SegmentOut:
        return segment_out(await services.get(principal, segment_id))

    @post("/", name="api.segments.create", status_code=HTTP_201_CREATED)
    async def create(self, principal: Principal, data: SegmentIn) -> SegmentOut:
        """Create a segment, validated against its audience's merge fields; status: pending."""
        return segment_out(
            await services.create(principal, SegmentInput(**msgspec.structs.asdict(data)))
        )

    @patch("/{segment_id:int}", name="api.segments.update")
    async def update(self, principal: Principal, segment_id: int, data: SegmentPatch) -> SegmentOut:
        current = await services.get(principal, segment_id)
        merged = {name: getattr(current, name) for name in SegmentIn.__struct_fields__} | {
            k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET
        }
        return segment_out(await services.update(principal, segment_id, SegmentInput(**merged)))

    @delete("/{segment_id:int}", name="api.segments.delete", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, principal: Principal, segment_id: int) -> None:
        await services.delete(principal, segment_id)


ROUTES = [SegmentApi, SegmentSyncApi, RunApi]
