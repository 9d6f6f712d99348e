"""Schemathesis against the app's own OpenAPI description: generated requests, valid and
invalid, for every API operation, with an organisation's token. No answer is a 5xx, and every
answer has a documented status, content type and body shape.

Hypothesis runs in a worker thread; each request is sent on the session's event loop (where the
app, its database pools and its in-process worker live) through the in-process ASGI client.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import BASE_URL
from tests.contact_factories import make_contact
from tests.factories import bearer, make_token
from tests.integration.segments.sync_helpers import connected, make_segment

# Generating cases costs more than answering them; 4 valid + 4 invalid per operation keeps the
# test near half a minute. Raise it for a deeper run: LISTBRIDGE_SCHEMATHESIS_EXAMPLES=100.
EXAMPLES_PER_MODE = int(os.environ.get("LISTBRIDGE_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _as_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style keyword arguments (what schemathesis serialises) as httpx's."""
    request = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), (bytes, str)):
        request["content"] = kwargs["data"]
    elif kwargs.get("data") is not None or kwargs.get("files") is not None:
        request["data"] = kwargs.get("data")
        request["files"] = kwargs.get("files")
    return request


def _describe(failure: BaseException) -> str:
    notes = "".join(getattr(failure, "__notes__", []))
    return f"{type(failure).__name__}: {failure} {notes}".strip()


def _exercise(operation, mode: GenerationMode, send, headers: dict[str, str]) -> str | None:
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        response = send(_as_httpx(kwargs))
        case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=kwargs)

    try:
        check()
    except Unsatisfiable:  # nothing in this operation's input can be made invalid
        return None
    except (Exception, BaseExceptionGroup) as failure:  # report each operation's, not only one
        return f"{operation.label} [{mode.value}]: {_describe(failure)}"
    return None


async def test_every_api_operation_answers_as_its_schema_says(client, sandbox):
    owner, _key, _account = await connected(sandbox)
    await make_contact(owner, first_name="Ada", department="Sales")
    await make_segment(owner)
    headers = bearer(await make_token(owner))
    described = (await client.get("/schema/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(described)
    loop = asyncio.get_running_loop()

    def send(request: dict[str, Any]) -> httpx.Response:
        pending = asyncio.run_coroutine_threadsafe(client.request(**request), loop)
        response = pending.result(timeout=30)
        response.read()
        return response

    def exercise_all() -> list[str]:
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 40, "the schema lost operations"
        failures = []
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if failure := _exercise(operation, mode, send, headers):
                    failures.append(failure)
        return failures

    failures = await asyncio.to_thread(exercise_all)
    assert not failures, "\n\n".join(failures)
