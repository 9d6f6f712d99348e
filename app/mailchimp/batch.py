"""Batch subscribe bookkeeping: 500-member chunks, and errors traced back to what we sent."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from app.mailchimp.models import BatchMemberError, BatchResult, MemberUpsert

# Mailchimp's cap on members per batch-subscribe call.
BATCH_LIMIT = 500

MemberInput = MemberUpsert | Mapping[str, Any]


def member_payloads(members: Sequence[MemberInput]) -> list[MemberUpsert | dict[str, Any]]:
    return [m if isinstance(m, MemberUpsert) else dict(m) for m in members]


def _email_of(member: MemberInput) -> str:
    email = member.email_address if isinstance(member, MemberUpsert) else member["email_address"]
    return str(email).strip().lower()


def chunked(members: Sequence[MemberInput]) -> list[Sequence[MemberInput]]:
    return [members[start : start + BATCH_LIMIT] for start in range(0, len(members), BATCH_LIMIT)]


def point_errors_at_inputs(errors: list[BatchMemberError], members: Sequence[MemberInput]) -> None:
    """Set each error's `index` to its member's position; repeats of one address go in order."""
    positions: defaultdict[str, deque[int]] = defaultdict(deque)
    for index, member in enumerate(members):
        positions[_email_of(member)].append(index)
    for error in errors:
        queue = positions.get(error.email_address.strip().lower())
        if queue:
            error.index = queue.popleft() if len(queue) > 1 else queue[0]


def merge_results(results: Sequence[BatchResult]) -> BatchResult:
    """One result from consecutive chunks' results, with error indexes into the whole input."""
    merged = BatchResult()
    for chunk_number, result in enumerate(results):
        offset = chunk_number * BATCH_LIMIT
        merged.new_members.extend(result.new_members)
        merged.updated_members.extend(result.updated_members)
        for error in result.errors:
            if error.index is not None:
                error.index += offset
            merged.errors.append(error)
        merged.total_created += result.total_created
        merged.total_updated += result.total_updated
        merged.error_count += result.error_count
    return merged


async def subscribe_in_chunks(
    send_chunk: Callable[[Sequence[MemberInput]], Awaitable[BatchResult]],
    members: Sequence[MemberInput],
    *,
    concurrency: int,
) -> BatchResult:
    """Send every chunk, at most `concurrency` at once, and merge the answers in input order.

    If a chunk fails outright the others are cancelled and its exception is raised as is.
    """
    gate = asyncio.Semaphore(concurrency)

    async def send(chunk: Sequence[MemberInput]) -> BatchResult:
        async with gate:
            return await send_chunk(chunk)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(send(chunk)) for chunk in chunked(members)]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return merge_results([task.result() for task in tasks])
