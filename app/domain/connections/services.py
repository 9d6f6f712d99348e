"""Connecting an organisation to Mailchimp: verify, store encrypted, re-verify, disconnect.

One live connection per organisation. A secret is verified live before it is stored, stored
only as Fernet ciphertext, and wiped on disconnect. Nothing here returns a secret.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from app.db import transaction, utcnow
from app.domain.accounts.principal import Principal
from app.domain.connections import clients
from app.domain.connections.tables import AuthType, ConnectionStatus, MailchimpConnection
from app.lib import audit
from app.lib.crypto import SecretUnreadable, secret_box
from app.lib.errors import InvalidInput, NotFound, UpstreamUnavailable
from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import InvalidApiKeyFormat, parse_api_key
from app.mailchimp.errors import MailchimpError, Unauthorized
from app.mailchimp.models import Account

logger = logging.getLogger(__name__)

REJECTED_KEY = (
    "Mailchimp rejected this key — it may have been revoked, or typed with a wrong character. "
    "Create a new key in Mailchimp under Account → Extras → API keys."
)
UNREACHABLE = (
    "We couldn't reach Mailchimp to check this, so nothing was saved. "
    "Mailchimp may be having trouble; try again in a minute."
)


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """A connection as pages and the API show it: everything except the secret."""

    id: int
    auth_type: str
    dc: str
    account_id: str
    account_name: str
    login_email: str
    status: str
    last_error: str
    connected_at: datetime
    last_verified_at: datetime | None


def _view(row: MailchimpConnection) -> ConnectionView:
    return ConnectionView(
        id=row.id,
        auth_type=row.auth_type,
        dc=row.dc,
        account_id=row.account_id,
        account_name=row.account_name,
        login_email=row.login_email,
        status=row.status,
        last_error=row.last_error,
        connected_at=row.created_at,
        last_verified_at=row.last_verified_at,
    )


async def live_connection(organisation_id: int) -> MailchimpConnection | None:
    return (
        await MailchimpConnection.objects()
        .where(
            (MailchimpConnection.organisation == organisation_id)
            & MailchimpConnection.soft_deleted_at.is_null()
        )
        .first()
    )


async def connected_organisation_ids() -> list[int]:
    """Organisations with a live connection (for jobs that run for everyone, like the cron)."""
    rows = await MailchimpConnection.select(MailchimpConnection.organisation).where(
        MailchimpConnection.soft_deleted_at.is_null()
    )
    return sorted({row["organisation"] for row in rows})


async def current(principal: Principal) -> ConnectionView | None:
    row = await live_connection(principal.organisation_id)
    return _view(row) if row else None


def client_for_row(row: MailchimpConnection, *, interactive: bool = False) -> MailchimpClient:
    try:
        secret = secret_box().decrypt(row.secret)
    except SecretUnreadable:
        logger.error("stored Mailchimp secret is unreadable", extra={"connection_id": row.id})
        raise UpstreamUnavailable(
            "The stored Mailchimp credentials can't be decrypted with the configured keys. "
            "Reconnect Mailchimp, or restore the missing LISTBRIDGE_SECRET_KEYS entry.",
            title="Mailchimp credentials unreadable",
        ) from None
    credentials = clients.credentials_for(row.auth_type, secret, row.api_endpoint)
    return clients.mailchimp_client(
        credentials, account_key=row.account_id or None, interactive=interactive
    )


async def client_for(organisation_id: int, *, interactive: bool = False) -> MailchimpClient:
    """A client for the organisation's live connection (for other domains' services and jobs)."""
    row = await live_connection(organisation_id)
    if row is None:
        raise NotFound("Connect a Mailchimp account first (Settings → Mailchimp).")
    return client_for_row(row, interactive=interactive)


async def _verify(client: MailchimpClient) -> Account:
    """Ping, then read the account: a key that pings but cannot read the root is no good."""
    await client.ping()
    return await client.account()


def _explain(error: MailchimpError, *, field: str) -> Exception:
    if isinstance(error, Unauthorized):
        return InvalidInput({field: REJECTED_KEY})
    return UpstreamUnavailable(UNREACHABLE)


async def _store(
    principal: Principal,
    *,
    auth_type: AuthType,
    secret: str,
    dc: str,
    api_endpoint: str,
    account: Account,
) -> ConnectionView:
    """Save a verified connection, replacing (and wiping) any previous one, with its audit."""
    async with transaction():
        previous = await live_connection(principal.organisation_id)
        if previous is not None:
            await _retire(previous)
        row = MailchimpConnection(
            organisation=principal.organisation_id,
            connected_by=principal.user_id,
            auth_type=auth_type,
            secret=secret_box().encrypt(secret),
            dc=dc,
            api_endpoint=api_endpoint,
            account_id=account.account_id,
            account_name=account.account_name or "",
            login_email=account.email or "",
            status=ConnectionStatus.connected,
            last_verified_at=utcnow(),
        )
        await row.save()
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="mailchimp.reconnected" if previous else "mailchimp.connected",
            entity_type="mailchimp_connection",
            entity_id=row.id,
            changes={
                "auth_type": auth_type.value,
                "dc": dc,
                "account_id": account.account_id,
                "account_name": account.account_name,
                **({"replaced_connection": previous.id} if previous else {}),
            },
        )
    return _view(row)


async def _retire(row: MailchimpConnection) -> None:
    row.soft_deleted_at = utcnow()
    row.secret = ""
    await row.save([MailchimpConnection.soft_deleted_at, MailchimpConnection.secret])


async def connect_api_key(principal: Principal, *, api_key: str) -> ConnectionView:
    principal.require_admin()
    try:
        key, dc = parse_api_key(api_key)
    except InvalidApiKeyFormat as exc:
        raise InvalidInput({"api_key": str(exc)}) from None
    client = clients.mailchimp_client(
        clients.credentials_for(AuthType.api_key, key), interactive=True
    )
    try:
        async with client:
            account = await _verify(client)
    except MailchimpError as exc:
        raise _explain(exc, field="api_key") from None
    return await _store(
        principal, auth_type=AuthType.api_key, secret=key, dc=dc, api_endpoint="", account=account
    )


async def connect_oauth_token(
    principal: Principal, *, access_token: str, dc: str, api_endpoint: str
) -> ConnectionView:
    client = clients.mailchimp_client(
        clients.credentials_for(AuthType.oauth, access_token, api_endpoint), interactive=True
    )
    try:
        async with client:
            account = await _verify(client)
    except MailchimpError as exc:
        raise _explain(exc, field="oauth") from None
    return await _store(
        principal,
        auth_type=AuthType.oauth,
        secret=access_token,
        dc=dc,
        api_endpoint=api_endpoint,
        account=account,
    )


async def verify(principal: Principal) -> ConnectionView:
    """Check the stored secret still works; record the answer either way."""
    row = await live_connection(principal.organisation_id)
    if row is None:
        raise NotFound("There is no Mailchimp connection to verify.")
    status, error, account = ConnectionStatus.connected, "", None
    try:
        async with client_for_row(row, interactive=True) as client:
            account = await _verify(client)
    except Unauthorized:
        status, error = ConnectionStatus.error, REJECTED_KEY
    except MailchimpError:
        raise UpstreamUnavailable(UNREACHABLE) from None
    async with transaction():
        row.status, row.last_error = status, error
        columns = [MailchimpConnection.status, MailchimpConnection.last_error]
        if account is not None:
            row.last_verified_at = utcnow()
            row.account_name = account.account_name or row.account_name
            row.login_email = account.email or row.login_email
            columns += [
                MailchimpConnection.last_verified_at,
                MailchimpConnection.account_name,
                MailchimpConnection.login_email,
            ]
        await row.save(columns)
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="mailchimp.verified",
            entity_type="mailchimp_connection",
            entity_id=row.id,
            changes={"status": status.value},
        )
    return _view(row)


async def disconnect(principal: Principal) -> dict[str, int]:
    """Remove our webhooks from Mailchimp, then soft-delete the connection and wipe its secret.

    Segments, sync runs and campaign data stay. Webhooks Mailchimp can't be asked to remove
    (revoked key, outage) are reported, and forgotten here: without the secret we could never
    remove them later either, and Mailchimp stops calling a URL that answers 410.
    """
    from app.domain.inbound import services as inbound

    principal.require_admin()
    row = await live_connection(principal.organisation_id)
    if row is None:
        raise NotFound("There is no Mailchimp connection to disconnect.")
    try:
        async with client_for_row(row, interactive=True) as client:
            removal = await inbound.remove_registered_webhooks(principal, client)
    except UpstreamUnavailable:
        removal = await inbound.forget_registered_webhooks(principal)
    async with transaction():
        await _retire(row)
        await audit.record(
            principal.actor,
            organisation_id=principal.organisation_id,
            action="mailchimp.disconnected",
            entity_type="mailchimp_connection",
            entity_id=row.id,
            changes={"account_id": row.account_id, "webhooks": removal},
        )
    return removal


async def rotate_secrets() -> int:
    """`listbridge rotate-keys`: re-encrypt every stored connection secret under the first key."""
    box = secret_box()
    rows = await MailchimpConnection.objects().where(MailchimpConnection.secret != "")
    async with transaction():
        for row in rows:
            row.secret = box.rotate(row.secret)
            await row.save([MailchimpConnection.secret])
    return len(rows)
