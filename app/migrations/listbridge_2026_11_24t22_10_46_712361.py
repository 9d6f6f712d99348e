from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T22:10:46:712361"
VERSION = "1.38.0"
DESCRIPTION = "one live connection per organisation, one live webhook per audience"

INDEXES = [
    "CREATE UNIQUE INDEX mailchimp_connections_one_live "
    "ON mailchimp_connections (organisation) WHERE soft_deleted_at IS NULL",
    "CREATE UNIQUE INDEX audience_webhooks_one_live "
    "ON audience_webhooks (organisation, list_id) WHERE soft_deleted_at IS NULL",
]
DROPS = [
    "DROP INDEX mailchimp_connections_one_live",
    "DROP INDEX audience_webhooks_one_live",
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
