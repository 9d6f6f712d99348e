"""Filters of the preferences list (page and API): status, consent source, changed between."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from app.domain.preferences.tables import ConsentSource, PreferenceStatus
from app.lib.errors import InvalidInput

STATUSES = tuple(s.value for s in PreferenceStatus)
SOURCES = tuple(s.value for s in ConsentSource)


@dataclass(frozen=True, slots=True)
class PreferenceFilters:
    status: str = ""
    source: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    @classmethod
    def of(
        cls,
        *,
        status: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> PreferenceFilters:
        errors: dict[str, str] = {}
        status, source = (status or "").strip(), (source or "").strip()
        if status and status not in STATUSES:
            errors["status"] = "Choose opted_in or opted_out."
        if source and source not in SOURCES:
            errors["source"] = f"Choose one of: {', '.join(SOURCES)}."
        days: dict[str, datetime.date | None] = {}
        for name, value in (("since", since), ("until", until)):
            days[name] = None
            if value and value.strip():
                try:
                    days[name] = datetime.date.fromisoformat(value.strip())
                except ValueError:
                    errors[name] = "Use a date like 2026-01-31."
        if days["since"] and days["until"] and days["until"] < days["since"]:
            errors["until"] = "The end date is before the start date."
        if errors:
            raise InvalidInput(errors)
        return cls(status=status, source=source, since=days["since"], until=days["until"])

    @property
    def active(self) -> bool:
        return bool(self.status or self.source or self.since or self.until)

    def query_string(self, **extra: str) -> str:
        values = {
            "status": self.status,
            "source": self.source,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
