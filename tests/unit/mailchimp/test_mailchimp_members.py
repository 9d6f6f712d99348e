"""Member writes and reads: batch subscribe, upsert, streaming, tags, archive and erase."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from app.mailchimp.client import MailchimpClient
from app.mailchimp.errors import MemberInComplianceState, MemberOutcome, ServerError
from app.mailchimp.models import MemberUpsert
from app.mailchimp.paths import subscriber_hash
from tests.unit.mailchimp.mailchimp_client_fakes import LIST_ID, member_json, problem

ADA = "Ada.Lovelace@Example.org"
ADA_HASH = subscriber_hash(ADA)


def staff(count: int) -> list[MemberUpsert]:
    return [
        MemberUpsert(
            email_address=f"person{i}@example.org",
            status_if_new="subscribed",
            merge_fields={"FNAME": f"Person {i}"},
            tags=["staff"],
        )
        for i in range(count)
    ]


def batch_answer(request: httpx.Request) -> httpx.Response:
    """Creates every member except those whose address contains 'bad' or 'known'."""
    sent = json.loads(request.content)["members"]
    errors, created = [], []
    for member in sent:
        email = member["email_address"]
        if "bad" in email.lower():
            errors.append(
                {
                    "email_address": email,
                    "error": f"{email} looks fake or invalid, please enter a real email address.",
                    "error_code": "ERROR_GENERIC",
                }
            )
        elif "known" in email.lower():
            errors.append(
                {
                    "email_address": email,
                    "error": f"{email} is already a list member",
                    "error_code": "ERROR_CONTACT_EXISTS",
                }
            )
        else:
            created.append(member_json(email))
    body = {
        "new_members": created,
        "updated_members": [],
        "errors": errors,
        "total_created": len(created),
        "total_updated": 0,
        "error_count": len(errors),
    }
    return httpx.Response(200, json=body)


async def test_batch_subscribe_posts_members_and_reads_each_refusal(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}").mock(side_effect=batch_answer)
    members = [
        *staff(2),
        {"email_address": "bad@example", "status_if_new": "subscribed"},
        MemberUpsert(email_address="Known@Example.org", status_if_new="pending"),
    ]
    result = await mc.batch_subscribe(LIST_ID, members, sync_tags=True)

    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert "skip_merge_validation" not in request.url.params
    body = json.loads(request.content)
    assert body["update_existing"] is True
    assert body["sync_tags"] is True
    assert body["members"][0] == {
        "email_address": "person0@example.org",
        "status_if_new": "subscribed",
        "merge_fields": {"FNAME": "Person 0"},
        "tags": ["staff"],
    }
    assert body["members"][3] == {"email_address": "Known@Example.org", "status_if_new": "pending"}

    assert result.total_created == 2
    assert [m.email_address for m in result.new_members] == [
        "person0@example.org",
        "person1@example.org",
    ]
    assert [(e.index, e.outcome) for e in result.errors] == [
        (2, MemberOutcome.FAKE_EMAIL),
        (3, MemberOutcome.MEMBER_EXISTS),
    ]


async def test_batch_subscribe_can_skip_merge_validation_and_leave_existing_alone(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}").mock(side_effect=batch_answer)
    await mc.batch_subscribe(LIST_ID, staff(1), update_existing=False, skip_merge_validation=True)
    request = route.calls.last.request
    assert request.url.params["skip_merge_validation"] == "true"
    body = json.loads(request.content)
    assert body["update_existing"] is False
    assert "sync_tags" not in body


async def test_batch_subscribe_refuses_more_than_500(api: respx.MockRouter, mc: MailchimpClient):
    route = api.post(f"/lists/{LIST_ID}")
    with pytest.raises(ValueError, match="500"):
        await mc.batch_subscribe(LIST_ID, staff(501))
    assert not route.called


async def test_batch_subscribe_all_chunks_by_500_and_maps_errors_to_inputs(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}").mock(side_effect=batch_answer)
    members = staff(1201)
    for index in (7, 650, 1200):
        members[index] = MemberUpsert(email_address=f"bad{index}@x", status_if_new="subscribed")
    members[1000] = MemberUpsert(email_address="known@example.org", status_if_new="subscribed")

    result = await mc.batch_subscribe_all(LIST_ID, members, concurrency=2)

    sizes = sorted(len(json.loads(call.request.content)["members"]) for call in route.calls)
    assert sizes == [201, 500, 500]
    assert result.total_created == 1197
    assert result.error_count == 4
    assert len(result.new_members) == 1197
    assert sorted((e.index, e.outcome) for e in result.errors) == [
        (7, MemberOutcome.FAKE_EMAIL),
        (650, MemberOutcome.FAKE_EMAIL),
        (1000, MemberOutcome.MEMBER_EXISTS),
        (1200, MemberOutcome.FAKE_EMAIL),
    ]
    for error in result.errors:
        assert members[error.index].email_address == error.email_address


async def test_batch_subscribe_all_keeps_no_more_than_concurrency_calls_in_flight(
    api: respx.MockRouter, mc: MailchimpClient
):
    in_flight = peak = 0

    async def slow_answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return batch_answer(request)

    api.post(f"/lists/{LIST_ID}").mock(side_effect=slow_answer)
    result = await mc.batch_subscribe_all(LIST_ID, staff(2500), concurrency=2)
    assert result.total_created == 2500
    assert peak == 2


async def test_batch_subscribe_all_raises_the_failing_chunks_error(
    api: respx.MockRouter, mc: MailchimpClient
):
    api.post(f"/lists/{LIST_ID}").mock(
        return_value=problem(500, "Internal Server Error", "An unexpected error occurred.")
    )
    with pytest.raises(ServerError):
        await mc.batch_subscribe_all(LIST_ID, staff(600))


async def test_upsert_member_puts_to_the_subscriber_hash(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.put(f"/lists/{LIST_ID}/members/{ADA_HASH}").respond(
        json=member_json(ADA, status="pending", merge_fields={"FNAME": "Ada", "LNAME": ""})
    )
    member = await mc.upsert_member(
        LIST_ID, f" {ADA} ", status_if_new="pending", merge_fields={"FNAME": "Ada"}
    )
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "email_address": ADA,
        "status_if_new": "pending",
        "merge_fields": {"FNAME": "Ada"},
    }
    assert "status" not in body
    assert member.status == "pending"
    assert member.merge_fields == {"FNAME": "Ada", "LNAME": ""}


async def test_upsert_member_surfaces_a_compliance_refusal(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.put(f"/lists/{LIST_ID}/members/{ADA_HASH}").mock(
        return_value=problem(
            400,
            "Member In Compliance State",
            f"{ADA} is in a compliance state due to unsubscribe, bounce, or compliance review "
            "and cannot be subscribed.",
        )
    )
    with pytest.raises(MemberInComplianceState) as caught:
        await mc.upsert_member(LIST_ID, ADA, status="subscribed")
    assert caught.value.outcome is MemberOutcome.COMPLIANCE_STATE
    assert route.call_count == 1


@pytest.mark.parametrize("who", [ADA, ADA_HASH])
async def test_get_member_by_address_or_hash(api: respx.MockRouter, mc: MailchimpClient, who: str):
    api.get(f"/lists/{LIST_ID}/members/{ADA_HASH}").respond(
        json=member_json(ADA, status="unsubscribed", tags=[{"id": 1, "name": "staff"}])
    )
    member = await mc.get_member(LIST_ID, who)
    assert member.id == ADA_HASH
    assert member.status == "unsubscribed"
    assert member.tags[0].name == "staff"


async def test_iter_members_streams_every_page_without_fetching_ahead(
    api: respx.MockRouter, mc: MailchimpClient
):
    def page(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        count = int(request.url.params["count"])
        members = [
            member_json(f"m{i}@example.org") for i in range(offset, min(offset + count, 2345))
        ]
        return httpx.Response(
            200, json={"members": members, "list_id": LIST_ID, "total_items": 2345}
        )

    route = api.get(f"/lists/{LIST_ID}/members").mock(side_effect=page)
    since = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    stream = mc.iter_members(LIST_ID, since_last_changed=since, status="subscribed")

    first = await anext(stream)
    assert first.email_address == "m0@example.org"
    assert route.call_count == 1
    rest = [member async for member in stream]

    assert len(rest) + 1 == 2345
    assert rest[-1].email_address == "m2344@example.org"
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "1000", "2000"]
    params = route.calls[0].request.url.params
    assert params["count"] == "1000"
    assert params["since_last_changed"] == "2026-11-01T12:30:00+00:00"
    assert params["status"] == "subscribed"


async def test_iter_members_asks_only_for_named_fields(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get(f"/lists/{LIST_ID}/members").respond(
        json={
            "members": [{"id": ADA_HASH, "email_address": ADA, "status": "cleaned"}],
            "total_items": 1,
        }
    )
    members = [m async for m in mc.iter_members(LIST_ID, fields=["status", "last_changed"])]
    assert members[0].status == "cleaned"
    assert route.calls.last.request.url.params["fields"] == (
        "total_items,members.id,members.email_address,members.status,members.last_changed"
    )


def test_iter_members_needs_a_time_zone(mc: MailchimpClient):
    with pytest.raises(ValueError, match="time zone"):
        mc.iter_members(LIST_ID, since_last_changed=datetime(2026, 1, 1))


async def test_member_tags_reads_every_tag(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get(f"/lists/{LIST_ID}/members/{ADA_HASH}/tags").respond(
        json={
            "tags": [{"id": 11, "name": "staff", "date_added": "2026-11-01T10:00:00+00:00"}],
            "total_items": 1,
        }
    )
    tags = await mc.member_tags(LIST_ID, ADA)
    assert [(t.id, t.name) for t in tags] == [(11, "staff")]
    assert route.calls.last.request.url.params["count"] == "1000"


async def test_update_member_tags_switches_tags_on_and_off(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/members/{ADA_HASH}/tags").respond(204)
    assert await mc.update_member_tags(LIST_ID, ADA, active=["staff"], inactive=["vendor"]) is None
    assert json.loads(route.calls.last.request.content) == {
        "tags": [{"name": "staff", "status": "active"}, {"name": "vendor", "status": "inactive"}]
    }


async def test_update_member_tags_with_nothing_to_change_costs_no_call(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/members/{ADA_HASH}/tags").respond(204)
    await mc.update_member_tags(LIST_ID, ADA)
    assert not route.called


async def test_archive_member_deletes_by_hash(api: respx.MockRouter, mc: MailchimpClient):
    route = api.delete(f"/lists/{LIST_ID}/members/{ADA_HASH}").respond(204)
    await mc.archive_member(LIST_ID, ADA)
    assert route.call_count == 1


async def test_delete_member_permanently_posts_the_action(
    api: respx.MockRouter, mc: MailchimpClient
):
    route = api.post(f"/lists/{LIST_ID}/members/{ADA_HASH}/actions/delete-permanent").respond(204)
    await mc.delete_member_permanently(LIST_ID, ADA)
    assert route.call_count == 1
    assert route.calls.last.request.content == b""


async def test_ids_are_quoted_into_the_path(api: respx.MockRouter, mc: MailchimpClient):
    route = api.get("/lists/..%2Fcampaigns").respond(json={"id": "x"})
    await mc.get_list("../campaigns")
    assert route.call_count == 1
