"""The consent ledger: each contact's email preference, every change to it, and the Mailchimp
work a change sets off (one `preference_pushes` row per audience that holds the contact).

Every function takes the caller's `Principal` and scopes every query to its organisation,
except `opted_out_ids`, which the sync engine calls for the organisation it is syncing.
A change and its audit entry commit together; the Mailchimp side follows in a job (push.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import WhereRaw

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.contacts import selection
from app.domain.contacts import services as contacts
from app.domain.preferences.filters import SOURCES, STATUSES, PreferenceFilters, midnight
from app.domain.preferences.tables import (
    ConsentSource,
    EmailPreference,
    PreferenceChange,
    PreferencePush,
    PreferenceStatus,
    PushStatus,
)
from app.domain.segments import holdings
from app.lib import audit, queue
from app.lib.errors import InvalidInput, NotFound
from app.lib.pagination import Page, keyset_page
from app.mailchimp.paths import subscriber_hash

UNFINISHED = (PushStatus.queued, PushStatus.retrying)
PUSH_TIMEOUT = 900  # seconds: a few audiences, each call retried patiently
PUSH_ATTEMPTS = 4
BULK_LIMIT = 500
_PREFERENCE_COLUMNS = (
    EmailPreference.id,
    EmailPreference.contact_id,
    EmailPreference.entity_type,
    EmailPreference.email,
    EmailPreference.status,
    EmailPreference.consent_given_at,
    EmailPreference.consent_withdrawn_at,
    EmailPreference.consent_source,
    EmailPreference.changed_at,
)


def check_choice(status: str | None, source: str | None) -> tuple[str, str]:
    """A status and a consent source, or InvalidInput naming what is wrong."""
    errors = {}
    if status not in STATUSES:
        errors["status"] = "Choose opted_in or opted_out."
    if source not in SOURCES:
        errors["source"] = f"Choose one of: {', '.join(SOURCES)}."
    if errors:
        raise InvalidInput(errors)
    return str(status), str(source)


async def list_preferences(
    principal: Principal,
    filters: PreferenceFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[dict]:
    """Recorded preferences, most recently changed first, each with its contact's name."""
    filters = filters or PreferenceFilters()
    query = EmailPreference.select(*_PREFERENCE_COLUMNS).where(
        EmailPreference.organisation == principal.organisation_id
    )
    if filters.status:
        query = query.where(EmailPreference.status == filters.status)
    if filters.source:
        query = query.where(EmailPreference.consent_source == filters.source)
    if filters.since:
        query = query.where(EmailPreference.changed_at >= midnight(filters.since))
    if filters.until:
        end = midnight(filters.until + datetime.timedelta(days=1))
        query = query.where(EmailPreference.changed_at < end)
    page = await keyset_page(
        query,
        sort=EmailPreference.changed_at,
        id_column=EmailPreference.id,
        descending=True,
        cursor=cursor,
        limit=limit,
    )
    people = await selection.by_ids(
        principal.organisation_id, [row["contact_id"] for row in page.items]
    )
    by_id = {person["id"]: person for person in people}
    items = [{**row, "contact": by_id.get(row["contact_id"])} for row in page.items]
    return Page(items=items, next_cursor=page.next_cursor, limit=page.limit)


async def counts(principal: Principal) -> dict[str, int]:
    """How many contacts have opted in and out."""
    rows = await EmailPreference.raw(
        "SELECT status, COUNT(*) AS n FROM email_preferences WHERE organisation = {} "
        "GROUP BY status",
        principal.organisation_id,
    )
    return {status: 0 for status in STATUSES} | {row["status"]: row["n"] for row in rows}


async def get_preference(principal: Principal, contact_id: int) -> dict | None:
    """The contact's preference, or None when none was ever recorded."""
    return (
        await EmailPreference.select(*_PREFERENCE_COLUMNS)
        .where(
            (EmailPreference.organisation == principal.organisation_id)
            & (EmailPreference.contact_id == contact_id)
        )
        .first()
    )


async def history(principal: Principal, contact_id: int, *, limit: int = 100) -> list[dict]:
    """The contact's changes, newest first, each with what it did in each audience."""
    changes = (
        await PreferenceChange.select(
            PreferenceChange.id,
            PreferenceChange.created_at,
            PreferenceChange.from_status,
            PreferenceChange.to_status,
            PreferenceChange.source,
            PreferenceChange.actor_type,
            PreferenceChange.actor_label,
            PreferenceChange.ip,
        )
        .where(
            (PreferenceChange.organisation == principal.organisation_id)
            & (PreferenceChange.contact_id == contact_id)
        )
        .order_by(PreferenceChange.created_at, PreferenceChange.id, ascending=False)
        .limit(limit)
    )
    pushes = await _pushes(principal.organisation_id, [c["id"] for c in changes])
    return [{**change, "pushes": pushes.get(change["id"], [])} for change in changes]


async def _pushes(organisation_id: int, change_ids: Sequence[int]) -> dict[int, list[dict]]:
    if not change_ids:
        return {}
    rows = (
        await PreferencePush.select(
            PreferencePush.id,
            PreferencePush.change,
            PreferencePush.list_id,
            PreferencePush.list_name,
            PreferencePush.status,
            PreferencePush.member_status,
            PreferencePush.message,
            PreferencePush.attempts,
            PreferencePush.updated_at,
        )
        .where(
            (PreferencePush.organisation == organisation_id)
            & PreferencePush.change.is_in(list(change_ids))
        )
        .order_by(PreferencePush.list_name, PreferencePush.list_id)
    )
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["change"], []).append(row)
    return grouped


def in_progress(history_rows: Iterable[dict]) -> bool:
    """Is Mailchimp still being updated for any change (so the page keeps watching)?"""
    return any(p["status"] in UNFINISHED for c in history_rows for p in c["pushes"])


@dataclass(frozen=True, slots=True)
class Recorded:
    preference: dict
    changed: bool  # False when the contact already had this status: nothing was recorded


async def set_preference(
    principal: Principal, contact_id: int, *, status: str | None, source: str | None
) -> Recorded:
    """Record the contact's choice, with its history and audit entry, and queue the Mailchimp
    side: unsubscribe everywhere we hold them (opt-out), or ask the unsubscribed to confirm
    again (opt-in). Choosing the status the contact already has changes nothing."""
    status, source = check_choice(status, source)
    contact = await contacts.get_contact(principal, contact_id)
    actor = principal.actor
    member_hash = subscriber_hash(contact["email"])
    async with transaction():
        current = (
            await EmailPreference.objects()
            .where(
                (EmailPreference.organisation == principal.organisation_id)
                & (EmailPreference.contact_id == contact_id)
            )
            .first()
        )
        if current is not None and current.status == status:
            return Recorded(await _view(principal, contact_id), changed=False)
        now = utcnow()
        previous = current.status if current is not None else ""
        preference = current or EmailPreference(
            organisation=principal.organisation_id, contact_id=contact_id
        )
        preference.entity_type = contact["entity_type"]
        preference.email = contact["email"]
        preference.status = status
        preference.consent_source = source
        preference.changed_at = now
        if status == PreferenceStatus.opted_in:
            preference.consent_given_at, preference.consent_withdrawn_at = now, None
        else:
            preference.consent_withdrawn_at = now
        await preference.save()
        change = PreferenceChange(
            organisation=principal.organisation_id,
            preference=preference.id,
            contact_id=contact_id,
            from_status=previous,
            to_status=status,
            source=source,
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:255],
            ip=actor.ip,
        )
        await change.save()
        # Older changes still waiting for Mailchimp are overtaken by this one.
        await PreferencePush.update(
            {PreferencePush.status: PushStatus.superseded, PreferencePush.message: ""}
        ).where(
            (PreferencePush.organisation == principal.organisation_id)
            & (PreferencePush.contact_id == contact_id)
            & PreferencePush.status.is_in([*UNFINISHED, PushStatus.failed])
        )
        members = await holdings.holdings(
            principal.organisation_id, hashes=[member_hash], contact_id=contact_id
        )
        if members:
            await PreferencePush.insert(
                *(
                    PreferencePush(
                        organisation=principal.organisation_id,
                        change=change.id,
                        contact_id=contact_id,
                        list_id=member["list_id"],
                        list_name=member["list_name"],
                        subscriber_hash=member["subscriber_hash"],
                    )
                    for member in members
                )
            )
        await audit.record(
            actor,
            organisation_id=principal.organisation_id,
            action=f"preference.{status}",
            entity_type="contact",
            entity_id=contact_id,
            # No address or name: the contact's own entries carry those.
            changes={
                "status": {"from": previous or None, "to": status},
                "source": source,
                "audiences": [member["list_id"] for member in members],
            },
        )
    if members:
        await request_push(principal.organisation_id, contact_id)
    return Recorded(await _view(principal, contact_id), changed=True)


async def _view(principal: Principal, contact_id: int) -> dict:
    preference = await get_preference(principal, contact_id)
    if preference is None:  # pragma: no cover - just written in this request
        raise NotFound("There is no preference for this contact.")
    return preference


async def request_push(organisation_id: int, contact_id: int) -> None:
    """Queue the Mailchimp side of the contact's latest change. One job per contact at a time;
    a job already queued or running picks up the latest change itself (push.py)."""
    await queue.enqueue_after_commit(
        "preference_push",
        key=f"preference-push:{organisation_id}:{contact_id}",
        timeout=PUSH_TIMEOUT,
        retries=PUSH_ATTEMPTS,
        retry_delay=10.0,
        organisation_id=organisation_id,
        contact_id=contact_id,
    )


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    opted_out: int
    already: int
    not_found: int


async def opt_out_many(
    principal: Principal, contact_ids: Sequence[int], *, source: str = ConsentSource.ui
) -> BulkOutcome:
    """Opt several contacts out at once (the contacts list's bulk action); each is recorded
    and audited on its own, as if done one by one."""
    unique = list(dict.fromkeys(contact_ids))
    if not unique:
        raise InvalidInput({"contact_ids": "Select at least one contact."})
    if len(unique) > BULK_LIMIT:
        raise InvalidInput({"contact_ids": f"Select at most {BULK_LIMIT} contacts at a time."})
    done = already = missing = 0
    for contact_id in unique:
        try:
            outcome = await set_preference(
                principal, contact_id, status=PreferenceStatus.opted_out, source=source
            )
        except NotFound:
            missing += 1
            continue
        done += outcome.changed
        already += not outcome.changed
    return BulkOutcome(opted_out=done, already=already, not_found=missing)


async def opted_out_ids(organisation_id: int, contacts: Sequence[Mapping[str, Any]]) -> set[int]:
    """Which of these contacts ({"id", "email"}) the sync engine must never add to an audience:
    those whose own choice is opted_out, and those with no choice of their own whose address
    opted out as another contact (one deleted and added again, say: the person is the same)."""
    if not contacts:
        return set()
    ids = [contact["id"] for contact in contacts]
    emails = sorted({contact["email"].strip().lower() for contact in contacts})
    marks = ", ".join("{}" for _ in emails)
    rows = await EmailPreference.select(
        EmailPreference.contact_id,
        EmailPreference.email,
        EmailPreference.status,
        EmailPreference.changed_at,
    ).where(
        (EmailPreference.organisation == organisation_id)
        & (
            EmailPreference.contact_id.is_in(ids)
            | WhereRaw(f'lower("email_preferences"."email") IN ({marks})', *emails)
        )
    )
    own = {row["contact_id"]: row["status"] for row in rows}
    by_address: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r["changed_at"]):  # the latest choice wins
        by_address[row["email"].strip().lower()] = row["status"]
    out = PreferenceStatus.opted_out
    return {
        contact["id"]
        for contact in contacts
        if own.get(contact["id"], by_address.get(contact["email"].strip().lower())) == out
    }


async def forget(organisation_id: int, contact_ids: Sequence[int]) -> None:
    """Erasure: the preference records of these contacts go, history and pushes included."""
    if not contact_ids:
        return
    ids = list(contact_ids)
    where_org = PreferencePush.organisation == organisation_id
    await PreferencePush.delete().where(where_org & PreferencePush.contact_id.is_in(ids))
    await PreferenceChange.delete().where(
        (PreferenceChange.organisation == organisation_id) & PreferenceChange.contact_id.is_in(ids)
    )
    await EmailPreference.delete().where(
        (EmailPreference.organisation == organisation_id) & EmailPreference.contact_id.is_in(ids)
    )
