"""Email address syntax, checked the same way everywhere (forms, API, CSV, webhooks)."""

from __future__ import annotations

import re

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MAX_LENGTH = 254


def normalise_email(value: str) -> str:
    """Trimmed, with the domain lower-cased (the local part keeps its case for display)."""
    value = value.strip()
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if local else value


def email_problem(value: str) -> str | None:
    """Why `value` is not a usable address, in words for a person; None when it is fine."""
    value = value.strip()
    if not value:
        return "Enter an email address."
    if len(value) > MAX_LENGTH:
        return "This email address is too long."
    if value.count("@") != 1:
        return "An email address has exactly one @, like name@company.com."
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return "The part before the @ is not valid."
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "The part before the @ is not valid."
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return "The part after the @ should be a domain, like company.com."
    if labels[-1].isdigit():
        return "The part after the @ should be a domain, like company.com."
    return None


def is_valid_email(value: str) -> bool:
    return email_problem(value) is None
