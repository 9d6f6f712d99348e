"""Fixtures for driving the sandbox over HTTP in-process (httpx.ASGITransport, no sockets).

Raw httpx clients (`api`, `site`) test the sandbox on its own; `mailchimp` and
`mailchimp_oauth` are Listbridge's real clients on it, every exchange kept in `wire`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, Response, get, post

from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import ApiKeyCredentials, Credentials
from app.mailchimp.oauth import MailchimpOAuth
from app.mailchimp.retry import RetryPolicy
from app.mailchimp.sandbox import Sandbox, SandboxState
from tests.integration.sandbox.mailchimp_schemas import validator_for

API_KEY = "5f2b8c9d0e1a4b3c6d7e8f9a0b1c2d3e-us19"
SANDBOX_ROOT = "http://mailchimp.test"
OAUTH_CLIENT = {
    "client_id": "listbridge-test",
    "client_secret": "s3cret-for-tests",
    "redirect_uri": "http://listbridge.test/connections/mailchimp/callback",
}
STAFF = "5ta77a4d1e"  # an audience without required merge fields
PARTNERS = "9a27e8e5b1"  # an audience whose DEPT (dropdown) is required


def seed() -> dict[str, Any]:
    return {
        "oauth_clients": [{**OAUTH_CLIENT, "name": "Listbridge (tests)"}],
        "accounts": [
            {
                "api_key": API_KEY,
                "account_name": "Fenwick Tools",
                "login_email": "ops@fenwicktools.com",
                "first_name": "Ida",
                "last_name": "Fenwick",
                "audiences": [
                    {"id": STAFF, "name": "Staff"},
                    {
                        "id": PARTNERS,
                        "name": "Partners",
                        "merge_fields": [
                            {
                                "tag": "DEPT",
                                "name": "Department",
                                "type": "dropdown",
                                "required": True,
                                "options": {"choices": ["Sales", "Support"]},
                            }
                        ],
                    },
                ],
            }
        ],
    }


class FakeClock:
    """A clock tests can move; starts at a fixed instant."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Ids:
    api_key: str = API_KEY
    staff: str = STAFF
    partners: str = PARTNERS


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver app: answers the validation GET and records every request.

    `statuses` are answered to POSTs in turn (the last one repeats).
    """

    statuses: list[int] = field(default_factory=lambda: [200])
    get_status: int = 200
    posts: list[Received] = field(default_factory=list)
    gets: list[Received] = field(default_factory=list)
    app: Litestar = field(init=False)

    def __post_init__(self) -> None:
        @get("/{path:path}")
        async def validate(request: Request) -> Response:
            self.gets.append(Received(request.url.path, dict(request.headers), b""))
            return Response(content="", status_code=self.get_status, media_type="text/plain")

        @post("/{path:path}")
        async def deliver(request: Request) -> Response:
            body = await request.body()
            self.posts.append(Received(request.url.path, dict(request.headers), body))
            status = self.statuses[min(len(self.posts), len(self.statuses)) - 1]
            return Response(content="", status_code=status, media_type="text/plain")

        self.app = Litestar([validate, deliver], openapi_config=None, logging_config=None)


@pytest.fixture
def ids() -> Ids:
    return Ids()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def sandbox(clock: FakeClock, receiver: Receiver) -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(
        SandboxState(clock=clock),
        seed=seed(),
        webhook_transport=httpx.ASGITransport(app=receiver.app),
        webhook_retry_delays=(0.01, 0.01),
    )
    yield sandbox
    await sandbox.aclose()


def client_for(
    sandbox: Sandbox, *, key: str | None = API_KEY, base: str = "/3.0"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.asgi_app),
        base_url=f"{SANDBOX_ROOT}{base}",
        auth=("listbridge", key) if key else None,
    )


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """The Marketing API as the test account, base URL `…/3.0`."""
    async with client_for(sandbox) as client:
        yield client


@pytest.fixture
async def site(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox root without credentials: OAuth, control endpoints and page."""
    async with client_for(sandbox, key=None, base="") as client:
        yield client


@pytest.fixture
def make_client(sandbox: Sandbox) -> Callable[..., httpx.AsyncClient]:
    return lambda **kwargs: client_for(sandbox, **kwargs)


@pytest.fixture
def add_field(api: httpx.AsyncClient) -> Callable[..., Any]:
    """Create a merge field on STAFF through the API and return its JSON."""

    async def add(tag: str, kind: str, **extra: Any) -> dict[str, Any]:
        response = await api.post(
            f"/lists/{STAFF}/merge-fields",
            json={"tag": tag, "name": tag.title(), "type": kind, **extra},
        )
        assert response.status_code == 200, response.text
        return response.json()

    return add


@pytest.fixture
def put_member(api: httpx.AsyncClient) -> Callable[..., Any]:
    """PUT a member on an audience (STAFF by default); returns the httpx response."""

    async def put(email: str, list_id: str = STAFF, **body: Any) -> httpx.Response:
        body.setdefault("status_if_new", "subscribed")
        return await api.put(
            f"/lists/{list_id}/members/{email}", json={"email_address": email, **body}
        )

    return put


@pytest.fixture(scope="session")
def mailchimp_reference() -> Path:
    """`shared/mailchimp/` next to the repository; missing in CI is a failure, not a skip."""
    repo_root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    for candidate in (repo_root.parent / "shared" / "mailchimp", Path("/work/shared/mailchimp")):
        if (candidate / "FACTS.md").exists():
            return candidate
    if os.environ.get("CI"):
        pytest.fail("the Mailchimp reference material (../shared/mailchimp) is missing in CI")
    pytest.skip("the Mailchimp reference material (../shared/mailchimp) is not available here")


@pytest.fixture
def set_faults(site: httpx.AsyncClient) -> Callable[..., Any]:
    """Set the test account's (or `account`'s) latency and fault rates via the control API."""

    async def set_(account: str = API_KEY, **faults: Any) -> None:
        response = await site.put(f"/_sandbox/api/accounts/{account}/faults", json=faults)
        assert response.status_code == 200, response.text

    return set_


# The real Mailchimp client, talking to the sandbox in process.


@dataclass(frozen=True)
class Exchange:
    """One request the client sent and the sandbox's answer, as it crossed the wire."""

    method: str
    path: str
    query: str
    status: int
    content_type: str
    body: bytes


class RecordingTransport(httpx.AsyncBaseTransport):
    """The sandbox over httpx.ASGITransport, keeping every exchange for later inspection."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = httpx.ASGITransport(app=sandbox.asgi_app)
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        body = await response.aread()
        content_type = response.headers.get("content-type", "")
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                request.url.query.decode(),
                response.status_code,
                content_type,
                body,
            )
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body)


class Pauses(list[float]):
    """Stands in for asyncio.sleep in the client: the backoff pauses asked for, none taken."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


# Few, short retries: error classes surface quickly; Retry-After is recorded, not slept.
CLIENT_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total_wait=60)


@pytest.fixture
def wire(sandbox: Sandbox) -> RecordingTransport:
    return RecordingTransport(sandbox)


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


@pytest.fixture
def make_mailchimp(wire: RecordingTransport, pauses: Pauses) -> Callable[..., MailchimpClient]:
    """`MailchimpClient(credentials)` on the sandbox, as the app builds it for
    MAILCHIMP_BASE_URL (an API key) or from the token's `api_endpoint` (OAuth)."""

    def build(credentials: Credentials) -> MailchimpClient:
        base_url = f"{SANDBOX_ROOT}/3.0" if isinstance(credentials, ApiKeyCredentials) else None
        return MailchimpClient(
            credentials, base_url=base_url, transport=wire, retry=CLIENT_RETRY, sleep=pauses
        )

    return build


@pytest.fixture
async def mailchimp(
    make_mailchimp: Callable[..., MailchimpClient],
) -> AsyncIterator[MailchimpClient]:
    """The client for the test account."""
    async with make_mailchimp(ApiKeyCredentials(API_KEY)) as client:
        yield client


@pytest.fixture
async def mailchimp_oauth(wire: RecordingTransport) -> AsyncIterator[MailchimpOAuth]:
    """Our OAuth client, registered with the sandbox as OAUTH_CLIENT."""
    async with MailchimpOAuth(
        OAUTH_CLIENT["client_id"],
        OAUTH_CLIENT["client_secret"],
        base_url=SANDBOX_ROOT,
        transport=wire,
    ) as client:
        yield client


@pytest.fixture
def approve(site: httpx.AsyncClient, sandbox: Sandbox) -> Callable[..., Any]:
    """The person presses "Allow" for the test account on the authorize page; returns the code."""

    async def press_allow() -> str:
        form = {
            **OAUTH_CLIENT,
            "state": "st4te",
            "account_id": sandbox.account(API_KEY).account_id,
            "decision": "allow",
        }
        form.pop("client_secret")
        redirect = await site.post("/oauth2/authorize", data=form)
        assert redirect.status_code == 302, redirect.text
        return httpx.URL(redirect.headers["location"]).params["code"]

    return press_allow


# Mailchimp's published schemas (../shared/mailchimp/marketing-openapi.json).


@pytest.fixture
def marketing_spec_path(mailchimp_reference: Path) -> Path:
    return mailchimp_reference / "marketing-openapi.json"


@pytest.fixture
def conforms(marketing_spec_path: Path) -> Callable[[Any, str], None]:
    """Check a document against one of the spec's component schemas (raises ValidationError)."""

    def check(document: Any, schema: str) -> None:
        validator_for(marketing_spec_path, schema).validate(document)

    return check
