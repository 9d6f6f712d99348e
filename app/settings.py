"""Settings, read once from the environment: one small dataclass per concern.

Every variable is listed in `.env.example` and in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SANDBOX_MOUNT = "/sandbox/mailchimp"
# The OAuth app the mounted sandbox registers for itself; it is not a Mailchimp credential.
SANDBOX_CLIENT_ID = "listbridge-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-only-client-secret"  # noqa: S105


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _flag(name: str, default: bool) -> bool:
    value = _env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value else default


@dataclass(frozen=True, slots=True)
class AppSettings:
    host: str
    port: int
    base_url: str
    """The address people and Mailchimp reach us at (OAuth redirects, webhook URLs)."""
    var_dir: Path
    demo: bool
    """Seed the demo organisation and connect it to the sandbox on start-up."""
    sandbox: bool
    """Mount the offline Mailchimp sandbox at /sandbox/mailchimp."""
    log_level: str
    log_format: str

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    """Empty means the embedded SQLite file under var/."""
    pool_size: int

    @property
    def is_postgres(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str
    """Empty means an embedded Valkey started by the process, and an in-process worker."""

    @property
    def embedded(self) -> bool:
        return not self.url


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    session_secret: str = field(repr=False)
    secret_keys: tuple[str, ...] = field(repr=False)
    """Fernet keys for Mailchimp secrets: the first encrypts, all decrypt."""
    password_hash_iterations: int
    login_attempts: int
    login_window_seconds: int


@dataclass(frozen=True, slots=True)
class MailchimpSettings:
    base_url: str
    """Overrides https://<dc>.api.mailchimp.com/3.0 (the sandbox, in demos and tests)."""
    oauth_base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    timeout_seconds: float = 120.0
    """How long one Mailchimp call may take (Mailchimp's own limit is 120 s)."""

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    concurrency: int
    in_process: bool
    """Run the SAQ worker inside the web process (the embedded default)."""
    queue_name: str = "listbridge"
    sweep_seconds: int = 30
    """How often a worker looks for jobs whose worker died (and retries them)."""


@dataclass(frozen=True, slots=True)
class Settings:
    app: AppSettings
    database: DatabaseSettings
    redis: RedisSettings
    security: SecuritySettings
    mailchimp: MailchimpSettings
    worker: WorkerSettings


def _persistent_secret(var_dir: Path, name: str, make: callable) -> str:
    """A development secret kept under var/ so restarts keep sessions and encrypted data."""
    path = var_dir / name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def load_settings() -> Settings:
    var_dir = Path(_env("LISTBRIDGE_VAR_DIR") or PROJECT_ROOT / "var").resolve()
    host = _env("LISTBRIDGE_HOST", "127.0.0.1")
    port = _int("LISTBRIDGE_PORT", 8000)
    demo = _flag("LISTBRIDGE_DEMO", False)
    session_secret = _env("LISTBRIDGE_SESSION_SECRET") or _persistent_secret(
        var_dir, "session-secret", lambda: secrets.token_urlsafe(48)
    )
    secret_keys = tuple(k.strip() for k in _env("LISTBRIDGE_SECRET_KEYS").split(",") if k.strip())
    if not secret_keys:
        secret_keys = (_persistent_secret(var_dir, "fernet-key", _new_fernet_key),)
    base_url = (_env("LISTBRIDGE_BASE_URL") or f"http://{host}:{port}").rstrip("/")
    sandbox = _flag("LISTBRIDGE_SANDBOX", demo)
    # With the sandbox mounted, Mailchimp (API and OAuth) defaults to it rather than the real one.
    sandbox_root = f"{base_url}{SANDBOX_MOUNT}" if sandbox else ""
    return Settings(
        app=AppSettings(
            host=host,
            port=port,
            base_url=base_url,
            var_dir=var_dir,
            demo=demo,
            sandbox=sandbox,
            log_level=_env("LISTBRIDGE_LOG_LEVEL", "INFO").upper(),
            log_format=_env("LISTBRIDGE_LOG_FORMAT", "console"),
        ),
        database=DatabaseSettings(
            url=_env("DATABASE_URL"), pool_size=_int("DATABASE_POOL_SIZE", 10)
        ),
        redis=RedisSettings(url=_env("REDIS_URL")),
        security=SecuritySettings(
            session_secret=session_secret,
            secret_keys=secret_keys,
            password_hash_iterations=_int("LISTBRIDGE_PASSWORD_HASH_ITERATIONS", 600_000),
            login_attempts=_int("LISTBRIDGE_LOGIN_ATTEMPTS", 10),
            login_window_seconds=_int("LISTBRIDGE_LOGIN_WINDOW_SECONDS", 900),
        ),
        mailchimp=MailchimpSettings(
            base_url=(
                _env("MAILCHIMP_BASE_URL") or (sandbox_root and f"{sandbox_root}/3.0")
            ).rstrip("/"),
            oauth_base_url=(
                _env("MAILCHIMP_OAUTH_BASE_URL") or sandbox_root or "https://login.mailchimp.com"
            ).rstrip("/"),
            client_id=_env("MAILCHIMP_CLIENT_ID") or (SANDBOX_CLIENT_ID if sandbox else ""),
            client_secret=_env("MAILCHIMP_CLIENT_SECRET")
            or (SANDBOX_CLIENT_SECRET if sandbox else ""),
            timeout_seconds=float(_env("MAILCHIMP_TIMEOUT_SECONDS") or 120),
        ),
        worker=WorkerSettings(
            concurrency=_int("LISTBRIDGE_WORKER_CONCURRENCY", 10),
            in_process=_flag("LISTBRIDGE_WORKER_IN_PROCESS", not _env("REDIS_URL")),
            queue_name=_env("LISTBRIDGE_QUEUE", "listbridge"),
            sweep_seconds=_int("LISTBRIDGE_WORKER_SWEEP_SECONDS", 30),
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
