"""People who left a segment: what happens to them in Mailchimp (the segment's removal policy).

Only members the segment itself placed are touched. `none` lets them go as they are;
`unsubscribe` marks them unsubscribed (batch, 500 a call); `archive` and `delete_permanent` are
one call per member (Mailchimp has no batch form). A member Mailchimp refuses to remove is
recorded and kept, so the next run tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from app.domain.segments import members
from app.domain.segments.tables import RemovalPolicy
from app.mailchimp.errors import MailchimpError, MailchimpUnavailable, RateLimited, ServerError
from app.mailchimp.errors import NotFound as MailchimpNotFound

if TYPE_CHECKING:
    from app.domain.segments.sync import Pass

TRANSIENT = (MailchimpUnavailable, RateLimited, ServerError)
ALREADY_OUT = {"unsubscribed": ("unsubscribed", "cleaned", "archived")}
MESSAGES = {
    RemovalPolicy.unsubscribe: "Left the segment: unsubscribed in Mailchimp.",
    RemovalPolicy.archive: "Left the segment: archived in Mailchimp.",
    RemovalPolicy.delete_permanent: "Left the segment: deleted permanently from Mailchimp.",
}
PAGE = 500


async def apply(
    p: Pass,
    item: Callable[..., None],
    save: Callable[[Pass], Awaitable[None]],
) -> None:
    policy = RemovalPolicy(p.segment.removal_policy)
    if p.run.only_contacts:
        return  # a "retry rejected" run looks at a few contacts, not at who left
    while leavers := await members.leavers(p.segment, p.run.id, limit=PAGE):
        if p.dry_run:
            for leaver in leavers:
                if policy is not RemovalPolicy.none:
                    p.run.removed += 1
                    item(
                        p,
                        leaver["contact_id"],
                        leaver["email"],
                        "would_remove",
                        policy.value,
                        MESSAGES[policy],
                    )
            await members.mark_seen(p.segment, p.run.id, [m["subscriber_hash"] for m in leavers])
            await save(p)
            continue
        if policy is RemovalPolicy.none:
            await members.release([m["id"] for m in leavers])
            continue
        done, failed = await _remove(p, policy, leavers, item)
        await members.release(
            [m["id"] for m in done],
            status={"unsubscribe": "unsubscribed", "archive": "archived"}.get(policy.value),
            forget=policy is RemovalPolicy.delete_permanent,
        )
        await members.mark_seen(p.segment, p.run.id, [m["subscriber_hash"] for m in failed])
        await save(p)


async def _remove(
    p: Pass, policy: RemovalPolicy, leavers: list[dict[str, Any]], item: Callable[..., None]
) -> tuple[list[dict], list[dict]]:
    done: list[dict] = []
    failed: list[dict] = []
    if policy is RemovalPolicy.unsubscribe:
        to_send = [m for m in leavers if m["status"] not in ALREADY_OUT["unsubscribed"]]
        done.extend(m for m in leavers if m not in to_send)
        if to_send:
            p.run.api_calls += 1
            result = await p.client.batch_subscribe(
                p.segment.list_id,
                [{"email_address": m["email"], "status": "unsubscribed"} for m in to_send],
                update_existing=True,
            )
            refused = {(e.email_address or "").strip().lower(): e for e in result.errors}
            for member in to_send:
                error = refused.get(member["email"].strip().lower())
                if error is None:
                    done.append(member)
                    p.run.removed += 1
                    item(
                        p,
                        member["contact_id"],
                        member["email"],
                        "removed",
                        policy.value,
                        MESSAGES[policy],
                    )
                else:
                    failed.append(member)
                    item(
                        p,
                        member["contact_id"],
                        member["email"],
                        "rejected",
                        "removal",
                        error.error or "",
                    )
        return done, failed

    gone = [m for m in leavers if m["status"] == "archived" and policy is RemovalPolicy.archive]
    done.extend(gone)
    leavers = [m for m in leavers if m not in gone]
    semaphore = asyncio.Semaphore(10)

    async def one(member: dict[str, Any]) -> None:
        async with semaphore:
            p.run.api_calls += 1
            try:
                if policy is RemovalPolicy.archive:
                    await p.client.archive_member(p.segment.list_id, member["subscriber_hash"])
                else:
                    await p.client.delete_member_permanently(
                        p.segment.list_id, member["subscriber_hash"]
                    )
            except MailchimpNotFound:
                pass  # already gone from the audience: the goal is met
            except TRANSIENT:
                raise
            except MailchimpError as exc:
                failed.append(member)
                item(
                    p,
                    member["contact_id"],
                    member["email"],
                    "rejected",
                    "removal",
                    exc.user_message,
                )
                return
            done.append(member)
            p.run.removed += 1
            item(
                p, member["contact_id"], member["email"], "removed", policy.value, MESSAGES[policy]
            )

    await asyncio.gather(*(one(member) for member in leavers))
    return done, failed
