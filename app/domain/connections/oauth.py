""" "Connect with Mailchimp": the OAuth 2 authorization-code flow.

The `state` we send is signed (HMAC under the session secret), names the organisation and
person who started the flow, expires after ten minutes, and is single-use: its nonce lives in
Redis until the callback consumes it, so a replayed or forged state is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from app.domain.accounts.principal import Principal
from app.domain.connections import clients, services
from app.domain.connections.services import ConnectionView
from app.lib.errors import Forbidden, InvalidInput, NotFound, UpstreamUnavailable
from app.lib.redis import shared_client
from app.mailchimp.errors import MailchimpError, Unauthorized
from app.settings import get_settings

STATE_SECONDS = 600
CALLBACK_PATH = "/settings/mailchimp/oauth/callback"
_NONCE_KEY = "listbridge:oauth-state:{}"
INVALID_STATE = (
    "This sign-in link from Mailchimp is not valid any more (it was used already, expired, or "
    "was started by someone else). Start again with “Connect with Mailchimp”."
)


def enabled() -> bool:
    return get_settings().mailchimp.oauth_enabled


def redirect_uri() -> str:
    return get_settings().app.base_url + CALLBACK_PATH


def _sign(payload: bytes) -> str:
    key = hashlib.sha256(b"oauth-state:" + get_settings().security.session_secret.encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


async def start(principal: Principal) -> str:
    """The Mailchimp authorize URL to send the person to."""
    principal.require_admin()
    if not enabled():
        raise NotFound("Connecting with Mailchimp sign-in is not configured on this server.")
    nonce = secrets.token_urlsafe(24)
    body = {
        "o": principal.organisation_id,
        "u": principal.user_id,
        "n": nonce,
        "t": int(time.time()),
    }
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
    await shared_client().set(_NONCE_KEY.format(nonce), b"1", ex=STATE_SECONDS)
    state = f"{payload.decode()}.{_sign(payload)}"
    return clients.oauth_client().authorize_url(redirect_uri(), state)


async def _consume_state(principal: Principal, state: str) -> None:
    payload, _, signature = state.partition(".")
    if not signature or not hmac.compare_digest(signature, _sign(payload.encode())):
        raise Forbidden(INVALID_STATE)
    try:
        body = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        raise Forbidden(INVALID_STATE) from None
    fresh = time.time() - body.get("t", 0) <= STATE_SECONDS
    ours = body.get("o") == principal.organisation_id and body.get("u") == principal.user_id
    first_use = await shared_client().getdel(_NONCE_KEY.format(body.get("n", ""))) is not None
    if not (fresh and ours and first_use):
        raise Forbidden(INVALID_STATE)


async def finish(principal: Principal, *, code: str, state: str, error: str = "") -> ConnectionView:
    """The callback: check the state, exchange the code (Mailchimp allows 30 s), keep the token."""
    principal.require_admin()
    await _consume_state(principal, state)
    if error:
        raise InvalidInput({"oauth": "Mailchimp did not grant access, so nothing was connected."})
    if not code:
        raise InvalidInput({"oauth": "Mailchimp's answer had no authorization code."})
    try:
        async with clients.oauth_client() as oauth:
            token = await oauth.exchange_code(code, redirect_uri())
            metadata = await oauth.metadata(token)
    except Unauthorized:
        raise InvalidInput(
            {"oauth": "Mailchimp refused the sign-in (the code expired or was already used)."}
        ) from None
    except MailchimpError:
        raise UpstreamUnavailable(services.UNREACHABLE) from None
    return await services.connect_oauth_token(
        principal, access_token=token, dc=metadata.dc, api_endpoint=metadata.api_endpoint
    )
