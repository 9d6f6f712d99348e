"""Search and filter values for the contacts list, fast at 100,000 contacts per organisation.

Search is a prefix match on three lower-cased keys: "first last", "last first" and the email,
so "ada", "lovelace a" and "ada.l@" all find Ada Lovelace. Each is a range condition
(key >= 'ada' AND key < 'adb') that a B-tree index answers on both engines. SQLite compares
bytes already; on Postgres the ranges say COLLATE "C" (and so do their indexes, see the
migration), so a prefix is exact whatever the database's locale.
"""

from __future__ import annotations

from collections.abc import Iterable

from piccolo.columns.combination import WhereRaw

from app.db import is_sqlite
from app.domain.contacts.tables import Contact

# Enough for a filter menu; an organisation with more distinct values needs search instead.
MAX_FILTER_VALUES = 200
_KEYS = ("lower(email)", "sort_name", "search_name")


def normalise_query(q: str) -> str:
    """What people type → the form the keys are stored in ("Lovelace, Ada" → "lovelace ada")."""
    return " ".join(q.replace(",", " ").lower().split())[:100]


def _successor(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_condition(q: str, organisation_id: int) -> WhereRaw | None:
    """Contacts whose name (either order) or email starts with `q`; None for an empty query."""
    prefix = normalise_query(q)
    if not prefix:
        return None
    collate = "" if is_sqlite() else ' COLLATE "C"'
    # One index range per key, united by id: an OR of the three would let the planner walk the
    # whole name-ordered index instead (SQLite does), reading most of the table for a rare name.
    # Only constants go into the SQL text; the organisation and the prefix are bound values.
    ranges = " UNION ALL ".join(
        f"SELECT id FROM contacts WHERE organisation = {{}} AND soft_deleted_at IS NULL "  # noqa: S608
        f"AND {key}{collate} >= {{}} AND {key}{collate} < {{}}"
        for key in _KEYS
    )
    arguments = [organisation_id, prefix, _successor(prefix)] * len(_KEYS)
    return WhereRaw(f'"contacts"."id" IN ({ranges})', *arguments)


def email_equals(email: str) -> WhereRaw:
    """Case-insensitive equality, answered by the (organisation, lower(email)) unique index."""
    return WhereRaw('lower("contacts"."email") = {}', email.strip().lower())


def _distinct_cte(index: int, column: str) -> str:
    # A "loose index scan": one index seek per distinct value instead of reading every row.
    # The column is checked by distinct_values(); values are bound.
    step = (
        f"SELECT {column} FROM contacts WHERE organisation = {{}} "  # noqa: S608
        f"AND soft_deleted_at IS NULL AND {column} > {{prev}} ORDER BY {column} LIMIT 1"
    )
    first = step.replace("{prev}", "''")
    following = step.replace("{prev}", f"f{index}.value")
    return (
        f"f{index}(value, n) AS (SELECT ({first}), 1 UNION ALL "  # noqa: S608
        f"SELECT ({following}), f{index}.n + 1 FROM f{index} "
        f"WHERE f{index}.value IS NOT NULL AND f{index}.n < {MAX_FILTER_VALUES})"
    )


async def distinct_values(organisation_id: int, columns: Iterable[str]) -> dict[str, list[str]]:
    names = list(columns)
    allowed = {column._meta.name for column in Contact._meta.columns}
    if not set(names) <= allowed:  # names go into the SQL text: only real columns, never input
        raise ValueError(f"not contact columns: {set(names) - allowed}")
    ctes = ", ".join(_distinct_cte(i, name) for i, name in enumerate(names))
    selects = " UNION ALL ".join(
        f"SELECT '{name}' AS field, value FROM f{i} WHERE value IS NOT NULL"  # noqa: S608
        for i, name in enumerate(names)
    )
    rows = await Contact.raw(
        f"WITH RECURSIVE {ctes} {selects}",
        *([organisation_id] * (2 * len(names))),
    )
    found: dict[str, list[str]] = {name: [] for name in names}
    for row in rows:
        found[row["field"]].append(row["value"])
    return found
