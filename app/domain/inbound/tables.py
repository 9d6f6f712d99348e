"""What Mailchimp and product events tell us, and the webhooks we registered to hear it."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Text, Varchar
from piccolo.table import Table

from app.db import SoftDeletable, Timestamped
from app.domain.accounts.tables import Organisation
from app.domain.connections.tables import MailchimpConnection


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
