"""Who is asking, and for which organisation: the scope every service query runs in."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.accounts.tables import Role
from app.lib.audit import Actor
from app.lib.errors import Forbidden


@dataclass(frozen=True, slots=True)
class OrganisationChoice:
    id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Principal:
    organisation_id: int
    organisation_name: str
    role: Role
    actor: Actor
    user_id: int | None = None
    token_id: int | None = None
    organisations: tuple[OrganisationChoice, ...] = field(default=())
    """Every organisation the user belongs to (for the switcher); empty for API tokens."""

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.owner, Role.admin)

    @property
    def is_owner(self) -> bool:
        return self.role is Role.owner

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Only the organisation's owners and admins can do this.")
