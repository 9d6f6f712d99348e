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


def prepare_environment(database_url: str, sandbox_url: str, *, port: int = 0) -> Path:
    """Settings for a scratch instance; must run before anything imports app.settings.

    `port`: where a served app (served_app) will listen, so URLs made here point at it.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="listbridge-bench-"))
    os.environ.update(
        {
            "LISTBRIDGE_PORT": str(port or 8000),
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
        list_id = await add_audience(url, key, list_name)
        faults = await http.put(
            f"/_sandbox/api/accounts/{key}/faults", json={"latency_ms": latency_ms}
        )
        faults.raise_for_status()
    return key, list_id


async def add_audience(url: str, key: str, name: str) -> str:
    """Another audience in the sandbox account; returns its list id."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        created = await http.post(
            "/3.0/lists",
            auth=("bench", key),
            json={
                "name": name,
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
    return created.json()["id"]


async def request_count(url: str, key: str) -> int:
    """Every request the sandbox account has answered so far."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return (await http.get(f"/_sandbox/api/accounts/{key}")).json()["requests_total"]


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/12"


def skip(bench: str, reason: str) -> None:
    """A bench that cannot run here says why, still ending with one JSON line, and exits 0."""
    print(f"{bench}: skipped: {reason}")
    print(json.dumps({"skipped": reason}))
    raise SystemExit(0)


async def require_services(bench: str, *, postgres_url: str = "", redis_url: str = "") -> None:
    """Skip the bench unless the loopback Postgres and Redis it needs answer."""
    if postgres_url:
        import asyncpg

        try:
            await (await asyncpg.connect(postgres_url, timeout=5)).close()
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            skip(bench, f"Postgres at {postgres_url} is unreachable ({exc.__class__.__name__})")
    if redis_url:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        client = Redis.from_url(redis_url, socket_connect_timeout=5)
        try:
            await client.ping()
        except (OSError, RedisError) as exc:
            skip(bench, f"Redis at {redis_url} is unreachable ({exc.__class__.__name__})")
        finally:
            await client.aclose()


async def empty_redis(url: str) -> None:
    """Empty the bench's own Redis database: a scratch database reuses row ids, and cached
    answers keyed by them (audiences per connection id) must not leak between runs."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@asynccontextmanager
async def scratch_postgres(name: str, admin_url: str = POSTGRES_ADMIN_URL):
    """A new, empty database `name` (listbridge_bench_*) on the admin URL's server, dropped
    afterwards; yields its DSN."""
    import asyncpg

    assert name.startswith("listbridge_bench_"), name
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def served_app(env: dict[str, str], *, web_workers: int = 1):
    """`listbridge serve` as its own process; yields its base URL.

    Its settings are this process's environment (prepare_environment, with a free `port`)
    plus `env`.
    """
    import httpx

    port = int(os.environ["LISTBRIDGE_PORT"])
    log = tempfile.NamedTemporaryFile(prefix="listbridge-bench-serve-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "app.cli", "serve", "--workers", str(web_workers)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            for _ in range(600):
                if process.poll() is not None:
                    break
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the app did not become healthy within a minute")
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("the app exited:\n" + log.read().decode()[-3000:])
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # streams still open keep a graceful exit waiting
            process.kill()
            process.wait()
        log.close()


async def log_in(client: Any, email: str, password: str) -> None:
    """Sign `client` in as a browser does: the CSRF cookie from a GET, then the login form."""
    from app.lib.csrf import COOKIE

    await client.get("/login")
    response = await client.post(
        "/login",
        data={"_csrf_token": client.cookies[COOKIE], "email": email, "password": password},
    )
    if response.status_code != 302:
        raise RuntimeError(f"log-in failed with {response.status_code}")


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "max_ms": round(ordered[-1], 1)}


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
