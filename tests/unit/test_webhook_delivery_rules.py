"""Where a webhook may go (the SSRF guard, with resolvers given here: no traffic to such addresses), when a
failed one is tried again, which events an endpoint takes, and how its secret is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.webhooks import model, urls
from chalicelib.webhooks.secrets import LocalKeyWrapper, SecretBox

PUBLIC = "93.184.215.14"


def resolver(*addresses: str):
    asked = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.8.8", "0.0.0.0", "169.254.169.254",
    "100.64.0.1", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254",
    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "192.0.2.1", "not-an-ip"])
def test_inside_addresses_are_not_public(address):
    assert not urls.is_public(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_internet_addresses_are_public(address):
    assert urls.is_public(address)


@pytest.mark.parametrize("url", [
    "http://example.com/hook", "https://10.0.0.1/hook", "https://[fd00::1]/", "https://localhost/",
    "https://intranet/", "https://printer.local/", "https://db.internal/", "https://a@example.com/",
    "https://a:b@example.com/", "file:///etc/passwd", "gopher://example.com/", "https://", "https://example.com:0/",
    "https://exa mple.com/", "https://example.com/\n", "https://example.com:99999/", "javascript:alert(1)",
    "https://169.254.169.254/latest/meta-data/", "https://[::ffff:169.254.169.254]/", "https://0177.0.0.1/x" * 300,
])
def test_urls_that_could_reach_inside_are_refused(url):
    with pytest.raises(urls.UnsafeUrlError):
        urls.check_url(url, local_mode=False)


def test_loopback_over_http_only_in_local_mode():
    for url in ("http://127.0.0.1:9000/hook", "http://localhost:9000/hook", "http://[::1]:9000/"):
        assert urls.check_url(url, local_mode=True) == url
        with pytest.raises(urls.UnsafeUrlError):
            urls.check_url(url, local_mode=False)
    with pytest.raises(urls.UnsafeUrlError):  # local mode opens loopback, not the private network
        urls.check_url("http://10.0.0.2/hook", local_mode=True)
    assert urls.check_url("https://hooks.example.com/a?b=1#frag", local_mode=False) == "https://hooks.example.com/a?b=1"


def test_delivery_time_resolution_refuses_a_name_that_now_points_inside():
    ok = resolver(PUBLIC)
    assert urls.checked_addresses("https://hooks.example.com/x", False, ok) == ("hooks.example.com", 443, [PUBLIC])
    assert ok.asked == [("hooks.example.com", 443)]
    for answer in (["169.254.169.254"], [PUBLIC, "10.0.0.3"], ["::1"], []):
        with pytest.raises(urls.UnsafeUrlError):
            urls.checked_addresses("https://hooks.example.com:8443/x", False, resolver(*answer))
    # a literal is not resolved; loopback in local mode goes to loopback whatever a resolver says
    assert urls.checked_addresses(f"https://{PUBLIC}/", False, resolver("10.0.0.1"))[2] == [PUBLIC]
    assert urls.checked_addresses("http://localhost:9/", True, resolver("10.0.0.1"))[2] == ["127.0.0.1"]


def test_the_retry_schedule_spans_about_three_days_with_jitter():
    base = [model.retry_delay(n, 500, None, 0.0) for n in range(1, 12)]
    assert base[:5] == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                        timedelta(hours=5)]
    assert base[5:] == [timedelta(hours=10)] * 6
    assert model.retry_delay(12, 500, None, 0.0) is None
    total = sum(base, timedelta())
    assert timedelta(days=2, hours=19) < total < timedelta(days=3)
    assert model.retry_delay(2, 500, None, 0.999) > timedelta(minutes=5) * 0.85


@given(n=st.integers(1, 11), jitter=st.floats(0, 0.9999), status=st.sampled_from([500, 429, 503, None]),
       after=st.one_of(st.none(), st.floats(0, 200_000)))
def test_a_delay_is_within_its_step_and_a_throttle_is_honoured_up_to_ten_hours(n, jitter, status, after):
    delay = model.retry_delay(n, status, after, jitter)
    step = model.RETRY_DELAYS[n - 1]
    assert delay is not None and delay >= step * 0.85
    if status == 429 and after:
        assert delay >= min(timedelta(seconds=after), timedelta(hours=10))
        assert delay <= max(step, timedelta(hours=10))
    else:
        assert delay <= step


def test_filters():
    assert model.subscribed(["*"], "charge.paid")
    assert model.subscribed(["charge.*"], "charge.paid") and not model.subscribed(["charge.*"], "order.paid")
    assert model.subscribed(["order.paid"], "order.paid") and not model.subscribed(["order.paid"], "order.shipped")
    assert model.unknown_patterns(["*", "charge.*", "order.confirmed", "order.nope", "nope.*"]) == ["order.nope",
                                                                                                   "nope.*"]


def test_a_delivery_id_is_one_per_endpoint_and_event_and_sorts_by_the_event():
    from chalicelib.platform.ids import is_id

    a = model.delivery_id("whe_01KJQH0CC063CE0GKJY3V6W9MW", "evt_01KJQH0CC063CE0GKJY3V6W9MV")
    assert is_id(a, "whd") and a == model.delivery_id("whe_01KJQH0CC063CE0GKJY3V6W9MW", "evt_01KJQH0CC063CE0GKJY3V6W9MV")
    assert a != model.delivery_id("whe_01KJQH0CC063CE0GKJY3V6W9MX", "evt_01KJQH0CC063CE0GKJY3V6W9MV")
    assert a[4:14] == "01KJQH0CC0"


def test_a_secret_is_sealed_under_its_own_data_key_and_bound_to_its_endpoint():
    import os

    box = SecretBox(LocalKeyWrapper(os.urandom(32)))
    sealed = box.seal("whsec_abc", "ten_1:whe_1")
    assert "whsec_abc" not in str(sealed) and sealed["alg"] == "AES-256-GCM"
    assert box.open(sealed, "ten_1:whe_1") == "whsec_abc"
    assert box.seal("whsec_abc", "ten_1:whe_1")["key"] != sealed["key"]  # a data key per secret
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag: moved to another endpoint
        box.open(sealed, "ten_2:whe_1")
    with pytest.raises(Exception):  # noqa: B017 - another master key cannot unwrap it
        SecretBox(LocalKeyWrapper(os.urandom(32))).open(sealed, "ten_1:whe_1")


def test_kms_wraps_the_data_keys_in_aws():
    import boto3
    from moto import mock_aws

    from chalicelib.webhooks.secrets import KmsKeyWrapper

    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        box = SecretBox(KmsKeyWrapper(kms, key_id))
        sealed = box.seal("whsec_kms", "ten_1:whe_1")
        assert sealed["wrapper"] == "kms" and box.open(sealed, "ten_1:whe_1") == "whsec_kms"
