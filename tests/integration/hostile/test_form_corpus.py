"""Hostile input for every form of every page, found by walking the pages a signed-in person
(and a visitor: log in, sign up) sees: each field broken in each way, plus bodies that are not
UTF-8 and posts without the CSRF token. Refusals show an inline error; nothing is a 5xx."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
from bs4 import BeautifulSoup

from app.lib.csrf import COOKIE as CSRF_COOKIE

from .corpus import HTML_NAME, HUGE_TEXT, NUL, SQL_ISH, Case, report, run_cases
from .world import World, build_world

# Forms whose job is to end the session or destroy the world the other cases need, or to
# start long background work; their inputs are ids the routes already check.
SKIPPED_ACTIONS = (
    "/logout",
    "/disconnect",
    "/delete",
    "/remove",
    "/revoke",
    "/role",
    "/session/organisation",
    "/erase",
    "/sync",
    "/retry",
    "/refresh",
    "/untrack",
    "/register",
    "/verify",
    "/start",
    "/settings/triggers/hook",
    "/oauth",
)
FIELD_BREAKERS = {"html-script": HTML_NAME, "huge-100k": HUGE_TEXT}
# Once per form, on its first field (the same text handling as every other field).
FORM_BREAKERS = {"sql-ish": SQL_ISH, "nul-char": NUL}
TEXT_TYPES = {
    "text",
    "email",
    "search",
    "tel",
    "url",
    "number",
    "password",
    "date",
    "datetime-local",
    "hidden",
    "textarea",
}


def _pages(world: World) -> list[str]:
    contact, segment = world.contact_ids[0], world.segment_id
    return [
        "/",
        "/contacts",
        "/contacts/new",
        f"/contacts/{contact}",
        f"/contacts/{contact}/edit",
        "/contacts/import",
        "/segments",
        "/segments/new",
        f"/segments/{segment}",
        f"/segments/{segment}/edit",
        "/campaigns",
        "/campaigns/import",
        "/settings",
        "/settings/tokens",
        "/settings/mailchimp",
        "/settings/triggers",
        f"/settings/triggers/{world.rule_id}/edit",
        "/preferences",
        f"/preferences/contacts/{contact}",
        "/events",
        "/audit",
    ]


def _fields(form) -> tuple[dict[str, str], dict[str, str]]:
    """(every field's default value, the kind of each field a person can change)."""
    values: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for node in form.select("input[name], select[name], textarea[name]"):
        name, tag = node["name"], node.name
        kind = tag if tag != "input" else (node.get("type") or "text").lower()
        if kind in ("submit", "button", "file", "image", "reset"):
            continue
        if kind in ("checkbox", "radio"):
            if node.has_attr("checked"):
                values[name] = node.get("value", "on")
            kinds.setdefault(name, kind)
            continue
        if tag == "select":
            option = node.find("option", selected=True) or node.find("option")
            values[name] = option.get("value", option.get_text()) if option else ""
        elif tag == "textarea":
            values[name] = node.get_text()
        else:
            values[name] = node.get("value", "")
        if name != "_csrf_token":
            kinds[name] = kind
    return values, kinds


def form_cases(pages: dict[str, str], csrf: str, *, prefix: str = "") -> list[Case]:
    cases: list[Case] = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for page_url, html in pages.items():
        for form in BeautifulSoup(html, "html.parser").select("form"):
            method = (form.get("method") or "get").upper()
            action = urljoin(page_url, form.get("action") or form.get("hx-post") or page_url)
            if form.get("hx-post"):
                method = "POST"
            values, kinds = _fields(form)
            key = (method, action, tuple(sorted(kinds)))
            if not kinds or key in seen or any(s in action for s in SKIPPED_ACTIONS):
                continue
            seen.add(key)
            label = f"{prefix}form {method} {action}"
            first = next(iter(kinds))
            for field, kind in kinds.items():
                breakers = {**FIELD_BREAKERS, **(FORM_BREAKERS if field == first else {})}
                for breaker, value in breakers.items():
                    # A choice the page never offered must be refused (a filter may name a
                    # value no contact has yet; a ticked checkbox sends any value); text may
                    # take anything.
                    offered = kind in TEXT_TYPES | {"checkbox"} or field.startswith("filter_")
                    if not offered and breaker != "html-script":
                        continue
                    if method == "GET" and breaker == "huge-100k":
                        value = value[:8000]  # what fits in a URL
                    data = {**values, field: value, "_csrf_token": csrf}
                    request = {"params": data} if method == "GET" else {"data": data}
                    cases.append(
                        Case(
                            f"{label} {field}={breaker}",
                            method,
                            action,
                            request,
                            may_accept=offered or method == "GET",
                            html=True,
                        )
                    )
            if method == "POST":
                cases += [
                    Case(
                        f"{label} body=invalid-utf8",
                        "POST",
                        action,
                        {
                            "content": f"_csrf_token={csrf}&{first}=%FF%FE%C3%28",
                            "headers": {"content-type": "application/x-www-form-urlencoded"},
                        },
                        may_accept=True,
                        html=True,
                    ),
                    Case(
                        f"{label} csrf-missing",
                        "POST",
                        action,
                        {"data": {k: v for k, v in values.items() if k != "_csrf_token"}},
                        html=True,
                    ),
                    Case(
                        f"{label} {first}=repeated",
                        "POST",
                        action,
                        {"data": {**values, first: [HTML_NAME, SQL_ISH], "_csrf_token": csrf}},
                        may_accept=True,
                        html=True,
                    ),
                ]
    return cases


async def _walk(client: httpx.AsyncClient, urls: list[str]) -> dict[str, str]:
    pages = {}
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.text
    return pages


async def test_every_form_field_refuses_or_takes_hostile_input_without_a_5xx(
    client, other_client, sandbox
):
    world = await build_world(client, sandbox)
    signed_in = form_cases(await _walk(client, _pages(world)), client.cookies[CSRF_COOKIE])
    await other_client.get("/login")
    visitor = form_cases(
        await _walk(other_client, ["/login", "/signup"]),
        other_client.cookies[CSRF_COOKIE],
        prefix="visitor ",
    )
    assert len(signed_in) >= 100, len(signed_in)
    assert len(visitor) >= 10, len(visitor)

    failures = await run_cases(client, signed_in, sandbox)
    failures += await run_cases(other_client, visitor, sandbox)

    assert not failures, report(failures, len(signed_in) + len(visitor))
