"""Syncing through the API: a run id at once, then its status, counts and rows."""

from __future__ import annotations

from tests.contact_factories import make_contact
from tests.factories import bearer, make_token
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import connected, make_segment


async def test_sync_through_the_api_and_read_the_run(client, sandbox):
    owner, _, _ = await connected(sandbox)
    await make_contact(owner)
    await make_contact(owner, email="fake@example.com")
    segment = await make_segment(owner)
    auth = bearer(await make_token(owner))

    accepted = await client.post(
        f"/api/v1/segments/{segment.id}/sync", json={"mode": "incremental"}, headers=auth
    )
    assert accepted.status_code == 202
    run_id = accepted.json()["run_id"]

    async def completed():
        body = (await client.get(f"/api/v1/runs/{run_id}", headers=auth)).json()
        return body if body["status"] in ("completed", "failed") else None

    run = await wait_until(completed, timeout=30)
    assert run["status"] == "completed"
    assert {k: run[k] for k in ("selected", "created", "rejected")} == {
        "selected": 2,
        "created": 1,
        "rejected": 1,
    }

    items = (
        await client.get(f"/api/v1/runs/{run_id}/items?outcome=rejected", headers=auth)
    ).json()["items"]
    assert [i["email"] for i in items] == ["fake@example.com"]
    assert items[0]["error_code"] == "fake_email"
    history = (await client.get(f"/api/v1/segments/{segment.id}/runs", headers=auth)).json()[
        "items"
    ]
    assert [r["id"] for r in history] == [run_id]


async def test_a_bad_mode_is_a_400_and_queues_nothing(client, sandbox):
    owner, _, _ = await connected(sandbox)
    segment = await make_segment(owner)
    auth = bearer(await make_token(owner))

    response = await client.post(
        f"/api/v1/segments/{segment.id}/sync", json={"mode": "yolo"}, headers=auth
    )

    assert response.status_code == 400
    assert (await client.get(f"/api/v1/segments/{segment.id}/runs", headers=auth)).json()[
        "items"
    ] == []
