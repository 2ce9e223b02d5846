"""Pure rules of the platform kernel: keys, scopes, cursors, money."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from chalicelib.notifications import keys as notification_keys
from chalicelib.platform import keys
from chalicelib.platform.auth import Principal, bearer_token, display_prefix, hash_key, new_secret
from chalicelib.platform.clock import FixedClock, business_date, rfc3339
from chalicelib.platform.errors import InvalidRequestError
from chalicelib.platform.ids import UlidGenerator, is_id
from chalicelib.platform.money import format_brl, round_cents, split_cents
from chalicelib.platform.pagination import decode_cursor, encode_cursor, paginate
from chalicelib.tenants import keys as tenant_keys


def test_every_tenant_key_starts_with_the_tenant_partition():
    for key in (tenant_keys.tenant_profile("ten_1"), tenant_keys.tenant_api_key("ten_1", "key_1"),
                keys.event("ten_1", "evt_1"), keys.idempotency("ten_1", "abc"), keys.processed_marker("ten_1", "c", "evt_1"),
                notification_keys.notification("ten_1", "ntf_1")):
        assert key.pk == "T#ten_1"


def test_a_key_part_cannot_smuggle_a_separator():
    with pytest.raises(ValueError):
        tenant_keys.tenant_api_key("ten_1", "key#TENANT")
    with pytest.raises(ValueError):
        tenant_keys.tenant_profile("")


def test_admin_idempotency_records_live_outside_every_tenant():
    assert keys.idempotency(None, "abc").pk == "PLATFORM#admin"


@pytest.mark.parametrize(("scopes", "needed", "allowed"), [
    ({"*"}, "orders:write", True),
    ({"orders:write"}, "orders:read", True),
    ({"orders:read"}, "orders:write", False),
    ({"catalog:read"}, "orders:read", False),
    (set(), "settings:read", False),
])
def test_scope_rules_write_implies_read_and_star_is_everything(scopes, needed, allowed):
    principal = Principal(is_admin=False, tenant_id="ten_1", key_id="key_1", scopes=frozenset(scopes))
    assert principal.allows(needed) is allowed


def test_a_key_cannot_grant_more_than_its_creator_holds():
    limited = Principal(False, "ten_1", "key_1", frozenset({"catalog:write"}))
    assert limited.grants({"catalog:read", "catalog:write"})
    assert not limited.grants({"orders:read"})
    assert not limited.grants({"*"})


def test_bearer_tokens_are_parsed_strictly():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
    assert bearer_token("Bearer " + "x" * 600) is None


def test_secrets_are_stored_only_as_sha256_and_shown_by_a_short_prefix():
    secret = new_secret("test")
    assert secret.startswith("rtg_test_")
    assert len(hash_key(secret)) == 64 and secret not in hash_key(secret)
    assert display_prefix(secret) == secret[:13]


def test_a_cursor_is_bound_to_its_listing_and_cannot_be_replayed_elsewhere():
    cursor = encode_cursor("ten_A:events", {"pk": "T#ten_A", "sk": "EVT#1"})
    assert decode_cursor("ten_A:events", cursor) == {"pk": "T#ten_A", "sk": "EVT#1"}
    for scope in ("ten_B:events", "ten_A:api-keys"):
        with pytest.raises(InvalidRequestError):
            decode_cursor(scope, cursor)
    for garbage in ("abc", "abc.def", cursor + "x", "%%%.%%%"):
        with pytest.raises(InvalidRequestError):
            decode_cursor("ten_A:events", garbage)


def test_paginate_reports_a_next_cursor_only_when_more_items_exist():
    items = [(i, {"pk": "p", "sk": f"{i:03d}"}) for i in range(5)]

    def fetch(n, position):
        start = 0 if position is None else int(position["sk"]) + 1
        return items[start:start + n]

    first = paginate("s", 2, None, fetch)
    assert first.items == [0, 1] and first.next_cursor
    second = paginate("s", 2, first.next_cursor, fetch)
    third = paginate("s", 2, second.next_cursor, fetch)
    assert second.items == [2, 3] and third.items == [4] and third.next_cursor is None
    assert paginate("s", 5, None, fetch).next_cursor is None


def test_money_splits_to_the_centavo_with_the_remainder_first():
    assert split_cents(1000, 3) == [334, 333, 333]
    assert sum(split_cents(999_999, 7)) == 999_999
    with pytest.raises(ValueError):
        split_cents(100, 0)


def test_money_rounds_half_up_and_formats_as_brl():
    from decimal import Decimal

    assert round_cents(Decimal("10.5")) == 11
    assert round_cents(Decimal("10.49")) == 10
    assert format_brl(123456) == "R$ 1.234,56"
    assert format_brl(-5) == "-R$ 0,05"


def test_ids_are_prefixed_ulids():
    value = UlidGenerator().new("cus")
    assert is_id(value, "cus") and not is_id(value, "ord")
    assert not is_id("cus_123", "cus")
    with pytest.raises(ValueError):
        UlidGenerator().new("zzz")


def test_instants_are_rfc3339_utc_and_business_dates_are_sao_paulo():
    clock = FixedClock(datetime(2026, 1, 2, 1, 30, tzinfo=UTC))
    assert rfc3339(clock.now()) == "2026-01-02T01:30:00.000Z"
    assert business_date(clock.now()).isoformat() == "2026-01-01"
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_a_deployed_stage_refuses_the_public_local_secrets(monkeypatch):
    from chalicelib.platform.config import Settings

    monkeypatch.setenv("RETAGUARDA_STAGE", "prod")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "retaguarda-prod-api_handler")
    monkeypatch.delenv("ADMIN_API_KEY", raising=False)
    monkeypatch.delenv("CURSOR_SECRET", raising=False)
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("ADMIN_API_KEY", "a" * 40)
    monkeypatch.setenv("CURSOR_SECRET", "b" * 40)
    assert Settings().stage == "prod"


def test_the_sealed_answer_opens_only_with_the_raw_key_of_its_own_record():
    from cryptography.exceptions import InvalidTag

    from chalicelib.platform.idempotency import seal, unseal

    key = keys.idempotency("ten_1", "abc")
    answer = {"status": 201, "headers": {"Content-Type": "application/json"}, "body": '{"key": "rtg_live_x"}'}
    sealed = seal("raw-key", key, "hash-1", answer)
    assert unseal("raw-key", key, "hash-1", sealed) == answer
    assert "rtg_live_x" not in sealed and "raw-key" not in sealed
    for raw_key, record_key, request_hash in (
            ("raw-kez", key, "hash-1"), ("raw-key", keys.idempotency("ten_2", "abc"), "hash-1"),
            ("raw-key", keys.idempotency("ten_1", "abd"), "hash-1"), ("raw-key", key, "hash-2")):
        with pytest.raises(InvalidTag):
            unseal(raw_key, record_key, request_hash, sealed)


def test_every_context_claims_its_own_key_prefixes_and_none_begins_another_holders():
    import importlib
    import pkgutil

    import chalicelib

    for module in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        if module.name.endswith(".keys"):
            importlib.import_module(module.name)
    held = keys.claims()
    assert {"platform", "tenants", "catalog", "stock", "orders", "invoicing", "collections", "notifications",
            "metering"} <= set(held.values())
    for prefix, owner in held.items():
        clashes = [other for other, holder in held.items() if holder != owner
                   and (other.startswith(prefix) or prefix.startswith(other))]
        assert not clashes, (prefix, owner, clashes)


def test_a_second_context_claiming_a_prefix_fails_at_once():
    keys.claim("a_test_context", "ZZTEST#")
    with pytest.raises(keys.PrefixClaimedError, match="ZZTEST#"):
        keys.claim("another_context", "ZZTEST#")
    with pytest.raises(keys.PrefixClaimedError):
        keys.claim("another_context", "ZZ")  # would read the first one's items in a begins_with query


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made():
    from datetime import UTC, datetime

    ids, at = UlidGenerator(), datetime(2026, 3, 2, tzinfo=UTC)
    now_ids, then_ids = [], []
    for _ in range(500):  # ids of now and of a fixed instant (events of a frozen clock) interleaved
        now_ids.append(ids.new("bil"))
        then_ids.append(ids.new("evt", at))
    assert now_ids == sorted(now_ids) and then_ids == sorted(then_ids) and len(set(then_ids)) == 500
    assert all(i.startswith("evt_") and i[4:14] == then_ids[0][4:14] for i in then_ids)
