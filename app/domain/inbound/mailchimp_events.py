"""What each Mailchimp webhook event changes here.

- unsubscribe → the member's status (archived when Mailchimp says the member was deleted)
- cleaned     → status cleaned, and the contact is flagged unreachable
- subscribe   → status subscribed, and the contact is reachable again
- profile     → the merge fields are kept with the event; contact fields follow them only
                where the audience's segment maps that merge field from that contact field
- upemail     → our member row and the contact's email follow the new address
- campaign    → the tracked campaign is refreshed

Status changes carry Mailchimp's `fired_at`; one older than what we hold is ignored, so late
or repeated deliveries never undo a newer change.
"""

from __future__ import annotations

from typing import Any

from app.domain.accounts.principal import Principal
from app.domain.campaigns import refresh as campaign_refresh
from app.domain.campaigns import services as campaigns
from app.domain.campaigns.tables import SnapshotTrigger
from app.domain.contacts import services as contacts
from app.domain.inbound.outcomes import Outcome, ProcessingFailed
from app.domain.inbound.payloads import parse_fired_at
from app.domain.preferences import services as preferences
from app.domain.segments import audience_status
from app.domain.segments.merge_values import ATTRIBUTE_PREFIX
from app.lib.errors import InvalidInput, NotFound

# Contact fields Mailchimp may change through a profile edit (never the type or external ID).
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "department",
    "location",
    "employment_type",
    "employment_status",
    "company",
    "phone",
)
STALE = "Older than the status we already hold for this member: nothing changed."


async def contact_for(principal: Principal, list_id: str, email: str) -> dict[str, Any] | None:
    """The contact behind an audience member: the one we synced it from, else by address."""
    row = await audience_status.member(principal.organisation_id, list_id, email)
    if row is not None and row["contact_id"] is not None:
        try:
            return await contacts.get_contact(principal, row["contact_id"])
        except NotFound:
            pass
    found = await contacts.find_live(principal, email=email, external_id=None, exclude_id=None)
    return found[0] if found else None


def _who(contact: dict[str, Any] | None, email: str) -> str:
    return f"contact #{contact['id']} ({email})" if contact else f"{email} (no contact here)"


async def _status_change(
    principal: Principal, event: dict[str, Any], status: str
) -> tuple[bool, dict[str, Any] | None, str]:
    data = event["payload"]["data"]
    email = data["email"].strip()
    contact = await contact_for(principal, event["list_id"], email)
    applied = await audience_status.apply_status(
        principal.organisation_id,
        event["list_id"],
        email,
        status,
        changed_at=parse_fired_at(event["payload"]["fired_at"]),
        contact_id=contact["id"] if contact else None,
    )
    return applied, contact, email


async def unsubscribe(principal: Principal, event: dict[str, Any]) -> Outcome:
    data = event["payload"]["data"]
    deleted = data.get("action") == "delete"
    applied, contact, email = await _status_change(
        principal, event, "archived" if deleted else "unsubscribed"
    )
    if not applied:
        return Outcome.ignored(STALE)
    how = "deleted from the audience (archived)" if deleted else "unsubscribed"
    reason = f", reason “{data['reason']}”" if data.get("reason") else ""
    recorded = ""
    if contact is not None and not deleted:
        # Unsubscribing is the person withdrawing consent: the ledger records it, and the other
        # audiences that hold them follow (an admin deleting a member withdraws nothing).
        await preferences.set_preference(
            principal, contact["id"], status="opted_out", source="mailchimp_webhook"
        )
        recorded = "; their email preference is now opted out"
    return Outcome.processed(f"{_who(contact, email)} {how}{reason}{recorded}.")


async def cleaned(principal: Principal, event: dict[str, Any]) -> Outcome:
    reason = str(event["payload"]["data"].get("reason") or "hard")
    applied, contact, email = await _status_change(principal, event, "cleaned")
    if not applied:
        return Outcome.ignored(STALE)
    flagged = ""
    if contact is not None:
        words = "a hard bounce" if reason == "hard" else f"“{reason}”"
        await contacts.mark_unreachable(
            principal, contact["id"], reason=f"Mailchimp cleaned the address ({words})."
        )
        flagged = "; the contact is flagged unreachable"
    return Outcome.processed(f"{_who(contact, email)} cleaned by Mailchimp ({reason}){flagged}.")


async def subscribe(principal: Principal, event: dict[str, Any]) -> Outcome:
    applied, contact, email = await _status_change(principal, event, "subscribed")
    if not applied:
        return Outcome.ignored(STALE)
    if contact is not None:
        await contacts.mark_reachable(principal, contact["id"])
    return Outcome.processed(f"{_who(contact, email)} subscribed.")


def _profile_changes(
    merges: dict[str, Any], mapping: dict[str, str], sent: dict[str, Any]
) -> dict[str, Any]:
    """Contact values from the merge fields, only through the segment's own mapping, and only
    those changed in Mailchimp: Mailchimp sends every merge field, so one still holding what we
    last sent would otherwise undo an edit made here since that sync."""
    changes: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for tag, source in mapping.items():
        value = merges.get(tag)
        if not isinstance(value, str):
            continue  # absent, or an address (several parts): no single contact field takes it
        if tag in sent and _same(sent[tag], value):
            continue  # as we sent it: the contact's own value is the newer one
        if tag not in sent and not value.strip():
            continue  # a field we never filled, still empty: nothing the person changed
        if source in PROFILE_FIELDS:
            changes[source] = value
        elif source.startswith(ATTRIBUTE_PREFIX):
            attributes[source[len(ATTRIBUTE_PREFIX) :]] = value
    if attributes:
        changes["attributes"] = attributes
    return changes


def _same(sent: Any, received: str) -> bool:
    """Mailchimp echoes what we sent as text (numbers too); compare as it would show them."""
    return ("" if sent is None else str(sent)).strip() == received.strip()


async def profile(principal: Principal, event: dict[str, Any]) -> Outcome:
    data = event["payload"]["data"]
    email = data["email"].strip()
    fired_at = parse_fired_at(event["payload"]["fired_at"])
    known = await audience_status.member(principal.organisation_id, event["list_id"], email)
    if known and known["last_changed"] is not None and known["last_changed"] > fired_at:
        return Outcome.ignored("Older than what we already hold for this member: nothing changed.")
    merges = data.get("merges") if isinstance(data.get("merges"), dict) else {}
    segment = await audience_status.segment_for_audience(
        principal.organisation_id, event["list_id"]
    )
    contact = await contact_for(principal, event["list_id"], email)
    if contact is None:
        return Outcome.processed(f"Merge fields recorded for {email}; no contact here has it.")
    mapping = (segment.field_mapping if segment else None) or {}
    changes = _profile_changes(merges, mapping, (known or {}).get("merge_fields") or {})
    if not changes:
        return Outcome.processed(
            f"Merge fields recorded for {_who(contact, email)}; none the segment maps from a "
            "contact field changed in Mailchimp, so the contact is unchanged."
        )
    try:
        after = await contacts.update_contact(
            principal, contact["id"], changes, merge_attributes=True
        )
    except InvalidInput as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        raise ProcessingFailed(f"Mailchimp's values don't fit the contact: {problems}") from None
    if known:
        # Mailchimp holds these values now: later profile events compare with them.
        sent = known.get("merge_fields") or {}
        held = {tag: merges[tag] for tag in sent if isinstance(merges.get(tag), str)}
        await audience_status.remember_merge_fields(known["id"], {**sent, **held})
    changed = [k for k in changes if k == "attributes" or contact.get(k) != after.get(k)]
    names = ", ".join(k.replace("_", " ") for k in changed) or "nothing new"
    return Outcome.processed(f"{_who(contact, email)} updated from Mailchimp: {names}.")


async def upemail(principal: Principal, event: dict[str, Any]) -> Outcome:
    data = event["payload"]["data"]
    old, new = data["old_email"].strip(), data["new_email"].strip()
    contact = await contact_for(principal, event["list_id"], old)
    await audience_status.change_email(
        principal.organisation_id,
        event["list_id"],
        old,
        new,
        changed_at=parse_fired_at(event["payload"]["fired_at"]),
    )
    if contact is None:
        return Outcome.processed(f"Member {old} is now {new}; no contact here had {old}.")
    if contact["email"].lower() == new.lower():
        return Outcome.processed(f"Contact #{contact['id']} already has {new}.")
    try:
        await contacts.update_contact(principal, contact["id"], {"email": new})
    except InvalidInput as exc:
        raise ProcessingFailed(
            f"Contact #{contact['id']} could not take {new}: "
            + "; ".join(exc.errors.values() or [exc.detail])
        ) from None
    return Outcome.processed(f"Contact #{contact['id']}'s email changed from {old} to {new}.")


async def campaign(principal: Principal, event: dict[str, Any]) -> Outcome:
    data = event["payload"]["data"]
    campaign_id = data["id"].strip()
    tracked = await campaigns.tracked_ids(principal, [campaign_id])
    if not tracked:
        return Outcome.ignored(f"Campaign {campaign_id} is not tracked here.")
    try:
        refreshed = await campaign_refresh.refresh_campaign(
            principal.organisation_id,
            tracked[campaign_id],
            actor=principal.actor,
            trigger=SnapshotTrigger.webhook,
            interactive=False,
        )
    except campaign_refresh.RefreshFailed as exc:
        raise ProcessingFailed(f"Refreshing campaign {campaign_id} failed: {exc.detail}") from None
    return Outcome.processed(
        f"Campaign “{refreshed.name}” refreshed ({data.get('status') or refreshed.status})."
    )


HANDLERS = {
    "unsubscribe": unsubscribe,
    "cleaned": cleaned,
    "subscribe": subscribe,
    "profile": profile,
    "upemail": upemail,
    "campaign": campaign,
}
