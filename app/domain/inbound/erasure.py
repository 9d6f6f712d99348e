"""Inbound's part in a GDPR erasure (app/domain/preferences/erasure_steps.py): deliveries
about an erased person keep their type, status and times, not the person's data."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.inbound.tables import InboundEvent
from app.lib.like import contains

ERASED = "[erased]"


async def scrub(organisation_id: int, emails: Sequence[str]) -> None:
    """Events naming one of these addresses, in any field, lose their address, payload and
    the sentences that quoted it."""
    for email in emails:
        about = (
            contains('"inbound_events"."email"', email)
            | contains('CAST("inbound_events"."payload" AS TEXT)', email)
            | contains('"inbound_events"."outcome"', email)
            | contains('"inbound_events"."error"', email)
        )
        await InboundEvent.update(
            {
                InboundEvent.email: "",
                InboundEvent.payload: {},
                InboundEvent.outcome: ERASED,
                InboundEvent.error: "",
            }
        ).where((InboundEvent.organisation == organisation_id) & about)
