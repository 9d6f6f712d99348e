"""Mailchimp's problem documents become typed errors; batch refusals become named outcomes."""

from __future__ import annotations

import httpx
import pytest

from app.mailchimp.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    ForgottenEmailNotSubscribed,
    InvalidResource,
    MailchimpError,
    MemberExists,
    MemberInComplianceState,
    MemberOutcome,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    classify_member_error,
    error_from_response,
)
from tests.unit.mailchimp.mailchimp_client_fakes import problem

EMAIL = "ada@example.org"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            ),
            Unauthorized,
        ),
        (problem(403, "User Disabled", "This account has been disabled."), Forbidden),
        (problem(403, "Forbidden", "You may not access this resource."), Forbidden),
        (
            problem(404, "Resource Not Found", "The requested resource could not be found."),
            NotFound,
        ),
        (
            problem(
                400,
                "Member Exists",
                f"{EMAIL} is already a list member. Use PUT to insert or update list members.",
            ),
            MemberExists,
        ),
        (
            problem(
                400,
                "Member In Compliance State",
                f"{EMAIL} is in a compliance state due to unsubscribe, bounce, or compliance "
                "review and cannot be subscribed.",
            ),
            MemberInComplianceState,
        ),
        (
            problem(
                400,
                "Forgotten Email Not Subscribed",
                f"{EMAIL} was permanently deleted and cannot be re-imported. The contact must "
                "re-subscribe to get back on the list.",
            ),
            ForgottenEmailNotSubscribed,
        ),
        (
            problem(
                400,
                "Invalid Resource",
                f"{EMAIL} looks fake or invalid, please enter a real email address.",
            ),
            InvalidResource,
        ),
        (
            problem(405, "Method Not Allowed", "This list member cannot be removed."),
            BadRequest,
        ),
        (
            problem(429, "Too Many Requests", "You have exceeded the limit of 10 connections."),
            RateLimited,
        ),
        (
            problem(500, "Internal Server Error", "An unexpected internal error has occurred."),
            ServerError,
        ),
    ],
)
def test_problem_documents_map_to_their_error_class(
    answer: httpx.Response, expected: type[MailchimpError]
) -> None:
    error = error_from_response(answer)
    assert type(error) is expected
    assert error.status == answer.status_code
    assert error.title == answer.json()["title"]
    assert error.detail == answer.json()["detail"]
    assert error.instance == "995c5cb0-3280-4a6e-808b-3b096d0bb219"
    assert error.user_message
    assert error.detail in str(error)


def test_merge_field_errors_carry_each_field_and_say_which() -> None:
    answer = problem(
        400,
        "Invalid Resource",
        "Your merge fields were invalid.",
        errors=[
            {"field": "RADIO", "message": "Please enter a value"},
            {"field": "BIRTHDAY", "message": "Please enter a month (01-12) and a day (01-31)"},
        ],
    )
    error = error_from_response(answer)
    assert isinstance(error, InvalidResource)
    assert error.field_errors == (
        FieldError("RADIO", "Please enter a value"),
        FieldError("BIRTHDAY", "Please enter a month (01-12) and a day (01-31)"),
    )
    assert error.outcome is MemberOutcome.INVALID_MERGE_FIELDS
    assert "RADIO: Please enter a value" in error.user_message


def test_a_fake_looking_address_reads_as_such() -> None:
    answer = problem(400, "Invalid Resource", "Please provide a valid email address.")
    error = error_from_response(answer)
    assert isinstance(error, InvalidResource)
    assert error.outcome is MemberOutcome.FAKE_EMAIL
    assert "fake or invalid" in error.user_message


def test_rate_limit_reads_retry_after_seconds() -> None:
    answer = problem(429, "Too Many Requests", "Slow down.")
    answer.headers["Retry-After"] = "7"
    error = error_from_response(answer)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    assert error.retryable


def test_bare_429_and_403_under_load_are_rate_limits() -> None:
    for status in (429, 403):
        error = error_from_response(httpx.Response(status, text=""))
        assert isinstance(error, RateLimited), status
        assert error.retry_after is None


def test_an_html_502_from_the_cdn_is_a_server_error() -> None:
    answer = httpx.Response(
        502,
        text="<html><body><h1>502 Bad Gateway</h1></body></html>",
        headers={"Content-Type": "text/html"},
    )
    error = error_from_response(answer)
    assert isinstance(error, ServerError)
    assert error.status == 502
    assert error.retryable


def test_an_unreadable_404_is_still_not_found() -> None:
    assert isinstance(error_from_response(httpx.Response(404, text="nope")), NotFound)


def test_member_level_errors_are_not_retryable() -> None:
    for cls in (MemberExists, MemberInComplianceState, InvalidResource, Unauthorized, NotFound):
        assert not cls.retryable


def test_error_repr_is_short_and_typed() -> None:
    error = error_from_response(problem(404, "Resource Not Found", "Gone."))
    assert repr(error) == "NotFound(status=404, title='Resource Not Found')"


@pytest.mark.parametrize(
    ("text", "code", "field", "outcome"),
    [
        (
            f"{EMAIL} is already a list member, do you want to update? please provide "
            "update_existing:true in the request body",
            "ERROR_CONTACT_EXISTS",
            None,
            MemberOutcome.MEMBER_EXISTS,
        ),
        ("Contact exists", "ERROR_CONTACT_EXISTS", None, MemberOutcome.MEMBER_EXISTS),
        (
            f"{EMAIL} is in a compliance state due to unsubscribe, bounce, or compliance review "
            "and cannot be subscribed.",
            "ERROR_GENERIC",
            None,
            MemberOutcome.COMPLIANCE_STATE,
        ),
        (
            f"{EMAIL} was permanently deleted and cannot be re-imported. The contact must "
            "re-subscribe to get back on the list.",
            "ERROR_GENERIC",
            None,
            MemberOutcome.FORGOTTEN_EMAIL,
        ),
        (
            f"{EMAIL} looks fake or invalid, please enter a real email address.",
            "ERROR_GENERIC",
            None,
            MemberOutcome.FAKE_EMAIL,
        ),
        ("Please provide a valid email address.", "ERROR_GENERIC", None, MemberOutcome.FAKE_EMAIL),
        (
            f"{EMAIL} has signed up to a lot of lists very recently; we're not allowing more "
            "signups for now",
            "ERROR_GENERIC",
            None,
            MemberOutcome.TOO_MANY_SIGNUPS,
        ),
        (
            "Your merge fields were invalid.",
            "ERROR_GENERIC",
            None,
            MemberOutcome.INVALID_MERGE_FIELDS,
        ),
        ("Please enter a value", "ERROR_GENERIC", "FNAME", MemberOutcome.INVALID_MERGE_FIELDS),
        ("Something else went wrong.", "ERROR_GENERIC", None, MemberOutcome.OTHER),
        (None, None, None, MemberOutcome.OTHER),
    ],
)
def test_batch_refusals_are_classified_into_named_outcomes(
    text: str | None, code: str | None, field: str | None, outcome: MemberOutcome
) -> None:
    assert classify_member_error(text, code, field) is outcome
