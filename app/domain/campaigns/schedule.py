"""When a tracked campaign is refreshed on its own: the rule the cron, the pages and the API share.

Every 6 hours, until the campaign reaches a state whose figures can't move any more. Opens and
clicks keep arriving for days after sending, so a sent campaign is followed for 30 days after
its send time; cancelled and archived campaigns are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

REFRESH_CRON = "0 */6 * * *"
REFRESH_EVERY = timedelta(hours=6)
SENT_FOLLOW_UP = timedelta(days=30)
# Never refreshed automatically; `sent` is terminal too once its 30 days are over.
TERMINAL_STATUSES = ("canceled", "archived")


class AutoRefreshKind(StrEnum):
    ongoing = "ongoing"  # not sent yet (or still sending): every 6 hours
    following_up = "following_up"  # sent: every 6 hours until send_time + 30 days
    finished = "finished"  # sent more than 30 days ago
    terminal = "terminal"  # cancelled or archived


@dataclass(frozen=True, slots=True)
class AutoRefresh:
    kind: AutoRefreshKind
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.kind in (AutoRefreshKind.ongoing, AutoRefreshKind.following_up)


def auto_refresh(status: str, send_time: datetime | None, now: datetime) -> AutoRefresh:
    if status in TERMINAL_STATUSES:
        return AutoRefresh(AutoRefreshKind.terminal)
    if status != "sent" or send_time is None:
        # A sent campaign without a send time learns it at its next refresh.
        return AutoRefresh(AutoRefreshKind.ongoing)
    until = send_time + SENT_FOLLOW_UP
    if now < until:
        return AutoRefresh(AutoRefreshKind.following_up, until)
    return AutoRefresh(AutoRefreshKind.finished, until)
