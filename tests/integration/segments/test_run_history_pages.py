"""Run history in the browser: a segment's runs, one run's rows by outcome, the refused rows
as CSV, and "retry the refused rows" — with rows Mailchimp really refused."""

from __future__ import annotations

import csv
import io

from app.domain.contacts import services as contacts
from app.domain.segments.tables import SyncRun
from tests.contact_factories import DOMAIN, make_contact
from tests.factories import log_in, make_organisation, post_form, soup
from tests.fixtures.app import wait_until
from tests.integration.segments.sync_helpers import (
    audience,
    connected,
    make_segment,
    sync_run_of,
    writes,
)
from tests.mailchimp_factories import connect


async def _a_run_with_problems(client, sandbox):
    """Two good rows, one Mailchimp refuses as fake, one that fails the START date rule."""
    owner, key, account = await connected(sandbox)
    await make_contact(owner, attributes={"start": "2021-04-01"})
    await make_contact(owner, attributes={"start": "2022-09-15"})
    fake = await make_contact(owner, email="pat@example.com", attributes={"start": "2020-01-01"})
    undated = await make_contact(owner, attributes={"start": "next spring"})
    segment = await make_segment(
        owner, field_mapping={"FNAME": "first_name", "START": "attribute:start"}
    )
    await log_in(client, owner)
    run = await sync_run_of(client, segment.id)
    assert (run.status, run.created, run.rejected, run.invalid) == ("completed", 2, 1, 1)
    return owner, key, account, segment, run, fake, undated


def _cells(row) -> list[str]:
    return [cell.get_text(" ", strip=True) for cell in row.select("td")]


async def test_a_segment_s_runs_page_lists_each_run_with_its_counts(client, sandbox):
    _, _, _, segment, run, _, _ = await _a_run_with_problems(client, sandbox)

    page = soup(await client.get(f"/segments/{segment.id}/runs"))

    assert page.select_one("h1").get_text(strip=True) == f"Runs of {segment.name}"
    [row] = page.select("tbody tr")
    assert row.select_one("a")["href"] == f"/runs/{run.id}"
    cells = _cells(row)
    assert cells[0] == f"#{run.id}"
    assert cells[2:5] == ["manual", "incremental", "completed"]
    assert cells[5].endswith(" s")  # its duration
    assert cells[6:] == ["4", "2", "0", "0", "0", "1", "1"]


async def test_a_run_page_lists_its_rows_filtered_by_outcome(client, sandbox):
    _, _, _, _, run, fake, undated = await _a_run_with_problems(client, sandbox)

    everything = soup(await client.get(f"/runs/{run.id}"))
    refused = soup(await client.get(f"/runs/{run.id}?outcome=rejected"))
    invalid = soup(await client.get(f"/runs/{run.id}?outcome=invalid"))
    unknown = soup(await client.get(f"/runs/{run.id}?outcome=everything"))

    tabs = [a.get_text(strip=True) for a in everything.select("nav.subnav a")]
    assert tabs == ["All (2)", "Invalid (1)", "Refused by Mailchimp (1)"]
    assert len(everything.select("tbody tr")) == 2
    [refused_row] = refused.select("tbody tr")
    assert (
        refused.select_one("nav.subnav a[aria-current=page]")
        .get_text(strip=True)
        .startswith("Refused")
    )
    email, outcome, why = _cells(refused_row)
    assert (email, outcome) == (fake["email"], "rejected fake_email")
    assert "looks fake or invalid" in why
    assert refused_row.select_one("a")["href"] == f"/contacts/{fake['id']}"
    [invalid_row] = invalid.select("tbody tr")
    assert _cells(invalid_row)[0] == undated["email"]
    assert "not a date" in _cells(invalid_row)[2]
    assert len(unknown.select("tbody tr")) == 2  # an unknown outcome shows every row
    assert everything.select_one(f"a[href='/runs/{run.id}/rejected.csv']") is not None
    assert everything.select_one(f"form[action='/runs/{run.id}/retry-rejected']") is not None


async def test_the_refused_and_invalid_rows_download_as_csv(client, sandbox):
    _, _, _, _, run, fake, undated = await _a_run_with_problems(client, sandbox)

    response = await client.get(f"/runs/{run.id}/rejected.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="run-{run.id}-rejected.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    by_email = {row["email"]: row for row in rows}
    assert set(by_email) == {fake["email"], undated["email"]}
    assert by_email[fake["email"]]["outcome"] == "rejected"
    assert by_email[fake["email"]]["error_code"] == "fake_email"
    assert by_email[fake["email"]]["contact_id"] == str(fake["id"])
    assert "looks fake or invalid" in by_email[fake["email"]]["message"]
    assert by_email[undated["email"]]["outcome"] == "invalid"
    assert "not a date" in by_email[undated["email"]]["message"]


async def test_retrying_the_refused_rows_sends_just_those_again(client, sandbox):
    owner, key, account, segment, run, fake, _ = await _a_run_with_problems(client, sandbox)
    fixed = f"pat@{DOMAIN}"
    await contacts.update_contact(owner.principal, fake["id"], {"email": fixed})
    sent_before = writes(sandbox, key)

    response = await post_form(client, f"/runs/{run.id}/retry-rejected")

    assert response.status_code == 302
    assert response.headers["location"] == f"/segments/{segment.id}"
    flashes = soup(await client.get(response.headers["location"])).select(".flash")
    assert flashes[-1].get_text(strip=True) == "Queued a run for just the rejected rows."

    async def retried():
        row = (
            await SyncRun.objects().where(SyncRun.trigger == "retry").output(load_json=True).first()
        )
        return row if row and row.status in ("completed", "failed") else None

    retry = await wait_until(retried, timeout=30)
    assert (retry.status, retry.mode, retry.only_contacts) == ("completed", "full", [fake["id"]])
    assert (retry.selected, retry.created, retry.rejected, retry.invalid) == (1, 1, 0, 0)
    assert audience(account)[fixed].status == "subscribed"
    sent_after = writes(sandbox, key)
    assert {e: n for e, n in sent_after.items() if sent_before.get(e) != n} == {fixed: 1}
    history = soup(await client.get(f"/segments/{segment.id}/runs"))
    assert [_cells(r)[2] for r in history.select("tbody tr")] == ["retry", "manual"]

    # The retry refused nothing: there is nothing to retry from it.
    again = await post_form(client, f"/runs/{retry.id}/retry-rejected")
    assert again.headers["location"] == f"/runs/{retry.id}"
    page = soup(await client.get(again.headers["location"]))
    assert "no rejected rows to retry" in page.select_one(".flashes").get_text()
    assert page.select_one(f"form[action='/runs/{retry.id}/retry-rejected']") is None
    assert await SyncRun.count() == 2


async def test_another_organisation_cannot_read_or_retry_a_run(client, sandbox):
    _, _, _, segment, run, _, _ = await _a_run_with_problems(client, sandbox)
    stranger = await make_organisation()
    await connect(stranger, sandbox)
    await log_in(client, stranger)

    for url in (f"/segments/{segment.id}/runs", f"/runs/{run.id}", f"/runs/{run.id}/rejected.csv"):
        assert (await client.get(url)).status_code == 404, url
    assert (await post_form(client, f"/runs/{run.id}/retry-rejected")).status_code == 404
    assert (await post_form(client, f"/segments/{segment.id}/sync")).status_code == 404
    assert await SyncRun.count() == 1
