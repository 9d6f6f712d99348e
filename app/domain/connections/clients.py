"""Building Mailchimp clients for an organisation's connection: the only place that does.

Secrets are decrypted here, immediately before use, and never leave the client object.
Interactive calls (a person waiting on a page) retry little; jobs retry patiently.
"""

from __future__ import annotations

import httpx

from app.lib.redis import shared_client
from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import ApiKeyCredentials, Credentials, OAuthCredentials
from app.mailchimp.limiter import RedisConcurrencyLimiter
from app.mailchimp.oauth import MailchimpOAuth
from app.mailchimp.retry import RetryPolicy
from app.settings import get_settings

INTERACTIVE = RetryPolicy(max_attempts=2, base_delay=0.3, max_delay=1.0, max_total_wait=3.0)
PATIENT = RetryPolicy()
INTERACTIVE_TIMEOUT = httpx.Timeout(20.0, connect=5.0, pool=10.0)

_transport: httpx.AsyncBaseTransport | None = None


def route_through(transport: httpx.AsyncBaseTransport | None) -> None:
    """Send every Mailchimp request through `transport` (tests: the in-process sandbox)."""
    global _transport
    _transport = transport


def credentials_for(auth_type: str, secret: str, api_endpoint: str = "") -> Credentials:
    if auth_type == "oauth":
        return OAuthCredentials(access_token=secret, api_endpoint=api_endpoint)
    return ApiKeyCredentials(api_key=secret)


def mailchimp_client(
    credentials: Credentials, *, account_key: str | None = None, interactive: bool = False
) -> MailchimpClient:
    settings = get_settings().mailchimp
    # An OAuth token carries its own endpoint; MAILCHIMP_BASE_URL stands in for <dc>.api...
    base_url = None
    if settings.base_url and isinstance(credentials, ApiKeyCredentials):
        base_url = settings.base_url
    return MailchimpClient(
        credentials,
        base_url=base_url,
        transport=_transport,
        # A lease outlives the longest call, so a crashed holder's slot frees itself soon after.
        limiter=RedisConcurrencyLimiter(
            shared_client(), lease_seconds=settings.timeout_seconds + 60
        ),
        account_key=account_key,
        retry=INTERACTIVE if interactive else PATIENT,
        timeout=INTERACTIVE_TIMEOUT
        if interactive
        else httpx.Timeout(settings.timeout_seconds, connect=10.0, pool=30.0),
    )


def oauth_client() -> MailchimpOAuth:
    settings = get_settings().mailchimp
    return MailchimpOAuth(
        settings.client_id,
        settings.client_secret,
        base_url=settings.oauth_base_url,
        transport=_transport,
    )
