"""Creating audiences (`POST /lists`), with Mailchimp's required fields and default merge fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.mailchimp.sandbox.errors import invalid_resource
from app.mailchimp.sandbox.identity import new_id
from app.mailchimp.sandbox.merge_fields import default_merge_fields
from app.mailchimp.sandbox.state import Account, Audience

REQUIRED_CONTACT = ("company", "address1", "city", "country")
REQUIRED_DEFAULTS = ("from_name", "from_email", "subject", "language")
CONTACT_KEYS = ("company", "address1", "address2", "city", "state", "zip", "country", "phone")


def create_audience(
    account: Account, body: Any, *, now: datetime, fill_defaults: bool = False
) -> Audience:
    """`fill_defaults` (seeding) invents what a seed file leaves out instead of refusing it."""
    if not isinstance(body, dict):
        raise invalid_resource("The request body must be a JSON object.")
    if fill_defaults:
        body = _with_defaults(account, body)
    contact = body.get("contact") if isinstance(body.get("contact"), dict) else {}
    defaults = body.get("campaign_defaults")
    defaults = defaults if isinstance(defaults, dict) else {}
    errors = [
        {"field": name, "message": "This value should not be blank."}
        for name in ("name", "permission_reminder")
        if not str(body.get(name) or "").strip()
    ]
    if not isinstance(body.get("email_type_option"), bool):
        errors.append(
            {"field": "email_type_option", "message": "This value should be true or false."}
        )
    errors += [
        {"field": f"contact.{key}", "message": "This value should not be blank."}
        for key in REQUIRED_CONTACT
        if not str(contact.get(key) or "").strip()
    ]
    errors += [
        {"field": f"campaign_defaults.{key}", "message": "This value should not be blank."}
        for key in REQUIRED_DEFAULTS
        if not str(defaults.get(key) or "").strip()
    ]
    if errors:
        raise invalid_resource(errors=errors)
    audience = Audience(
        id=str(body.get("id") or new_id()) if fill_defaults else new_id(),  # seeds may pick ids
        name=str(body["name"]).strip(),
        contact={key: str(contact.get(key) or "") for key in CONTACT_KEYS},
        permission_reminder=str(body["permission_reminder"]),
        campaign_defaults={key: str(defaults[key]) for key in REQUIRED_DEFAULTS},
        email_type_option=body["email_type_option"],
        date_created=now,
        double_optin=bool(body.get("double_optin", False)),
        use_archive_bar=bool(body.get("use_archive_bar", True)),
        notify_on_subscribe=str(body.get("notify_on_subscribe") or ""),
        notify_on_unsubscribe=str(body.get("notify_on_unsubscribe") or ""),
        merge_fields=default_merge_fields(),
    )
    if audience.id in account.audiences:
        raise invalid_resource(f"An audience with id {audience.id} already exists.")
    account.audiences[audience.id] = audience
    return audience


def _with_defaults(account: Account, body: dict) -> dict:
    # a seed without a contact gets a whole made-up one; a partial contact only its required keys
    contact = body.get("contact") or {
        "address1": "1 Sandbox Way",
        "city": "Atlanta",
        "state": "GA",
        "zip": "30308",
        "country": "US",
    }
    contact = {
        "company": account.account_name,
        "address1": "-",
        "city": "-",
        "country": "US",
        **contact,
    }
    defaults = {
        "from_name": account.account_name,
        "from_email": account.login_email,
        "subject": f"News from {account.account_name}",
        "language": "en",
        **(body.get("campaign_defaults") or {}),
    }
    return {
        "permission_reminder": "You are receiving this because you work with us.",
        "email_type_option": False,
        **body,
        "contact": contact,
        "campaign_defaults": defaults,
    }
