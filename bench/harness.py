"""What the benchmarks share: a scratch Listbridge, a standalone sandbox, figures as JSON.

Each benchmark runs against a fresh database (a SQLite file in a temporary folder, or the
Postgres named by --database-url), an embedded Valkey, and the offline Mailchimp sandbox as a
separate process on a loopback port, so its work does not share a CPU core with ours. Nothing
here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def arguments(description: str, **defaults: Any) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--contacts", type=int, default=defaults.get("contacts", 100_000))
    parser.add_argument("--latency-ms", type=int, default=defaults.get("latency_ms", 100))
    parser.add_argument("--database-url", default="", help="Postgres DSN (default: SQLite)")
    return parser


def prepare_environment(database_url: str, sandbox_url: str) -> Path:
    """Settings for a scratch instance; must run before anything imports app.settings."""
    var_dir = Path(tempfile.mkdtemp(prefix="listbridge-bench-"))
    os.environ.update(
        {
            "LISTBRIDGE_VAR_DIR": str(var_dir),
            "LISTBRIDGE_PASSWORD_HASH_ITERATIONS": "1000",
            "LISTBRIDGE_LOG_LEVEL": "WARNING",
            "LISTBRIDGE_SANDBOX": "0",
            "MAILCHIMP_BASE_URL": f"{sandbox_url}/3.0",
        }
    )
    for name in ("REDIS_URL", "DATABASE_URL"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    return var_dir


@asynccontextmanager
async def standalone_sandbox():
    """`python -m app.mailchimp.sandbox` on a free loopback port, stopped afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.mailchimp.sandbox"],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            for _ in range(100):
                try:
                    if (await http.get("/3.0/ping")).status_code in (200, 401):
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def sandbox_account(
    url: str, *, latency_ms: int, list_name: str = "Bench"
) -> tuple[str, str]:
    """A sandbox account with one audience and the given latency: (api key, list id)."""
    import httpx

    key = f"{secrets.token_hex(16)}-us19"
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        (await http.post("/_sandbox/api/accounts", json={"api_key": key})).raise_for_status()
        created = await http.post(
            "/3.0/lists",
            auth=("bench", key),
            json={
                "name": list_name,
                "permission_reminder": "You work here.",
                "email_type_option": False,
                "contact": {
                    "company": "Bench",
                    "address1": "1 Road",
                    "city": "Bristol",
                    "country": "GB",
                },
                "campaign_defaults": {
                    "from_name": "Bench",
                    "from_email": "bench@bluefin-foods.com",
                    "subject": "Hello",
                    "language": "en",
                },
            },
        )
        created.raise_for_status()
        faults = await http.put(
            f"/_sandbox/api/accounts/{key}/faults", json={"latency_ms": latency_ms}
        )
        faults.raise_for_status()
    return key, created.json()["id"]


async def request_count(url: str, key: str) -> int:
    """Every request the sandbox account has answered so far."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return (await http.get(f"/_sandbox/api/accounts/{key}")).json()["requests_total"]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def report(figures: dict[str, Any]) -> None:
    """Readable lines, then the figures as one JSON object on the last line."""
    for key, value in figures.items():
        print(f"  {key:>22}: {value}")
    print(json.dumps(figures, default=str))


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
