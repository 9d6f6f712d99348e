"""Batch subscribe (`POST /lists/{list_id}`): up to 500 members, 200 with per-member errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.mailchimp.sandbox.errors import ApiProblem, field_error, invalid_resource
from app.mailchimp.sandbox.identity import subscriber_hash
from app.mailchimp.sandbox.member_tags import add_tags, replace_tags, tag_names
from app.mailchimp.sandbox.members import (
    MemberWrite,
    create_member,
    readd_member,
    require_object,
    update_member,
)
from app.mailchimp.sandbox.state import Audience

MAX_BATCH_MEMBERS = 500


@dataclass
class BatchOutcome:
    new: list[MemberWrite] = field(default_factory=list)
    updated: list[MemberWrite] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


def contact_exists(email: str) -> dict[str, str]:
    return _error(
        email,
        f"{email} is already a list member, do you want to update? "
        "please provide update_existing:true in the request body",
        code="ERROR_CONTACT_EXISTS",
    )


def batch_subscribe(
    audience: Audience,
    body: Any,
    *,
    now: datetime,
    skip_merge_validation: bool,
    skip_duplicate_check: bool,
) -> BatchOutcome:
    body = require_object(body)
    items = body.get("members")
    if not isinstance(items, list):
        raise field_error("members", "This value should not be blank.")
    if len(items) > MAX_BATCH_MEMBERS:
        raise invalid_resource(
            errors=[
                {
                    "field": "members",
                    "message": f"You can add or update at most {MAX_BATCH_MEMBERS} members "
                    f"in one request; this request has {len(items)}.",
                }
            ]
        )
    update_existing = bool(body.get("update_existing"))
    sync_tags = bool(body.get("sync_tags"))
    outcome = BatchOutcome()
    seen: set[str] = set()
    for item in items:
        email = str(item.get("email_address") or "") if isinstance(item, dict) else ""
        try:
            _one(
                audience,
                item,
                outcome,
                seen,
                now=now,
                update_existing=update_existing,
                sync_tags=sync_tags,
                skip_merge_validation=skip_merge_validation,
                skip_duplicate_check=skip_duplicate_check,
            )
        except ApiProblem as problem:
            outcome.errors.append(_problem_error(email, problem))
    return outcome


def _one(
    audience: Audience,
    item: Any,
    outcome: BatchOutcome,
    seen: set[str],
    *,
    now: datetime,
    update_existing: bool,
    sync_tags: bool,
    skip_merge_validation: bool,
    skip_duplicate_check: bool,
) -> None:
    item = require_object(item)
    email = item.get("email_address")
    if not isinstance(email, str) or not email.strip():
        raise field_error("email_address", "This value should not be blank.")
    target = subscriber_hash(email)
    if target in seen:
        if skip_duplicate_check:
            return  # the first appearance wins, as documented
        raise invalid_resource(f"{email.strip()} appears more than once in this request.")
    seen.add(target)
    tags = tag_names(item.get("tags"))
    member = audience.members.get(target)
    if member is None:
        status = item.get("status_if_new") or item.get("status")
        outcome.new.append(
            create_member(
                audience,
                item,
                email=email,
                status=status,
                now=now,
                skip_merge_validation=skip_merge_validation,
            )
        )
    elif member.status == "archived":
        status = item.get("status") or item.get("status_if_new")
        outcome.new.append(
            readd_member(
                audience,
                member,
                item,
                status=status,
                now=now,
                skip_merge_validation=skip_merge_validation,
            )
        )
    elif not update_existing:
        outcome.errors.append(contact_exists(member.email_address))
    else:
        write = update_member(
            audience,
            member,
            item,
            status=item.get("status"),
            now=now,
            skip_merge_validation=skip_merge_validation,
        )
        before = dict(member.tags)
        if sync_tags:
            replace_tags(audience, member, tags, now)
        else:
            add_tags(audience, member, tags, now)
        if member.tags != before:
            member.last_changed = now
        outcome.updated.append(write)


def _problem_error(email: str, problem: ApiProblem) -> dict[str, str]:
    entry = _error(email, problem.detail)
    if problem.errors:
        entry["field"] = problem.errors[0]["field"]
        entry["field_message"] = problem.errors[0]["message"]
    return entry


def _error(email: str, message: str, *, code: str = "ERROR_GENERIC") -> dict[str, str]:
    return {
        "email_address": email.strip(),
        "error": message,
        "error_code": code,
        "field": "",
        "field_message": "",
    }
