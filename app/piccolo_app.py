"""The one Piccolo app: every domain's tables (app/domain/*/tables.py), one migrations folder."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from app.lib.discovery import domain_modules

HERE = Path(__file__).resolve().parent

APP_CONFIG = AppConfig(
    app_name="listbridge",
    migrations_folder_path=str(HERE / "migrations"),
    table_classes=table_finder(domain_modules("tables.py"), exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
