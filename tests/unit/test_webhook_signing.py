"""Standard Webhooks signatures as every language's verifier reads them: checked by the reference
`standardwebhooks` package and by a verifier written here from the spec; a tampered body, another secret,
a stale timestamp and a missing header are refused; two secrets sign during a rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.webhooks import signing

BODY = json.dumps({"id": "evt_01JABCDEF", "type": "charge.paid", "data": {"charge": {"id": "chg_1"}}}).encode()


def spec_verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = 300) -> bool:
    """The spec's verification, written from standardwebhooks.com: any of the space-separated `v1,` signatures
    equal (constant time) to HMAC-SHA256 of "<id>.<timestamp>.<body>" under the secret's base64 key, and the
    timestamp within the tolerance."""
    stamp = int(headers["webhook-timestamp"])
    if abs(now - stamp) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{headers['webhook-id']}.{stamp}.".encode() + body,
                                         hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


def test_the_reference_verifier_and_the_specs_accept_our_signature():
    secret, now = signing.new_secret(), int(time.time())
    headers = signing.headers([secret], "evt_01JABCDEF", now, BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert spec_verify(secret, headers, BODY, now)
    assert headers["webhook-signature"].startswith("v1,") and headers["webhook-id"] == "evt_01JABCDEF"


def test_a_tampered_body_another_secret_an_old_timestamp_or_no_signature_is_refused():
    secret, now = signing.new_secret(), int(time.time())
    headers = signing.headers([secret], "evt_1", now, BODY)
    for body, key, hdrs in ((BODY.replace(b"chg_1", b"chg_2"), secret, headers),
                            (BODY, signing.new_secret(), headers),
                            (BODY, secret, signing.headers([secret], "evt_1", now - 3600, BODY)),
                            (BODY, secret, {k: v for k, v in headers.items() if k != "webhook-signature"})):
        with pytest.raises(WebhookVerificationError):
            Webhook(key).verify(body, hdrs)
        assert "webhook-signature" not in hdrs or not spec_verify(key, hdrs, body, now)


def test_during_a_rotation_both_secrets_sign_and_either_verifies():
    old, new, now = signing.new_secret(), signing.new_secret(), int(time.time())
    headers = signing.headers([new, old], "evt_2", now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, headers)
        assert spec_verify(secret, headers, BODY, now)


@given(body=st.binary(max_size=2048), message_id=st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                                          min_size=1, max_size=60))
def test_any_body_and_id_verify_with_the_spec(body, message_id):
    secret, now = signing.new_secret(), 1_800_000_000
    assert spec_verify(secret, signing.headers([secret], message_id, now, body), body, now)


def test_a_secret_must_look_like_one():
    with pytest.raises(ValueError):
        signing.signature("nope", "evt", 1, b"")
    with pytest.raises(ValueError):
        signing.headers([], "evt", 1, b"")
