"""Operational endpoints: health, the support admin, the operator CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from app.domain.accounts import services
from app.domain.accounts.tables import ApiToken, Organisation
from tests.factories import make_organisation


async def test_healthz_reports_database_and_queue(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["queue"]["status"] == "ok"
    assert body["queue"]["workers"] >= 1


async def test_staff_can_sign_in_to_the_admin_and_password_hashes_are_not_shown(client):
    await services.create_user(
        email="staff@listbridge.test", password="staff password 1", staff=True
    )
    await make_organisation("Visible Org")

    login_page = await client.get("/admin/", follow_redirects=True)
    assert login_page.status_code == 200
    # Piccolo Admin runs its own CSRF protection (cookie + header), separate from ours.
    csrf = client.cookies["csrftoken"]

    session = await client.post(
        "/admin/public/login/",
        json={"username": "staff@listbridge.test", "password": "staff password 1"},
        headers={"x-csrftoken": csrf},
    )
    assert session.status_code == 200, session.text
    rows = await client.get("/admin/api/tables/users/?__page=1")
    assert rows.status_code == 200, rows.text
    users = rows.json()["rows"]
    assert any(u["username"] == "staff@listbridge.test" for u in users)
    assert all(not u.get("password") for u in users)


async def test_non_staff_users_cannot_read_anything_in_the_admin(client):
    owner = await make_organisation()
    await client.get("/admin/", follow_redirects=True)
    response = await client.post(
        "/admin/public/login/",
        json={"username": owner.email, "password": owner.password},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    rows = await client.get("/admin/api/tables/users/")
    # Piccolo Admin may open a session for anyone, but its API serves staff (admin=True) only.
    assert response.status_code in (200, 401, 403)
    assert rows.status_code in (401, 403)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )


async def test_operator_cli_creates_an_organisation_and_a_token(db):
    created = _cli(
        "create-org", "--name", "CLI Co", "--email", "ops@cli.test", "--password", "long enough 1"
    )
    assert created.returncode == 0, created.stderr
    assert await Organisation.exists().where(Organisation.name == "CLI Co")

    token = _cli("create-token", "--org", "CLI Co", "--name", "nightly")
    assert token.returncode == 0, token.stderr
    plaintext = token.stdout.strip().splitlines()[-1]
    assert plaintext.startswith("lb_")
    assert await ApiToken.count().where(ApiToken.name == "nightly") == 1

    staff = _cli("create-staff", "--email", "help@cli.test", "--password", "long enough 2")
    assert staff.returncode == 0, staff.stderr

    duplicate = _cli(
        "create-org", "--name", "Again", "--email", "ops@cli.test", "--password", "long enough 1"
    )
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
