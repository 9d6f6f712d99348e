"""Mailchimp's member rules, shared by the API routes, batch subscribe and the control page.

Every function validates completely before it changes anything, so a refused write leaves the
member exactly as it was. Each returns the webhook events the change would make Mailchimp send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.mailchimp.sandbox import webhook_payloads as payloads
from app.mailchimp.sandbox.errors import (
    compliance_state,
    field_error,
    forgotten_email,
    invalid_resource,
    member_exists,
    not_found,
)
from app.mailchimp.sandbox.identity import (
    fake_email_detail,
    looks_fake,
    member_key_to_hash,
    new_id,
    normalise_email,
    subscriber_hash,
)
from app.mailchimp.sandbox.member_tags import add_tag, tag_names
from app.mailchimp.sandbox.merge_fields import validate_merge_values
from app.mailchimp.sandbox.state import MEMBER_STATUSES, Audience, Member
from app.mailchimp.sandbox.webhook_payloads import WebhookEvent

_PROFILE_ATTRS = ("email_type", "language", "vip", "ip_signup", "timestamp_signup", "ip_opt")
SOURCE_LABELS = {"api": "API - Generic", "admin": "Admin Add", "user": "Hosted Signup Form"}


@dataclass
class MemberWrite:
    member: Member
    created: bool
    events: list[WebhookEvent] = field(default_factory=list)


def find_member(audience: Audience, key: str, *, accept_email: bool = True) -> Member:
    """Member paths take the subscriber hash, or (where Mailchimp allows it) the address."""
    if "@" in key and not accept_email:
        raise not_found()
    member = audience.members.get(member_key_to_hash(key))
    if member is None:
        raise not_found()
    return member


def put_member(
    audience: Audience,
    key: str,
    body: Any,
    *,
    now: datetime,
    skip_merge_validation: bool,
    source: str = "api",
) -> MemberWrite:
    """PUT upserts: `status_if_new` applies to a new member; `status` changes an existing one."""
    body = require_object(body)
    target = member_key_to_hash(key)
    member = audience.members.get(target)
    if member is not None and member.status != "archived":
        return update_member(
            audience,
            member,
            body,
            status=body.get("status"),
            now=now,
            skip_merge_validation=skip_merge_validation,
            source=source,
        )
    if member is not None:  # archived: re-added with the status sent
        status = body.get("status") or body.get("status_if_new")
        if status is None:
            raise field_error("status_if_new", "This value should not be blank.")
        return readd_member(
            audience,
            member,
            body,
            status=status,
            now=now,
            skip_merge_validation=skip_merge_validation,
            source=source,
        )
    email = _email_value(body)
    if body.get("status_if_new") is None and body.get("status") is None:
        raise field_error("status_if_new", "This value should not be blank.")
    if subscriber_hash(email) != target:
        raise field_error(
            "email_address", "The email address does not match the subscriber hash in the URL."
        )
    status = body.get("status_if_new") or body.get("status")
    return create_member(
        audience,
        body,
        email=email,
        status=status,
        now=now,
        skip_merge_validation=skip_merge_validation,
        source=source,
    )


def post_member(
    audience: Audience, body: Any, *, now: datetime, skip_merge_validation: bool
) -> MemberWrite:
    """POST /members: create only; an address already on the audience is `Member Exists`."""
    body = require_object(body)
    email = _email_value(body)
    member = audience.members.get(subscriber_hash(email))
    if member is not None and member.status != "archived":
        raise member_exists(email)
    if member is not None:
        return readd_member(
            audience,
            member,
            body,
            status=body.get("status"),
            now=now,
            skip_merge_validation=skip_merge_validation,
        )
    return create_member(
        audience,
        body,
        email=email,
        status=body.get("status"),
        now=now,
        skip_merge_validation=skip_merge_validation,
    )


def patch_member(
    audience: Audience, key: str, body: Any, *, now: datetime, skip_merge_validation: bool
) -> MemberWrite:
    body = require_object(body)
    member = find_member(audience, key)
    return update_member(
        audience,
        member,
        body,
        status=body.get("status"),
        now=now,
        skip_merge_validation=skip_merge_validation,
    )


def create_member(
    audience: Audience,
    body: dict,
    *,
    email: str,
    status: Any,
    now: datetime,
    skip_merge_validation: bool,
    source: str = "api",
) -> MemberWrite:
    _check_new_address(audience, email)
    status = _status_value(status, "status")
    defaults = {f.tag: f.default_value for f in audience.merge_fields if f.default_value}
    values = validate_merge_values(
        audience, body.get("merge_fields"), defaults, skip_required=skip_merge_validation
    )
    tags = tag_names(body.get("tags"))
    member = Member(
        email_address=email.strip(),
        status=status,
        merge_fields=values,
        last_changed=now,
        source=SOURCE_LABELS.get(source, source),
    )
    _apply_profile(member, body)
    for name in tags:
        add_tag(audience, member, name, now)
    audience.members[member.subscriber_hash] = member
    return MemberWrite(member, True, _status_events(audience, member, None, now, source))


def readd_member(
    audience: Audience,
    member: Member,
    body: dict,
    *,
    status: Any,
    now: datetime,
    skip_merge_validation: bool,
    source: str = "api",
) -> MemberWrite:
    """An archived member comes back with the status sent; compliance survives archiving."""
    status = _status_value(status, "status")
    tags = tag_names(body.get("tags"))  # checked before anything changes
    write = update_member(
        audience,
        member,
        body,
        status=status,
        now=now,
        skip_merge_validation=skip_merge_validation,
        source=source,
    )
    for name in tags:
        add_tag(audience, member, name, now)
    write.created = True
    return write


def update_member(
    audience: Audience,
    member: Member,
    body: dict,
    *,
    status: Any,
    now: datetime,
    skip_merge_validation: bool,
    source: str = "api",
) -> MemberWrite:
    # 1. validate everything
    if status is not None:
        status = _status_value(status, "status")
        _check_transition(member, status)
    values = validate_merge_values(
        audience, body.get("merge_fields"), member.merge_fields, skip_required=skip_merge_validation
    )
    new_email = body.get("email_address")
    email_changes = isinstance(new_email, str) and normalise_email(new_email) != normalise_email(
        member.email_address
    )
    if email_changes:
        _check_new_address(audience, new_email)
        if subscriber_hash(new_email) in audience.members:
            raise member_exists(new_email.strip())
    # 2. apply
    events: list[WebhookEvent] = []
    before = (member.merge_fields, tuple(getattr(member, a) for a in _PROFILE_ATTRS))
    if email_changes:
        old_email = member.email_address
        del audience.members[member.subscriber_hash]
        member.email_address = new_email.strip()
        member.unique_email_id = new_id()
        audience.members[member.subscriber_hash] = member
        events.append(
            _event(
                "upemail",
                audience,
                now,
                source,
                payloads.upemail_fields(audience, member, old_email),
            )
        )
    member.merge_fields = values
    _apply_profile(member, body)
    profile_changed = before != (
        member.merge_fields,
        tuple(getattr(member, a) for a in _PROFILE_ATTRS),
    )
    previous = member.status
    if status is not None and status != previous:
        member.status_before_archive = None
        member.status = status
    status_events = _status_events(audience, member, previous, now, source)
    if profile_changed and member.status != "archived" and not _is_subscribe(status_events):
        events.append(
            _event("profile", audience, now, source, payloads.profile_fields(audience, member))
        )
    events.extend(status_events)
    if email_changes or profile_changed or member.status != previous:
        member.last_changed = now
    return MemberWrite(member, False, events)


def subscribe_by_person(
    audience: Audience, email: str, merge_fields: Any, *, now: datetime
) -> MemberWrite:
    """Someone (re)subscribes through the signup form: the one way back from compliance states
    and from permanent deletion, because the person asked for it themselves."""
    target = subscriber_hash(email)
    audience.forgotten.discard(target)
    member = audience.members.get(target)
    if member is None:
        return create_member(
            audience,
            {"merge_fields": merge_fields},
            email=email,
            status="subscribed",
            now=now,
            skip_merge_validation=False,
            source="user",
        )
    values = validate_merge_values(audience, merge_fields, member.merge_fields, skip_required=False)
    previous = member.status
    member.merge_fields = values
    member.status, member.status_before_archive = "subscribed", None
    member.last_changed = now
    return MemberWrite(member, False, _status_events(audience, member, previous, now, "user"))


def archive_member(audience: Audience, key: str, *, now: datetime, source: str = "api") -> list:
    """DELETE member = archive: hidden from the audience, status `archived`, history kept."""
    member = find_member(audience, key)
    if member.status == "archived":
        return []
    events = _removal_events(audience, member, now, source)
    member.status_before_archive = member.status
    member.status = "archived"
    member.last_changed = now
    return events


def delete_permanently(audience: Audience, key: str, *, now: datetime, source: str = "api") -> list:
    """Forget the member; Mailchimp then refuses every attempt to re-import the address."""
    member = find_member(audience, key, accept_email=False)
    events = _removal_events(audience, member, now, source)
    del audience.members[member.subscriber_hash]
    audience.forgotten.add(member.subscriber_hash)
    return events


def require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise invalid_resource("The request body must be a JSON object.")
    return body


# ---------------------------------------------------------------- rules


def _email_value(body: dict) -> str:
    email = body.get("email_address")
    if not isinstance(email, str) or not email.strip():
        raise field_error("email_address", "This value should not be blank.")
    return email


def _check_new_address(audience: Audience, email: str) -> None:
    if looks_fake(email):
        raise invalid_resource(fake_email_detail(email.strip()))
    if subscriber_hash(email) in audience.forgotten:
        raise forgotten_email(email.strip())


def _status_value(status: Any, field_name: str) -> str:
    if status is None:
        raise field_error(field_name, "This value should not be blank.")
    if status not in MEMBER_STATUSES:
        raise field_error(
            field_name,
            "Data presented is not one of the accepted values: " + ", ".join(MEMBER_STATUSES) + ".",
        )
    return status


def _check_transition(member: Member, status: str) -> None:
    """Unsubscribed people may re-opt-in (pending) but not be subscribed; cleaned is final."""
    current = member.status_before_archive if member.status == "archived" else member.status
    if current == status:
        return
    if current == "cleaned" or (current == "unsubscribed" and status == "subscribed"):
        raise compliance_state(member.email_address)


def _apply_profile(member: Member, body: dict) -> None:
    for attr in _PROFILE_ATTRS:
        value = body.get(attr)
        if value is not None:
            setattr(member, attr, bool(value) if attr == "vip" else str(value))


def _event(kind: str, audience: Audience, now: datetime, source: str, fields: list) -> WebhookEvent:
    return WebhookEvent(type=kind, list_id=audience.id, fired_at=now, fields=fields, source=source)


def _is_subscribe(events: list[WebhookEvent]) -> bool:
    return any(e.type == "subscribe" for e in events)


def _status_events(
    audience: Audience, member: Member, previous: str | None, now: datetime, source: str
) -> list[WebhookEvent]:
    """Record the status change on the member and audience; return what webhooks would hear."""
    status = member.status
    if status == previous:
        return []
    if status == "subscribed":
        member.timestamp_opt = now
        member.unsubscribe_reason = ""
        audience.last_sub_date = now
        return [
            _event("subscribe", audience, now, source, payloads.subscribe_fields(audience, member))
        ]
    if status == "unsubscribed":
        audience.last_unsub_date = now
        if previous is None:
            return []  # added as unsubscribed: nobody left
        member.unsubscribe_reason = member.unsubscribe_reason or "N/A (Unsubscribed by the API)"
        return [
            _event(
                "unsubscribe", audience, now, source, payloads.unsubscribe_fields(audience, member)
            )
        ]
    if status == "cleaned" and previous is not None:
        return [_event("cleaned", audience, now, source, payloads.cleaned_fields(audience, member))]
    return []


def _removal_events(audience: Audience, member: Member, now: datetime, source: str) -> list:
    if member.status != "subscribed":
        return []
    return [
        _event(
            "unsubscribe",
            audience,
            now,
            source,
            payloads.unsubscribe_fields(audience, member, action="delete"),
        )
    ]
