from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T22:30:43:652317"
VERSION = "1.38.0"
DESCRIPTION = "one live tracking row per campaign, campaign history in time order"

INDEXES = [
    "CREATE UNIQUE INDEX campaign_tracking_one_live "
    "ON campaign_tracking (organisation, campaign_id) WHERE soft_deleted_at IS NULL",
    "CREATE INDEX campaign_snapshots_history ON campaign_snapshots (campaign, taken_at)",
]
DROPS = [
    "DROP INDEX campaign_tracking_one_live",
    "DROP INDEX campaign_snapshots_history",
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
