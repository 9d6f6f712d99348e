"""Piccolo's configuration: the engine comes from DATABASE_URL (see app/db.py)."""

from piccolo.conf.apps import AppRegistry

from app.db import create_engine
from app.settings import get_settings

DB = create_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["app.piccolo_app"])
