"""Syncing from the browser: start a run, watch it live (SSE), read runs and their rows."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from datetime import datetime
from functools import lru_cache
from typing import Any

from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.plugins.flash import flash
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Stream, Template

from app.domain.accounts.principal import Principal
from app.domain.segments import runs, services, sync
from app.lib.errors import ListbridgeError
from app.lib.forms import read_form
from app.lib.templating import render

OUTCOMES = ("invalid", "rejected", "removed", "would_remove", "skipped")


def _revive(raw: bytes) -> dict[str, Any]:
    """An event off the channel, with its times as datetimes again (JSON carried them as text)."""
    event = json.loads(raw)
    for name in ("started_at", "finished_at"):
        if isinstance(event.get(name), str):
            event[name] = datetime.fromisoformat(event[name])
    return event


def _segment_status(event: dict[str, Any], current: str) -> str:
    if event["mode"] == "dry_run":
        return current
    return {"queued": "syncing", "running": "syncing", "completed": "synced", "failed": "error"}[
        event["status"]
    ]


@lru_cache(maxsize=256)
def status_fragment(engine: Any, template: str, raw: bytes, current: str) -> tuple[int, str]:
    """(segment id, HTML) for one event off the channel. Every open tab gets the same event:
    rendering it once per process, not once per tab, keeps progress prompt with many watching.
    The partials read only the event, never the request."""
    event = _revive(raw)
    html = engine.get_template(template).render(
        run=event, segment_status=_segment_status(event, current)
    )
    return event["segment_id"], html


class SyncController(Controller):
    path = "/segments"

    @post("/{segment_id:int}/sync", name="segments.sync")
    async def start(
        self, request: Request, principal: Principal, segment_id: int
    ) -> Template | Redirect:
        form = await read_form(request)
        mode = form.get("mode", "incremental")
        # Another organisation's segment is a 404, not a flash that reads as handled.
        await services.get(principal, segment_id)
        try:
            run = await runs.request(principal, segment_id, mode=mode, trigger="manual")
            notice, problem = "", ""
        except ListbridgeError as exc:
            run, notice, problem = await runs.latest(principal, segment_id), "", exc.detail
        if not request.headers.get("hx-request"):
            flash(request, problem or "Sync started.", "error" if problem else "success")
            return Redirect(f"/segments/{segment_id}")
        segment = await services.get(principal, segment_id)
        return Template(
            "segments/_sync_panel.html",
            context={
                "segment": segment,
                "run": runs.summary(run) if run else None,
                "problem": problem,
                "notice": notice,
            },
            status_code=409 if problem else 200,
        )

    @get("/{segment_id:int}/events", name="segments.events")
    async def events(
        self, request: Request, principal: Principal, channels: ChannelsPlugin, segment_id: int
    ) -> ServerSentEvent:
        """Progress of this segment's runs, as the status partial, while the page is open."""
        segment = await services.get(principal, segment_id)

        async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
            async with channels.start_subscription([sync.channel(segment.id)]) as subscriber:
                async for raw in subscriber.iter_events():
                    _, html = status_fragment(
                        request.app.template_engine, "segments/_status.html", raw, segment.status
                    )
                    yield ServerSentEventMessage(data=html, event="status")

        return ServerSentEvent(
            stream(), headers={"cache-control": "no-store", "x-accel-buffering": "no"}
        )

    @get("/events", name="segments.list_events")
    async def list_events(
        self, request: Request, principal: Principal, channels: ChannelsPlugin
    ) -> ServerSentEvent:
        """One stream for the segment list: each row's status cell, named by segment."""

        async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
            channel = sync.organisation_channel(principal.organisation_id)
            async with channels.start_subscription([channel]) as subscriber:
                async for raw in subscriber.iter_events():
                    segment_id, html = status_fragment(
                        request.app.template_engine, "segments/_row_status.html", raw, ""
                    )
                    yield ServerSentEventMessage(data=html, event=f"segment-{segment_id}")

        return ServerSentEvent(
            stream(), headers={"cache-control": "no-store", "x-accel-buffering": "no"}
        )

    @get("/{segment_id:int}/runs", name="segments.runs")
    async def run_history(
        self, request: Request, principal: Principal, segment_id: int, cursor: str | None = None
    ) -> Template:
        segment = await services.get(principal, segment_id)
        page = await runs.history(principal, segment_id, cursor=cursor)
        return render(
            request,
            "segments/runs.html",
            partial="segments/_run_rows.html",
            segment=segment,
            page=page,
        )


class RunController(Controller):
    path = "/runs"

    @get("/{run_id:int}", name="runs.show")
    async def show(
        self,
        request: Request,
        principal: Principal,
        run_id: int,
        outcome: str | None = None,
        cursor: str | None = None,
    ) -> Template:
        run = await runs.get(principal, run_id)
        segment = await services.get(principal, run.segment)
        chosen = outcome if outcome in OUTCOMES else None
        page = await runs.items(principal, run_id, outcome=chosen, cursor=cursor)
        return render(
            request,
            "segments/run.html",
            partial="segments/_item_rows.html",
            run=runs.summary(run),
            segment=segment,
            page=page,
            outcome=chosen,
            outcomes=OUTCOMES,
            counts=await runs.outcome_counts(principal, run_id),
        )

    @get("/{run_id:int}/rejected.csv", name="runs.rejected_csv")
    async def rejected_csv(self, principal: Principal, run_id: int) -> Stream:
        await runs.get(principal, run_id)
        return Stream(
            runs.rejected_csv(principal, run_id),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="run-{run_id}-rejected.csv"'},
        )

    @post("/{run_id:int}/retry-rejected", name="runs.retry_rejected")
    async def retry_rejected(self, request: Request, principal: Principal, run_id: int) -> Redirect:
        await runs.get(principal, run_id)  # another organisation's run: 404
        try:
            new_run = await runs.retry_rejected(principal, run_id)
        except ListbridgeError as exc:
            flash(request, exc.errors.get("run", exc.detail) if exc.errors else exc.detail, "error")
            return Redirect(f"/runs/{run_id}")
        flash(request, "Queued a run for just the rejected rows.", "success")
        return Redirect(f"/segments/{new_run.segment}")


ROUTES = [SyncController, RunController]
