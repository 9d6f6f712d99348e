"""The one pagination helper: keyset ("cursor") pages over a Piccolo select.

Offsets get slower with every page and skip or repeat rows while data changes; a cursor
(the last row's sort key and id) costs one index range scan per page at any depth. Every list
in the product, HTML or JSON, pages this way and answers the same shape: items + next_cursor.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from piccolo.columns import Date, Timestamp, Timestamptz

from app.lib.errors import InvalidInput

if TYPE_CHECKING:
    from piccolo.columns import Column
    from piccolo.query import Select

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    limit: int


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=_jsonable, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput({"cursor": "This page link is not valid any more."}) from None
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidInput({"cursor": "This page link is not valid any more."})
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _parse(column: Column, value: Any) -> Any:
    try:
        if isinstance(column, Timestamptz | Timestamp):
            return datetime.datetime.fromisoformat(value)
        if isinstance(column, Date):
            return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput({"cursor": "This page link is not valid any more."}) from None
    return value


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, limit))


async def keyset_page(
    query: Select,
    *,
    sort: Column,
    id_column: Column,
    descending: bool,
    cursor: str | None,
    limit: int | None,
) -> Page[dict[str, Any]]:
    """Rows of `query` after `cursor`, ordered by (sort, id). `sort` must be NOT NULL."""
    size = clamp_limit(limit)
    if cursor:
        raw_sort, raw_id = decode_cursor(cursor)
        sort_value, last_id = _parse(sort, raw_sort), raw_id
        if not isinstance(last_id, int):
            raise InvalidInput({"cursor": "This page link is not valid any more."})
        # The redundant bound (`sort <= value`) lets an index start the scan at the cursor.
        if descending:
            query = query.where(
                (sort <= sort_value)
                & ((sort < sort_value) | ((sort == sort_value) & (id_column < last_id)))
            )
        else:
            query = query.where(
                (sort >= sort_value)
                & ((sort > sort_value) | ((sort == sort_value) & (id_column > last_id)))
            )
    rows = await query.order_by(sort, id_column, ascending=not descending).limit(size + 1)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([last[sort._meta.name], last[id_column._meta.name]])
    return Page(items=rows, next_cursor=next_cursor, limit=size)
