"""Driving the sandbox from outside the API: what people and admins do in Mailchimp's UI.

Shared by the JSON control endpoints and the HTML control page, so both behave the same.
Changes made here carry source `user` or `admin`, so webhooks filter them like Mailchimp does.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.mailchimp.sandbox import campaigns, members
from app.mailchimp.sandbox.core import Sandbox
from app.mailchimp.sandbox.errors import field_error, invalid_resource, not_found
from app.mailchimp.sandbox.identity import iso, new_api_key
from app.mailchimp.sandbox.seed import faults_from, register_oauth_client
from app.mailchimp.sandbox.state import Account, Member

MEMBER_ACTIONS = ("unsubscribe", "clean", "edit_profile", "change_email", "resubscribe")
_DEFAULT_SOURCE = {"unsubscribe": "user", "resubscribe": "user"}


def account_of(sandbox: Sandbox, ref: str) -> Account:
    account = sandbox.state.find_account(ref)
    if account is None:
        raise not_found()
    return account


def create_account(sandbox: Sandbox, body: dict[str, Any]) -> Account:
    api_key = body.get("api_key") or new_api_key(str(body.get("dc") or "us21"))
    try:
        return sandbox.state.create_account(
            api_key=api_key,
            account_name=body.get("account_name"),
            login_email=body.get("login_email"),
            first_name=body.get("first_name") or "Sandbox",
            last_name=body.get("last_name") or "User",
            role=body.get("role") or "owner",
            revoked=bool(body.get("revoked", False)),
        )
    except ValueError as exc:
        raise field_error("api_key", str(exc)) from None


def revoke(sandbox: Sandbox, ref: str) -> None:
    """Revoke one key (when `ref` is a key) or every key of the account (when it is an id)."""
    account = account_of(sandbox, ref)
    for key in sandbox.state.keys_of(account):
        if ref in (key.key, account.account_id):
            key.revoked = True


def set_faults(sandbox: Sandbox, ref: str, body: dict[str, Any]) -> Account:
    account = account_of(sandbox, ref)
    try:
        account.set_faults(faults_from(body))
    except (TypeError, ValueError) as exc:
        raise invalid_resource(str(exc)) from None
    return account


def register_client(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, str]:
    try:
        return asdict(register_oauth_client(sandbox.state, body))
    except ValueError as exc:
        raise invalid_resource(str(exc)) from None


def change_member(
    sandbox: Sandbox, account: Account, list_id: str, key: str, body: dict[str, Any]
) -> Member:
    """A change Mailchimp records outside the API; fires webhooks with its source."""
    audience = account.audiences.get(list_id)
    if audience is None:
        raise not_found()
    action = body.get("action")
    if action not in MEMBER_ACTIONS:
        raise field_error("action", "action must be one of: " + ", ".join(MEMBER_ACTIONS))
    source = body.get("source") or _DEFAULT_SOURCE.get(action, "admin")
    if source not in ("user", "admin"):
        raise field_error("source", "source must be 'user' or 'admin'.")
    member = members.find_member(audience, key)
    now = sandbox.state.now()
    if action == "resubscribe":
        write = members.subscribe_by_person(audience, member.email_address, None, now=now)
    else:
        change: dict[str, Any] = {
            "unsubscribe": {"status": "unsubscribed"},
            "clean": {"status": "cleaned"},
            "edit_profile": {"merge_fields": body.get("merge_fields") or {}},
            "change_email": {"email_address": body.get("new_email") or ""},
        }[action]
        if action == "change_email" and not change["email_address"]:
            raise field_error("new_email", "This value should not be blank.")
        write = members.update_member(
            audience,
            member,
            change,
            status=change.get("status"),
            now=now,
            skip_merge_validation=False,
            source=source,
        )
        if action == "unsubscribe":
            member.unsubscribe_reason = (
                "Unspecified" if source == "user" else "Unsubscribed by an admin"
            )
    sandbox.publish(account, write.events)
    return write.member


def signup(sandbox: Sandbox, account: Account, list_id: str, body: dict[str, Any]) -> Member:
    """A person subscribes through the audience's signup form (source `user`)."""
    audience = account.audiences.get(list_id)
    if audience is None:
        raise not_found()
    email = str(body.get("email_address") or "").strip()
    if not email:
        raise field_error("email_address", "This value should not be blank.")
    write = members.subscribe_by_person(
        audience, email, body.get("merge_fields"), now=sandbox.state.now()
    )
    sandbox.publish(account, write.events)
    return write.member


def send_campaign(sandbox: Sandbox, account: Account, campaign_id: str) -> dict[str, Any]:
    campaign = account.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found()
    if campaign.status == "sent":
        raise invalid_resource(f"Campaign {campaign_id} has already been sent.")
    sandbox.publish(account, campaigns.send_campaign(account, campaign, now=sandbox.state.now()))
    return {
        "id": campaign.id,
        "status": campaign.status,
        "emails_sent": campaign.emails_sent,
        "send_time": iso(campaign.send_time),
    }


def add_activity(
    sandbox: Sandbox, account: Account, campaign_id: str, body: dict[str, Any]
) -> None:
    campaign = account.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found()
    try:
        figures = {
            k: int(body[k])
            for k in ("opens", "unique_opens", "clicks", "unique_clicks")
            if body.get(k) not in (None, "")
        }
    except (TypeError, ValueError):
        raise invalid_resource("Activity figures must be whole numbers.") from None
    campaigns.add_activity(campaign, now=sandbox.state.now(), **figures)


def account_json(sandbox: Sandbox, account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "account_name": account.account_name,
        "login_email": account.login_email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "role": account.role,
        "dc": account.dc,
        "api_keys": [
            {"api_key": k.key, "revoked": k.revoked} for k in sandbox.state.keys_of(account)
        ],
        "faults": asdict(account.faults),
        "audiences": [
            {"id": a.id, "name": a.name, "members": len(a.members)}
            for a in account.audiences.values()
        ],
        "in_flight": account.in_flight,
        "requests_total": account.requests_total,
    }


def request_log_json(account: Account) -> list[dict[str, Any]]:
    return [{**asdict(entry), "at": iso(entry.at)} for entry in account.request_log]


def deliveries_json(sandbox: Sandbox, account_id: str | None = None) -> list[dict[str, Any]]:
    return [
        {**asdict(d), "attempts": [{**asdict(a), "at": iso(a.at)} for a in d.attempts]}
        for d in sandbox.state.webhook_deliveries
        if account_id in (None, d.account_id)
    ]
