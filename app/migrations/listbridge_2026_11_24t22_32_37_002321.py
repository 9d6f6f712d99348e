from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T22:32:37:002321"
VERSION = "1.38.0"
DESCRIPTION = "one live segment per audience; indexes the sync engine reads by"

INDEXES = [
    # The key every audience_members upsert conflicts on (ON CONFLICT needs a unique index).
    "CREATE UNIQUE INDEX audience_members_one_per_address "
    "ON audience_members (organisation, list_id, subscriber_hash)",
    "CREATE UNIQUE INDEX contact_segments_one_per_audience "
    "ON contact_segments (organisation, list_id) WHERE soft_deleted_at IS NULL",
    # Who left the segment: its members not seen by the current run.
    "CREATE INDEX audience_members_by_segment ON audience_members (segment, last_seen_run)",
    "CREATE INDEX sync_runs_by_segment ON sync_runs (segment, created_at, id)",
    "CREATE INDEX sync_run_items_by_run ON sync_run_items (run, outcome, id)",
]
DROPS = [
    "DROP INDEX audience_members_one_per_address",
    "DROP INDEX contact_segments_one_per_audience",
    "DROP INDEX audience_members_by_segment",
    "DROP INDEX sync_runs_by_segment",
    "DROP INDEX sync_run_items_by_run",
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
