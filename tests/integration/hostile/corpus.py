"""The hostile-input corpus: named cases, the values that break fields, and one runner that
sends each case and judges the answer.

A case is refused when the answer is a 4xx (problem+json with a detail for API and hook
routes; an HTML page or fragment with an inline error for forms) and no table gained or lost a
row. A case whose value is legitimate (HTML or SQL-looking text in a name is valid input) may
instead be accepted; that is its own, explicit expectation (`may_accept`). Nothing may be 5xx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from bs4 import BeautifulSoup

from tests.fixtures.app import _worker_idle

SCRIPT = "<script>alert('pwned')</script>"
HTML_NAME = f"{SCRIPT}<img src=x onerror=alert(1)>"
SQL_ISH = "Robert'); DROP TABLE contacts; -- \" OR 1=1 /*"
NUL = "nul\x00byte"
HUGE_TEXT = "x" * 100_000
HUGE_INT = 10**40
DEEP_JSON = b"[" * 10_000 + b"]" * 10_000
INVALID_UTF8 = b'{"name": "\xff\xfe\xc3\x28 broken"}'


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str
    request: dict[str, Any] = field(default_factory=dict)  # httpx keyword arguments
    may_accept: bool = False  # the value is legitimate: a 2xx (an accepted write) is fine too
    html: bool = False  # a form: answers are pages or fragments, not problem+json


@dataclass(frozen=True)
class Breaker:
    """One way to break a value: the value, and whether a field may legitimately take it."""

    name: str
    value: Any
    may_accept: bool


TEXT_BREAKERS = [
    Breaker("html-script", HTML_NAME, may_accept=True),
    Breaker("sql-ish", SQL_ISH, may_accept=True),
    Breaker("nul-char", NUL, may_accept=True),
    Breaker("huge-100k", HUGE_TEXT, may_accept=True),
]


def json_breakers(types: set[str]) -> list[Breaker]:
    """Ways to break a JSON field of the given OpenAPI types."""
    breakers: list[Breaker] = []
    if "string" in types:
        breakers += [Breaker("wrong-type-object", {"$gt": ""}, False), *TEXT_BREAKERS]
    if types & {"integer", "number"}:
        breakers += [
            Breaker("wrong-type-string", "12; DROP TABLE", False),
            Breaker("huge-int", HUGE_INT, may_accept=True),
            Breaker("negative", -1, may_accept=True),
        ]
    if "boolean" in types:
        breakers.append(Breaker("wrong-type-string", "yes please", False))
    if "array" in types:
        breakers += [
            Breaker("wrong-type-string", "not a list", False),
            Breaker("huge-list", ["tag"] * 20_000, may_accept=True),
            Breaker("html-items", [HTML_NAME], may_accept=True),
        ]
    if "object" in types:
        breakers += [
            Breaker("wrong-type-list", ["a", "b"], False),
            Breaker("html-values", {"a": HTML_NAME}, may_accept=True),
        ]
    if "null" not in types:
        breakers.append(Breaker("null", None, False))
    return breakers


QUERY_BREAKERS = [
    Breaker("not-a-number", "abc", may_accept=True),
    Breaker("huge-int", "9" * 40, may_accept=True),
    Breaker("html-script", SCRIPT, may_accept=True),
    Breaker("sql-ish", SQL_ISH, may_accept=True),
    Breaker("nul-char", NUL, may_accept=True),
]


async def row_counts() -> dict[str, int]:
    """Rows in every table of the app, in one statement."""
    from app.db import engine
    from app.piccolo_app import APP_CONFIG

    names = sorted(t._meta.tablename for t in APP_CONFIG.table_classes)
    columns = ", ".join(f'(SELECT count(*) FROM "{n}") AS "{n}"' for n in names)  # noqa: S608 - our own table names
    rows = await engine().run_querystring(_raw(f"SELECT {columns}"))
    return {name: int(rows[0][name]) for name in names}


def _raw(sql: str):
    from piccolo.querystring import QueryString

    return QueryString(sql)


async def settle(sandbox) -> None:
    """Let an accepted write's background work (jobs, webhooks they trigger) finish."""
    await _worker_idle()
    await sandbox.drain_webhooks()
    await _worker_idle()


def _verdict_api(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return f"{response.status_code} is not problem+json: {response.text[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} problem+json body is not JSON"
    if not str(body.get("detail") or "").strip() or body.get("status") != response.status_code:
        return f"{response.status_code} problem+json lacks a detail or status: {body}"
    return None


INLINE_ERROR = ".field-error, [role=alert], [aria-invalid=true], .notice-error"


def inline_error(response: httpx.Response) -> str:
    """The inline error text a page or fragment shows, or ''."""
    page = BeautifulSoup(response.text, "html.parser")
    shown = [node.get_text(" ", strip=True) for node in page.select(INLINE_ERROR)]
    if not shown and response.status_code >= 400:  # the error page: a title and a detail
        shown = [node.get_text(" ", strip=True) for node in page.select("article h1 + p")]
    return " ".join(text for text in shown if text)


def judge(case: Case, response: httpx.Response) -> tuple[bool, str | None]:
    """(accepted?, what is wrong or None)."""
    status = response.status_code
    if status >= 500:
        return False, f"server error {status}: {response.text[:300]!r}"
    if case.html:
        if status in (301, 302, 303) or "hx-redirect" in response.headers:
            return True, None if case.may_accept else f"accepted ({status}) a value to refuse"
        if status >= 400 or response.headers.get("content-type", "").startswith("text/html"):
            if inline_error(response):
                return False, None
            if status < 400:  # a page without an error: the form took the value
                return True, None if case.may_accept else "accepted a value it should refuse"
            return False, f"{status} page without an inline error message"
        return False, f"{status} answered {response.headers.get('content-type')!r}, not HTML"
    if status >= 400:
        return False, _verdict_api(response)
    return True, None if case.may_accept else f"accepted ({status}) a value to refuse"


async def run_cases(client: httpx.AsyncClient, cases: list[Case], sandbox) -> list[str]:
    """Send every case; answer the failures, each named by its case."""
    names = [case.name for case in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"case names must be distinct: {sorted(duplicates)[:5]}"
    failures = []
    for case in cases:
        before = await row_counts()
        try:
            response = await client.request(case.method, case.url, **case.request)
        except Exception as exc:  # an exception escaping the app is a failure like a 500
            failures.append(f"{case.name}: raised {exc!r}"[:400])
            continue
        accepted, problem = judge(case, response)
        if accepted and case.method != "GET":
            await settle(sandbox)
        else:
            after = await row_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                problem = f"{problem or ''} rows changed without an accepted write: {changed}"
        if problem:
            failures.append(f"{case.name}: {problem}"[:600])
    return failures


def report(failures: list[str], total: int) -> str:
    return f"{len(failures)} of {total} hostile cases failed:\n" + "\n".join(failures)
