"""What Mailchimp and product events tell us, the webhooks we registered to hear it, and the
trigger rules that turn product events into changes.

Unique and partial indexes are raw SQL in the migrations (Piccolo declares neither).
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation
from app.domain.connections.tables import MailchimpConnection


class WebhookStatus(StrEnum):
    registering = "registering"  # the row exists so Mailchimp's validation GET finds it
    registered = "registered"
    failed = "failed"


class AudienceWebhook(Timestamped, SoftDeletable, Table, tablename="audience_webhooks"):
    """One webhook we registered on a Mailchimp audience (at most one live per audience)."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    connection = ForeignKey(MailchimpConnection, on_delete=OnDelete.set_null, null=True)
    list_id = Varchar(length=64)
    webhook_id = Varchar(length=64)
    # The last path segment of the URL Mailchimp calls: compared in constant time on arrival.
    url_secret = Varchar(length=64, secret=True)
    # Fernet ciphertext of Mailchimp's signing_secret (returned once, at creation), if any.
    signing_secret = Text(default="", secret=True)
    status = Varchar(length=20, choices=WebhookStatus, default=WebhookStatus.registering)
    # Why the last registration failed, in words a person can act on; emptied by a success.
    last_error = Text(default="")
    registered_at = Timestamptz(null=True, default=None)
    last_received_at = Timestamptz(null=True, default=None)


class EventSource(StrEnum):
    mailchimp = "mailchimp"
    customerio = "customerio"
    generic = "generic"


class EventStatus(StrEnum):
    received = "received"  # stored, its job queued
    processed = "processed"
    failed = "failed"  # see `error`; can be retried
    ignored = "ignored"  # nothing to do (no rule, an older status, an untracked campaign)


class EventHook(Timestamped, SoftDeletable, Table, tablename="event_hooks"):
    """An organisation's product-event endpoint: `POST /hooks/events/{public_id}`."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    # Random, so the URL of one organisation says nothing about another's.
    public_id = Varchar(length=32)
    # Fernet ciphertext: the plaintext is the HMAC key, so it can't be stored as a hash.
    secret = Text(secret=True)
    secret_hint = Varchar(length=12, default="")  # its first characters, to recognise it by
    secret_created_at = Timestamptz(default=TimestamptzNow())
    last_received_at = Timestamptz(null=True, default=None)


class InboundEvent(Timestamped, Table, tablename="inbound_events"):
    """One delivery we accepted, persisted before anything acts on it."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    source = Varchar(length=20, choices=EventSource)
    type = Varchar(length=100, default="")  # Mailchimp's event type, or the product event's name
    list_id = Varchar(length=64, default="")
    email = Varchar(length=254, default="")
    # sha256 of what makes a delivery the same one again; NULL when nothing can tell.
    dedupe_key = Varchar(length=64, null=True, default=None)
    payload = JSON(default="{}")
    fired_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    status = Varchar(length=20, choices=EventStatus, default=EventStatus.received)
    error = Text(default="")
    outcome = Text(default="")  # what processing did, in a sentence
    attempts = Integer(default=0)
    audience_webhook = ForeignKey(AudienceWebhook, on_delete=OnDelete.set_null, null=True)
    event_hook = ForeignKey(EventHook, on_delete=OnDelete.set_null, null=True)
    rule_ids = JSON(default="[]")  # the trigger rules it matched when it arrived


class TriggerAction(StrEnum):
    upsert = "upsert"
    tag = "tag"
    untag = "untag"
    unsubscribe = "unsubscribe"


class TriggerRule(Timestamped, SoftDeletable, Table, tablename="trigger_rules"):
    """When a product event named `event_name` arrives, do `action` on audience `list_id`."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    event_name = Varchar(length=200)
    action = Varchar(length=20, choices=TriggerAction)
    list_id = Varchar(length=64)
    list_name = Varchar(length=255, default="")
    tags = JSON(default="[]")
    # Where things sit in the event's JSON body, as dot paths:
    # {"email": "data.email_address", "event": "metric", "event_id": "event_id",
    #  "fields": {"first_name": "data.first_name", "attribute:plan": "data.plan"}}
    mapping = JSON(default="{}")
    enabled = Boolean(default=True)
