"""The one Piccolo app: every domain's tables, one migrations folder."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

HERE = Path(__file__).resolve().parent

# Each domain keeps its tables in app/domain/<domain>/tables.py; new domains are found here.
TABLE_MODULES = sorted(
    f"app.domain.{path.parent.name}.tables" for path in HERE.glob("domain/*/tables.py")
)

APP_CONFIG = AppConfig(
    app_name="listbridge",
    migrations_folder_path=str(HERE / "migrations"),
    table_classes=table_finder(TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
