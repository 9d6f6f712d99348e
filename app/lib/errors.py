"""Errors as types, and the one place they become responses.

Services raise `ListbridgeError` subclasses with words a person can act on. JSON callers
(everything under /api/ and /hooks/) get RFC 9457 problem+json; people get an HTML page, or
for htmx requests a small fragment. A 500 never leaks its cause: it is logged, not shown.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg.exceptions
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ListbridgeError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(
        self, detail: str, *, title: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if title:
            self.title = title
        self.errors = errors or {}


class InvalidInput(ListbridgeError):
    """Field-level problems: forms show them inline, the API lists them in `errors`."""

    status_code = 400
    title = "Invalid input"

    def __init__(self, errors: dict[str, str], detail: str | None = None) -> None:
        super().__init__(detail or "Some fields need attention.", errors=errors)


class NotFound(ListbridgeError):
    status_code = 404
    title = "Not found"


class Forbidden(ListbridgeError):
    status_code = 403
    title = "Forbidden"


class Conflict(ListbridgeError):
    status_code = 409
    title = "Conflict"


class TooManyRequests(ListbridgeError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamUnavailable(ListbridgeError):
    """Mailchimp (or another service we depend on) could not be reached."""

    status_code = 502
    title = "Mailchimp unavailable"


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/hooks/")):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "html" not in accept


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _page(
    request: Request, status: int, title: str, detail: str, errors: list[dict] | None = None
) -> Response:
    template = "_error.html" if request.headers.get("hx-request") else "errors/page.html"
    return Template(
        template,
        context={"status": status, "title": title, "detail": detail, "errors": errors or []},
        status_code=status,
        media_type=MediaType.HTML,
    )


def _respond(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    if wants_json(request):
        return problem(status, title, detail, headers=headers, **extra)
    response = _page(request, status, title, detail, extra.get("errors"))
    response.headers.update(headers or {})
    return response


def handle_listbridge_error(request: Request, exc: ListbridgeError) -> Response:
    extra: dict[str, Any] = {}
    if exc.errors:
        extra["errors"] = [{"field": f, "message": m} for f, m in exc.errors.items()]
    headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return _respond(request, exc.status_code, exc.title, exc.detail, headers=headers, **extra)


def handle_not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    if wants_json(request):
        return problem(401, "Unauthorized", exc.detail or "Authentication required.")
    target = f"/login?next={request.url.path}"
    if request.headers.get("hx-request"):
        return Response("", status_code=200, headers={"hx-redirect": target})
    return Redirect(target)


def handle_permission_denied(request: Request, exc: PermissionDeniedException) -> Response:
    detail = exc.detail or "You don't have permission to do that."
    if "CSRF" in detail:
        detail = "This form has expired. Reload the page and try again."
    return _respond(request, 403, "Forbidden", detail)


def handle_validation(request: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append(
                {"field": str(item.get("key") or ""), "message": str(item.get("message"))}
            )
    return _respond(
        request, 400, "Invalid request", exc.detail or "Invalid request.", errors=errors
    )


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        return handle_internal_error(request, exc)
    title = {404: "Not found", 405: "Method not allowed", 413: "Too large"}.get(status, "Error")
    detail = exc.detail if status != 404 else "There is nothing at this address."
    return _respond(request, status, title, detail, headers=getattr(exc, "headers", None) or None)


def handle_unstorable_value(request: Request, exc: Exception) -> Response:
    """A number or text the database cannot hold (an id past 64 bits, a NUL character): the
    caller's input, refused before anything was written."""
    logger.info("value refused by the database: %s", type(exc).__name__)
    return _respond(
        request,
        400,
        "Invalid request",
        "A value in the request is out of range or contains characters that cannot be stored.",
    )


def handle_unreadable_body(request: Request, exc: Exception) -> Response:
    """msgspec lets these escape Litestar's JSON decoding: bytes that are not UTF-8, and JSON
    nested past its recursion limit ([[[[…]]]] ten thousand deep)."""
    if isinstance(exc, RecursionError) and "deserializing" not in str(exc):
        return handle_internal_error(request, exc)
    detail = (
        "The request body is not valid UTF-8."
        if isinstance(exc, UnicodeDecodeError)
        else "The request body is nested too deeply to read."
    )
    return _respond(request, 400, "Invalid request", detail)


def handle_internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", extra={"path": request.url.path, "method": request.method})
    return _respond(
        request,
        500,
        "Something went wrong",
        "We could not complete this request. It has been logged; please try again.",
    )


EXCEPTION_HANDLERS = {
    ListbridgeError: handle_listbridge_error,
    NotAuthorizedException: handle_not_authorized,
    PermissionDeniedException: handle_permission_denied,
    ValidationException: handle_validation,
    HTTPException: handle_http_exception,
    # sqlite3 cannot bind ints past 64 bits; asyncpg refuses values its column types can't hold
    # (client side: _base.DataError) and Postgres refuses bad data (SQLSTATE class 22).
    OverflowError: handle_unstorable_value,
    asyncpg.exceptions._base.DataError: handle_unstorable_value,
    asyncpg.exceptions.DataError: handle_unstorable_value,
    UnicodeDecodeError: handle_unreadable_body,
    RecursionError: handle_unreadable_body,
    Exception: handle_internal_error,
}
