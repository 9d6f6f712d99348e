"""The app's route table as a list of endpoints (every path, every method), and the explicit
list of routes that are public on purpose, each with its reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Litestar
from litestar.constants import RESERVED_KWARGS
from litestar.response import ServerSentEvent
from litestar.routes import ASGIRoute, HTTPRoute

PARAMETER = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class Endpoint:
    method: str  # "*" for a mounted ASGI app
    path: str  # Litestar's template, e.g. /contacts/{contact_id:int}
    name: str
    streams: bool = False  # a server-sent event stream: answers until the client goes away
    query: tuple[str, ...] = ()  # the query parameters the handler reads by name

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.path)

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, values: dict[str, int | str]) -> str:
        missing = [p for p in self.parameters if p not in values]
        assert not missing, f"{self}: no value for path parameter(s) {missing}"
        return PARAMETER.sub(lambda match: str(values[match.group(1)]), self.path)

    def query_values(self, values: dict[str, int | str]) -> dict[str, str]:
        """A's ids for the query parameters named like one (e.g. audit history's entity_id)."""
        return {name: str(values[name]) for name in self.query if name in values}

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.name})"


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every (method, path) the app answers. Litestar's automatic OPTIONS handlers are left out:
    they run no handler code and answer with the Allow header only."""
    found: list[Endpoint] = []
    for route in app.routes:
        if isinstance(route, ASGIRoute):
            found.append(Endpoint("*", route.path, route.route_handler.name or route.path))
            continue
        assert isinstance(route, HTTPRoute), route
        for handler in route.route_handlers:
            methods = sorted(handler.http_methods - {"OPTIONS"})
            if not methods:
                continue
            streams = handler.parsed_fn_signature.return_type.annotation is ServerSentEvent
            name = handler.name or f"{route.path} (Litestar)"
            query = _query_parameters(handler, route)
            found += [Endpoint(m, route.path, name, streams, query) for m in methods]
    return found


def _query_parameters(handler, route: HTTPRoute) -> tuple[str, ...]:
    """Parameters of the handler that are neither in the path, nor injected, nor reserved."""
    named = set(handler.parsed_fn_signature.parameters) - {"self"}
    injected = set(handler.resolve_dependencies()) | RESERVED_KWARGS
    return tuple(sorted(named - injected - set(PARAMETER.findall(route.path))))


# Routes anyone may call, by handler name (or path prefix), with the reason. test_isolation
# fails for any route that is neither here nor behind the login guard.
PUBLIC = {
    "static": "CSS and JavaScript shipped with the app; no organisation's data",
    "static/head": "the same static files, headers only",
    "healthz": "load-balancer health check; says which services are up, nothing else",
    "login": "the log-in page must be reachable before a session exists",
    "login.submit": "logging in is how a session starts",
    "signup": "the sign-up page must be reachable before a session exists",
    "signup.submit": "signing up creates a new organisation, it touches no existing one",
    # The webhook receivers authenticate each delivery themselves, by the secret in the URL
    # or a signature: the test calls them with A's ids and a WRONG secret and expects 4xx.
    "hooks.mailchimp.validate": "Mailchimp's URL check; authenticated by the URL secret",
    "hooks.mailchimp.deliver": "Mailchimp's deliveries; authenticated by URL secret + signature",
    "hooks.events": "product events; authenticated by a signature or the hook's bearer secret",
    # Mounted apps with their own authentication: probed separately in test_isolation.
    "admin": "Piccolo Admin for support staff: its own login, staff accounts only",
    "sandbox": "the offline Mailchimp (tests, demo): authenticated by a Mailchimp API key",
}
# Litestar's OpenAPI documents and viewers: they describe the API, they hold no data.
PUBLIC_PREFIXES = {"/schema": "the OpenAPI schema and its viewers describe the API, no data"}


def is_public(endpoint: Endpoint) -> bool:
    return endpoint.name in PUBLIC or endpoint.path.startswith(tuple(PUBLIC_PREFIXES))
