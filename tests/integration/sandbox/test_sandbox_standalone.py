"""`python -m app.mailchimp.sandbox` serves the API on loopback, for people using curl."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path

import httpx

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
DEMO_KEY = "0123456789abcdef0123456789abcdef-us21"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until_up(
    client: httpx.AsyncClient, server: asyncio.subprocess.Process
) -> httpx.Response:
    async with asyncio.timeout(15):
        while True:
            if server.returncode is not None:
                raise AssertionError((await server.stderr.read()).decode())
            try:
                return await client.get("/3.0/ping", auth=("anystring", DEMO_KEY))
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def test_the_standalone_server_answers_ping_and_serves_the_seed():
    port = free_loopback_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.mailchimp.sandbox",
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "SANDBOX_PORT": str(port),
            "SANDBOX_SEED": str(REPO_ROOT / "app" / "mailchimp" / "sandbox" / "demo_seed.json"),
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            ping = await wait_until_up(client, server)
            lists = await client.get("/3.0/lists", auth=("anystring", DEMO_KEY))
            control_page = await client.get("/_sandbox/")
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()

    assert ping.status_code == 200
    assert ping.json() == {"health_status": "Everything's Chimpy!"}
    assert sorted(a["name"] for a in lists.json()["lists"]) == ["Employees", "Vendors"]
    assert lists.json()["lists"][0]["_links"][0]["href"].startswith(
        f"http://127.0.0.1:{port}/3.0/lists/"
    )
    assert control_page.status_code == 200
