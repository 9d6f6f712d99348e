"""Small shared helpers: email syntax, redaction, cursors, safe redirects."""

from __future__ import annotations

import json
import logging

import pytest

from app.lib.audit import diff, redact
from app.lib.emails import email_problem, normalise_email
from app.lib.errors import InvalidInput
from app.lib.forms import safe_next
from app.lib.logging import JsonFormatter, RedactSecrets, mask
from app.lib.pagination import decode_cursor, encode_cursor


@pytest.mark.parametrize(
    "address",
    ["ada@acme.io", "first.last+tag@sub.acme.co.uk", "o'brien@acme.ie", "x@a-b.io"],
)
def test_ordinary_addresses_are_accepted(address):
    assert email_problem(address) is None


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("", "Enter an email"),
        ("ada.acme.io", "exactly one @"),
        ("ada@@acme.io", "exactly one @"),
        ("ada@acme", "domain"),
        (".ada@acme.io", "before the @"),
        ("a..da@acme.io", "before the @"),
        ("ada@acme..io", "domain"),
        ("ada lovelace@acme.io", "before the @"),
        ("ada@1.2.3.4", "domain"),
        ("a" * 250 + "@acme.io", "too long"),
    ],
)
def test_bad_addresses_are_explained(address, words):
    assert words in email_problem(address)


def test_normalising_keeps_the_local_part_and_lowercases_the_domain():
    assert normalise_email("  Ada.L@ACME.io ") == "Ada.L@acme.io"


def test_redact_hides_credentials_at_any_depth():
    cleaned = redact({"name": "x", "api_key": "k", "nested": [{"client_secret": "s", "ok": 1}]})
    assert cleaned == {
        "name": "x",
        "api_key": "[redacted]",
        "nested": [{"client_secret": "[redacted]", "ok": 1}],
    }


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"from": 2, "to": 3},
        "c": {"from": None, "to": 4},
    }


def test_log_masking_catches_mailchimp_keys_tokens_and_bearer_headers():
    line = (
        "key 0123456789abcdef0123456789abcdef-us21 "
        "token lb_abcdefghijklmnopqrstuvwxyz Bearer abc.def.ghi123"
    )
    masked = mask(line)
    assert "0123456789abcdef" not in masked
    assert "lb_abcdefghij" not in masked
    assert "abc.def.ghi123" not in masked


def test_the_log_filter_masks_message_arguments_and_extras():
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "using %s", ("lb_" + "x" * 30,), None
    )
    record.api_key = "0123456789abcdef0123456789abcdef-us6"
    RedactSecrets().filter(record)
    assert "lb_xxx" not in record.getMessage()
    assert record.api_key == "[redacted]"


def test_cursors_round_trip_and_garbage_is_a_clear_error():
    assert decode_cursor(encode_cursor(["2026-01-01T00:00:00+00:00", 7])) == [
        "2026-01-01T00:00:00+00:00",
        7,
    ]
    for garbage in ("not-a-cursor", encode_cursor([1, 2, 3]), "%%%"):
        with pytest.raises(InvalidInput):
            decode_cursor(garbage)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/audit", "/audit"),
        ("//evil.test", "/"),
        ("https://evil.test", "/"),
        ("/\\evil", "/"),
        (None, "/"),
    ],
)
def test_next_targets_stay_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_json_log_lines_mask_secrets_inside_structured_extras():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "connected", None, None)
    record.details = {"api_key": "0123456789abcdef0123456789abcdef-us6", "tries": 2}
    RedactSecrets().filter(record)
    line = JsonFormatter().format(record)
    assert "0123456789abcdef" not in line
    assert json.loads(line)["details"]["tries"] == 2
