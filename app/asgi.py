"""create_app(): the one place that wires plugins, routes, templates, CSRF and sessions.

Importing this module connects to nothing; `create_app()` starts the embedded Valkey when no
REDIS_URL is set (see app/lib/redis.py), everything else connects on start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

import httpx
from litestar import Litestar, Router, asgi
from litestar.channels import ChannelsPlugin
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router
from redis.asyncio import Redis

from app.settings import PROJECT_ROOT, Settings, get_settings

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler, Receive, Scope, Send

    from app.mailchimp.sandbox import Sandbox

# Paths that authenticate by other means than the session cookie, so CSRF does not apply:
# webhook senders sign or carry a URL secret; the admin and the sandbox guard themselves.
CSRF_EXEMPT = ["^/hooks/", "^/admin", "^/sandbox/"]


def _derive(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def _sandbox_route(sandbox: Sandbox) -> ControllerRouterHandler:
    from app.settings import SANDBOX_MOUNT

    @asgi(SANDBOX_MOUNT, is_mount=True, name="sandbox", include_in_schema=False, copy_scope=True)
    async def mailchimp_sandbox(scope: Scope, receive: Receive, send: Send) -> None:
        await sandbox.asgi_app(scope, receive, send)

    return mailchimp_sandbox


def _routes(settings: Settings, sandbox: Sandbox | None) -> list[ControllerRouterHandler]:
    """Public pages and every domain's webhook receivers (hooks.py `ROUTES`, which authenticate
    each delivery themselves), then every domain's pages (controllers.py `ROUTES`) behind a
    login, then every domain's JSON API (api.py `ROUTES`) under /api/v1, behind a login or a
    token."""
    from app.admin import create_staff_admin
    from app.domain.accounts.auth import require_principal
    from app.domain.accounts.controllers import PUBLIC_ROUTES
    from app.lib.discovery import collect
    from app.lib.health import healthz

    staff_admin = create_staff_admin(settings)

    @asgi("/admin", is_mount=True, name="admin", include_in_schema=False, copy_scope=True)
    async def admin(scope: Scope, receive: Receive, send: Send) -> None:
        await staff_admin(scope, receive, send)

    routes: list[ControllerRouterHandler] = [
        create_static_files_router(
            path="/static",
            directories=[PROJECT_ROOT / "static"],
            cache_control=CacheControlHeader(max_age=3600),
        ),
        healthz,
        admin,
        Router(
            "/",
            route_handlers=[*PUBLIC_ROUTES, *collect("hooks.py", "ROUTES")],
            include_in_schema=False,
        ),
        Router(
            "/",
            route_handlers=collect("controllers.py", "ROUTES"),
            guards=[require_principal],
            include_in_schema=False,
        ),
        Router("/api/v1", route_handlers=collect("api.py", "ROUTES"), guards=[require_principal]),
    ]
    if sandbox is not None:
        routes.append(_sandbox_route(sandbox))
    return routes


def create_app() -> Litestar:
    from app.db import close_database, open_database
    from app.domain.accounts.auth import provide_principal
    from app.domain.accounts.principal import Principal
    from app.lib import progress, queue
    from app.lib.csrf import csrf_middleware
    from app.lib.errors import EXCEPTION_HANDLERS
    from app.lib.logging import configure_logging
    from app.lib.openapi import document_api_errors, openapi_config
    from app.lib.redis import close_shared, redis_url, shared_client
    from app.lib.templating import template_config
    from app.sandbox_mount import LateBoundApp, create_sandbox
    from app.worker import create_queue, create_worker

    settings = get_settings()
    configure_logging(settings.app.log_level, settings.app.log_format)
    url = redis_url(settings)
    redis = shared_client()
    templates = template_config()
    job_queue = create_queue(url)
    worker = (
        create_worker(settings, job_queue, in_process=True) if settings.worker.in_process else None
    )
    background: set[asyncio.Task] = set()
    loopback = LateBoundApp()
    sandbox = create_sandbox(settings, loopback) if settings.app.sandbox else None
    secure = settings.app.secure_cookies
    session = CookieBackendConfig(
        secret=_derive(settings.security.session_secret, "session"),
        key="listbridge_session",
        secure=secure,
        httponly=True,
        samesite="lax",
        max_age=14 * 24 * 3600,
    )

    async def on_startup(app: Litestar) -> None:
        await open_database(settings)
        await job_queue.connect()
        queue.bind(job_queue)
        if worker is not None:
            background.add(asyncio.create_task(worker.start(), name="saq-worker"))
        if settings.app.demo:
            from app.demo import seed_demo

            await seed_demo()

    async def on_shutdown(app: Litestar) -> None:
        if worker is not None:
            await worker.stop()
            await asyncio.gather(*background)
        await job_queue.disconnect()
        if sandbox is not None:
            await sandbox.aclose()
        await close_database()
        await close_shared()

    def provide_redis() -> Redis:
        return redis

    app = Litestar(
        route_handlers=_routes(settings, sandbox),
        plugins=[
            HTMXPlugin(),
            FlashPlugin(config=FlashConfig(template_config=templates)),
            ChannelsPlugin(
                backend=progress.backend(redis),
                arbitrary_channels_allowed=True,
            ),
        ],
        template_config=templates,
        middleware=[
            session.middleware,
            csrf_middleware(
                secret=_derive(settings.security.session_secret, "csrf").hex(),
                secure=secure,
                exclude=CSRF_EXEMPT,
            ),
        ],
        dependencies={
            "principal": Provide(provide_principal),
            "redis": Provide(provide_redis, sync_to_thread=False),
        },
        signature_namespace={"Principal": Principal, "Redis": Redis},
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        openapi_config=openapi_config(__doc__),
        state=State({"settings": settings}),
        # Logging is configured once, by configure_logging(); Litestar must not reconfigure it.
        logging_config=None,
        request_max_body_size=25 * 1024 * 1024,
    )
    document_api_errors(app)
    if sandbox is not None:
        # Mailchimp calls and the sandbox's webhook deliveries both go through this app, in-process.
        from app.domain.connections.clients import route_through

        loopback.target = app
        app.state.sandbox = sandbox
        route_through(httpx.ASGITransport(app=loopback))
    return app
