"""CSRF protection for cookie-authenticated requests.

Litestar's middleware checks every unsafe request. A request that authenticates with an
`Authorization: Bearer` header cannot be forged by another site (browsers never attach that
header on their own), and the auth guard never falls back to the cookie for such requests,
so those are let through; everything else must present the token.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

HEADER = "x-csrftoken"
COOKIE = "listbridge_csrf"


class BearerExemptCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope.get("headers", ()):
                if name == b"authorization" and value[:7].lower() == b"bearer ":
                    await self.app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def csrf_middleware(*, secret: str, secure: bool, exclude: list[str]) -> DefineMiddleware:
    config = CSRFConfig(
        secret=secret,
        cookie_name=COOKIE,
        header_name=HEADER,
        cookie_secure=secure,
        cookie_samesite="lax",
        exclude=exclude,
    )
    return DefineMiddleware(BearerExemptCSRFMiddleware, config=config)
