"""Valid bodies for every route that takes one, so a refusal is about who asks, never about
a malformed request.

Pages: the forms (and htmx buttons) on A's own pages, read as a browser would submit them.
API: one documented example per operation below, checked against the app's OpenAPI schema.
Bodies name A's ids wherever a field takes an id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from bs4 import BeautifulSoup, Tag

from tests.contact_factories import DOMAIN
from tests.mailchimp_factories import new_api_key

UPLOAD_CSV = f"email,first_name,last_name\nnew.person@{DOMAIN},New,Person\n".encode()
HX_METHODS = ("post", "put", "patch", "delete")


@dataclass
class FormBody:
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


def _fields_of(form: Tag) -> FormBody:
    body = FormBody()
    radios_done: set[str] = set()
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or element.has_attr("disabled") or name == "_csrf_token":
            continue
        kind = (element.get("type") or "text").lower() if element.name == "input" else ""
        if element.name == "select":
            options = element.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            body.fields += [(name, o.get("value", o.text)) for o in chosen]
        elif element.name == "textarea":
            body.fields.append((name, element.text))
        elif kind == "file":
            body.files[name] = ("people.csv", UPLOAD_CSV, "text/csv")
        elif kind in ("submit", "button", "image", "reset"):
            continue
        elif kind == "radio":
            if name not in radios_done and (
                element.has_attr("checked") or not _checked(form, name)
            ):
                body.fields.append((name, element.get("value", "on")))
                radios_done.add(name)
        else:
            # Checkboxes count as ticked: the person picks every row on offer (e.g. A's contacts).
            body.fields.append((name, element.get("value", "on" if kind == "checkbox" else "")))
    submit = form.find(["button", "input"], attrs={"type": "submit", "name": True})
    if submit is not None:
        body.fields.append((submit["name"], submit.get("value", "")))
    return body


def _checked(form: Tag, name: str) -> bool:
    return form.find("input", attrs={"type": "radio", "name": name, "checked": True}) is not None


def harvest_forms(html: str) -> dict[tuple[str, str], FormBody]:
    """(METHOD, path) -> the body a browser would send, for each form and htmx button."""
    page = BeautifulSoup(html, "html.parser")
    found: dict[tuple[str, str], FormBody] = {}
    for form in page.find_all("form"):
        method = (form.get("method") or "get").upper()
        if method == "POST" and form.get("action"):
            found.setdefault(("POST", urlsplit(form["action"]).path), _fields_of(form))
    for verb in HX_METHODS:
        for element in page.find_all(attrs={f"hx-{verb}": True}):
            owner = element if element.name == "form" else element.find_parent("form")
            body = _fields_of(owner) if owner is not None else FormBody()
            if element.get("name"):
                body.fields.append((element["name"], element.get("value", "")))
            if element.get("hx-vals"):
                body.fields += [(k, str(v)) for k, v in json.loads(element["hx-vals"]).items()]
            found.setdefault((verb.upper(), urlsplit(element[f"hx-{verb}"]).path), body)
    return found


def api_bodies(ids: dict[str, int | str]) -> dict[str, dict[str, Any]]:
    """A documented, valid example body per API operation (by route name)."""
    return {
        "api.campaigns.track": {"campaign_id": "b0b0b0b0b0"},
        # A fresh key (the sandbox opens an empty account for it), not the docs' example.
        "api.connection.create": {"api_key": new_api_key("us21")},
        "api.contacts.create": {"email": f"new.person@{DOMAIN}", "entity_type": "employee"},
        "api.contacts.update": {"department": "Finance"},
        "api.triggers.create": {
            "event_name": "plan_upgraded",
            "action": "tag",
            "list_id": ids["list_id"],
            "tags": ["Upgraded"],
        },
        "api.triggers.update": {"tags": ["Upgraded"]},
        "api.preferences.set": {"status": "opted_in"},
        "api.erasures.create": {"entity_type": "contact", "entity_id": ids["contact_id"]},
        "api.segments.create": {
            "name": "Everyone in sales",
            "list_id": ids["list_id"],
            "segment_type": "employee",
        },
        "api.segments.update": {"description": "Everyone in sales"},
        "api.segments.sync": {"mode": "incremental"},
    }


# API operations that take a file rather than JSON (their schema documents no JSON body).
API_UPLOADS = {"api.contacts.import": {"file": ("people.csv", UPLOAD_CSV, "text/csv")}}


def request_schemas(openapi: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, Litestar-style path without types) -> the JSON schema of its request body."""
    schemas = {}
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                schemas[(method.upper(), path)] = content["application/json"]["schema"]
    return schemas


def check_against_schema(openapi: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    resolver_root = {**schema, "components": openapi.get("components", {})}
    jsonschema.validate(body, resolver_root)
