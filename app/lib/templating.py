"""Jinja2 set-up and the one way to render a page or a partial.

Partials are templates named `_thing.html`. A page includes its partials; an htmx request
for the same URL gets the partial alone. `render()` picks between the two.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.exceptions import NoRouteMatchFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup, escape

from app.settings import PROJECT_ROOT, get_settings

TEMPLATES = PROJECT_ROOT / "templates"

# (label, route name): shown only once the route exists, so a menu never links to nothing.
NAVIGATION = {
    "main": [
        ("Dashboard", "dashboard"),
        ("Contacts", "contacts"),
        ("Segments", "segments"),
        ("Campaigns", "campaigns"),
        ("Preferences", "preferences"),
        ("Events", "events"),
        ("Audit", "audit"),
        ("Settings", "settings"),
    ],
    "settings": [
        ("Organisation & team", "settings"),
        ("Mailchimp", "settings.mailchimp"),
        ("API tokens", "settings.tokens"),
        ("Triggers", "settings.triggers"),
    ],
}


def render(
    request: Request,
    template: str,
    *,
    partial: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """The full page `template`, or just `partial` when htmx asks for a fragment of it."""
    name = partial if partial and request.headers.get("hx-request") else template
    return Template(name, context=context, status_code=status_code, headers=headers)


def _when(value: datetime.datetime | datetime.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).strftime("%-d %b %Y, %H:%M UTC")
    return value.strftime("%-d %b %Y")


def _ago(value: datetime.datetime | None) -> Markup:
    """A relative time for people, with the exact time in the markup for machines and hover."""
    if value is None:
        return Markup("never")
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    seconds = int((datetime.datetime.now(tz=datetime.UTC) - value).total_seconds())
    if seconds < 0:
        words = "in the future"
    elif seconds < 60:
        words = "just now"
    elif seconds < 3600:
        words = f"{seconds // 60} min ago"
    elif seconds < 86400:
        hours = seconds // 3600
        words = f"{hours} hour{'s' if hours != 1 else ''} ago"
    else:
        days = seconds // 86400
        words = f"{days} day{'s' if days != 1 else ''} ago"
    exact = _when(value)
    # Every interpolated value is either generated here or escaped.
    return Markup(f'<time datetime="{value.isoformat()}" title="{escape(exact)}">{words}</time>')  # noqa: S704


def _number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _percent(value: float | None, digits: int = 1) -> str:
    """Mailchimp reports rates as fractions (0.42 → 42.0 %)."""
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def _nav(context: Mapping[str, Any], section: str = "main") -> list[dict[str, Any]]:
    request: Request = context["request"]
    here = request.url.path.rstrip("/") or "/"
    items = []
    for label, route in NAVIGATION[section]:
        try:
            path = request.app.route_reverse(route)
        except NoRouteMatchFoundException:
            continue
        if section == "main":
            current = here == path or (path != "/" and here.startswith(path))
        else:
            current = here == path.rstrip("/")
        items.append({"label": label, "path": path, "current": current})
    return items


def _principal(context: Mapping[str, Any]) -> Any:
    request: Request = context["request"]
    return request.state.get("principal")


def _flash_messages(context: Mapping[str, Any]) -> list[dict[str, str]]:
    """Messages queued with litestar's `flash()`, read once; none if the request has no session
    (an error page rendered before the session middleware ran)."""
    session = context["request"].scope.get("session")
    return session.pop("_messages", []) if isinstance(session, dict) else []


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters.update(when=_when, ago=_ago, number=_number, percent=_percent)
    settings = get_settings()
    env.globals.update(demo=settings.app.demo, sandbox=settings.app.sandbox)
    engine.register_template_callable("navigation", _nav)
    engine.register_template_callable("current_principal", _principal)
    engine.register_template_callable("flash_messages", _flash_messages)


def template_config() -> TemplateConfig:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    engine = JinjaTemplateEngine.from_environment(environment)
    _configure(engine)
    return TemplateConfig(instance=engine)
