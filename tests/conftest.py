"""Test set-up: one app per session, real databases, a clean slate per test.

`LISTBRIDGE_TEST_DB=postgres` runs everything on Postgres + Redis (127.0.0.1, databases made
for the run); otherwise on the embedded default, a SQLite file and an embedded Valkey that the
app starts itself. With `CI` set, a missing Postgres, Redis or Chromium fails the run.

The app, its in-process worker and the tests share one event loop (pytest-asyncio's session
loop), so database pools and Redis clients never cross loops.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


BACKEND = os.environ.get("LISTBRIDGE_TEST_DB", "sqlite")
IN_CI = bool(os.environ.get("CI"))
VAR_DIR = Path(tempfile.mkdtemp(prefix=f"listbridge-test-{BACKEND}-"))
POSTGRES_SERVER = os.environ.get("LISTBRIDGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
POSTGRES_DATABASE = os.environ.get("LISTBRIDGE_TEST_DATABASE", "listbridge_test")
REDIS_TEST_URL = os.environ.get("LISTBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# The browser tests' live server listens here, so every URL the app builds (OAuth redirects,
# webhook URLs) is one a real browser can follow.
LIVE_PORT = _free_port()
BASE_URL = f"http://127.0.0.1:{LIVE_PORT}"

# The environment must be settled before anything imports app.settings.
os.environ["LISTBRIDGE_VAR_DIR"] = str(VAR_DIR)
os.environ["LISTBRIDGE_PASSWORD_HASH_ITERATIONS"] = "1000"  # PBKDF2 at full cost would dominate
os.environ["LISTBRIDGE_DEMO"] = "0"
os.environ["LISTBRIDGE_LOG_LEVEL"] = "DEBUG"  # so the secret watch sees every record
# The offline Mailchimp is mounted in the app and reached in-process (app/sandbox_mount.py).
os.environ["LISTBRIDGE_SANDBOX"] = "1"
os.environ["LISTBRIDGE_BASE_URL"] = BASE_URL
os.environ["LISTBRIDGE_WORKER_IN_PROCESS"] = "1"
os.environ["MAILCHIMP_TIMEOUT_SECONDS"] = "5"  # injected sandbox timeouts end quickly
for name in (
    "DATABASE_URL",
    "REDIS_URL",
    "MAILCHIMP_BASE_URL",
    "MAILCHIMP_OAUTH_BASE_URL",
    "MAILCHIMP_CLIENT_ID",
    "MAILCHIMP_CLIENT_SECRET",
    "LISTBRIDGE_SECRET_KEYS",
):
    os.environ.pop(name, None)
if BACKEND == "postgres":
    os.environ["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    os.environ["REDIS_URL"] = REDIS_TEST_URL

pytest_plugins = ["tests.fixtures.secrets", "tests.fixtures.app", "tests.fixtures.browser"]


def _backend_bound(item) -> bool:
    """Whether a test's result can depend on the database and Redis behind the app."""
    if "app" not in getattr(item, "fixturenames", ()):
        return False  # pure units, the standalone sandbox's own tests
    # What a browser sees is the same HTML and SSE either way; the SQLite pass drives them,
    # and the app's side of every page runs in the integration tests on both backends.
    return not str(item.path).startswith(str(Path(__file__).parent / "browser"))


def pytest_collection_modifyitems(config, items):
    """The Postgres pass re-runs the tests whose result can depend on the backend; the SQLite
    pass has run every test already (and the suite must fit CI's 20 minutes)."""
    if BACKEND != "postgres":
        return
    kept = [item for item in items if _backend_bound(item)]
    dropped = [item for item in items if not _backend_bound(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
