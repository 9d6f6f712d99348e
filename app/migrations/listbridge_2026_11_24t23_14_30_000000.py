from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-24T23:14:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "preferences and erasures: one per contact; indexes the lists and filters read by"

UNFINISHED_PUSHES = "WHERE status IN ('queued', 'retrying', 'failed')"
# Piccolo declares neither unique-together, partial nor expression indexes; both engines
# speak this SQL.
INDEXES = [
    "CREATE UNIQUE INDEX email_preferences_one_per_contact "
    "ON email_preferences (organisation, contact_id)",
    "CREATE INDEX email_preferences_by_changed ON email_preferences (organisation, changed_at, id)",
    # The sync engine also honours an opt-out made under an address by another contact.
    "CREATE INDEX email_preferences_by_address ON email_preferences (organisation, lower(email))",
    "CREATE INDEX email_preferences_by_status "
    "ON email_preferences (organisation, status, changed_at, id)",
    "CREATE INDEX email_preferences_by_source "
    "ON email_preferences (organisation, consent_source, changed_at, id)",
    "CREATE INDEX email_preference_changes_by_contact "
    "ON email_preference_changes (organisation, contact_id, created_at, id)",
    "CREATE INDEX email_preference_changes_by_preference "
    "ON email_preference_changes (preference, id)",
    "CREATE INDEX preference_pushes_by_change ON preference_pushes (change, id)",
    f"CREATE INDEX preference_pushes_unfinished ON preference_pushes (updated_at) "
    f"{UNFINISHED_PUSHES}",
    "CREATE UNIQUE INDEX erasures_one_per_contact ON erasures (organisation, contact_id)",
    "CREATE INDEX erasures_newest ON erasures (organisation, created_at, id)",
    "CREATE INDEX erasures_due ON erasures (next_attempt_at) WHERE status <> 'done'",
    # Where the organisation holds an address, across audiences (by contact: the inbound
    # migration's audience_members_by_contact).
    "CREATE INDEX audience_members_by_address ON audience_members (organisation, subscriber_hash)",
    # The audit page's filters, each a range scan in the page's order.
    "CREATE INDEX audit_log_by_action ON audit_log (organisation, action, created_at, id)",
    "CREATE INDEX audit_log_by_entity "
    "ON audit_log (organisation, entity_type, entity_id, created_at, id)",
    "CREATE INDEX audit_log_by_actor ON audit_log (organisation, actor_type, created_at, id)",
]
# The actor filter is a case-insensitive prefix of the actor's label (see audit/services.py):
# SQLite compares bytes already; Postgres needs byte order ("C") whatever its locale.
SQLITE_ONLY = [
    "CREATE INDEX audit_log_by_actor_label ON audit_log (organisation, lower(actor_label))"
]
POSTGRES_ONLY = [
    "CREATE INDEX audit_log_by_actor_label "
    'ON audit_log (organisation, (lower(actor_label) COLLATE "C"))'
]
NAMES = [statement.split(" ON ")[0].split()[-1] for statement in INDEXES]
NAMES.append("audit_log_by_actor_label")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="listbridge", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        extra = SQLITE_ONLY if isinstance(engine, SQLiteEngine) else POSTGRES_ONLY
        for statement in INDEXES + extra:
            await engine.run_ddl(statement)

    async def drop_indexes():
        for name in NAMES:
            await engine_finder().run_ddl(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
