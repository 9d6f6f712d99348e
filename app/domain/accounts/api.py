"""`/api/v1/me`: who the caller is, as the API sees them."""

from __future__ import annotations

from litestar import Controller, get

from app.domain.accounts.principal import Principal
from app.domain.accounts.schemas import ActorOut, MeOut, OrganisationOut


class MeApi(Controller):
    path = "/me"
    tags = ["accounts"]

    @get("/", name="api.me")
    async def me(self, principal: Principal) -> MeOut:
        """The caller's organisation and the actor their changes are audited as."""
        actor = principal.actor
        return MeOut(
            organisation=OrganisationOut(
                id=principal.organisation_id, name=principal.organisation_name
            ),
            actor=ActorOut(type=actor.type, id=actor.id, label=actor.label),
            role=principal.role.value,
        )


ROUTES = [MeApi]
