"""A sync through Mailchimp's bad day, whose worker is killed mid-run, still ends exact.

Two real worker processes; Mailchimp (the sandbox, over loopback) answers 10 % of calls with
429 + Retry-After, 2 % with 500, and lets 1 % time out after making the change (the success is
hidden). The first worker is SIGKILLed part-way; the second resumes the run. The audience must
end equal to the segment, the run `completed`, and no member written again once the app knew
its write had succeeded (the sandbox records every write and whether its answer was sent).

`LISTBRIDGE_FAULTS_CONTACTS` sets the size (bench/faults.py runs 50,000);
`LISTBRIDGE_FAULTS_REPORT` names a file to receive the figures as JSON.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from app.domain.segments import runs
from app.domain.segments.tables import AudienceMember
from app.mailchimp.sandbox.seed import faults_from
from tests.conftest import BACKEND
from tests.contact_factories import make_contacts
from tests.fixtures.app import wait_until
from tests.integration.faults import fleet
from tests.integration.segments.sync_helpers import audience, connected, make_segment

# Separate worker processes are the Postgres + Redis mode (DESIGN.md); the embedded SQLite mode
# runs its worker in the web process, so these multi-process fault runs belong to that pass.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "postgres", reason="worker processes run with Postgres + Redis"),
]

# 12 batches of 500 with 10 in flight: at least two rounds, so the worker dies between them.
CONTACTS = int(os.environ.get("LISTBRIDGE_FAULTS_CONTACTS", "6000"))
FAULTS = {
    "rate_429": 0.10,
    "retry_after": 1,
    "rate_500": 0.02,
    "rate_timeout": 0.01,
    "timeout_seconds": 6,  # the workers give up after 5 (MAILCHIMP_TIMEOUT_SECONDS)
    "timeout_after_write": True,
    "latency_ms": 300,
    # Calls draw their fate in order; this seed puts a 429, a hidden success and a 500 among the
    # first batches, so every kind of fault is met even at CI size.
    "seed": 1194,
}


async def test_a_faulty_sync_whose_worker_dies_ends_exact_and_repeats_no_success(
    db, sandbox, live_server
):
    owner, key, account = await connected(sandbox)
    await make_contacts(owner, CONTACTS)
    segment = await make_segment(owner)
    account.set_faults(faults_from(FAULTS))
    started = time.perf_counter()
    first = second = None
    async with fleet.private_queue("faulty-sync") as job_queue:
        env = fleet.worker_env(job_queue, live_server)
        run = await fleet.queue_run(job_queue, owner.organisation.id, segment.id)
        try:
            first = fleet.start_worker(env)
            await fleet.partly_sent(run.id, CONTACTS)
            fleet.kill(first)
            recorded = await fleet.recorded_as_sent(run.id)
            # Calls the dead worker left behind finish at the sandbox; only then is each
            # member's history split into the dead worker's writes and the survivor's.
            await wait_until(lambda: _quiet(account), timeout=30)
            at_death = fleet.write_histories(sandbox, key)
            second = fleet.start_worker(env)
            done = await fleet.finished(run.id)
            job = await job_queue.job(runs.job_key(segment.id))
        finally:
            await fleet.stop(first, second)
    wall = time.perf_counter() - started

    assert done.status == "completed", done.error
    held = audience(account)
    assert len(held) == CONTACTS
    assert all(member.status == "subscribed" for member in held.values())
    assert await AudienceMember.count().where(AudienceMember.last_sent_run == run.id) == CONTACTS
    assert done.created + done.updated == CONTACTS  # hidden successes come back as updates
    histories = fleet.write_histories(sandbox, key)
    assert set(histories) == set(held)
    assert 0 < len(recorded) < CONTACTS
    # Nothing the dead worker recorded as sent is without a write Mailchimp answered.
    assert all(any(at_death.get(email, [])) for email in recorded)
    repeats = fleet.writes_after_success(
        histories,
        killed_workers_writes={email: len(writes) for email, writes in at_death.items()},
        recorded_before_death=recorded,
    )
    assert repeats == {}
    faults = {entry.fault for entry in account.request_log if entry.fault}
    assert {"429", "500", "timeout"} <= faults  # the bad day really happened
    hidden = sum(not answered for writes in histories.values() for answered in writes)
    assert hidden > 0  # and some successes were hidden from the app
    _report(
        {
            "contacts": CONTACTS,
            "wall_s": round(wall, 1),
            "requests": account.requests_total,
            "api_calls_recorded_by_run": done.api_calls,
            "refused_429": _count(account, "429"),
            "refused_500": _count(account, "500"),
            "timeouts": _count(account, "timeout"),
            "retries": sum(_count(account, kind) for kind in ("429", "500", "timeout")),
            "hidden_successes": hidden,
            "job_attempts": job.attempts if job else None,
            "recorded_before_kill": len(recorded),
            "sent_again_after_kill": sum(1 for h in histories.values() if len(h) > 1),
            "writes_after_success": sum(repeats.values()),
            "exact": "yes",
        }
    )


def test_a_write_after_a_known_success_is_counted_and_a_hidden_one_is_not():
    histories = {
        "once@x": [True],
        "hidden-then-resent@x": [False, True],
        "twice@x": [True, True],
        "unrecorded-at-death@x": [True, True],
        "recorded-at-death@x": [True, True],
        "repeated-by-dead-worker@x": [True, True, True],
    }
    at_death = {"unrecorded-at-death@x": 1, "recorded-at-death@x": 1}
    at_death["repeated-by-dead-worker@x"] = 2

    repeats = fleet.writes_after_success(
        histories, killed_workers_writes=at_death, recorded_before_death={"recorded-at-death@x"}
    )

    assert repeats == {"twice@x": 1, "recorded-at-death@x": 1, "repeated-by-dead-worker@x": 2}


async def _quiet(account) -> bool:
    return account.in_flight == 0


def _count(account, fault: str) -> int:
    return sum(1 for entry in account.request_log if entry.fault == fault)


def _report(figures: dict) -> None:
    if target := os.environ.get("LISTBRIDGE_FAULTS_REPORT"):
        Path(target).write_text(json.dumps(figures))
