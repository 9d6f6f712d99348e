"""`/hooks/…`: where Mailchimp and product events reach us. No login: each delivery proves
itself (a URL secret, a signature, or the hook's bearer secret), and CSRF does not apply.

Answers are problem+json: 404 for an unknown hook or a wrong URL secret (nothing stored), 410
for a webhook we removed (Mailchimp then stops calling), 401 for a bad or stale signature,
413 / 415 / 400 for bodies we can't take. Accepted deliveries are stored, their processing
queued, and answered at once.
"""

from __future__ import annotations

from litestar import Controller, MediaType, Request, Response, get, post

from app.domain.inbound import mailchimp_webhooks, product_hooks, receiving
from app.domain.inbound.payloads import (
    MAX_FORM_BYTES,
    MAX_JSON_BYTES,
    BadPayload,
    PayloadTooLarge,
    mailchimp_event,
    parse_json_event,
)
from app.domain.inbound.signatures import SignatureProblem, verify_t_v1
from app.lib.crypto import SecretUnreadable, secret_box
from app.lib.errors import ListbridgeError, NotFound

FORM = "application/x-www-form-urlencoded"
UNKNOWN_HOOK = "There is no webhook at this address."


class Unauthenticated(ListbridgeError):
    status_code = 401
    title = "Signature not accepted"


class Gone(ListbridgeError):
    status_code = 410
    title = "Webhook removed"


class UnsupportedType(ListbridgeError):
    status_code = 415
    title = "Unsupported content type"


class TooLarge(ListbridgeError):
    status_code = 413
    title = "Too large"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _bad(problem: BadPayload) -> ListbridgeError:
    if isinstance(problem, PayloadTooLarge):
        return TooLarge(str(problem))
    return ListbridgeError(str(problem), title="Malformed event")


async def _webhook(webhook_ref: int, secret: str):
    row, gone = await mailchimp_webhooks.find_for_delivery(webhook_ref, secret)
    if row is None:
        raise NotFound(UNKNOWN_HOOK)
    if gone:
        raise Gone("This webhook was removed; Mailchimp should stop calling it.")
    return row


class MailchimpHook(Controller):
    path = "/hooks/mailchimp/{webhook_ref:int}/{secret:str}"
    include_in_schema = False

    @get("/", name="hooks.mailchimp.validate", media_type=MediaType.TEXT)
    async def validate(self, webhook_ref: int, secret: str) -> str:
        """Mailchimp checks a new webhook URL with a GET: it must answer 2xx."""
        await _webhook(webhook_ref, secret)
        return "ok"

    @post(
        "/",
        name="hooks.mailchimp.deliver",
        status_code=200,
        request_max_body_size=MAX_FORM_BYTES,
    )
    async def deliver(self, request: Request, webhook_ref: int, secret: str) -> dict[str, str]:
        row = await _webhook(webhook_ref, secret)
        if _media_type(request) != FORM:
            raise UnsupportedType(f"Mailchimp webhooks are {FORM}.")
        body = await request.body()
        if row.signing_secret:
            try:
                signing_secret = secret_box().decrypt(row.signing_secret)
                verify_t_v1(request.headers.get("x-mailchimp-signature", ""), body, signing_secret)
            except (SignatureProblem, SecretUnreadable) as exc:
                raise Unauthenticated(str(exc) or "The signature was not accepted.") from None
        try:
            fields = mailchimp_event(body, row.list_id)
        except BadPayload as problem:
            raise _bad(problem) from None
        accepted = await receiving.accept_mailchimp(row, fields, body)
        return {"status": accepted.status}


class ProductEventHook(Controller):
    path = "/hooks/events/{public_id:str}"
    include_in_schema = False

    @post("/", name="hooks.events", status_code=202, request_max_body_size=MAX_JSON_BYTES)
    async def receive(self, request: Request, public_id: str) -> Response:
        hook = await product_hooks.find(public_id)
        if hook is None:
            raise NotFound(UNKNOWN_HOOK)
        body = await request.body()
        try:
            source = product_hooks.authenticate(hook, request.headers, body)
        except SignatureProblem as exc:
            raise Unauthenticated(str(exc)) from None
        media_type = _media_type(request)
        if media_type and media_type != "application/json" and not media_type.endswith("+json"):
            raise UnsupportedType("Send the event as JSON (Content-Type: application/json).")
        try:
            event = parse_json_event(body)
        except BadPayload as problem:
            raise _bad(problem) from None
        accepted = await receiving.accept_product_event(
            hook,
            event,
            source,
            event_id_header=request.headers.get("x-listbridge-event-id", ""),
        )
        status_code = 200 if accepted.status == "duplicate" else 202
        return Response(
            {"id": accepted.event_id, "status": accepted.status}, status_code=status_code
        )


ROUTES = [MailchimpHook, ProductEventHook]
