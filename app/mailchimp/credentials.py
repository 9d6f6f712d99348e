"""How we prove who we are to Mailchimp: an API key (HTTP Basic) or an OAuth token (Bearer)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Generator
from dataclasses import dataclass, field

import httpx

_DATA_CENTRE = re.compile(r"us[0-9]{1,3}")
_KEY_PART = re.compile(r"[0-9a-f]{32}")


class InvalidApiKeyFormat(ValueError):
    """The text pasted as an API key cannot be a Mailchimp API key; the message says why."""


def parse_api_key(api_key: str) -> tuple[str, str]:
    """Check an API key's shape and return `(key, data_centre)`; the key is trimmed.

    The message of the error never repeats the key itself, so the UI can show it as is.
    """
    key = api_key.strip()
    if not key:
        raise InvalidApiKeyFormat("The API key is empty.")
    secret, dash, data_centre = key.rpartition("-")
    if not dash:
        raise InvalidApiKeyFormat(
            "The API key has no data-centre suffix: it should end with a dash and the data "
            "centre, like …-us6."
        )
    if not _DATA_CENTRE.fullmatch(data_centre):
        raise InvalidApiKeyFormat(
            "The part after the last dash should be a Mailchimp data centre such as us6; "
            f"found {data_centre[:12]!r}."
        )
    if not _KEY_PART.fullmatch(secret):
        raise InvalidApiKeyFormat(
            "The part before the dash should be 32 lower-case hexadecimal characters "
            f"(0-9, a-f); it has {len(secret)} characters."
        )
    return key, data_centre


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class _HeaderAuth(httpx.Auth):
    """Sets Authorization per request so it never sits in the client's default headers."""

    def __init__(self, value: str) -> None:
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._value
        yield request

    def __repr__(self) -> str:
        return "<_HeaderAuth [redacted]>"


@dataclass(frozen=True)
class ApiKeyCredentials:
    """A Mailchimp API key, `<32 hex>-<dc>`; the data centre picks the API host."""

    api_key: str = field(repr=False)
    data_centre: str = field(init=False)

    def __post_init__(self) -> None:
        key, data_centre = parse_api_key(self.api_key)
        object.__setattr__(self, "api_key", key)
        object.__setattr__(self, "data_centre", data_centre)

    @property
    def base_url(self) -> str:
        return f"https://{self.data_centre}.api.mailchimp.com/3.0"

    @property
    def fingerprint(self) -> str:
        """A stable, non-reversible name for this key (used as the default limiter key)."""
        return _fingerprint(self.api_key)

    def http_auth(self) -> httpx.Auth:
        # Mailchimp accepts any user name with the key as password.
        return httpx.BasicAuth("listbridge", self.api_key)


@dataclass(frozen=True)
class OAuthCredentials:
    """An OAuth 2 access token and the `api_endpoint` its metadata named (tokens never expire)."""

    access_token: str = field(repr=False)
    api_endpoint: str

    def __post_init__(self) -> None:
        if not self.access_token.strip():
            raise ValueError("The OAuth access token is empty.")
        if not self.api_endpoint.startswith(("https://", "http://")):
            raise ValueError("The OAuth api_endpoint must be an http(s) URL.")

    @property
    def base_url(self) -> str:
        return f"{self.api_endpoint.rstrip('/')}/3.0"

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.access_token)

    def http_auth(self) -> httpx.Auth:
        return _HeaderAuth(f"Bearer {self.access_token}")


Credentials = ApiKeyCredentials | OAuthCredentials
