"""Subscriber hashes, API keys and fake addresses, as Mailchimp defines them."""

from __future__ import annotations

import pytest

from app.mailchimp.sandbox.identity import dc_of, looks_fake, member_key_to_hash, subscriber_hash


def test_the_subscriber_hash_is_the_md5_of_the_trimmed_lowercased_address():
    # the example from Mailchimp's documentation
    assert subscriber_hash("urist.mcvankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"
    assert (
        subscriber_hash("  Urist.McVankab@FreddiesJokes.com\n")
        == "62eeb292278cc15f5817cb78f7790b08"
    )


def test_member_paths_take_a_hash_or_an_address():
    assert (
        member_key_to_hash("Urist.McVankab@freddiesjokes.com") == "62eeb292278cc15f5817cb78f7790b08"
    )
    assert (
        member_key_to_hash("62EEB292278CC15F5817CB78F7790B08") == "62eeb292278cc15f5817cb78f7790b08"
    )


@pytest.mark.parametrize(
    ("key", "dc"),
    [
        ("0123456789abcdef0123456789abcdef-us21", "us21"),
        ("0123456789abcdef0123456789abcdef-us6", "us6"),
        ("0123456789abcdef0123456789abcde-us6", None),  # 31 digits
        ("0123456789ABCDEF0123456789ABCDEF-us21", None),
        ("0123456789abcdef0123456789abcdef", None),
        ("0123456789abcdef0123456789abcdef-eu1", None),
    ],
)
def test_api_keys_are_32_hex_digits_and_a_data_centre(key, dc):
    assert dc_of(key) == dc


@pytest.mark.parametrize(
    "email",
    [
        "maren@haldenrowe.com",
        "first.last+tag@sub.kestrel-packaging.co.uk",
        "o'neil@fenwicktools.com",
    ],
)
def test_real_looking_addresses_pass(email):
    assert not looks_fake(email)


@pytest.mark.parametrize(
    "email",
    [
        "anyone@example.com",
        "anyone@EXAMPLE.org",
        "anyone@example.net",
        "anyone@eu.example.com",
        "anyone@test.com",
        "anyone@mailinator.com",
        "plainaddress",
        "@no-local-part.com",
        "spaces in@fenwicktools.com",
        "no-tld@fenwicktools",
        "double..dot@fenwicktools.com",
    ],
)
def test_fake_or_malformed_addresses_are_caught(email):
    assert looks_fake(email)
