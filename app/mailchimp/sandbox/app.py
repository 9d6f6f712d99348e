"""The sandbox's Litestar app: the API under `/3.0`, OAuth at `/oauth2`, control at `/_sandbox`."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from app.mailchimp.sandbox.core import Sandbox
from app.mailchimp.sandbox.errors import (
    ApiProblem,
    handle_api_problem,
    handle_http_exception,
    handle_unexpected,
)
from app.mailchimp.sandbox.gate import ApiGate
from app.mailchimp.sandbox.state import SandboxState

TEMPLATES = Path(__file__).parent / "templates"


def build_asgi_app(sandbox: Sandbox) -> Litestar:
    from app.mailchimp.sandbox.routes import provide_account, provide_sandbox
    from app.mailchimp.sandbox.routes.campaigns import CampaignsController, get_report
    from app.mailchimp.sandbox.routes.control import ControlApi
    from app.mailchimp.sandbox.routes.control_page import ControlPage
    from app.mailchimp.sandbox.routes.lists import ListsController, account_root, ping
    from app.mailchimp.sandbox.routes.members import MembersController
    from app.mailchimp.sandbox.routes.oauth import OAuthController
    from app.mailchimp.sandbox.routes.webhooks import WebhooksController

    api = Router(
        path="/3.0",
        route_handlers=[
            ping,
            account_root,
            ListsController,
            MembersController,
            CampaignsController,
            get_report,
            WebhooksController,
        ],
        middleware=[ApiGate()],
        dependencies={"account": Provide(provide_account, sync_to_thread=False)},
    )
    app = Litestar(
        route_handlers=[api, OAuthController, ControlApi, ControlPage],
        dependencies={"sandbox": Provide(provide_sandbox, sync_to_thread=False)},
        exception_handlers={
            ApiProblem: handle_api_problem,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        on_shutdown=[sandbox.aclose],
        openapi_config=None,
        logging_config=None,  # the host process owns logging
    )
    app.state.sandbox = sandbox
    return app


def create_sandbox_app(
    state: SandboxState | None = None,
    *,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    seed: dict[str, Any] | str | PathLike[str] | None = None,
    public_base_url: str | None = None,
) -> Litestar:
    """A ready ASGI app; its `Sandbox` (state, `drain_webhooks()`) is `app.state.sandbox`."""
    return Sandbox(
        state, webhook_transport=webhook_transport, seed=seed, public_base_url=public_base_url
    ).asgi_app
