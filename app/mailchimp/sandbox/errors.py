"""Mailchimp's error documents: every failure is `application/problem+json` with five keys."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

ERROR_DOCS = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_JSON = "application/problem+json; charset=utf-8"
INVALID_RESOURCE_DETAIL = (
    "The resource submitted could not be validated. "
    "For field-specific details, see the 'errors' array."
)


class ApiProblem(Exception):
    """A Mailchimp API error; raised anywhere below a route, rendered by `problem_response`."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def document(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": ERROR_DOCS,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found() -> ApiProblem:
    return ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")


def invalid_resource(
    detail: str = INVALID_RESOURCE_DETAIL, errors: list | None = None
) -> ApiProblem:
    return ApiProblem(400, "Invalid Resource", detail, errors=errors)


def field_error(field: str, message: str) -> ApiProblem:
    return invalid_resource(errors=[{"field": field, "message": message}])


def too_many_requests(retry_after: int | None = None) -> ApiProblem:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return ApiProblem(
        429,
        "Too Many Requests",
        "You have exceeded the limit of 10 simultaneous connections.",
        headers=headers,
    )


def internal_error() -> ApiProblem:
    return ApiProblem(
        500,
        "Internal Server Error",
        "An unexpected internal error has occurred. Please contact Support for more information.",
    )


def problem_response(problem: ApiProblem) -> Response:
    instance = str(uuid.uuid4())
    return Response(
        content=problem.document(instance),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={"X-Request-Id": instance, **problem.headers},
    )


# Litestar's own errors (unknown route, wrong method, unparsable query) get Mailchimp's titles.
_LITESTAR_TITLES = {
    400: ("Bad Request", "The request could not be understood."),
    404: ("Resource Not Found", "The requested resource could not be found."),
    405: (
        "Method Not Allowed",
        "The requested method and resource are not compatible. "
        "See the Allow header for this resource's available methods.",
    ),
}


def handle_api_problem(_: Request, exc: ApiProblem) -> Response:
    return problem_response(exc)


def handle_http_exception(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    title, detail = _LITESTAR_TITLES.get(status, (HTTPStatus(status).phrase, str(exc.detail)))
    problem = ApiProblem(status, title, detail)
    problem.headers.update({k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"})
    return problem_response(problem)


def handle_unexpected(_: Request, exc: Exception) -> Response:
    # A sandbox bug still answers like Mailchimp would, but is logged so it can be fixed.
    logging.getLogger(__name__).exception("sandbox error", exc_info=exc)
    return problem_response(internal_error())


# Member errors: observed titles and texts (FACTS.md §3.4)


def member_exists(email: str) -> ApiProblem:
    return ApiProblem(
        400,
        "Member Exists",
        f"{email} is already a list member. Use PUT to insert or update list members.",
    )


def compliance_state(email: str) -> ApiProblem:
    return ApiProblem(
        400,
        "Member In Compliance State",
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance "
        "review and cannot be subscribed.",
    )


def forgotten_email(email: str) -> ApiProblem:
    return ApiProblem(
        400,
        "Forgotten Email Not Subscribed",
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list.",
    )
