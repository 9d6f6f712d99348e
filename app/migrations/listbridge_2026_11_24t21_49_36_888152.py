from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T21:49:36:888152"
VERSION = "1.38.0"
DESCRIPTION = "live-row unique indexes"

# Piccolo declares neither partial nor expression indexes; both engines speak this SQL.
INDEXES = [
    "CREATE UNIQUE INDEX memberships_live_user_org "
    'ON memberships ("user", organisation) WHERE soft_deleted_at IS NULL',
    # The audit page reads an organisation's rows newest first, a page at a time.
    "CREATE INDEX audit_log_org_newest ON audit_log (organisation, created_at, id)",
]
DROPS = ["DROP INDEX memberships_live_user_org", "DROP INDEX audit_log_org_newest"]


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
