"""Webhook bodies are encoded and signed exactly like Mailchimp's own samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.mailchimp.sandbox import webhook_payloads as payloads
from app.mailchimp.sandbox.state import Audience, Campaign, Member, MergeField

EVENTS = ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign")


def flatten(value: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON back to Mailchimp's bracketed keys, in document order."""
    pairs: list[tuple[str, str]] = []
    for key, inner in value.items():
        name = f"{prefix}[{key}]" if prefix else key
        pairs += flatten(inner, name) if isinstance(inner, dict) else [(name, str(inner))]
    return pairs


def sample(reference: Path, event: str) -> tuple[dict, str]:
    folder = reference / "webhooks"
    decoded = json.loads((folder / f"mailchimp-{event}.decoded.json").read_text())
    return decoded, (folder / f"mailchimp-{event}.txt").read_text().strip()


@pytest.mark.parametrize("event", EVENTS)
def test_bodies_are_encoded_like_mailchimps_samples(mailchimp_reference, event):
    decoded, raw = sample(mailchimp_reference, event)
    data = flatten(decoded["data"], "data")

    assert payloads.encode_body(decoded["type"], decoded["fired_at"], data) == raw


def test_the_signature_matches_the_documented_algorithm(mailchimp_reference):
    lines = (
        (mailchimp_reference / "webhooks" / "mailchimp-signed-subscribe.example.txt")
        .read_text()
        .splitlines()
    )
    secret = (
        next(line for line in lines if line.startswith("# signing_secret")).split("=", 1)[1].strip()
    )
    header = (
        next(line for line in lines if line.startswith("X-Mailchimp-Signature:"))
        .split(":", 1)[1]
        .strip()
    )
    body = lines[-1]
    timestamp = int(header.split(",")[0].removeprefix("t="))

    assert payloads.signature_header(secret, timestamp, body) == header


def test_fired_at_is_utc_without_a_t():
    moment = datetime(2009, 3, 26, 21, 35, 57, tzinfo=UTC)

    assert payloads.fired_at_text(moment) == "2009-03-26 21:35:57"


@pytest.fixture
def audience() -> Audience:
    return Audience(
        id="a6b5da1054",
        name="Sample",
        contact={},
        permission_reminder="",
        campaign_defaults={},
        email_type_option=False,
        date_created=datetime(2009, 3, 26, tzinfo=UTC),
        merge_fields=[
            MergeField(1, "FNAME", "First", "text"),
            MergeField(2, "LNAME", "Last", "text"),
        ],
    )


@pytest.fixture
def member() -> Member:
    return Member(
        email_address="api@mailchimp.com",
        status="subscribed",
        merge_fields={"FNAME": "Mailchimp", "LNAME": "API"},
        last_changed=datetime(2009, 3, 26, tzinfo=UTC),
        ip_opt="10.20.10.30",
        ip_signup="10.20.10.30",
    )


def keys(pairs) -> list[str]:
    return [name for name, _ in pairs]


def sample_keys(reference: Path, event: str) -> list[str]:
    decoded, _ = sample(reference, event)
    # INTERESTS only exists on audiences with interest groups, which the sandbox does not model
    return [k for k in keys(flatten(decoded["data"], "data")) if "INTERESTS" not in k]


@pytest.mark.parametrize(
    ("event", "build"),
    [
        ("subscribe", lambda a, m: payloads.subscribe_fields(a, m)),
        ("profile", lambda a, m: payloads.profile_fields(a, m)),
        ("unsubscribe", lambda a, m: payloads.unsubscribe_fields(a, m, campaign_id="cb398d21d2")),
    ],
)
def test_member_events_carry_the_samples_fields_plus_web_id(
    mailchimp_reference, audience, member, event, build
):
    ours = keys(build(audience, member))

    # real deliveries also carry data[web_id] (see the captured deliveries next to the samples)
    assert sorted(ours) == sorted([*sample_keys(mailchimp_reference, event), "data[web_id]"])


def test_upemail_cleaned_and_campaign_fields_match_the_samples_in_order(
    mailchimp_reference, audience, member
):
    campaign = Campaign(
        "5aa2102003",
        audience.id,
        "regular",
        datetime(2009, 3, 26, tzinfo=UTC),
        {"subject_line": "Test Campaign Subject"},
        status="sent",
    )

    assert keys(payloads.upemail_fields(audience, member, "api+old@mailchimp.com")) == sample_keys(
        mailchimp_reference, "upemail"
    )
    assert keys(payloads.cleaned_fields(audience, member, campaign_id="4fjk2ma9xd")) == sample_keys(
        mailchimp_reference, "cleaned"
    )
    assert payloads.campaign_fields(campaign) == [
        ("data[id]", "5aa2102003"),
        ("data[subject]", "Test Campaign Subject"),
        ("data[status]", "sent"),
        ("data[reason]", ""),
        ("data[list_id]", "a6b5da1054"),
    ]


def test_an_address_merge_is_sent_as_nested_keys(audience, member):
    audience.merge_fields.append(MergeField(3, "ADDRESS", "Address", "address"))
    member.merge_fields["ADDRESS"] = {"addr1": "1 Quay", "city": "Hull", "state": "", "zip": "HU1"}

    fields = dict(payloads.profile_fields(audience, member))

    assert fields["data[merges][ADDRESS][addr1]"] == "1 Quay"
    assert fields["data[merges][ADDRESS][city]"] == "Hull"
