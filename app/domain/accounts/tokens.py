"""API tokens: shown once, stored as a SHA-256, revocable, scoped to one organisation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.accounts.tables import ApiToken, Organisation, Role
from app.lib import audit
from app.lib.audit import Actor
from app.lib.errors import InvalidInput, NotFound

PREFIX = "lb_"
MAX_NAME = 100
USAGE_PRECISION = 60  # seconds


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough to make the stored value useless.
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: dict) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


_COLUMNS = (
    ApiToken.id,
    ApiToken.name,
    ApiToken.prefix,
    ApiToken.created_at,
    ApiToken.last_used_at,
    ApiToken.revoked_at,
)


async def create(principal: Principal, *, name: str) -> tuple[TokenInfo, str]:
    """A new token and its plaintext, which is never stored and cannot be shown again."""
    principal.require_admin()
    name = name.strip()
    if not name:
        raise InvalidInput({"name": "Name the token after what will use it, e.g. “HR export”."})
    if len(name) > MAX_NAME:
        raise InvalidInput({"name": f"Use at most {MAX_NAME} characters."})
    plaintext = PREFIX + secrets.token_urlsafe(32)
    async with transaction():
        token = ApiToken(
            organisation=principal.organisation_id,
            created_by=principal.user_id,
            name=name,
            token_hash=_digest(plaintext),
            prefix=plaintext[:10],
        )
        await token.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="api_token.created",
            entity_type="api_token",
            entity_id=token.id,
            changes={"name": name, "prefix": token.prefix},
        )
    row = await ApiToken.select(*_COLUMNS).where(ApiToken.id == token.id).first()
    return _info(row), plaintext


async def list_tokens(principal: Principal) -> list[TokenInfo]:
    rows = (
        await ApiToken.select(*_COLUMNS)
        .where(ApiToken.organisation == principal.organisation_id)
        .order_by(ApiToken.created_at, ascending=False)
    )
    return [_info(r) for r in rows]


async def revoke(principal: Principal, *, token_id: int) -> None:
    principal.require_admin()
    async with transaction():
        token = (
            await ApiToken.objects()
            .where((ApiToken.id == token_id) & (ApiToken.organisation == principal.organisation_id))
            .first()
        )
        if token is None:
            raise NotFound("There is no such API token.")
        if token.revoked_at is not None:
            return
        token.revoked_at = utcnow()
        await token.save([ApiToken.revoked_at])
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="api_token.revoked",
            entity_type="api_token",
            entity_id=token.id,
            changes={"name": token.name},
        )


async def principal_for_token(token: str, ip: str | None = None) -> Principal | None:
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.last_used_at,
            ApiToken.organisation.id,
            ApiToken.organisation.name,
        )
        .where(
            (ApiToken.token_hash == _digest(token))
            & ApiToken.revoked_at.is_null()
            & ApiToken.organisation.soft_deleted_at.is_null()
        )
        .first()
    )
    if row is None:
        return None
    now = utcnow()
    # A write per request would serialise API traffic on SQLite; a minute's precision is plenty.
    if row["last_used_at"] is None or (now - row["last_used_at"]).total_seconds() > USAGE_PRECISION:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return Principal(
        organisation_id=row["organisation.id"],
        organisation_name=row["organisation.name"],
        # A token acts for its organisation with admin rights; only admins can create one.
        role=Role.admin,
        actor=Actor(type="api_token", id=str(row["id"]), label=row["name"], ip=ip),
        token_id=row["id"],
    )


async def create_for_operator(organisation: Organisation, *, name: str) -> str:
    """`listbridge create-token`: a token made by an operator, audited as the system."""
    principal = Principal(
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        role=Role.owner,
        actor=Actor.system("cli"),
    )
    _, plaintext = await create(principal, name=name)
    return plaintext
