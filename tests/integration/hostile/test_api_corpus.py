"""Hostile input for every JSON API operation, generated from /schema/openapi.json: each body
field, query parameter and path parameter broken in each way that fits its type, and each
body replaced by something that is not the JSON object it should be."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.integration.segments.sync_helpers import AUDIENCE

from .corpus import (
    DEEP_JSON,
    INVALID_UTF8,
    QUERY_BREAKERS,
    Breaker,
    Case,
    json_breakers,
    report,
    run_cases,
)
from .world import World, build_world

_unique = itertools.count(1)


def _base_bodies(world: World) -> dict[tuple[str, str], Any]:
    """A valid body per operation (fresh unique values each call), to break one field at a time."""
    n = next(_unique)
    return {
        ("POST", "/api/v1/contacts"): {
            "email": f"hostile{n}@bluefin-foods.com",
            "entity_type": "employee",
            "first_name": "Hana",
        },
        ("PATCH", "/api/v1/contacts/{contact_id}"): {"first_name": "Hana"},
        ("POST", "/api/v1/campaigns"): {"campaign_id": "c0ffee0001"},
        ("POST", "/api/v1/connection"): {"api_key": world.mailchimp_key},
        ("POST", "/api/v1/triggers"): {
            "event_name": f"event_{n}",
            "action": "tag",
            "list_id": AUDIENCE,
            "tags": ["t"],
        },
        ("PATCH", "/api/v1/triggers/{rule_id}"): {"enabled": True},
        ("POST", "/api/v1/preferences/{entity_type}/{entity_id}"): {"status": "opted_in"},
        ("POST", "/api/v1/gdpr/erasures"): {
            "entity_type": "employee",
            "entity_id": world.contact_ids[1],
        },
        ("POST", "/api/v1/segments"): {"name": f"Segment {n}", "list_id": AUDIENCE},
        ("PATCH", "/api/v1/segments/{segment_id}"): {"description": "d"},
        ("POST", "/api/v1/segments/{segment_id}/sync"): {"mode": "dry_run"},
    }


def _path_values(world: World) -> dict[str, Any]:
    return {
        "contact_id": world.contact_ids[0],
        "entity_id": world.contact_ids[0],
        "entity_type": "employee",
        "segment_id": world.segment_id,
        "rule_id": world.rule_id,
        "run_id": world.run_id,
        "list_id": AUDIENCE,
    }


PATH_BREAKERS = [
    Breaker("huge-id", "9" * 30, False),
    Breaker("negative-id", "-1", False),
    Breaker("path-trick", "..%2F..%2Fadmin", False),
    Breaker("sql-ish", "1%27%20OR%20%271%27%3D%271", False),
]


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _types(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, list):
        found.update(kind)
    elif kind:
        found.add(kind)
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found |= _types(option, components)
    return found


def _url(path: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def api_cases(schema: dict[str, Any], world: World) -> list[Case]:
    components = schema["components"]["schemas"]
    values = _path_values(world)
    headers = world.api_headers
    cases: list[Case] = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            label = f"{method} {path}"
            url = _url(path, values)
            params = operation.get("parameters", [])
            for param in (p for p in params if p["in"] == "path"):
                # A text key that matches nothing may answer empty (e.g. an audience's counts).
                lookup = method == "GET" and "string" in _types(param["schema"], components)
                for breaker in PATH_BREAKERS:
                    broken = _url(path, {**values, param["name"]: breaker.value})
                    cases.append(
                        Case(
                            f"{label} path {param['name']}={breaker.name}",
                            method,
                            broken,
                            {"headers": headers},
                            may_accept=lookup,
                        )
                    )
            for param in (p for p in params if p["in"] == "query"):
                integer = "integer" in _types(param.get("schema", {}), components)
                for breaker in QUERY_BREAKERS:
                    refuse = integer and breaker.name == "not-a-number"
                    cases.append(
                        Case(
                            f"{label} query {param['name']}={breaker.name}",
                            method,
                            url,
                            {"headers": headers, "params": {param["name"]: breaker.value}},
                            may_accept=not refuse,
                        )
                    )
            if "requestBody" not in operation:
                continue
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            properties = components[ref.rsplit("/", 1)[-1]].get("properties", {})
            for field, field_schema in properties.items():
                for breaker in json_breakers(_types(field_schema, components)):
                    body = {**_base_bodies(world)[(method, path)], field: breaker.value}
                    cases.append(
                        Case(
                            f"{label} body {field}={breaker.name}",
                            method,
                            url,
                            {"headers": headers, "json": body},
                            may_accept=breaker.may_accept,
                        )
                    )
            json_headers = {**headers, "content-type": "application/json"}
            whole_bodies = {
                "not-json": b"{'name': nope,}",
                "invalid-utf8": INVALID_UTF8,
                "deep-json-10k": DEEP_JSON,
                "array-not-object": b"[]",
                "empty": b"",
                "nan": b'{"x": NaN}',
            }
            for name, content in whole_bodies.items():
                cases.append(
                    Case(
                        f"{label} body={name}",
                        method,
                        url,
                        {"headers": json_headers, "content": content},
                    )
                )
            form = json.dumps(_base_bodies(world)[(method, path)])
            cases.append(
                Case(
                    f"{label} body=form-encoded",
                    method,
                    url,
                    {
                        "headers": {**headers, "content-type": "application/x-www-form-urlencoded"},
                        "content": f"data={form}",
                    },
                )
            )
    return cases


async def test_every_api_field_parameter_and_body_refuses_hostile_input(client, sandbox):
    world = await build_world(client, sandbox)
    schema = (await client.get("/schema/openapi.json")).json()
    cases = api_cases(schema, world)
    assert len(cases) >= 500, len(cases)

    failures = await run_cases(client, cases, sandbox)

    assert not failures, report(failures, len(cases))
