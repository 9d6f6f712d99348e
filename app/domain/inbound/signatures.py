"""Checking who sent a delivery: HMAC-SHA256 signatures with a replay window, bearer secrets.

Three signed forms, all verified over the raw body bytes and compared in constant time:
- Mailchimp:   `X-Mailchimp-Signature: t=<unix>,v1=<hex>`, HMAC of `"{t}." + body`
- Listbridge:  `X-Listbridge-Signature: t=<unix>,v1=<hex>`, HMAC of `"{t}." + body`
- Customer.io: `X-CIO-Timestamp: <unix>` and `X-CIO-Signature: <hex>`,
               HMAC of `"v0:{timestamp}:" + body`
A timestamp further than REPLAY_WINDOW from our clock (either way) is refused, so a captured
delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

REPLAY_WINDOW = 300  # seconds
MAX_HEADER = 512


class SignatureProblem(Exception):
    """The delivery's signature is missing, malformed, wrong or too old (answer 401)."""


def _hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _fresh(timestamp: str, now: float | None) -> int:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureProblem("The signature's timestamp is not a Unix time.")
    moment = int(timestamp)
    if abs((now if now is not None else time.time()) - moment) > REPLAY_WINDOW:
        raise SignatureProblem("The signature is too old (or from the future): resend it.")
    return moment


def parse_t_v1(header: str) -> tuple[str, list[str]]:
    """`t=1718000000,v1=ab12…[,v1=…]` → ("1718000000", ["ab12…", …])."""
    if len(header) > MAX_HEADER:
        raise SignatureProblem("The signature header is too long.")
    timestamp, signatures = "", []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value.strip()
        elif name == "v1":
            signatures.append(value.strip().lower())
    if not timestamp or not signatures:
        raise SignatureProblem("The signature header needs t=<unix time> and v1=<hex>.")
    return timestamp, signatures


def verify_t_v1(header: str, body: bytes, key: str, *, now: float | None = None) -> None:
    """Mailchimp's and our own scheme: raises SignatureProblem unless one v1 matches."""
    timestamp, signatures = parse_t_v1(header)
    _fresh(timestamp, now)
    expected = _hmac(key, timestamp.encode() + b"." + body)
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise SignatureProblem("The signature does not match the body.")


def verify_customerio(
    timestamp: str, signature: str, body: bytes, key: str, *, now: float | None = None
) -> None:
    """Customer.io reporting webhooks: raises SignatureProblem unless the signature matches."""
    timestamp, signature = timestamp.strip(), signature.strip().lower()
    if len(signature) > MAX_HEADER:
        raise SignatureProblem("The signature header is too long.")
    _fresh(timestamp, now)
    expected = _hmac(key, b"v0:" + timestamp.encode() + b":" + body)
    if not hmac.compare_digest(expected, signature):
        raise SignatureProblem("The signature does not match the body.")


def sign_t_v1(key: str, body: bytes, timestamp: int | None = None) -> str:
    """A `t=…,v1=…` header value for `body` (our senders' side, and tests)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_hmac(key, str(moment).encode() + b'.' + body)}"


def sign_customerio(key: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    moment = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-CIO-Timestamp": moment,
        "X-CIO-Signature": _hmac(key, b"v0:" + moment.encode() + b":" + body),
    }


def bearer_matches(headers: Mapping[str, str], secret: str) -> bool:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or len(value) > MAX_HEADER:
        return False
    return hmac.compare_digest(value.strip().encode(), secret.encode())


def secrets_equal(given: str, expected: str) -> bool:
    """Constant time, and never an exception for non-ASCII input."""
    return hmac.compare_digest(given.encode(), expected.encode())
