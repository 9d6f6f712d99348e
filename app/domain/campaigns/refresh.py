"""Refreshing a tracked campaign: the one code path for the button, the API and the cron.

A refresh reads the campaign from Mailchimp, then in one transaction updates the row, appends a
snapshot and (per the audit policy below) writes an audit row. A failure is recorded on the row
(`last_error`, `last_error_code`, `last_error_at`) and raised as `RefreshFailed`; a later
success clears it.

Audit policy: refreshes someone asked for (button, API) are always audited. A scheduled refresh
is audited only when something a person would notice changes — the campaign's status, or its
error state (a new failure, or recovery). Routine figure updates from the cron would otherwise
write four audit rows a day per campaign; the snapshot table, one row per refresh with its
time and trigger, is their record.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import Any

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.campaigns import services
from app.domain.campaigns.figures import NOT_CONNECTED, Figures, RefreshProblem, explain
from app.domain.campaigns.figures import read_figures as read_from_mailchimp
from app.domain.campaigns.schedule import SENT_FOLLOW_UP, TERMINAL_STATUSES
from app.domain.campaigns.tables import CampaignTracking, SnapshotTrigger
from app.domain.connections import services as connections
from app.lib import audit
from app.lib.audit import Actor
from app.lib.errors import ListbridgeError, NotFound, UpstreamUnavailable
from app.mailchimp.errors import MailchimpError

# Seconds a refresh may take, retries included. A person waits on the button; the cron's
# patient client may pause up to 120 s on 429s, and must still finish inside its job timeout.
INTERACTIVE_DEADLINE = 30
SCHEDULED_DEADLINE = 180


class RefreshFailed(ListbridgeError):
    """Mailchimp couldn't give us the figures; the reason is already recorded on the campaign."""

    status_code = 502
    title = "Refresh failed"

    def __init__(self, problem: RefreshProblem, campaign: services.CampaignView) -> None:
        super().__init__(problem.message)
        self.code = problem.code
        self.campaign = campaign
        if problem.code == NOT_CONNECTED.code:
            self.status_code = 409  # nothing upstream failed: there is no connection


async def refresh(
    principal: Principal, tracking_id: int, *, trigger: SnapshotTrigger
) -> services.CampaignView:
    """A refresh someone asked for (the button or the API), answered while they wait."""
    return await refresh_campaign(
        principal.organisation_id,
        tracking_id,
        actor=principal.actor,
        trigger=trigger,
        interactive=True,
    )


async def refresh_campaign(
    organisation_id: int,
    tracking_id: int,
    *,
    actor: Actor,
    trigger: SnapshotTrigger,
    interactive: bool,
) -> services.CampaignView:
    """Refresh one of the organisation's campaigns. Raises NotFound or RefreshFailed."""
    row = await services.live_row(organisation_id, tracking_id)
    if row is None:
        raise NotFound(services.GONE)
    deadline = INTERACTIVE_DEADLINE if interactive else SCHEDULED_DEADLINE
    problem: RefreshProblem | None = None
    try:
        async with asyncio.timeout(deadline):
            client = await connections.client_for(organisation_id, interactive=interactive)
            async with client:
                figures = await read_from_mailchimp(client, row.campaign_id)
    except NotFound:
        problem = NOT_CONNECTED
    except UpstreamUnavailable as exc:  # stored credentials can't be decrypted
        problem = RefreshProblem("credentials_unreadable", exc.detail)
    except (MailchimpError, TimeoutError) as exc:
        problem = explain(exc)
    if problem is not None:
        failed = await _record_failure(organisation_id, tracking_id, problem, actor, trigger)
        raise RefreshFailed(problem, failed)
    return await _record_success(organisation_id, tracking_id, figures, actor, trigger)


def _audited(trigger: SnapshotTrigger, *, status_changed: bool, error_changed: bool) -> bool:
    if trigger != SnapshotTrigger.scheduled:
        return True
    return status_changed or error_changed


async def _record_success(
    organisation_id: int,
    tracking_id: int,
    figures: Figures,
    actor: Actor,
    trigger: SnapshotTrigger,
) -> services.CampaignView:
    async with transaction():
        row = await services.live_row(organisation_id, tracking_id)
        if row is None:  # untracked while Mailchimp was answering
            raise NotFound(services.GONE)
        before_status, recovered_from = row.status, row.last_error_code
        now = utcnow()
        for column, value in services.apply_figures(figures).items():
            setattr(row, column, value)
        row.last_refreshed_at = now
        row.last_error, row.last_error_code, row.last_error_at = "", "", None
        await row.save()
        await services.add_snapshot(row, figures, taken_at=now, trigger=trigger)
        status_changed = before_status != figures.status
        if _audited(trigger, status_changed=status_changed, error_changed=bool(recovered_from)):
            changes: dict[str, Any] = {"trigger": trigger.value, **figures.counts()}
            if status_changed:
                changes["status"] = {"from": before_status, "to": figures.status}
            if recovered_from:
                changes["recovered_from"] = recovered_from
            await audit.record(
                actor,
                organisation_id=organisation_id,
                action="campaign.refreshed",
                entity_type=services.ENTITY,
                entity_id=row.id,
                changes=changes,
            )
    return services.view(row.to_dict())


async def _record_failure(
    organisation_id: int,
    tracking_id: int,
    problem: RefreshProblem,
    actor: Actor,
    trigger: SnapshotTrigger,
) -> services.CampaignView:
    async with transaction():
        row = await services.live_row(organisation_id, tracking_id)
        if row is None:
            raise NotFound(services.GONE)
        previous = row.last_error_code
        row.last_error, row.last_error_code = problem.message, problem.code
        row.last_error_at = utcnow()
        await row.save(
            [
                CampaignTracking.last_error,
                CampaignTracking.last_error_code,
                CampaignTracking.last_error_at,
            ]
        )
        if _audited(trigger, status_changed=False, error_changed=previous != problem.code):
            await audit.record(
                actor,
                organisation_id=organisation_id,
                action="campaign.refresh_failed",
                entity_type=services.ENTITY,
                entity_id=row.id,
                changes={"trigger": trigger.value, "error": problem.code},
            )
    return services.view(row.to_dict())


async def due_for_refresh(now: datetime | None = None) -> dict[int, list[int]]:
    """Every organisation's campaigns the cron refreshes now: {organisation_id: [tracking ids]}.

    Live rows of live organisations that still have a Mailchimp connection, whose campaign is
    neither cancelled nor archived, and — when sent — was sent less than 30 days ago.
    """
    now = now or utcnow()
    rows = (
        await CampaignTracking.select(CampaignTracking.id, CampaignTracking.organisation)
        .where(
            CampaignTracking.soft_deleted_at.is_null()
            & CampaignTracking.organisation.soft_deleted_at.is_null()
            & CampaignTracking.status.not_in(list(TERMINAL_STATUSES))
            & (
                (CampaignTracking.status != "sent")
                | CampaignTracking.send_time.is_null()
                | (CampaignTracking.send_time > now - SENT_FOLLOW_UP)
            )
        )
        .order_by(CampaignTracking.organisation, CampaignTracking.id)
    )
    due: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        due[row["organisation"]].append(row["id"])
    return {
        organisation_id: ids
        for organisation_id, ids in due.items()
        if await connections.live_connection(organisation_id) is not None
    }
