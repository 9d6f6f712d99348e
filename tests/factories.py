"""Factories: build exactly the world a test needs, through the same services the app uses."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx
from bs4 import BeautifulSoup

from app.domain.accounts import services, tokens
from app.domain.accounts.principal import Principal
from app.domain.accounts.tables import Organisation, User
from app.lib.csrf import COOKIE as CSRF_COOKIE
from app.lib.csrf import HEADER as CSRF_HEADER

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class Member:
    user: User
    organisation: Organisation
    principal: Principal
    password: str = PASSWORD

    @property
    def email(self) -> str:
        return self.user.email


async def make_organisation(name: str | None = None, *, email: str | None = None) -> Member:
    n = next(_counter)
    user, organisation = await services.signup(
        organisation_name=name or f"Organisation {n}",
        email=email or f"owner{n}@acme-{n}.test",
        password=PASSWORD,
        name=f"Owner {n}",
    )
    principal = await services.principal_for_user(user.id, organisation.id)
    assert principal is not None
    return Member(user=user, organisation=organisation, principal=principal)


async def add_person(owner: Member, *, role: str = "member", email: str | None = None) -> Member:
    n = next(_counter)
    address = email or f"person{n}@acme.test"
    await services.add_member(
        owner.principal, email=address, role=role, name=f"Person {n}", password=PASSWORD
    )
    user = await services.find_user(address)
    assert user is not None
    principal = await services.principal_for_user(user.id, owner.organisation.id)
    assert principal is not None
    return Member(user=user, organisation=owner.organisation, principal=principal)


async def make_token(member: Member, name: str = "integration") -> str:
    from tests.fixtures.secrets import remember_secret

    _, plaintext = await tokens.create(member.principal, name=name)
    return remember_secret(plaintext)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The CSRF token a browser would hold: any GET sets the cookie."""
    if CSRF_COOKIE not in client.cookies:
        await client.get("/login")
    return client.cookies[CSRF_COOKIE]


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict | None = None, **kw
) -> httpx.Response:
    """Submit a form as the browser does, CSRF token included."""
    fields = {"_csrf_token": await csrf_token(client), **(data or {})}
    return await client.post(url, data=fields, **kw)


async def htmx(client: httpx.AsyncClient, method: str, url: str, **kw) -> httpx.Response:
    """A request as htmx sends it: the HX-Request header and the CSRF header."""
    headers = {"hx-request": "true", CSRF_HEADER: await csrf_token(client), **kw.pop("headers", {})}
    return await client.request(method, url, headers=headers, **kw)


async def log_in(client: httpx.AsyncClient, member: Member) -> httpx.Response:
    response = await post_form(
        client, "/login", {"email": member.email, "password": member.password}
    )
    assert response.status_code == 302, response.text
    return response


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def form_data(form) -> dict[str, list[str]]:
    """What a browser would submit from a parsed <form> as it stands (CSRF field left out)."""
    data: dict[str, list[str]] = {}
    for element in form.select("input[name], select[name], textarea[name]"):
        name = element["name"]
        if name == "_csrf_token":
            continue
        if element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            value = chosen.get("value", "") if chosen else ""
        elif element.name == "textarea":
            value = element.get_text()
        elif element.get("type") in ("checkbox", "radio"):
            if not element.has_attr("checked"):
                continue
            value = element.get("value", "on")
        else:
            value = element.get("value", "")
        data.setdefault(name, []).append(value)
    return data
