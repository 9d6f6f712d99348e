"""Test set-up: one app per session, real databases, a clean slate per test.

`LISTBRIDGE_TEST_DB=postgres` runs everything on Postgres + Redis (127.0.0.1, databases made
for the run); otherwise on the embedded default, a SQLite file and an embedded Valkey that the
app starts itself. With `CI` set, a missing Postgres, Redis or Chromium fails the run.

The app, its in-process worker and the tests share one event loop (pytest-asyncio's session
loop), so database pools and Redis clients never cross loops.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BACKEND = os.environ.get("LISTBRIDGE_TEST_DB", "sqlite")
IN_CI = bool(os.environ.get("CI"))
VAR_DIR = Path(tempfile.mkdtemp(prefix=f"listbridge-test-{BACKEND}-"))
POSTGRES_SERVER = os.environ.get("LISTBRIDGE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
POSTGRES_DATABASE = os.environ.get("LISTBRIDGE_TEST_DATABASE", "listbridge_test")
REDIS_TEST_URL = os.environ.get("LISTBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")

# The environment must be settled before anything imports app.settings.
os.environ["LISTBRIDGE_VAR_DIR"] = str(VAR_DIR)
os.environ["LISTBRIDGE_PASSWORD_HASH_ITERATIONS"] = "1000"  # PBKDF2 at full cost would dominate
os.environ["LISTBRIDGE_DEMO"] = "0"
os.environ["LISTBRIDGE_SANDBOX"] = "0"
os.environ["LISTBRIDGE_BASE_URL"] = "http://testserver"
os.environ["LISTBRIDGE_WORKER_IN_PROCESS"] = "1"
for name in ("DATABASE_URL", "REDIS_URL", "MAILCHIMP_BASE_URL", "MAILCHIMP_CLIENT_ID"):
    os.environ.pop(name, None)
if BACKEND == "postgres":
    os.environ["DATABASE_URL"] = f"{POSTGRES_SERVER}/{POSTGRES_DATABASE}"
    os.environ["REDIS_URL"] = REDIS_TEST_URL

pytest_plugins = ["tests.fixtures.app", "tests.fixtures.browser"]
