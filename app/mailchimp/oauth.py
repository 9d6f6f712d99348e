"""Connecting a Mailchimp account through OAuth 2 (authorization-code flow at login.mailchimp.com).

Tokens never expire and there is no refresh token. The code must be exchanged within about 30 s,
so retries here are few and short.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self
from urllib.parse import urlencode

import httpx
import msgspec

from app.mailchimp.errors import Unauthorized, error_from_response
from app.mailchimp.limiter import LocalConcurrencyLimiter
from app.mailchimp.models import OAuthMetadata
from app.mailchimp.retry import RetryPolicy
from app.mailchimp.session import ApiSession, Sleep, decode

OAUTH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
OAUTH_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=2.0, max_total_wait=5.0)


class _TokenAnswer(msgspec.Struct):
    access_token: str | None = None
    error: str | None = None


class _ErrorProbe(msgspec.Struct):
    error: str | None = None


class MailchimpOAuth:
    """Our side of Mailchimp's OAuth 2: the consent URL, the code swap, the token's metadata."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = "https://login.mailchimp.com",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = OAUTH_TIMEOUT,
        retry: RetryPolicy = OAUTH_RETRY,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": "Listbridge"},
        )
        # login.mailchimp.com is outside the API's 10-connection cap; this only bounds us.
        self._session = ApiSession(
            http=self._http,
            limiter=LocalConcurrencyLimiter(),
            account_key="oauth",
            retry=retry,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"MailchimpOAuth(client_id={self.client_id!r}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where to send the person to approve access; `state` comes back to the redirect."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.base_url}/oauth2/authorize?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> str:
        """Swap the authorization code for an access token (which never expires)."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        # Not idempotent: a code is single-use, so only a surely-unsent request is repeated.
        response = await self._session.send("POST", "/oauth2/token", data=form, idempotent=False)
        answer = decode(response, _TokenAnswer)
        if answer.error or not answer.access_token:
            raise _refused(response)
        return answer.access_token

    async def metadata(self, access_token: str) -> OAuthMetadata:
        """Which data centre, API endpoint and login a token belongs to."""
        response = await self._session.send(
            "GET", "/oauth2/metadata", headers={"Authorization": f"OAuth {access_token}"}
        )
        # A bad token may come back as 200 {"error": "invalid_token"}.
        if decode(response, _ErrorProbe).error:
            raise _refused(response)
        return decode(response, OAuthMetadata)


def _refused(response: httpx.Response) -> Unauthorized:
    error = error_from_response(response)
    if isinstance(error, Unauthorized):
        return error
    return Unauthorized(error.detail or "Mailchimp gave no access token.", status=error.status)
