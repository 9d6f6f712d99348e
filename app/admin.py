"""Piccolo Admin for support staff at /admin (users with the `admin` flag).

Columns declared `secret=True` (password hashes, token hashes, encrypted Mailchimp secrets)
are left out by Piccolo Admin's CRUD layer; soft-deleted rows stay visible here on purpose.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.types import ASGIApp

    from app.settings import Settings


def create_staff_admin(settings: Settings) -> ASGIApp:
    from piccolo_admin.endpoints import create_admin

    from app.domain.accounts.tables import StaffSession, User
    from app.piccolo_app import APP_CONFIG

    tables = [t for t in APP_CONFIG.table_classes if t is not StaffSession]
    host = settings.app.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return create_admin(
        tables=tables,
        auth_table=User,
        session_table=StaffSession,
        session_expiry=timedelta(hours=4),
        site_name="Listbridge support",
        production=settings.app.secure_cookies,
        allowed_hosts=[host, "127.0.0.1", "localhost"],
        page_size=50,
    )
