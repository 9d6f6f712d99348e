"""An offline Mailchimp Marketing API 3.0, which Listbridge is demoed, tested and benchmarked on.

It imports nothing else from `app/`, so a mistake in shared code cannot hide on both sides of
the wire.

In process (tests)::

    sandbox = Sandbox(seed=DEMO_SEED, webhook_transport=httpx.ASGITransport(app=receiver))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi_app),
                               base_url="http://sandbox/3.0", auth=("any", api_key))
    sandbox.state                      # the live model: accounts, audiences, members, ...
    await sandbox.drain_webhooks()     # wait for queued webhook deliveries
    sandbox.write_counts(api_key)      # API creates/updates per member

`create_sandbox_app(...)` returns just the Litestar app; its `Sandbox` is `app.state.sandbox`.

Mounted in another Litestar app (links, redirects and `api_endpoint` follow the prefix)::

    sandbox_app = create_sandbox_app(seed=...)
    @asgi("/sandbox/mailchimp", is_mount=True, copy_scope=True, exclude_from_csrf=True)
    async def mailchimp_sandbox(scope: Scope, receive: Receive, send: Send) -> None:
        await sandbox_app(scope, receive, send)

A host app that mounts it should `await sandbox.aclose()` on shutdown (a mounted app gets no
lifespan of its own) and exempt the mount from its CSRF middleware.

Standalone: `python -m app.mailchimp.sandbox` (127.0.0.1:8025; `SANDBOX_PORT`, `SANDBOX_SEED`).

Paths: Mailchimp's API under `/3.0`, OAuth 2 under `/oauth2`, the control page at `/_sandbox/`
and JSON control endpoints under `/_sandbox/api/` (see `routes/control.py`).
"""

from pathlib import Path

from app.mailchimp.sandbox.app import create_sandbox_app
from app.mailchimp.sandbox.core import Sandbox
from app.mailchimp.sandbox.state import SandboxState

DEMO_SEED = Path(__file__).with_name("demo_seed.json")

__all__ = ["DEMO_SEED", "Sandbox", "SandboxState", "create_sandbox_app"]
