"""`listbridge`: the operator's command line.

listbridge serve                      migrate, seed the demo (LISTBRIDGE_DEMO=1), serve
listbridge migrate                    apply database migrations
listbridge worker                     run a background worker (needs REDIS_URL)
listbridge create-org --name N --email E --password P
listbridge create-token --org N --name T        (prints the token alone on the last line)
listbridge create-staff --email E --password P  (a support login for /admin)
listbridge rotate-keys                re-encrypt stored secrets under the first key
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from app.lib.errors import ListbridgeError
from app.settings import get_settings


def _run(coroutine_factory: Callable[[], Awaitable[int]]) -> int:
    async def main() -> int:
        from app.db import close_database, open_database

        settings = get_settings()
        await open_database(settings)
        try:
            return await coroutine_factory()
        finally:
            await close_database()

    return asyncio.run(main())


async def migrate() -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("all")
    if not result.success:
        print(f"Migrations failed: {result.message}", file=sys.stderr)
        return 1
    return 0


async def _create_org(args: argparse.Namespace) -> int:
    from app.domain.accounts import services

    user, organisation = await services.signup(
        organisation_name=args.name, email=args.email, password=args.password, name=args.owner_name
    )
    print(
        f"Created organisation {organisation.name!r} (id {organisation.id}) owned by {user.email}"
    )
    return 0


async def _create_token(args: argparse.Namespace) -> int:
    from app.domain.accounts import services, tokens

    organisation = await services.organisation_by_name(args.org)
    plaintext = await tokens.create_for_operator(organisation, name=args.name)
    print(f"API token {args.name!r} for {organisation.name!r}; it is shown once:")
    print(plaintext)
    return 0


async def _create_staff(args: argparse.Namespace) -> int:
    from app.domain.accounts import services

    user = await services.create_user(email=args.email, password=args.password, staff=True)
    print(f"Created support login {user.email} for /admin")
    return 0


async def _rotate_keys() -> int:
    from app.domain.connections import services as connections
    from app.domain.inbound import services as inbound

    count = await connections.rotate_secrets() + await inbound.rotate_secrets()
    print(f"Re-encrypted {count} stored secret(s) under the first LISTBRIDGE_SECRET_KEYS key.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if _run(migrate) != 0:
        return 1
    print(f"\n  Listbridge is starting on {settings.app.base_url}")
    if settings.app.demo:
        from app.demo import DEMO_EMAIL, DEMO_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD

        print(f"  Demo login:     {DEMO_EMAIL} / {DEMO_PASSWORD}")
        print(
            f"  Support admin:  {settings.app.base_url}/admin  ({STAFF_EMAIL} / {STAFF_PASSWORD})"
        )
    print()
    uvicorn.run(
        "app.asgi:create_app",
        factory=True,
        host=settings.app.host,
        port=settings.app.port,
        log_config=None,
        proxy_headers=True,
        workers=args.workers,
    )
    return 0


def _worker() -> int:
    from app.lib.redis import redis_url
    from app.worker import run_worker_process

    settings = get_settings()
    if settings.redis.embedded:
        print(
            "error: a separate worker needs a shared Redis: set REDIS_URL (and DATABASE_URL).\n"
            "Without REDIS_URL, `listbridge serve` already runs a worker inside the web process.",
            file=sys.stderr,
        )
        return 2
    asyncio.run(run_worker_process(settings, redis_url(settings)))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listbridge", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, seed the demo if enabled, and serve")
    serve.add_argument("--workers", type=int, default=1, help="web processes (Postgres+Redis only)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("worker", help="run a background worker process (needs REDIS_URL)")

    org = commands.add_parser("create-org", help="create an organisation and its owner")
    org.add_argument("--name", required=True)
    org.add_argument("--email", required=True)
    org.add_argument("--password", required=True)
    org.add_argument("--owner-name", default="")

    token = commands.add_parser("create-token", help="create an API token for an organisation")
    token.add_argument("--org", required=True, help="the organisation's exact name")
    token.add_argument("--name", required=True)

    staff = commands.add_parser("create-staff", help="create a support login for /admin")
    staff.add_argument("--email", required=True)
    staff.add_argument("--password", required=True)

    commands.add_parser("rotate-keys", help="re-encrypt stored secrets under the first key")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Piccolo imports `piccolo_conf` from sys.path; the console script may run from anywhere.
    from app.settings import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from app.lib.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.app.log_level, settings.app.log_format)
    handlers = {
        "migrate": lambda: _run(migrate),
        "create-org": lambda: _run(lambda: _create_org(args)),
        "create-token": lambda: _run(lambda: _create_token(args)),
        "create-staff": lambda: _run(lambda: _create_staff(args)),
        "serve": lambda: _serve(args),
        "worker": _worker,
        "rotate-keys": lambda: _run(_rotate_keys),
    }
    try:
        return handlers[args.command]()
    except ListbridgeError as exc:
        details = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
        print(f"error: {details or exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
