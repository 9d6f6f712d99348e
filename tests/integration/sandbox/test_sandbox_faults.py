"""The 10-connection limit, injected latency and faults, all per account and before any effect."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest


async def test_an_eleventh_simultaneous_request_gets_429(api, set_faults, sandbox, ids):
    await set_faults(latency_ms=300)

    responses = await asyncio.gather(*(api.get("/ping") for _ in range(11)))

    assert Counter(r.status_code for r in responses) == {200: 10, 429: 1}
    [refused] = [r for r in responses if r.status_code == 429]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Too Many Requests"
    assert refused.json()["detail"] == "You have exceeded the limit of 10 simultaneous connections."
    assert sandbox.account(ids.api_key).in_flight == 0
    assert (await api.get("/ping")).status_code == 200


async def test_the_limit_is_per_account(api, make_client, set_faults):
    await set_faults(latency_ms=300)
    async with make_client(key="0123456789abcdef0123456789abcdef-us3") as other_account:
        busy = [asyncio.ensure_future(api.get("/ping")) for _ in range(10)]
        await asyncio.sleep(0.05)

        other = await other_account.get("/ping")
        await asyncio.gather(*busy)

    assert other.status_code == 200


async def test_latency_is_added_to_every_request(api, set_faults):
    await set_faults(latency_ms=150)

    started = time.perf_counter()
    await api.get("/ping")

    assert time.perf_counter() - started >= 0.15


async def test_an_injected_500_happens_before_the_batch_touches_anything(
    api, set_faults, sandbox, ids
):
    await set_faults(rate_500=1.0)

    response = await api.post(
        f"/lists/{ids.staff}",
        json={"members": [{"email_address": "ada@fenwicktools.com", "status": "subscribed"}]},
    )

    assert response.status_code == 500
    assert response.json()["title"] == "Internal Server Error"
    account = sandbox.account(ids.api_key)
    assert account.audiences[ids.staff].members == {}
    assert account.write_counts == {}
    assert (account.request_log[-1].status, account.request_log[-1].fault) == (500, "500")


async def test_an_injected_429_carries_retry_after(api, set_faults):
    await set_faults(rate_429=1.0, retry_after=7)

    response = await api.get("/lists")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def run_pings(api, count: int) -> list[int]:
    return [(await api.get("/ping")).status_code for _ in range(count)]


async def test_seeded_faults_repeat_exactly_and_follow_their_rates(api, set_faults):
    await set_faults(rate_429=0.2, rate_500=0.1, seed=7)
    first = await run_pings(api, 200)
    await set_faults(rate_429=0.2, rate_500=0.1, seed=7)
    second = await run_pings(api, 200)
    await set_faults(rate_429=0.2, rate_500=0.1, seed=8)
    other_seed = await run_pings(api, 200)

    assert first == second
    assert other_seed != first
    counts = Counter(first)
    assert 20 <= counts[429] <= 60  # 40 expected
    assert 8 <= counts[500] <= 32  # 20 expected
    assert counts[200] == 200 - counts[429] - counts[500]


async def test_no_faults_without_rates(api, set_faults):
    await set_faults(seed=7)

    assert set(await run_pings(api, 50)) == {200}


async def test_a_held_request_outlasts_the_client_and_changes_nothing(
    api, set_faults, sandbox, ids
):
    await set_faults(rate_timeout=1.0, timeout_seconds=0.4)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await api.put(
                f"/lists/{ids.staff}/members/ada@fenwicktools.com",
                json={"email_address": "ada@fenwicktools.com", "status_if_new": "subscribed"},
            )
    patient = await api.get("/lists")

    assert patient.status_code == 502
    assert patient.headers["content-type"].startswith("text/html")
    account = sandbox.account(ids.api_key)
    assert account.audiences[ids.staff].members == {}
    assert account.in_flight == 0
    assert [entry.fault for entry in account.request_log[-2:]] == ["timeout", "timeout"]


async def test_a_timeout_after_the_write_makes_the_change_and_withholds_the_answer(
    api, set_faults, sandbox, ids
):
    await set_faults(rate_timeout=1.0, timeout_seconds=0.2, timeout_after_write=True)
    body = {"members": [{"email_address": "ada@fenwicktools.com", "status": "subscribed"}]}

    first = await api.post(f"/lists/{ids.staff}", json=body)
    await set_faults()
    second = await api.post(f"/lists/{ids.staff}", json={**body, "update_existing": True})

    assert first.status_code == 502
    assert second.status_code == 200
    account = sandbox.account(ids.api_key)
    assert [m.email_address for m in account.audiences[ids.staff].members.values()] == [
        "ada@fenwicktools.com"
    ]
    [counted] = sandbox.write_counts(ids.api_key)
    assert (counted["created"], counted["updated"]) == (1, 1)
    assert counted["answered"] == [False, True]


async def test_fault_rates_must_be_fractions(site, ids):
    response = await site.put(
        f"/_sandbox/api/accounts/{ids.api_key}/faults", json={"rate_500": 1.5}
    )

    assert response.status_code == 400


async def test_the_request_log_keeps_only_the_latest_entries(api, sandbox, ids, monkeypatch):
    monkeypatch.setattr("app.mailchimp.sandbox.state.HISTORY_LIMIT", 5)

    for _ in range(8):
        await api.get("/ping")
    await api.get("/lists")

    log = sandbox.account(ids.api_key).request_log
    assert len(log) == 5
    assert log[-1].path == "/3.0/lists"
