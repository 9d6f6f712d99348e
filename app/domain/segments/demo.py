"""The demo organisation's two segments, ready to preview and sync (not synced yet: the demo
is for watching the first sync happen)."""

from __future__ import annotations

from app.domain.accounts.principal import Principal
from app.domain.connections import audiences
from app.domain.segments import services
from app.domain.segments.services import SegmentInput
from app.domain.segments.tables import Segment

EMPLOYEES_AUDIENCE = "e7b2c91d04"  # app/mailchimp/sandbox/demo_seed.json
VENDORS_AUDIENCE = "a3f5d8e210"


async def seed_demo_segments(principal: Principal) -> None:
    if await Segment.exists().where(Segment.organisation == principal.organisation_id):
        return
    present = {audience.id for audience in await audiences.audiences(principal)}
    if not {EMPLOYEES_AUDIENCE, VENDORS_AUDIENCE} <= present:
        return  # not the sandbox's demo account: nothing to map the segments onto
    await services.create(
        principal,
        SegmentInput(
            name="Active employees",
            description="Everyone currently working here, for company news.",
            segment_type="employee",
            list_id=EMPLOYEES_AUDIENCE,
            filter_criteria={"employment_status": ["active"]},
            field_mapping={"FNAME": "first_name", "LNAME": "last_name", "DEPT": "department"},
            tags=["staff"],
            removal_policy="unsubscribe",
        ),
    )
    await services.create(
        principal,
        SegmentInput(
            name="Active vendors",
            description="Suppliers we still work with, for supplier updates.",
            segment_type="vendor",
            list_id=VENDORS_AUDIENCE,
            filter_criteria={"employment_status": ["active"]},
            field_mapping={"FNAME": "first_name", "LNAME": "last_name", "COMPANY": "company"},
            tags=["vendor"],
            removal_policy="archive",
        ),
    )
