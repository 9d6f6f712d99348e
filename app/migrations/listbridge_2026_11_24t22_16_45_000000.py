from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-24T22:16:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "contacts: live-row unique, list and search indexes"

LIVE = "WHERE soft_deleted_at IS NULL"
FILTERS = ["entity_type", "department", "location", "employment_type", "employment_status"]

# Piccolo declares neither partial nor expression indexes; both engines speak this SQL.
INDEXES = [
    f"CREATE UNIQUE INDEX contacts_live_email ON contacts (organisation, lower(email)) {LIVE}",
    "CREATE UNIQUE INDEX contacts_live_external_id ON contacts (organisation, external_id) "
    f"{LIVE} AND external_id IS NOT NULL",
    # The list's default order, and one per filter so a filtered page is a range scan too.
    f"CREATE INDEX contacts_live_by_name ON contacts (organisation, sort_name, id) {LIVE}",
    *(
        f"CREATE INDEX contacts_live_by_{name} ON contacts (organisation, {name}, sort_name, id) "
        f"{LIVE}"
        for name in FILTERS
    ),
    "CREATE UNIQUE INDEX contact_import_chunks_order "
    "ON contact_import_chunks (contact_import, position)",
    "CREATE INDEX contact_import_rejections_order "
    "ON contact_import_rejections (contact_import, id)",
]
# Prefix search ranges (app/domain/contacts/search.py). SQLite compares bytes, so the indexes
# above serve email and sort_name; Postgres needs byte order ("C") whatever its locale.
SQLITE_SEARCH = [
    f"CREATE INDEX contacts_live_search_name ON contacts (organisation, search_name) {LIVE}",
]
POSTGRES_SEARCH = [
    "CREATE INDEX contacts_live_search_email "
    f'ON contacts (organisation, (lower(email) COLLATE "C")) {LIVE}',
    "CREATE INDEX contacts_live_search_sort_name "
    f'ON contacts (organisation, (sort_name COLLATE "C")) {LIVE}',
    "CREATE INDEX contacts_live_search_name "
    f'ON contacts (organisation, (search_name COLLATE "C")) {LIVE}',
]
NAMES = [
    "contacts_live_email",
    "contacts_live_external_id",
    "contacts_live_by_name",
    *(f"contacts_live_by_{name}" for name in FILTERS),
    "contact_import_chunks_order",
    "contact_import_rejections_order",
    "contacts_live_search_name",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="listbridge", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        search = SQLITE_SEARCH if isinstance(engine, SQLiteEngine) else POSTGRES_SEARCH
        for statement in INDEXES + search:
            await engine.run_ddl(statement)

    async def drop_indexes():
        engine = engine_finder()
        names = NAMES
        if not isinstance(engine, SQLiteEngine):
            names = [*NAMES, "contacts_live_search_email", "contacts_live_search_sort_name"]
        for name in names:
            await engine.run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
