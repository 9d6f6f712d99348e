"""JSON shapes of the accounts API."""

from __future__ import annotations

import msgspec


class OrganisationOut(msgspec.Struct):
    id: int
    name: str


class ActorOut(msgspec.Struct):
    type: str
    id: str | None
    label: str


class MeOut(msgspec.Struct):
    organisation: OrganisationOut
    actor: ActorOut
    role: str
