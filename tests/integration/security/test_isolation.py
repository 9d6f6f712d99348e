"""Every route of the app, generated from its route table, called with organisation A's ids by
a signed-in person of organisation B, by B's API token and by nobody: each is refused and none
answers anything of A's, and A's rows are as they were.

Expected answers:
- a route with an id in its URL, asked by B (session or token): 401, 403 or 404;
- a route without one acts on the caller's own organisation: B may be answered (any status but
  a 5xx), as long as nothing of A's is in it and nothing of A's changed;
- anonymous: 401 (problem+json) for the API; for pages the app redirects to the log-in page
  instead (a 302/303 whose Location is /login?next=...) — that and nothing else;
- public routes (routes.PUBLIC): nothing of A's; those that take a secret are called with a
  wrong one and must answer 4xx.
"A's data" is every marker of world.py that the request did not carry itself.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.domain.accounts.tables import Membership, User
from app.lib.csrf import HEADER as CSRF_HEADER
from app.piccolo_app import APP_CONFIG
from tests.conftest import BASE_URL
from tests.factories import Member, bearer, csrf_token, log_in
from tests.integration.security.bodies import (
    API_UPLOADS,
    FormBody,
    api_bodies,
    check_against_schema,
    harvest_forms,
    request_schemas,
)
from tests.integration.security.routes import Endpoint, endpoints, is_public
from tests.integration.security.world import WorldA, build_org_b, build_world_a
from tests.mailchimp_factories import new_api_key

pytestmark = pytest.mark.slow

REFUSED = {401, 403, 404}
STREAM_WAIT = 3.0  # a stream still open after this long was granted
WRONG_SECRET = "0" * 43


def form_fallbacks(ids: dict[str, int | str]) -> dict[str, FormBody]:
    """Forms A's pages show only in states A's world is not in, as the templates write them."""
    return {
        # The organisation switcher shows to people in two organisations: B asks for A's.
        "session.organisation": FormBody([("organisation_id", str(ids["organisation_id"]))]),
        # The API-key form shows while no account is connected (A is connected).
        "settings.mailchimp.connect": FormBody([("api_key", new_api_key())]),
        # The column mapping shows before an import starts (A's has finished).
        "contacts.import.mapping": FormBody([("column-0", "email"), ("entity_type", "employee")]),
        # "Try again" / "Retry" buttons show after failures only; they carry just the CSRF token.
        "contacts.import.start": FormBody(),
        "events.retry": FormBody(),
        "preferences.erasure.retry": FormBody(),
        "runs.retry_rejected": FormBody(),
    }


@asynccontextmanager
async def browser(app: Litestar, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def snapshot(organisation_id: int, user_ids: list[int]) -> dict[str, list[dict]]:
    """Every row that belongs to the organisation (tables with an `organisation` column), its
    people and their memberships."""
    rows = {}
    for table in APP_CONFIG.table_classes:
        if "organisation" in {c._meta.name for c in table._meta.columns}:
            rows[table._meta.tablename] = (
                await table.select()
                .where(table._meta.get_column_by_name("organisation") == organisation_id)
                .order_by(table._meta.primary_key)
            )
    rows["users"] = await User.select().where(User.id.is_in(user_ids)).order_by(User.id)
    rows["memberships"] = await Membership.select().where(Membership.user.is_in(user_ids))
    return rows


class Caller:
    """One way of asking: a client, its headers, and whether it keeps a CSRF cookie."""

    def __init__(self, label: str, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.label, self.http, self.headers = label, http, headers

    async def send(self, endpoint: Endpoint, url: str, body: dict[str, Any]) -> httpx.Response:
        headers = dict(self.headers)
        if "listbridge_csrf" in self.http.cookies:
            headers[CSRF_HEADER] = await csrf_token(self.http)
        method = "GET" if endpoint.method == "*" else endpoint.method
        request = self.http.request(method, url, headers=headers, **body)
        if not endpoint.streams:
            return await request
        try:
            return await asyncio.wait_for(request, STREAM_WAIT)
        except TimeoutError:
            return httpx.Response(200, text="(stream stayed open)")


def leaked(response: httpx.Response, markers: set[str], sent: str) -> list[str]:
    text = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return [m for m in markers if m not in sent and m in text]


def id_paths(world: WorldA, all_endpoints: list[Endpoint]) -> set[str]:
    """A's own URLs (e.g. /contacts/7): an answer that names one gives A's id away."""
    return {e.url(world.ids) for e in all_endpoints if e.parameters and not is_public(e)}


class Walk:
    def __init__(self, app: Litestar, world: WorldA, b: Member) -> None:
        self.app, self.world, self.b = app, world, b
        self.forms: dict[tuple[str, str], FormBody] = {}
        self.openapi = app.openapi_schema.to_schema()
        self.schemas = request_schemas(self.openapi)
        self.api_bodies = api_bodies(world.ids)
        self.fallbacks = form_fallbacks(world.ids)
        self.failures: list[str] = []
        self.exercised: set[Endpoint] = set()
        self.markers = set(world.markers)
        self.seen_by_a: set[str] = set()

    def fail(self, caller: str, endpoint: Endpoint, url: str, problem: str) -> None:
        self.failures.append(f"{caller}: {endpoint.method} {url} ({endpoint.name}) {problem}")

    def body(self, endpoint: Endpoint, url: str) -> dict[str, Any] | None:
        if endpoint.method in ("GET", "HEAD", "DELETE", "*"):
            return {}
        if endpoint.is_api:
            schema_path = re.sub(r"\{(\w+):\w+\}", r"{\1}", endpoint.path)
            schema = self.schemas.get((endpoint.method, schema_path))
            if endpoint.name in API_UPLOADS:
                return {"files": API_UPLOADS[endpoint.name]}
            if schema is None:
                return {}
            example = self.api_bodies.get(endpoint.name)
            if example is None:
                return None
            check_against_schema(self.openapi, schema, example)
            return {"json": example}
        form = self.forms.get((endpoint.method, url)) or self.fallbacks.get(endpoint.name)
        if form is None:
            return None
        data: dict[str, list[str]] = {}
        for name, value in form.fields:
            data.setdefault(name, []).append(value)
        return {"data": data, **({"files": form.files} if form.files else {})}

    async def read_as_a(self, a_session: httpx.AsyncClient, a_token: dict, all_endpoints) -> None:
        """A opens each of its own pages (collecting their forms); every URL with A's ids
        must answer A — else the ids below would prove nothing."""
        for endpoint in all_endpoints:
            if endpoint.method != "GET" or endpoint.streams or is_public(endpoint):
                continue
            url = endpoint.url(self.world.ids)
            if endpoint.is_api:
                response = await a_session.get(url, headers=a_token)
            else:
                response = await a_session.get(url)
                for key, form in harvest_forms(response.text).items():
                    self.forms.setdefault(key, form)
            if endpoint.parameters and response.status_code != 200:
                self.fail("A itself", endpoint, url, f"answered {response.status_code}")
            self.seen_by_a |= {m for m in self.world.markers if m in response.text}
        # Each marker is on one of A's own pages: its absence from B's answers means something.
        unseen = self.world.markers - self.seen_by_a
        assert not unseen, f"markers A's own pages never show: {unseen}"

    async def refuse(self, endpoint: Endpoint, callers: list[Caller], b_session) -> None:
        url = endpoint.url(self.world.ids)
        body = self.body(endpoint, url)
        if body is None:
            self.fail("test", endpoint, url, "has no documented body: add one in bodies.py")
            return
        if query := endpoint.query_values(self.world.ids):
            body["params"] = query
        sent = url + repr(body)
        for caller in callers:
            response = await caller.send(endpoint, url, body)
            status = response.status_code
            if caller.label == "anonymous":
                login = response.headers.get("location", "").startswith("/login")
                ok = status == 401 if endpoint.is_api else (status in (302, 303) and login)
            elif endpoint.parameters:
                ok = status in REFUSED
            else:
                ok = status < 500
            if not ok:
                self.fail(caller.label, endpoint, url, f"answered {status}: {response.text[:150]}")
            if found := leaked(response, self.markers, sent):
                self.fail(caller.label, endpoint, url, f"answered A's data {found}")
            if caller.label == "B user":
                await self.still_b(b_session, endpoint, url)
        self.exercised.add(endpoint)

    async def still_b(self, b_session: httpx.AsyncClient, endpoint: Endpoint, url: str) -> None:
        me = await b_session.get("/api/v1/me")
        if me.status_code == 401 and endpoint.name == "logout":
            await log_in(b_session, self.b)
            return
        if me.status_code != 200 or me.json()["organisation"]["id"] != self.b.organisation.id:
            self.fail("B user", endpoint, url, f"left B's session as {me.status_code} {me.text}")
            await log_in(b_session, self.b)

    async def probe_public(self, endpoint: Endpoint, anonymous: httpx.AsyncClient) -> None:
        """Public routes: nothing of A's; with a wrong secret, the webhook receivers say no."""
        values = {**self.world.ids, "secret": WRONG_SECRET, "file_path": "app.css"}
        if endpoint.path.startswith("/schema"):
            values["path"] = "swagger"
        url = endpoint.url(values)
        if endpoint.name == "sandbox":
            url += "/3.0/lists"
        elif endpoint.name == "admin":
            url += "/api/tables/contacts/"
        headers = {CSRF_HEADER: await csrf_token(anonymous)}
        if endpoint.name == "hooks.events":
            headers["x-listbridge-signature"] = f"t=1,v1={WRONG_SECRET}"
        body = self.body(endpoint, url) or {}
        if endpoint.name == "sandbox":
            # The sandbox opens an empty account for any well-formed new key (as a fresh
            # Mailchimp account would be): a key of the wrong shape is the wrong secret here.
            body["auth"] = ("anyone", "not-a-mailchimp-key")
        method = "GET" if endpoint.method == "*" else endpoint.method
        response = await anonymous.request(method, url, headers=headers, **body)
        takes_secret = endpoint.name.startswith("hooks.") or endpoint.method == "*"
        if takes_secret and not 400 <= response.status_code < 500:
            self.fail(
                "anonymous",
                endpoint,
                url,
                f"answered {response.status_code} to a wrong secret: {response.text[:150]}",
            )
        if response.status_code >= 500:
            self.fail("anonymous", endpoint, url, f"answered {response.status_code}")
        if found := leaked(response, self.markers, url + repr(body)):
            self.fail("anonymous", endpoint, url, f"answered A's data {found}")
        self.exercised.add(endpoint)


async def test_no_route_serves_one_organisation_to_another_or_to_nobody(app, client, sandbox):
    world = await build_world_a(client, sandbox)
    b, b_token = await build_org_b(sandbox)
    all_endpoints = endpoints(app)
    walk = Walk(app, world, b)

    async with (
        browser(app, "203.0.113.21") as b_session,
        browser(app, "203.0.113.22") as b_api,
        browser(app, "203.0.113.23") as anonymous,
    ):
        await log_in(client, world.owner)
        await walk.read_as_a(client, bearer(world.token), all_endpoints)
        walk.markers |= {p for p in id_paths(world, all_endpoints)}
        # Taken after A's own visit (which logs A in and uses A's token).
        before = await snapshot(world.owner.organisation.id, await _people(world))
        sandbox_before = sandbox.write_counts(world.mailchimp_key)
        await log_in(b_session, b)
        await csrf_token(anonymous)
        callers = [
            Caller("B user", b_session, {}),
            Caller("B token", b_api, bearer(b_token)),
            Caller("anonymous", anonymous, {}),
        ]
        # A's URLs first, while B is still as built (B may disconnect itself later on); logging
        # out ends B's session, so it goes last.
        order = sorted(all_endpoints, key=lambda e: (e.name == "logout", not e.parameters))
        for endpoint in order:
            if is_public(endpoint):
                await walk.probe_public(endpoint, anonymous)
            else:
                await walk.refuse(endpoint, callers, b_session)

    assert not walk.failures, "\n".join(walk.failures)
    assert set(all_endpoints) == walk.exercised, "routes neither called nor allow-listed"
    assert await snapshot(world.owner.organisation.id, await _people(world)) == before
    assert sandbox.write_counts(world.mailchimp_key) == sandbox_before


async def _people(world: WorldA) -> list[int]:
    rows = await Membership.select(Membership.user).where(
        Membership.organisation == world.owner.organisation.id
    )
    return sorted(row["user"] for row in rows)
