"""Every answer the sandbox gives the real client, checked against the schema Mailchimp publishes
for that operation in marketing-openapi.json (found by method and path template, $refs resolved).

Where that 3.0.55 conversion is known to be wrong (../shared/mailchimp/README.md: single-member
and webhook responses collapsed into collection schemas) the items are checked as well against
the spec's own member schema (`List_Members`) and webhook body (`Add_Webhook`). OAuth lives at
login.mailchimp.com, outside that spec; its answers are checked against FACTS.md §3.2.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from app.mailchimp.errors import MailchimpError
from app.mailchimp.models import MemberUpsert
from tests.integration.sandbox.conftest import OAUTH_CLIENT
from tests.integration.sandbox.mailchimp_schemas import marketing_spec, validator_for

ANA = "ana@fenwicktools.com"

# FACTS.md §3.2: the token answer has `access_token`; clients read `dc`, `api_endpoint` and
# `login.email` from the metadata (its full field list is unpublished).
OAUTH_SCHEMAS: dict[str, dict[str, Any]] = {
    "/oauth2/token": {
        "type": "object",
        "required": ["access_token"],
        "properties": {"access_token": {"type": "string", "minLength": 1}},
    },
    "/oauth2/metadata": {
        "type": "object",
        "required": ["dc", "api_endpoint", "login"],
        "properties": {
            "dc": {"type": "string", "pattern": "^us[0-9]+$"},
            "api_endpoint": {"type": "string", "pattern": "^https?://"},
            "login": {
                "type": "object",
                "required": ["email"],
                "properties": {"email": {"type": "string"}},
            },
        },
    },
}

# Every operation of issue B, as (method, path template) in the spec.
OPERATIONS = {
    ("GET", "/ping"),
    ("GET", "/"),
    ("GET", "/lists"),
    ("GET", "/lists/{list_id}"),
    ("GET", "/lists/{list_id}/merge-fields"),
    ("POST", "/lists/{list_id}"),
    ("PUT", "/lists/{list_id}/members/{subscriber_hash}"),
    ("GET", "/lists/{list_id}/members/{subscriber_hash}"),
    ("GET", "/lists/{list_id}/members"),
    ("GET", "/lists/{list_id}/members/{subscriber_hash}/tags"),
    ("POST", "/lists/{list_id}/members/{subscriber_hash}/tags"),
    ("DELETE", "/lists/{list_id}/members/{subscriber_hash}"),
    ("POST", "/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent"),
    ("POST", "/campaigns"),
    ("GET", "/campaigns/{campaign_id}"),
    ("GET", "/reports/{campaign_id}"),
    ("POST", "/lists/{list_id}/webhooks"),
    ("GET", "/lists/{list_id}/webhooks"),
    ("DELETE", "/lists/{list_id}/webhooks/{webhook_id}"),
}


@cache
def _templates(spec_path: Path) -> list[tuple[re.Pattern[str], str]]:
    """Path templates as patterns, the most literal first (`/lists/{id}/members` before
    anything with more parameters)."""
    paths = marketing_spec(spec_path)["paths"]
    ordered = sorted(paths, key=lambda path: (path.count("{"), path))
    return [(re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$"), path) for path in ordered]


def operation_of(spec_path: Path, method: str, path: str) -> tuple[str, dict[str, Any]]:
    for pattern, template in _templates(spec_path):
        operation = marketing_spec(spec_path)["paths"][template].get(method.lower())
        if operation is not None and pattern.match(path):
            return template, operation
    raise AssertionError(f"{method} {path} is no operation of Mailchimp's API")


def schema_name(response: dict[str, Any]) -> str:
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return ref.removeprefix("#/components/schemas/")


def check_against_spec(spec_path: Path, exchange) -> tuple[str, str]:
    """Validate one API exchange; return (method, template) of the operation it belongs to."""
    template, operation = operation_of(spec_path, exchange.method, exchange.path[len("/3.0") :])
    responses = operation["responses"]
    if exchange.status == 204:
        assert "204" in responses, f"{exchange.method} {template} answered 204"
        assert exchange.body == b""
        return exchange.method, template
    document = json.loads(exchange.body)
    if exchange.status >= 400:
        assert exchange.content_type == "application/problem+json; charset=utf-8"
        validator_for(spec_path, schema_name(responses["default"])).validate(document)
        return exchange.method, template
    assert exchange.content_type.startswith("application/json")
    name = schema_name(responses[str(exchange.status)])
    validator_for(spec_path, name).validate(document)
    # The collapsed schemas check next to nothing: check the items as the spec describes them.
    if name == "List_Members_2":
        for member in document.get("members", [document]):
            validator_for(spec_path, "List_Members").validate(member)
    if name == "List_Webhooks":
        for webhook in document.get("webhooks", [document]):
            validator_for(spec_path, "Add_Webhook").validate(webhook)
    return exchange.method, template


async def use_every_operation(mailchimp, mailchimp_oauth, approve, site, set_faults, ids):
    """Each operation once, with the refusals Listbridge meets; refusals are expected here."""

    async def refused(call) -> None:
        with pytest.raises(MailchimpError):
            await call

    await mailchimp.ping()
    await mailchimp.account()
    await mailchimp.all_lists()
    await mailchimp.get_list(ids.staff)
    await mailchimp.merge_fields(ids.partners)
    await mailchimp.batch_subscribe(
        ids.staff,
        [
            MemberUpsert(email_address="bo@fenwicktools.com", status="subscribed", tags=["New"]),
            MemberUpsert(email_address="cy@fenwicktools.com", status="unsubscribed"),
            MemberUpsert(email_address="cy@example.com", status="subscribed"),
        ],
    )
    await mailchimp.upsert_member(
        ids.staff, ANA, status_if_new="subscribed", merge_fields={"FNAME": "Ana"}, tags=["VIP"]
    )
    await mailchimp.get_member(ids.staff, ANA)
    await mailchimp.update_member_tags(ids.staff, ANA, active=["Staff"], inactive=["VIP"])
    await mailchimp.member_tags(ids.staff, ANA)
    await mailchimp.archive_member(ids.staff, "bo@fenwicktools.com")
    await mailchimp.get_member(ids.staff, "bo@fenwicktools.com")
    await mailchimp.delete_member_permanently(ids.staff, ANA)
    _ = [m async for m in mailchimp.iter_members(ids.staff)]
    campaign = await mailchimp.create_campaign(
        list_id=ids.staff, subject_line="S", title="T", from_name="F", reply_to="f@fenwicktools.com"
    )
    await mailchimp.get_campaign(campaign.id)
    control = f"/_sandbox/api/accounts/{ids.api_key}/campaigns/{campaign.id}"
    await site.post(f"{control}/send")
    await site.post(f"{control}/activity", json={"opens": 2, "clicks": 1})
    await mailchimp.campaign_report(campaign.id)
    webhook = await mailchimp.create_webhook(ids.staff, "https://listbridge.test/hooks/m")
    await mailchimp.webhooks(ids.staff)
    await mailchimp.delete_webhook(ids.staff, webhook.id)
    token = await mailchimp_oauth.exchange_code(await approve(), OAUTH_CLIENT["redirect_uri"])
    await mailchimp_oauth.metadata(token)

    await refused(mailchimp.get_list("0000000000"))
    await refused(mailchimp.upsert_member(ids.partners, ANA, status_if_new="subscribed"))
    await refused(mailchimp.upsert_member(ids.staff, "cy@fenwicktools.com", status="subscribed"))
    await refused(mailchimp.upsert_member(ids.staff, ANA, status_if_new="subscribed"))
    await set_faults(rate_429=1.0, retry_after=1)
    await refused(mailchimp.ping())
    await set_faults(rate_500=1.0)
    await refused(mailchimp.ping())
    await set_faults()
    await site.post(f"/_sandbox/api/accounts/{ids.api_key}/revoke")
    await refused(mailchimp.ping())


async def test_every_answer_the_client_gets_matches_mailchimps_schema(
    mailchimp, mailchimp_oauth, approve, site, set_faults, ids, wire, marketing_spec_path
):
    await use_every_operation(mailchimp, mailchimp_oauth, approve, site, set_faults, ids)

    seen = set()
    for exchange in wire.exchanges:
        if exchange.path.startswith("/oauth2/"):
            jsonschema.validate(json.loads(exchange.body), OAUTH_SCHEMAS[exchange.path])
        else:
            seen.add(check_against_spec(marketing_spec_path, exchange))

    assert seen == OPERATIONS
    statuses = {x.status for x in wire.exchanges}
    assert {200, 204, 400, 401, 404, 429, 500} <= statuses


def test_the_harness_catches_a_member_that_breaks_the_spec(marketing_spec_path):
    good = {"id": "h", "email_address": ANA, "status": "subscribed", "timestamp_signup": ""}
    assert validator_for(marketing_spec_path, "List_Members").is_valid(good)

    for wrong in (
        {"status": "signed-up"},
        {"tags": "VIP"},
        {"stats": {"avg_open_rate": "x"}},
        {"last_changed": "yesterday"},
        {"last_changed": "2026-05-04T09:30:00"},  # no offset
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator_for(marketing_spec_path, "List_Members").validate({**good, **wrong})


def test_the_harness_finds_the_operation_by_its_path_template(marketing_spec_path):
    template, _ = operation_of(marketing_spec_path, "GET", "/lists/abc/members")
    assert template == "/lists/{list_id}/members"
    template, _ = operation_of(marketing_spec_path, "POST", "/lists/abc/members/0f/tags")
    assert template == "/lists/{list_id}/members/{subscriber_hash}/tags"
    with pytest.raises(AssertionError):
        operation_of(marketing_spec_path, "PUT", "/ping")
