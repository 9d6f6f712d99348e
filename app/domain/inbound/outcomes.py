"""What processing an event came to: the status it ends in and a sentence saying why."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.inbound.tables import EventStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    status: EventStatus
    text: str

    @classmethod
    def processed(cls, text: str) -> Outcome:
        return cls(EventStatus.processed, text)

    @classmethod
    def ignored(cls, text: str) -> Outcome:
        return cls(EventStatus.ignored, text)


class ProcessingFailed(Exception):
    """The event could not be applied; the message says why in words a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
