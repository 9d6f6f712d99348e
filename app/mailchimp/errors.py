"""Mailchimp's error answers as typed exceptions, and per-member outcomes in the same words.

Mailchimp answers errors as `application/problem+json` (type, title, status, detail, instance and,
for validation, `errors[{field, message}]`). Batch subscribe answers 200 and lists per-member
failures instead; those are not exceptions but outcomes, classified by `classify_member_error`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import msgspec


class MemberOutcome(enum.StrEnum):
    """Why Mailchimp refused one member, in words the sync engine records per row."""

    MEMBER_EXISTS = "member_exists"
    COMPLIANCE_STATE = "compliance_state"
    FORGOTTEN_EMAIL = "forgotten_email"
    FAKE_EMAIL = "fake_email"
    INVALID_MERGE_FIELDS = "invalid_merge_fields"
    TOO_MANY_SIGNUPS = "too_many_signups"
    OTHER = "other"


OUTCOME_MESSAGES: dict[MemberOutcome, str] = {
    MemberOutcome.MEMBER_EXISTS: "This address is already in the audience.",
    MemberOutcome.COMPLIANCE_STATE: (
        "Mailchimp will not resubscribe this address: it unsubscribed, bounced or is under "
        "compliance review. The person has to sign up again themselves."
    ),
    MemberOutcome.FORGOTTEN_EMAIL: (
        "This address was permanently deleted from the audience and cannot be re-imported. "
        "The person has to sign up again themselves."
    ),
    MemberOutcome.FAKE_EMAIL: "Mailchimp thinks this address is fake or invalid.",
    MemberOutcome.INVALID_MERGE_FIELDS: "Some fields do not fit the audience's merge fields.",
    MemberOutcome.TOO_MANY_SIGNUPS: (
        "This address signed up to many audiences recently; Mailchimp is refusing more for now."
    ),
    MemberOutcome.OTHER: "Mailchimp rejected this member.",
}

# Lower-cased fragments of Mailchimp's detail texts (FACTS §3.4), checked in this order.
_OUTCOME_PHRASES: tuple[tuple[MemberOutcome, tuple[str, ...]], ...] = (
    (MemberOutcome.MEMBER_EXISTS, ("is already a list member",)),
    (MemberOutcome.COMPLIANCE_STATE, ("compliance state",)),
    (MemberOutcome.FORGOTTEN_EMAIL, ("permanently deleted", "cannot be re-imported")),
    (MemberOutcome.FAKE_EMAIL, ("looks fake or invalid", "provide a valid email address")),
    # Observed in the wild, not in Mailchimp's docs.
    (MemberOutcome.TOO_MANY_SIGNUPS, ("signed up to a lot of lists",)),
    (MemberOutcome.INVALID_MERGE_FIELDS, ("merge fields were invalid",)),
)


def classify_member_error(
    error_text: str | None, error_code: str | None = None, field: str | None = None
) -> MemberOutcome:
    """Name the outcome of one refused member from Mailchimp's text, code and field."""
    if error_code == "ERROR_CONTACT_EXISTS":
        return MemberOutcome.MEMBER_EXISTS
    text = (error_text or "").lower()
    for outcome, phrases in _OUTCOME_PHRASES:
        if any(phrase in text for phrase in phrases):
            return outcome
    if field:
        return MemberOutcome.INVALID_MERGE_FIELDS
    return MemberOutcome.OTHER


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class MailchimpError(Exception):
    """Anything Mailchimp refused, or could not be asked."""

    default_user_message: ClassVar[str] = "Mailchimp could not do that."
    # Worth asking again after a pause (the retry loop and the job scheduler read this).
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        title: str | None = None,
        instance: str | None = None,
        field_errors: tuple[FieldError, ...] = (),
        user_message: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.title = title
        self.instance = instance
        self.field_errors = field_errors
        self.user_message = user_message or self.default_user_message

    def __str__(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.title) if part)
        return f"{head}: {self.detail}" if head and self.detail else head or self.detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, title={self.title!r})"


class Unauthorized(MailchimpError):
    default_user_message = (
        "Mailchimp did not accept the API key or token. Check it is complete and has not been "
        "revoked, then connect again."
    )


class Forbidden(Unauthorized):
    default_user_message = (
        "Mailchimp refused this request for this account: the user may be disabled or lack the "
        "role needed. Check the account in Mailchimp."
    )


class NotFound(MailchimpError):
    default_user_message = (
        "Mailchimp could not find that: the audience, member or campaign may have been deleted."
    )


class RateLimited(MailchimpError):
    default_user_message = "Mailchimp is busy with too many requests; we will try again shortly."
    retryable = True

    def __init__(self, detail: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class ServerError(MailchimpError):
    default_user_message = "Mailchimp had an internal problem; we will try again shortly."
    retryable = True


class MailchimpUnavailable(MailchimpError):
    default_user_message = (
        "We could not reach Mailchimp (network problem or timeout). Nothing is wrong with the "
        "key; try again in a few minutes."
    )
    retryable = True


class UnexpectedResponse(MailchimpError):
    default_user_message = "Mailchimp answered in a way we did not expect."


class BadRequest(MailchimpError):
    """A 4xx that asking again will not fix."""

    default_user_message = "Mailchimp refused the request."

    @property
    def outcome(self) -> MemberOutcome:
        field = self.field_errors[0].field if self.field_errors else None
        return classify_member_error(self.detail, None, field)


class MemberExists(BadRequest):
    default_user_message = OUTCOME_MESSAGES[MemberOutcome.MEMBER_EXISTS]


class MemberInComplianceState(BadRequest):
    default_user_message = OUTCOME_MESSAGES[MemberOutcome.COMPLIANCE_STATE]


class ForgottenEmailNotSubscribed(BadRequest):
    default_user_message = OUTCOME_MESSAGES[MemberOutcome.FORGOTTEN_EMAIL]


class InvalidResource(BadRequest):
    """Validation failure: a fake-looking address, or merge fields that do not fit."""

    default_user_message = "Mailchimp rejected the data we sent."

    def __init__(self, detail: str = "", **kw: Any) -> None:
        super().__init__(detail, **kw)
        if kw.get("user_message") is None:
            self.user_message = _invalid_resource_message(self)


def _invalid_resource_message(error: InvalidResource) -> str:
    if error.outcome in (MemberOutcome.FAKE_EMAIL, MemberOutcome.TOO_MANY_SIGNUPS):
        return OUTCOME_MESSAGES[error.outcome]
    if error.field_errors:
        fields = "; ".join(f"{e.field}: {e.message}" for e in error.field_errors)
        return f"Mailchimp rejected some fields — {fields}"
    return error.detail or InvalidResource.default_user_message


_BY_TITLE: dict[str, type[MailchimpError]] = {
    "member exists": MemberExists,
    "member in compliance state": MemberInComplianceState,
    "forgotten email not subscribed": ForgottenEmailNotSubscribed,
    "invalid resource": InvalidResource,
    "user disabled": Forbidden,
    "forbidden": Forbidden,
    "authorization failure": Forbidden,
    "api key invalid": Unauthorized,
    "api key missing": Unauthorized,
    "resource not found": NotFound,
}


_OAUTH_MESSAGES: dict[str, str] = {
    "invalid_grant": "The Mailchimp approval expired or was already used. Please connect again.",
    "invalid_client": (
        "Mailchimp did not accept Listbridge's OAuth client id or secret; an administrator needs "
        "to check the OAuth settings."
    ),
    "invalid_token": (
        "Mailchimp no longer accepts this connection's token (access was revoked). Please "
        "connect again."
    ),
}


class _Problem(msgspec.Struct):
    """RFC 9457 problem document; `error` covers login.mailchimp.com's OAuth answers."""

    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    error: str | None = None
    error_description: str | None = None


def _decode_problem(content: bytes) -> _Problem | None:
    try:
        problem = msgspec.json.decode(content, type=_Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return problem


def _class_for(status: int, title: str, oauth_error: str | None) -> type[MailchimpError]:
    if title in _BY_TITLE:
        return _BY_TITLE[title]
    if oauth_error in _OAUTH_MESSAGES or oauth_error == "unauthorized_client":
        return Unauthorized
    if status == 401:
        return Unauthorized
    if status == 403:
        return Forbidden
    if status == 404:
        return NotFound
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    return BadRequest


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header; dates and nonsense count as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(response: httpx.Response) -> MailchimpError:
    """Turn a non-2xx answer (or a 200 carrying an OAuth `error`) into the matching exception."""
    status = response.status_code
    problem = _decode_problem(response.content)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if problem is None:
        # Mailchimp sends bare 429/403 under heavy load, and an HTML 502 when its CDN times out.
        if status in (403, 429):
            return RateLimited(
                "Mailchimp refused the request without an explanation (heavy load).",
                status=status,
                retry_after=retry_after,
            )
        cls = ServerError if status >= 500 else _class_for(status, "", None)
        return cls(f"Mailchimp answered HTTP {status} without a problem document.", status=status)
    title = problem.title or problem.error or ""
    detail = problem.detail or problem.error_description or ""
    cls = _class_for(status, title.strip().lower(), problem.error)
    field_errors = tuple(
        FieldError(field=str(e.get("field") or ""), message=str(e.get("message") or ""))
        for e in problem.errors or ()
    )
    common: dict[str, Any] = {
        "status": status,
        "title": title or None,
        "instance": problem.instance,
        "field_errors": field_errors,
        "user_message": _OAUTH_MESSAGES.get(problem.error or ""),
    }
    if cls is RateLimited:
        return RateLimited(detail, retry_after=retry_after, **common)
    return cls(detail, **common)
