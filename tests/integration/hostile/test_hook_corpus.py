"""Hostile deliveries to the Mailchimp webhook and the product-event hook: malformed and odd
forms, bodies that are not what they claim, wrong secrets and signatures, huge and deep
payloads. Signed deliveries are signed correctly, so each case tests the body, not the proof."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from app.domain.inbound.payloads import MAX_FIELDS, MAX_FORM_BYTES, MAX_JSON_BYTES
from app.domain.inbound.signatures import sign_t_v1
from tests.integration.inbound.helpers import hook_path, signing_secret, unsubscribe_body
from tests.integration.segments.sync_helpers import AUDIENCE

from .corpus import (
    DEEP_JSON,
    HTML_NAME,
    NUL,
    SQL_ISH,
    Case,
    report,
    run_cases,
)
from .world import World, build_world

FORM = "application/x-www-form-urlencoded"


def _form(**fields: str) -> str:
    return urlencode(fields)


def mailchimp_cases(world: World) -> list[Case]:
    webhook = world.webhook
    secret = signing_secret(webhook)
    path = hook_path(webhook)
    email = world.contact_emails[0]
    good = dict(
        type="unsubscribe",
        fired_at="2026-01-02 03:04:05",
        **{"data[email]": email, "data[list_id]": AUDIENCE, "data[action]": "unsub"},
    )

    def signed(name: str, body: str | bytes, *, may_accept=False, content_type=FORM) -> Case:
        raw = body.encode() if isinstance(body, str) else body
        headers = {"content-type": content_type, "x-mailchimp-signature": sign_t_v1(secret, raw)}
        return Case(
            f"mailchimp {name}",
            "POST",
            path,
            {"content": raw, "headers": headers},
            may_accept=may_accept,
        )

    without = {k: v for k, v in good.items() if k != "type"}
    bodies: dict[str, str | bytes] = {
        "type-missing": _form(**without),
        "type-empty": _form(**{**good, "type": ""}),
        "type-as-array": _form(**without, **{"type[0]": "unsubscribe"}),
        "data-missing": _form(type="unsubscribe", fired_at="2026-01-02 03:04:05"),
        "data-not-nested": _form(type="unsubscribe", fired_at="2026-01-02 03:04:05", data="x"),
        "data-email-missing": _form(**{k: v for k, v in good.items() if k != "data[email]"}),
        "data-email-blank": _form(**{**good, "data[email]": "   "}),
        "data-list-id-other": _form(**{**good, "data[list_id]": "ffffffffff"}),
        "data-key-too-deep": _form(**good, **{"data[a][b][c][d][e]": "x"}),
        "data-key-unbalanced": _form(**good, **{"data[merges": "x"}),
        "data-key-empty-part": _form(**good, **{"data[][x]": "x"}),
        "fired-at-missing": _form(**{k: v for k, v in good.items() if k != "fired_at"}),
        "fired-at-garbage": _form(**{**good, "fired_at": "yesterday-ish"}),
        "fired-at-sql-ish": _form(**{**good, "fired_at": SQL_ISH}),
        "fired-at-year-99999": _form(**{**good, "fired_at": "99999-01-01 00:00:00"}),
        "too-many-fields": "&".join(f"data[f{i}]=x" for i in range(MAX_FIELDS + 10)),
        "invalid-utf8": b"type=unsubscribe&data[email]=\xff\xfe&fired_at=2026-01-02+03:04:05",
        "percent-invalid-utf8": _form(**without) + "&type=%FF%FE",
        "empty-body": "",
        "json-body-claiming-form": json.dumps(good),
        "binary-body": bytes(range(256)) * 4,
        "over-64kb": _form(**good, **{"data[merges][NOTE]": "x" * MAX_FORM_BYTES}),
    }
    cases = [signed(name, body) for name, body in bodies.items()]
    # Well-formed deliveries with odd contents are Mailchimp's to send: kept, answered 2xx.
    legit = {
        "type-unknown": _form(**{**good, "type": "mystery"}),
        "type-html-script": _form(**{**good, "type": HTML_NAME}),
        "data-email-html-script": _form(**{**good, "data[email]": HTML_NAME}),
        "data-email-sql-ish": _form(**{**good, "data[email]": SQL_ISH}),
        "data-nul-char": _form(**{**good, "data[reason]": NUL}),
    }
    cases += [signed(name, body, may_accept=True) for name, body in legit.items()]
    body = unsubscribe_body(email)
    cases += [
        signed("content-type-json", body, content_type="application/json"),
        signed("content-type-missing", body, content_type=""),
        Case(
            "mailchimp signature-missing",
            "POST",
            path,
            {"content": body, "headers": {"content-type": FORM}},
        ),
        Case(
            "mailchimp signature-for-other-body",
            "POST",
            path,
            {
                "content": body,
                "headers": {"content-type": FORM, "x-mailchimp-signature": sign_t_v1(secret, b"x")},
            },
        ),
        Case(
            "mailchimp signature-garbage",
            "POST",
            path,
            {
                "content": body,
                "headers": {"content-type": FORM, "x-mailchimp-signature": "t=;v1=" + "z" * 500},
            },
        ),
        Case(
            "mailchimp wrong-url-secret",
            "POST",
            hook_path(webhook, "x" * 43),
            {"content": body, "headers": {"content-type": FORM}},
        ),
        Case(
            "mailchimp url-secret-path-trick",
            "POST",
            hook_path(webhook, quote("../../api/v1/contacts", safe="")),
            {"content": body, "headers": {"content-type": FORM}},
        ),
        Case(
            "mailchimp unknown-webhook",
            "POST",
            f"/hooks/mailchimp/{webhook.id + 1000}/{webhook.url_secret}",
            {"content": body, "headers": {"content-type": FORM}},
        ),
        Case(
            "mailchimp huge-webhook-id",
            "POST",
            f"/hooks/mailchimp/{'9' * 30}/{webhook.url_secret}",
            {"content": body, "headers": {"content-type": FORM}},
        ),
        Case("mailchimp validation-get-wrong-secret", "GET", hook_path(webhook, "nope")),
        Case(
            "mailchimp validation-get-huge-id",
            "GET",
            f"/hooks/mailchimp/{'9' * 30}/{webhook.url_secret}",
        ),
        Case("mailchimp validation-get", "GET", path, may_accept=True),  # Mailchimp's check
        Case("mailchimp put-method", "PUT", path, {"content": body}),
    ]
    return cases


def product_cases(world: World) -> list[Case]:
    path, secret = world.event_path, world.event_secret
    good = {"event": "signed_up", "email": world.contact_emails[0], "id": "evt-1"}

    def signed(name: str, body: bytes, *, may_accept=False, content_type="application/json"):
        headers = {"content-type": content_type, "x-listbridge-signature": sign_t_v1(secret, body)}
        return Case(
            f"product-event {name}",
            "POST",
            path,
            {"content": body, "headers": headers},
            may_accept=may_accept,
        )

    def event(**changes) -> bytes:
        return json.dumps({**good, **changes}).encode()

    bodies = {
        "not-json": b"{event: signed_up",
        "invalid-utf8": b'{"event": "\xff\xfe"}',
        "deep-nesting-10k-arrays": DEEP_JSON,
        "deep-nesting-10k-objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "deep-nesting-40-inside-event": event(data=json.loads("[" * 40 + "]" * 40)),
        "array-not-object": b"[]",
        "string-not-object": b'"signed_up"',
        "null-body": b"null",
        "empty-body": b"",
        "nan-constant": b'{"event": "signed_up", "score": NaN}',
        "infinity-constant": b'{"event": "signed_up", "score": Infinity}',
        "huge-over-256kb": event(padding="x" * MAX_JSON_BYTES),
        "bom-prefixed": b"\xef\xbb\xbf" + event(),
        "utf16-encoded": json.dumps(good).encode("utf-16"),
    }
    cases = [signed(name, body) for name, body in bodies.items()]
    # Valid JSON objects with odd values: the hook stores what it is sent (rules decide later).
    legit = {
        "event-name-as-object": event(event={"$ne": None}),
        "event-name-as-number": event(event=12345),
        "event-name-missing": json.dumps({"email": good["email"]}).encode(),
        "email-as-list": event(email=["a@b.c", "d@e.f"]),
        "email-html-script": event(email=HTML_NAME),
        "event-name-sql-ish": event(event=SQL_ISH),
        "event-id-huge-number": event(id=10**40),
        "nul-char-values": event(event=NUL),
        "unicode-rtl-override": event(event="\u202etxt.exe"),
        "duplicate-keys": b'{"event": "a", "event": "b", "email": "x@y.z"}',
    }
    cases += [signed(name, body, may_accept=True) for name, body in legit.items()]
    body = event()
    cases += [
        signed("content-type-text-plain", body, content_type="text/plain"),
        signed("content-type-form", body, content_type=FORM),
        Case(
            "product-event signature-missing",
            "POST",
            path,
            {"content": body, "headers": {"content-type": "application/json"}},
        ),
        Case(
            "product-event signature-for-other-body",
            "POST",
            path,
            {
                "content": body,
                "headers": {
                    "content-type": "application/json",
                    "x-listbridge-signature": sign_t_v1(secret, b"{}"),
                },
            },
        ),
        Case(
            "product-event signature-stale",
            "POST",
            path,
            {
                "content": body,
                "headers": {
                    "content-type": "application/json",
                    "x-listbridge-signature": sign_t_v1(secret, body, 1_000_000_000),
                },
            },
        ),
        Case(
            "product-event bearer-wrong-secret",
            "POST",
            path,
            {
                "content": body,
                "headers": {
                    "content-type": "application/json",
                    "authorization": "Bearer " + "x" * 40,
                },
            },
        ),
        Case(
            "product-event cio-signature-garbage",
            "POST",
            path,
            {
                "content": body,
                "headers": {
                    "content-type": "application/json",
                    "x-cio-timestamp": "soon",
                    "x-cio-signature": "zz",
                },
            },
        ),
        Case(
            "product-event unknown-hook",
            "POST",
            path + "x",
            {"content": body, "headers": {"authorization": f"Bearer {secret}"}},
        ),
        Case(
            "product-event hook-id-path-trick",
            "POST",
            "/hooks/events/" + quote("../mailchimp/1/x", safe=""),
            {"content": body, "headers": {"authorization": f"Bearer {secret}"}},
        ),
        Case(
            "product-event hook-id-sql-ish",
            "POST",
            "/hooks/events/" + quote(SQL_ISH, safe=""),
            {"content": body, "headers": {"authorization": f"Bearer {secret}"}},
        ),
        Case("product-event get-method", "GET", path),
    ]
    return cases


async def test_webhooks_and_product_events_refuse_hostile_deliveries(client, sandbox):
    world = await build_world(client, sandbox)
    cases = mailchimp_cases(world) + product_cases(world)
    assert len(cases) >= 70, len(cases)

    failures = await run_cases(client, cases, sandbox)

    assert not failures, report(failures, len(cases))
