"""Scanning every column of every table for a person's data (the proof an erasure needs).

Generic on purpose: every table the Piccolo app knows is read, so a table added later is
covered without touching this file.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from app.piccolo_app import APP_CONFIG


def _texts(value: Any) -> list[str]:
    """Every way a stored value might spell out text: as stored, and JSON decoded (which
    turns escapes such as \\u00eb back into the characters they stand for)."""
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return [raw.decode("utf-8", "ignore"), raw.decode("utf-16", "ignore")]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    text = str(value)
    found = [text]
    with contextlib.suppress(ValueError, TypeError):
        found.append(json.dumps(json.loads(text), ensure_ascii=False))
    return found


async def places_holding(*needles: str) -> list[tuple[str, str, Any]]:
    """(table, column, row id) wherever any needle occurs, ignoring case."""
    wanted = [needle.lower() for needle in needles if needle]
    places = []
    for table in APP_CONFIG.table_classes:
        name = table._meta.tablename
        for row in await table.raw(f'SELECT * FROM "{name}"'):  # noqa: S608 - our table names
            for column, value in row.items():
                if any(n in t.lower() for t in _texts(value) for n in wanted):
                    places.append((name, column, row.get("id")))
    return places
