"""API keys and OAuth tokens: shapes, hosts, auth headers, and never a secret in a repr."""

from __future__ import annotations

import httpx
import pytest

from app.mailchimp.client import MailchimpClient
from app.mailchimp.credentials import (
    ApiKeyCredentials,
    InvalidApiKeyFormat,
    OAuthCredentials,
    parse_api_key,
)
from app.mailchimp.paths import member_id, subscriber_hash
from tests.unit.mailchimp.mailchimp_client_fakes import API_KEY, BASIC_AUTH

TOKEN = "4f1b7c0e9a2d4c8b8e6f1a3b5c7d9e0f"


def test_parse_api_key_returns_the_trimmed_key_and_its_data_centre() -> None:
    assert parse_api_key(f"  {API_KEY}\n") == (API_KEY, "us6")
    assert parse_api_key("ffffffffffffffffffffffffffffffff-us21") == (
        "ffffffffffffffffffffffffffffffff-us21",
        "us21",
    )


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "empty"),
        ("0123456789abcdef0123456789abcdef", "no data-centre suffix"),
        ("0123456789abcdef0123456789abcdef-eu1", "data centre such as us6"),
        ("0123456789abcdef0123456789abcdef-", "data centre such as us6"),
        ("0123456789abcdef0123456789abcde-us6", "32 lower-case hexadecimal"),
        ("0123456789abcdef0123456789abcdeg-us6", "32 lower-case hexadecimal"),
        ("my-0123456789abcdef0123456789abcdef-us6", "32 lower-case hexadecimal"),
    ],
)
def test_parse_api_key_explains_what_is_wrong(pasted: str, says: str) -> None:
    with pytest.raises(InvalidApiKeyFormat, match=says) as caught:
        parse_api_key(pasted)
    assert isinstance(caught.value, ValueError)
    secret_part = pasted.rpartition("-")[0]
    if len(secret_part) > 8:
        assert secret_part not in str(caught.value)


def test_api_key_credentials_pick_the_data_centre_host() -> None:
    credentials = ApiKeyCredentials(API_KEY)
    assert credentials.data_centre == "us6"
    assert credentials.base_url == "https://us6.api.mailchimp.com/3.0"


def test_api_key_credentials_refuse_a_malformed_key() -> None:
    with pytest.raises(InvalidApiKeyFormat):
        ApiKeyCredentials("not-a-key")


def test_oauth_credentials_use_the_metadata_api_endpoint() -> None:
    credentials = OAuthCredentials(TOKEN, "https://us19.api.mailchimp.com/")
    assert credentials.base_url == "https://us19.api.mailchimp.com/3.0"


@pytest.mark.parametrize(
    ("credentials", "header"),
    [
        (ApiKeyCredentials(API_KEY), BASIC_AUTH),
        (OAuthCredentials(TOKEN, "https://us19.api.mailchimp.com"), f"Bearer {TOKEN}"),
    ],
)
def test_each_credential_sets_its_authorization_header(credentials, header: str) -> None:
    request = httpx.Request("GET", "https://example.test/")
    flow = credentials.http_auth().auth_flow(request)
    assert next(flow).headers["Authorization"] == header


def test_no_repr_or_str_shows_the_secret() -> None:
    api_key = ApiKeyCredentials(API_KEY)
    oauth = OAuthCredentials(TOKEN, "https://us19.api.mailchimp.com")
    things = [api_key, oauth, api_key.http_auth(), oauth.http_auth(), MailchimpClient(api_key)]
    for thing in things:
        for text in (repr(thing), str(thing)):
            assert API_KEY not in text
            assert API_KEY.split("-")[0] not in text
            assert TOKEN not in text


def test_the_fingerprint_is_stable_and_not_the_secret() -> None:
    assert ApiKeyCredentials(API_KEY).fingerprint == ApiKeyCredentials(API_KEY).fingerprint
    assert API_KEY.split("-")[0] not in ApiKeyCredentials(API_KEY).fingerprint


def test_subscriber_hash_is_md5_of_the_trimmed_lower_cased_address() -> None:
    # md5("urist.mcvankab@freddiesjokes.com"), Mailchimp's documented example address.
    expected = "62eeb292278cc15f5817cb78f7790b08"
    assert subscriber_hash("Urist.McVankab@FreddiesJokes.com ") == expected
    assert member_id(expected) == expected
    assert member_id(" Urist.McVankab@freddiesjokes.com") == expected
