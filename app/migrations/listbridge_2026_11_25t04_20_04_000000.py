from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T04:20:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "contact_import_keys: one first line per key and import"

# The import looks up a batch's keys among the earlier lines of the same file.
INDEX = (
    "CREATE UNIQUE INDEX contact_import_keys_first_line "
    "ON contact_import_keys (contact_import, value, kind)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="listbridge", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX contact_import_keys_first_line")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
