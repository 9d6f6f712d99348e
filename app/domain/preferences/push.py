"""The Mailchimp side of a preference change, one audience at a time.

Opt-out: a member who is subscribed (or pending, or transactional) becomes `unsubscribed`; one
already unsubscribed, cleaned or archived is left as they are — Mailchimp emails them nothing.
Opt-in: a member who had unsubscribed becomes `pending`, so Mailchimp asks them to confirm;
never `subscribed`, which Mailchimp refuses for an unsubscribed address and which would skip
the person's own confirmation. Where the member does not exist, the next sync adds them.
Each member is read first: their status decides, and a missing member is never created.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.domain.connections import services as connections
from app.domain.preferences.tables import (
    PreferenceChange,
    PreferencePush,
    PreferenceStatus,
    PushStatus,
)
from app.domain.segments import holdings
from app.lib.errors import ListbridgeError
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import BadRequest, MailchimpError
from app.mailchimp.errors import NotFound as MailchimpNotFound

logger = logging.getLogger(__name__)

MAX_ROUNDS = 5
WAITING = (PushStatus.queued, PushStatus.retrying)
NOT_CONNECTED = "Mailchimp isn't connected, so this waits until it is connected again."
# What we do per (change, member status): the status to set, or None to leave them, and why.
PLAN: dict[str, dict[str, tuple[str | None, str]]] = {
    PreferenceStatus.opted_out: {
        "subscribed": ("unsubscribed", "Unsubscribed."),
        "pending": ("unsubscribed", "Unsubscribed before confirming."),
        "transactional": ("unsubscribed", "Unsubscribed."),
        "unsubscribed": (None, "Already unsubscribed."),
        "cleaned": (None, "Cleaned (the address bounced): Mailchimp sends it nothing."),
        "archived": (None, "Archived: Mailchimp sends it nothing."),
    },
    PreferenceStatus.opted_in: {
        "unsubscribed": ("pending", "Mailchimp emailed them to confirm (pending)."),
        "subscribed": (None, "Already subscribed."),
        "pending": (None, "Already asked to confirm (pending)."),
        "transactional": (None, "Transactional only: left as it is."),
        "cleaned": (None, "Cleaned (the address bounced): left as it is."),
        "archived": (None, "Archived in this audience: left as it is."),
    },
}
NOT_HELD = {
    PreferenceStatus.opted_out: "Not in this audience any more.",
    PreferenceStatus.opted_in: "Not in this audience: the next sync adds them.",
}


class PushInterrupted(Exception):
    """Mailchimp could not be reached for some audiences: the job is tried again."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: PushStatus
    message: str
    member_status: str = ""


async def push_contact(
    organisation_id: int, contact_id: int, *, final_attempt: bool
) -> dict[str, Any]:
    """Carry out the contact's latest change in every audience still waiting for it. A change
    made meanwhile is picked up before leaving, so one job per contact is enough."""
    handled, interrupted, last_seen = 0, False, 0
    for _ in range(MAX_ROUNDS):
        change = await _latest_change(organisation_id, contact_id)
        if change is None or change["id"] == last_seen:
            break
        last_seen = change["id"]
        rows = await PreferencePush.objects().where(
            (PreferencePush.change == change["id"]) & PreferencePush.status.is_in(list(WAITING))
        )
        if rows:
            interrupted = await _push_change(organisation_id, change, rows) or interrupted
            handled += len(rows)
    if interrupted and not final_attempt:
        raise PushInterrupted("Mailchimp could not be reached for every audience.")
    return {"contact_id": contact_id, "audiences": handled, "interrupted": interrupted}


async def _latest_change(organisation_id: int, contact_id: int) -> dict | None:
    return (
        await PreferenceChange.select(PreferenceChange.id, PreferenceChange.to_status)
        .where(
            (PreferenceChange.organisation == organisation_id)
            & (PreferenceChange.contact_id == contact_id)
        )
        .order_by(PreferenceChange.id, ascending=False)
        .first()
    )


async def _push_change(organisation_id: int, change: dict, rows: list[PreferencePush]) -> bool:
    """Returns True when some audience has to be tried again."""
    try:
        client = await connections.client_for(organisation_id)
    except ListbridgeError:
        for row in rows:
            await _save(row, Outcome(PushStatus.retrying, NOT_CONNECTED))
        return True
    interrupted = False
    async with client:
        for row in rows:
            latest = await _latest_change(organisation_id, row.contact_id)
            if latest is None or latest["id"] != change["id"]:
                return interrupted  # a newer change took over; its own pushes follow
            outcome = await _push_one(client, change["to_status"], row)
            await _save(row, outcome)
            if outcome.member_status:
                await holdings.set_status(
                    organisation_id, row.list_id, row.subscriber_hash, outcome.member_status
                )
            interrupted = interrupted or outcome.status is PushStatus.retrying
    return interrupted


async def _push_one(client: MailchimpClient, wanted: str, row: PreferencePush) -> Outcome:
    try:
        try:
            member = await client.get_member(row.list_id, row.subscriber_hash)
        except MailchimpNotFound:
            return Outcome(PushStatus.done, NOT_HELD[wanted])
        new_status, message = PLAN[wanted].get(member.status, (None, "Left as it is."))
        if new_status is None:
            return Outcome(PushStatus.done, message, member.status)
        updated = await client.upsert_member(row.list_id, member.email_address, status=new_status)
        return Outcome(PushStatus.done, message, updated.status or new_status)
    except BadRequest as exc:
        # Mailchimp refused this member: asking again will not help. Its words, without the
        # address it may quote, are the class's own message.
        return Outcome(PushStatus.failed, type(exc).default_user_message)
    except MailchimpError as exc:
        logger.info(
            "preference push interrupted", extra={"list_id": row.list_id, "error": exc.title}
        )
        return Outcome(PushStatus.retrying, f"{type(exc).default_user_message} Trying again.")


async def _save(row: PreferencePush, outcome: Outcome) -> None:
    row.status = outcome.status
    row.message = outcome.message
    if outcome.member_status:
        row.member_status = outcome.member_status
    row.attempts += 1
    await row.save(
        [
            PreferencePush.status,
            PreferencePush.message,
            PreferencePush.member_status,
            PreferencePush.attempts,
        ]
    )
