"""Case-insensitive "contains" conditions in SQL that treat % and _ as the characters they are."""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw


def contains(expression: str, text: str) -> WhereRaw:
    """`expression` (SQL written by us, never input) contains `text`, ignoring case.
    Both engines accept this LIKE … ESCAPE form; the pattern is a bound value."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return WhereRaw(f"lower({expression}) LIKE {{}} ESCAPE '\\'", f"%{escaped}%")
