"""The OpenAPI description at /schema: how to authenticate, and the problem+json errors every
API operation can answer (app/lib/errors.py sends them), so the schema says what clients get."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Litestar
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

from app.lib.errors import PROBLEM_JSON

API_PREFIX = "/api/"

# Every API operation may answer these: its own checks (400, 404, 409), the token guard (401),
# roles (403), rate limits (429), Mailchimp being unreachable (502) and oversized bodies (413).
API_ERRORS = {
    400: "The request is malformed or a field is invalid; `errors` names the fields.",
    401: "The API token is missing, invalid or revoked.",
    403: "The token's role may not do this.",
    404: "Nothing with this id in the token's organisation.",
    409: "The request conflicts with the current state (a duplicate, no Mailchimp connection).",
    413: "The request body is too large.",
    429: "Too many requests; retry after the `retry-after` header's seconds.",
    502: "Mailchimp could not be reached or refused the call.",
}


@dataclass
class FieldProblem:
    field: str
    message: str


@dataclass
class Problem:
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


def openapi_config(description: str | None) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Listbridge API",
        version="1",
        path="/schema",
        description=description,
        components=Components(
            security_schemes={
                "apiToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="An API token from Settings → API tokens.",
                )
            }
        ),
        security=[{"apiToken": []}],
    )


def document_api_errors(app: Litestar) -> None:
    """Replace Litestar's default 400 description (its own JSON shape, not what we send) with
    the problem+json answers of API_ERRORS, on every API operation."""
    responses = {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=description,
            generate_examples=False,
        )
        for status, description in API_ERRORS.items()
    }
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            continue
        for handler in route.route_handlers:
            handler.responses = {**responses, **(handler.responses or {})}
