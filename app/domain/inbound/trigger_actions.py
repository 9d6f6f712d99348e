"""Carrying out the trigger rules a product event matched.

- upsert:      the contact is added or updated (contacts service), then the Mailchimp member
               is upserted with `status_if_new` only — never `status` — so nobody who opted
               out is subscribed again; the rule's tags are added through the tags endpoint
- tag / untag: the rule's tags are switched on / off for the member (tags endpoint)
- unsubscribe: the member is unsubscribed in Mailchimp (if it is there and still subscribed)

Every action is safe to run twice (the events page's Retry, a job retried after a failure).
"""

from __future__ import annotations

from typing import Any

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.connections import services as connections
from app.domain.contacts import services as contacts
from app.domain.inbound.outcomes import Outcome, ProcessingFailed
from app.domain.inbound.payloads import at_path
from app.domain.inbound.tables import TriggerAction
from app.domain.inbound.triggers import RuleView, live_rules
from app.domain.preferences import services as preferences
from app.domain.segments import audience_status
from app.domain.segments.members import parse_time
from app.domain.segments.merge_values import ATTRIBUTE_PREFIX, merge_values
from app.domain.segments.services import specs_from
from app.lib.emails import email_problem, normalise_email
from app.lib.errors import InvalidInput
from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import MailchimpError
from app.mailchimp.errors import NotFound as MailchimpNotFound

# Without a segment on the audience, names go to Mailchimp's default merge fields.
DEFAULT_MAPPING = {"FNAME": "first_name", "LNAME": "last_name"}
ALREADY_OUT = ("unsubscribed", "cleaned", "archived")


def _email(rule: RuleView, payload: dict[str, Any]) -> str:
    value = at_path(payload, rule.email_path)
    email = value.strip() if isinstance(value, str) else ""
    if problem := email_problem(email):
        raise ProcessingFailed(f"No usable email at “{rule.email_path}”: {problem}")
    return normalise_email(email)


def _contact_values(rule: RuleView, payload: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for target, path in rule.fields.items():
        value = at_path(payload, path)
        if value is None or isinstance(value, dict | list):
            continue
        if target.startswith(ATTRIBUTE_PREFIX):
            attributes[target[len(ATTRIBUTE_PREFIX) :]] = value
        else:
            values[target] = "" if value is None else str(value)
    if attributes:
        values["attributes"] = attributes
    return values


async def _upsert_contact(principal: Principal, email: str, values: dict[str, Any]) -> dict:
    try:
        found = await contacts.find_live(principal, email=email, external_id=None, exclude_id=None)
        if found:
            return await contacts.update_contact(
                principal, found[0]["id"], values, merge_attributes=True
            )
        return await contacts.create_contact(
            principal, {"email": email, "entity_type": "user", **values}
        )
    except InvalidInput as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in exc.errors.items()) or exc.detail
        raise ProcessingFailed(f"The event's values don't fit a contact: {problems}") from None


async def _merge_fields(principal: Principal, list_id: str, contact: dict) -> tuple[dict, str]:
    """The contact's merge values for the audience (its segment's mapping if it has one) and
    the status a new member gets."""
    segment = await audience_status.segment_for_audience(principal.organisation_id, list_id)
    specs = specs_from(await audiences.merge_fields(principal, list_id))
    mapping = (segment.field_mapping if segment else None) or {
        tag: source for tag, source in DEFAULT_MAPPING.items() if any(s.tag == tag for s in specs)
    }
    values, problems = merge_values(contact, mapping, specs)
    if problems:
        raise ProcessingFailed(
            "Mailchimp would refuse this member: "
            + "; ".join(f"{p.tag}: {p.message}" for p in problems)
        )
    if segment is not None:
        return values, segment.status_if_new
    double_optin = next(
        (a.double_optin for a in await audiences.audiences(principal) if a.id == list_id), False
    )
    return values, "pending" if double_optin else "subscribed"


async def _upsert(
    principal: Principal, client: MailchimpClient, rule: RuleView, payload: dict, email: str
) -> str:
    contact = await _upsert_contact(principal, email, _contact_values(rule, payload))
    merge_fields, status_if_new = await _merge_fields(principal, rule.list_id, contact)
    member = await client.upsert_member(
        rule.list_id, email, status_if_new=status_if_new, merge_fields=merge_fields
    )
    if rule.tags:
        await client.update_member_tags(rule.list_id, email, active=rule.tags)
    await audience_status.record_answer(
        principal.organisation_id,
        rule.list_id,
        email,
        status=member.status,
        contact_id=contact["id"],
        last_changed=parse_time(member.last_changed),
    )
    await audience_status.record_tags(
        principal.organisation_id, rule.list_id, email, active=rule.tags
    )
    tagged = f", tagged {', '.join(rule.tags)}" if rule.tags else ""
    return f"{email} upserted in {rule.list_name} ({member.status}){tagged}"


async def _tags(client: MailchimpClient, principal: Principal, rule: RuleView, email: str) -> str:
    on = rule.action == TriggerAction.tag
    try:
        await client.update_member_tags(
            rule.list_id, email, active=rule.tags if on else (), inactive=() if on else rule.tags
        )
    except MailchimpNotFound:
        raise ProcessingFailed(f"{email} is not a member of {rule.list_name}.") from None
    await audience_status.record_tags(
        principal.organisation_id,
        rule.list_id,
        email,
        active=rule.tags if on else (),
        inactive=() if on else rule.tags,
    )
    return f"{email} {'tagged' if on else 'untagged'} {', '.join(rule.tags)} in {rule.list_name}"


async def _unsubscribe(
    client: MailchimpClient, principal: Principal, rule: RuleView, email: str
) -> str:
    found = await contacts.find_live(principal, email=email, external_id=None, exclude_id=None)
    if found:
        # The product says this person opted out: the ledger records it (source product_event)
        # and pushes the unsubscribe to every other audience that holds them.
        await preferences.set_preference(
            principal, found[0]["id"], status="opted_out", source="product_event"
        )
    try:
        current = await client.get_member(rule.list_id, email)
    except MailchimpNotFound:
        return f"{email} is not in {rule.list_name}: nothing to unsubscribe"
    if current.status in ALREADY_OUT:
        return f"{email} was already {current.status} in {rule.list_name}"
    member = await client.upsert_member(rule.list_id, email, status="unsubscribed")
    await audience_status.record_answer(
        principal.organisation_id,
        rule.list_id,
        email,
        status=member.status,
        contact_id=found[0]["id"] if found else None,
        last_changed=parse_time(member.last_changed),
    )
    return f"{email} unsubscribed from {rule.list_name}"


async def run(principal: Principal, event: dict[str, Any]) -> Outcome:
    """Every rule the event matched, in order; the first failure stops and is reported."""
    rules = await live_rules(principal.organisation_id, list(event["rule_ids"] or []))
    if not rules:
        return Outcome.ignored("The rules it matched were deleted or switched off since.")
    payload = event["payload"]
    done: list[str] = []
    async with await connections.client_for(principal.organisation_id) as client:
        for rule in rules:
            email = _email(rule, payload)
            try:
                if rule.action == TriggerAction.upsert:
                    done.append(await _upsert(principal, client, rule, payload, email))
                elif rule.action == TriggerAction.unsubscribe:
                    done.append(await _unsubscribe(client, principal, rule, email))
                else:
                    done.append(await _tags(client, principal, rule, email))
            except ProcessingFailed as exc:
                raise ProcessingFailed(_so_far(done) + exc.message) from None
            except MailchimpError as exc:
                if exc.retryable:
                    raise
                raise ProcessingFailed(_so_far(done) + f"Mailchimp refused: {exc}") from None
    return Outcome.processed("; ".join(done) + ".")


def _so_far(done: list[str]) -> str:
    return f"Done first: {'; '.join(done)}. Then: " if done else ""
