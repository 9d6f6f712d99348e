"""The consent ledger (a contact's email preference and every change to it), what each change
did in Mailchimp per audience, and GDPR erasures.

One preference per contact and one erasure per contact are unique indexes in the migrations
(raw SQL: SQLite cannot add constraints to a table).
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from app.db import Timestamped
from app.domain.accounts.tables import Organisation


class PreferenceStatus(StrEnum):
    opted_in = "opted_in"
    opted_out = "opted_out"


class ConsentSource(StrEnum):
    ui = "ui"
    api = "api"
    csv_import = "csv_import"
    mailchimp_webhook = "mailchimp_webhook"
    product_event = "product_event"


class PushStatus(StrEnum):
    """Where one change stands in one audience."""

    queued = "queued"
    retrying = "retrying"  # Mailchimp could not be reached; the job tries again
    done = "done"
    failed = "failed"
    superseded = "superseded"  # a newer change took over before this one was sent


class ErasureStatus(StrEnum):
    queued = "queued"
    running = "running"
    incomplete = "incomplete"  # some copy could not be removed yet; retried
    done = "done"


class EmailPreference(Timestamped, Table, tablename="email_preferences"):
    """A contact's current choice about marketing email, and when and how it was made."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    entity_type = Varchar(length=20)  # the contact's type: employee | vendor | user
    contact_id = BigInt()
    email = Varchar(length=254)  # the address the choice was made for
    status = Varchar(length=20, choices=PreferenceStatus)
    consent_given_at = Timestamptz(null=True, default=None)
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    consent_source = Varchar(length=30, choices=ConsentSource)
    # When the status last changed (the list's order and its date filter).
    changed_at = Timestamptz()


class PreferenceChange(Timestamped, Table, tablename="email_preference_changes"):
    """One change of a preference: who made it, when, from where, and through what."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    preference = ForeignKey(EmailPreference, on_delete=OnDelete.cascade)
    contact_id = BigInt()
    from_status = Varchar(length=20, default="")  # "" for the first recorded choice
    to_status = Varchar(length=20, choices=PreferenceStatus)
    source = Varchar(length=30, choices=ConsentSource)
    actor_type = Varchar(length=20)
    actor_id = Varchar(length=64, null=True, default=None)
    actor_label = Varchar(length=255, default="")
    ip = Varchar(length=64, null=True, default=None)


class PreferencePush(Timestamped, Table, tablename="preference_pushes"):
    """What one change did (or is doing) to the contact's member in one Mailchimp audience."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    change = ForeignKey(PreferenceChange, on_delete=OnDelete.cascade)
    contact_id = BigInt()
    list_id = Varchar(length=64)
    list_name = Varchar(length=255, default="")
    subscriber_hash = Varchar(length=32)
    status = Varchar(length=20, choices=PushStatus, default=PushStatus.queued)
    # Mailchimp's member status after we acted (unsubscribed, pending, ...), when known.
    member_status = Varchar(length=20, default="")
    message = Text(default="")
    attempts = Integer(default=0)


class Erasure(Timestamped, Table, tablename="erasures"):
    """A GDPR erasure of one contact. Holds no personal data: the contact's id, the subscriber
    hash of its address and the audiences, which together prove what was erased."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    entity_type = Varchar(length=20)
    contact_id = BigInt()
    subscriber_hash = Varchar(length=32)
    status = Varchar(length=20, choices=ErasureStatus, default=ErasureStatus.queued)
    # [{"list_id", "list_name", "subscriber_hash", "status": pending|done|failed, "message"}]
    audiences = JSON(default="[]")
    attempts = Integer(default=0)
    last_error = Text(default="")
    next_attempt_at = Timestamptz(null=True, default=None)
    # A running job holds the erasure until then; a job that died lets go when it passes.
    lease_until = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    # Who asked: the job records the outcome in their name.
    actor_type = Varchar(length=20, default="system")
    actor_id = Varchar(length=64, null=True, default=None)
    actor_label = Varchar(length=255, default="")
