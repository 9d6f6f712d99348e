from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T23:14:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "inbound: one row per delivery, the events list's orders, one hook per organisation"

INDEXES = [
    # A delivery seen again (same dedupe key) is stored once; NULL keys never collide.
    "CREATE UNIQUE INDEX inbound_events_one_per_delivery "
    "ON inbound_events (organisation, dedupe_key)",
    "CREATE INDEX inbound_events_newest ON inbound_events (organisation, received_at, id)",
    "CREATE INDEX inbound_events_by_status "
    "ON inbound_events (organisation, status, received_at, id)",
    "CREATE INDEX inbound_events_by_source "
    "ON inbound_events (organisation, source, received_at, id)",
    # The sweep finds events whose job never ran.
    "CREATE INDEX inbound_events_waiting ON inbound_events (received_at) WHERE status = 'received'",
    "CREATE UNIQUE INDEX event_hooks_public_id ON event_hooks (public_id)",
    "CREATE UNIQUE INDEX event_hooks_one_live "
    "ON event_hooks (organisation) WHERE soft_deleted_at IS NULL",
    "CREATE INDEX trigger_rules_live_by_event "
    "ON trigger_rules (organisation, event_name) WHERE soft_deleted_at IS NULL",
    # The subscriber-status dashboard counts by status; a contact's page lists its audiences.
    "CREATE INDEX audience_members_by_status ON audience_members (organisation, list_id, status)",
    "CREATE INDEX audience_members_by_contact ON audience_members (organisation, contact_id)",
    "CREATE INDEX contacts_live_unreachable ON contacts (organisation) "
    "WHERE unreachable_at IS NOT NULL AND soft_deleted_at IS NULL",
]
DROPS = [
    "DROP INDEX inbound_events_one_per_delivery",
    "DROP INDEX inbound_events_newest",
    "DROP INDEX inbound_events_by_status",
    "DROP INDEX inbound_events_by_source",
    "DROP INDEX inbound_events_waiting",
    "DROP INDEX event_hooks_public_id",
    "DROP INDEX event_hooks_one_live",
    "DROP INDEX trigger_rules_live_by_event",
    "DROP INDEX audience_members_by_status",
    "DROP INDEX audience_members_by_contact",
    "DROP INDEX contacts_live_unreachable",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="listbridge", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES:
            await engine_finder().run_ddl(statement)

    async def drop_indexes():
        for statement in DROPS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
