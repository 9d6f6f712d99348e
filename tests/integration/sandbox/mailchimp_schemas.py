"""Mailchimp's published schemas (../shared/mailchimp/marketing-openapi.json) as validators.

The 3.0.55 conversion is taken as published except where FACTS.md records that real answers
differ; each such adjustment is one small function below.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:mailchimp:marketing-openapi"


def untype_merge_values(node: object) -> None:
    """The spec types each merge-field *value* as an object, even in request bodies where
    every client sends strings; real responses carry strings (FACTS.md §6). Drop that one
    `type`, leave everything else as published."""
    if isinstance(node, dict):
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra.get("description", "").startswith(
            "This object's keys are merge tags"
        ):
            extra.pop("type", None)
        for value in node.values():
            untype_merge_values(value)
    elif isinstance(node, list):
        for value in node:
            untype_merge_values(value)


def allow_archived_members(spec: dict[str, Any]) -> None:
    """3.0.55 predates `archived` in member answers; the current member status enum has it
    (FACTS.md §2.7, S-TYPES). Add it to the member response schemas, nowhere else."""
    schemas = spec["components"]["schemas"]
    for name in ("List_Members", "List_Members_1"):
        statuses = schemas[name]["properties"]["status"]["enum"]
        if "archived" not in statuses:
            statuses.append("archived")


@cache
def marketing_spec(spec_path: Path) -> dict[str, Any]:
    spec = json.loads(spec_path.read_text())
    untype_merge_values(spec)
    allow_archived_members(spec)
    return spec


@cache
def _spec_registry(spec_path: Path) -> Registry:
    spec = Resource.from_contents(marketing_spec(spec_path), default_specification=DRAFT4)
    return Registry().with_resource(SPEC_URI, spec)


TIMESTAMPS = jsonschema.FormatChecker(formats=())


@TIMESTAMPS.checks("date-time", raises=ValueError)
def is_mailchimp_timestamp(value: object) -> bool:
    """ISO 8601 with an offset, or "" where Mailchimp means "never" (FACTS.md §6)."""
    if not isinstance(value, str) or value == "":
        return True
    return datetime.fromisoformat(value).tzinfo is not None


@cache
def validator_for(spec_path: Path, schema: str) -> jsonschema.Draft4Validator:
    """A validator for `#/components/schemas/<schema>`, every $ref resolved inside the spec;
    `date-time` fields must be timestamps Mailchimp could send."""
    return jsonschema.Draft4Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"},
        registry=_spec_registry(spec_path),
        format_checker=TIMESTAMPS,
    )
