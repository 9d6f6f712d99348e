"""Signatures checked against the published examples, and bodies read (or refused) exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.inbound.payloads import (
    BadPayload,
    PayloadTooLarge,
    at_path,
    mailchimp_event,
    parse_form,
    parse_json_event,
)
from app.domain.inbound.signatures import (
    SignatureProblem,
    bearer_matches,
    sign_t_v1,
    verify_customerio,
    verify_t_v1,
)

# The research samples live in the shared folder beside the repository (or a worktree's parent).
SAMPLES = next(
    (
        folder / "shared" / "mailchimp" / "webhooks"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "mailchimp" / "webhooks").is_dir()
    ),
    Path("shared-samples-not-found"),
)
MAILCHIMP_SIGNED = (
    "t=1718000000,v1=18cc543a1c9ec757ea57a39d228c8770b00f6ed59508117a7becb6819a3b2e44"
)
SUBSCRIBE = (
    "type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bid%5D=8a25ff1d98&data%5Blist_id%5D"
    "=a6b5da1054&data%5Bemail%5D=api%40mailchimp.com&data%5Bemail_type%5D=html&data%5Bmerges%5D"
    "%5BEMAIL%5D=api%40mailchimp.com&data%5Bmerges%5D%5BFNAME%5D=Mailchimp&data%5Bmerges%5D%5BLNAME"
    "%5D=API&data%5Bmerges%5D%5BINTERESTS%5D=Group1%2CGroup2&data%5Bip_opt%5D=10.20.10.30&data%5B"
    "ip_signup%5D=10.20.10.30"
)
CIO_BODY = (
    b'{"event_id":"01E4C4CT6YDC7Y5M7FE1GWWPQJ","object_type":"customer","metric":"subscribed",'
    b'"timestamp":1613063089,"data":{"customer_id":"42","email_address":"test@example.com",'
    b'"identifiers":{"id":"42","email":"test@example.com","cio_id":"d9c106000001"}}}'
)
CIO_SIGNATURE = "6db6d11ff26175678ae79c5a85707c387f1cf9d42a447adb969f14592ec19ac0"


def test_mailchimp_s_signed_example_verifies_and_a_changed_body_does_not():
    key = "test-mailchimp-signing-secret"  # the example's dummy secret
    verify_t_v1(MAILCHIMP_SIGNED, SUBSCRIBE.encode(), key, now=1718000100)
    with pytest.raises(SignatureProblem):
        verify_t_v1(MAILCHIMP_SIGNED, SUBSCRIBE.encode() + b"&x=1", key, now=1718000100)
    with pytest.raises(SignatureProblem):
        verify_t_v1(MAILCHIMP_SIGNED, SUBSCRIBE.encode(), "another-secret", now=1718000100)


def test_signatures_outside_five_minutes_are_refused_either_way():
    key = "test-mailchimp-signing-secret"
    verify_t_v1(MAILCHIMP_SIGNED, SUBSCRIBE.encode(), key, now=1718000000 + 300)
    for now in (1718000000 + 301, 1718000000 - 301):
        with pytest.raises(SignatureProblem, match="too old"):
            verify_t_v1(MAILCHIMP_SIGNED, SUBSCRIBE.encode(), key, now=now)


def test_customerio_s_signed_example_verifies():
    key = "test-cio-webhook-signing-key"
    verify_customerio("1613063090", CIO_SIGNATURE, CIO_BODY, key, now=1613063100)
    with pytest.raises(SignatureProblem):
        verify_customerio("1613063091", CIO_SIGNATURE, CIO_BODY, key, now=1613063100)


@pytest.mark.parametrize(
    "header", ["", "v1=abc", "t=1718000000", "t=1e9,v1=ab", "t=,v1=", "x" * 600, "t=17180000ü,v1=a"]
)
def test_malformed_signature_headers_are_problems_not_crashes(header):
    with pytest.raises(SignatureProblem):
        verify_t_v1(header, b"body", "key", now=1718000000)


def test_our_own_signature_round_trips_and_several_v1_values_are_allowed():
    header = sign_t_v1("hook-secret", b'{"event":"x"}', 1718000000)
    verify_t_v1(header, b'{"event":"x"}', "hook-secret", now=1718000000)
    rotated = header.replace("v1=", "v1=" + "0" * 64 + ",v1=")
    verify_t_v1(rotated, b'{"event":"x"}', "hook-secret", now=1718000000)


def test_bearer_secrets_compare_exactly():
    assert bearer_matches({"authorization": "Bearer lbhook_abc"}, "lbhook_abc")
    assert not bearer_matches({"authorization": "Bearer lbhook_abd"}, "lbhook_abc")
    assert not bearer_matches({"authorization": "Basic lbhook_abc"}, "lbhook_abc")
    assert not bearer_matches({"authorization": "Bearer ünïcode"}, "lbhook_abc")
    assert not bearer_matches({}, "lbhook_abc")


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not beside the repo")
@pytest.mark.parametrize(
    "name", ["subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"]
)
def test_mailchimp_s_sample_bodies_read_as_their_decoded_form(name):
    import json

    body = (SAMPLES / f"mailchimp-{name}.txt").read_text().strip().encode()
    decoded = json.loads((SAMPLES / f"mailchimp-{name}.decoded.json").read_text())
    assert mailchimp_event(body, "a6b5da1054") == decoded


def test_a_real_capture_reads_with_its_web_id_and_empty_merges():
    body = (
        b"type=subscribe&fired_at=2021-07-28+08%3A06%3A59&data%5Bid%5D=e2ff089583&data%5Bemail%5D"
        b"=ruchira%40rudderlabs.com&data%5Bweb_id%5D=161912900&data%5Bmerges%5D%5BADDRESS%5D="
        b"&data%5Blist_id%5D=ec4689c266"
    )
    event = mailchimp_event(body, "ec4689c266")
    assert event["data"]["web_id"] == "161912900"
    assert event["data"]["merges"] == {"ADDRESS": ""}
    with pytest.raises(BadPayload, match="audience"):
        mailchimp_event(body, "another-list")


def test_form_bodies_larger_than_64_kb_are_too_large():
    with pytest.raises(PayloadTooLarge):
        parse_form(b"a=" + b"x" * 70_000)


@pytest.mark.parametrize(
    "body", [b"data[a]]=1", b"data[=1", b"data[a][b][c][d][e]=1", b"data[]=1", b"a=1&a[b]=2"]
)
def test_odd_bracket_keys_are_refused(body):
    with pytest.raises(BadPayload):
        parse_form(body)


def test_json_events_and_paths():
    event = parse_json_event(b'{"data": {"email_address": "a@b.co", "items": [{"sku": 7}]}}')
    assert at_path(event, "data.email_address") == "a@b.co"
    assert at_path(event, "data.items.0.sku") == 7
    assert at_path(event, "data.items.5.sku") is None
    assert at_path(event, "data.email_address.x") is None
    with pytest.raises(BadPayload):
        parse_json_event(b'{"a": ' + b"[" * 33 + b"]" * 33 + b"}")
    with pytest.raises(BadPayload):
        parse_json_event(b'{"a": "' + b"[" * 40 + b'"}' + b"x")
    assert parse_json_event(b'{"a": "' + b"[" * 40 + b'"}') == {"a": "[" * 40}


def test_logs_never_show_a_webhook_url_secret_or_a_hook_secret():
    from app.lib.logging import mask

    line = 'GET /hooks/mailchimp/12/Zx9_secret-part HTTP/1.1" 200 Authorization lbhook_' + "a" * 40
    masked = mask(line)
    assert "Zx9_secret-part" not in masked
    assert "/hooks/mailchimp/12/[redacted]" in masked
    assert "lbhook_aaaa" not in masked
