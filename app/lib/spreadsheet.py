"""CSV we hand to people opens in a spreadsheet, which runs any cell starting with = + - @ as
a formula (=HYPERLINK(…), =cmd|…). Such cells get a leading apostrophe, so they read as text."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_row(values: list[object]) -> list[object]:
    return [inert_cell(value) for value in values]
