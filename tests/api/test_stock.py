"""Stock movements, levels and the ledger through the HTTP edge (moto).

Every scenario ends with `assert_stock_invariants`: on_hand = Σ movements, reserved = Σ open
reservations, available = on_hand − reserved ≥ 0, and the low flag matches min_stock.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_catalog import call, fields, product_body
from tests.deps import root


def assert_stock_invariants(tenant: dict[str, Any]) -> None:
    from chalicelib.stock.invariants import audit

    assert audit(tenant["id"], root().stock_repository) == []


def move(http, tenant, sku: str, type_: str, quantity: Any, **extra: Any) -> tuple[int, Any]:
    return call(http, tenant, "POST", "/v1/stock/movements", {"sku": sku, "type": type_, "quantity": quantity, **extra})


def events_of(http, tenant, event_type: str) -> list[dict[str, Any]]:
    return call(http, tenant, "GET", f"/v1/events?type={event_type}")[1]["data"]


def test_a_new_product_has_an_empty_level(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    status, level = call(http, tenant, "GET", "/v1/stock/CAFE-500G")
    assert status == 200
    assert level == {"sku": "CAFE-500G", "on_hand": 0, "reserved": 0, "available": 0, "min_stock": 0,
                     "below_minimum": False, "warehouses": []}
    assert_stock_invariants(tenant)


def new_warehouse(http, tenant, code: str, name: str = "Filial") -> dict[str, Any]:
    status, warehouse = call(http, tenant, "POST", "/v1/warehouses", {"code": code, "name": name})
    assert status == 201, warehouse
    return warehouse


def test_receipts_adjustments_and_returns_add_up_per_warehouse(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    new_warehouse(http, tenant, "filial-2")
    status, movement = move(http, tenant, "CAFE-500G", "receipt", 100, reason="NF 123")
    assert status == 201, movement
    assert movement["id"].startswith("mov_") and movement["warehouse"] == "main"
    assert move(http, tenant, "CAFE-500G", "receipt", 30, warehouse="filial-2")[0] == 201
    assert move(http, tenant, "CAFE-500G", "adjustment", -7, reason="quebra")[0] == 201
    assert move(http, tenant, "CAFE-500G", "return", 2, warehouse="filial-2")[0] == 201
    level = call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]
    assert (level["on_hand"], level["reserved"], level["available"]) == (125, 0, 125)
    assert level["warehouses"] == [
        {"warehouse": "filial-2", "on_hand": 32, "reserved": 0, "available": 32},
        {"warehouse": "main", "on_hand": 93, "reserved": 0, "available": 93}]
    assert len(events_of(http, tenant, "stock.moved")) == 4
    assert_stock_invariants(tenant)


def test_an_adjustment_below_zero_is_refused_with_the_numbers(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    move(http, tenant, "CAFE-500G", "receipt", 5)
    status, problem = move(http, tenant, "CAFE-500G", "adjustment", -6)
    assert status == 409 and problem["code"] == "insufficient_stock"
    assert problem["errors"] == [{"field": "quantity", "message": "requested 6, available 5", "sku": "CAFE-500G",
                                  "warehouse": "main", "requested": 6, "available": 5}]
    assert call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]["on_hand"] == 5
    assert_stock_invariants(tenant)


def test_every_bad_movement_is_a_4xx_naming_the_field_and_writes_nothing(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    new_warehouse(http, tenant, "never-received")
    move(http, tenant, "CAFE-500G", "receipt", 5)
    cases = [
        ({"quantity": 0}, 400, "quantity"),
        ({"quantity": -1}, 400, "quantity"),  # a receipt must be positive
        ({"quantity": 10**12}, 400, "quantity"),
        ({"quantity": 1.5}, 400, "quantity"),
        ({"quantity": "3"}, 400, "quantity"),
        ({"type": "theft"}, 400, "type"),
        ({"warehouse": "Main Store"}, 400, "warehouse"),
        ({"warehouse": "x" * 21}, 400, "warehouse"),
        ({"sku": "NOPE"}, 404, "sku"),
        ({"sku": "A#B"}, 400, "sku"),
        ({"type": "adjustment", "quantity": -1, "warehouse": "never-received"}, 409, "quantity"),  # holds 0
        ({"warehouse": "nowhere"}, 400, "warehouse"),
        ({"type": "adjustment", "quantity": 1, "warehouse": "nowhere"}, 400, "warehouse"),
        ({"type": "return", "quantity": 1, "warehouse": "nowhere"}, 400, "warehouse"),
        ({"type": "adjustment", "quantity": -(10**9) - 1}, 400, "quantity"),
        ({"tenant_id": "ten_x"}, 400, "tenant_id"),
    ]
    for overrides, expected, field in cases:
        body = {"sku": "CAFE-500G", "type": "receipt", "quantity": 1, **overrides}
        status, problem = call(http, tenant, "POST", "/v1/stock/movements", body)
        assert (status, field in fields(problem)) == (expected, True), (overrides, problem)
    assert len(call(http, tenant, "GET", "/v1/stock/movements")[1]["data"]) == 1
    assert call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]["on_hand"] == 5
    assert_stock_invariants(tenant)


def test_the_ledger_lists_newest_first_per_sku_with_a_cursor(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    call(http, tenant, "POST", "/v1/products", product_body(sku="CHA-100G"))
    ids = [move(http, tenant, "CAFE-500G", "receipt", n)[1]["id"] for n in (1, 2, 3)]
    move(http, tenant, "CHA-100G", "receipt", 9)
    first = call(http, tenant, "GET", "/v1/stock/movements?sku=CAFE-500G&limit=2")[1]
    rest = call(http, tenant, "GET", f"/v1/stock/movements?sku=CAFE-500G&limit=2&cursor={first['next_cursor']}")[1]
    assert [m["id"] for m in first["data"] + rest["data"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert len(call(http, tenant, "GET", "/v1/stock/movements")[1]["data"]) == 4
    assert_stock_invariants(tenant)


def test_stock_low_is_sent_once_per_crossing_and_below_minimum_lists_it(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=10))
    call(http, tenant, "POST", "/v1/products", product_body(sku="CHA-100G", min_stock=0))
    assert [lv["sku"] for lv in call(http, tenant, "GET", "/v1/stock?below_minimum=true")[1]["data"]] == ["CAFE-500G"]
    move(http, tenant, "CAFE-500G", "receipt", 12)  # 12 ≥ 10: recovered, no event
    assert call(http, tenant, "GET", "/v1/stock?below_minimum=true")[1]["data"] == []
    move(http, tenant, "CAFE-500G", "adjustment", -3)  # 9 < 10: crossing
    move(http, tenant, "CAFE-500G", "adjustment", -1)  # 8: still below, no second event
    lows = events_of(http, tenant, "stock.low")
    assert [e["data"] for e in lows] == [{"sku": "CAFE-500G", "available": 9, "min_stock": 10}]
    assert [lv["sku"] for lv in call(http, tenant, "GET", "/v1/stock?below_minimum=true")[1]["data"]] == ["CAFE-500G"]
    assert [lv["sku"] for lv in call(http, tenant, "GET", "/v1/stock?below_minimum=false")[1]["data"]] == ["CHA-100G"]
    move(http, tenant, "CAFE-500G", "receipt", 5)  # 13: back above
    move(http, tenant, "CAFE-500G", "adjustment", -4)  # 9: a new crossing
    assert len(events_of(http, tenant, "stock.low")) == 2
    assert_stock_invariants(tenant)


def test_raising_min_stock_above_available_is_a_crossing(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    move(http, tenant, "CAFE-500G", "receipt", 4)
    status, _ = call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"min_stock": 5})
    assert status == 200
    level = call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]
    assert (level["min_stock"], level["below_minimum"]) == (5, True)
    assert [e["data"] for e in events_of(http, tenant, "stock.low")] == [
        {"sku": "CAFE-500G", "available": 4, "min_stock": 5}]
    call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"min_stock": 4})
    assert call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]["below_minimum"] is False
    assert_stock_invariants(tenant)


def test_unknown_or_malformed_skus_answer_404(http, tenant):
    assert call(http, tenant, "GET", "/v1/stock/NOPE")[0] == 404
    assert call(http, tenant, "GET", "/v1/stock/A%23B")[0] == 404
    status, problem = call(http, tenant, "GET", "/v1/stock/movements?sku=A%23B")
    assert status == 400 and fields(problem) == {"sku"}


def test_stock_write_needs_the_stock_scope(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    key = call(http, tenant, "POST", "/v1/api-keys", {"name": "ro", "scopes": ["stock:read"]})[1]["key"]
    reader = {"headers": {"Authorization": f"Bearer {key}"}}
    assert call(http, reader, "GET", "/v1/stock/CAFE-500G")[0] == 200
    assert move(http, reader, "CAFE-500G", "receipt", 1)[0] == 403


def test_a_replayed_movement_with_the_same_idempotency_key_moves_stock_once(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    body = {"sku": "CAFE-500G", "type": "receipt", "quantity": 3}
    headers = {**tenant["headers"], "Idempotency-Key": "receipt-nf-123"}
    first = http.request("POST", "/v1/stock/movements", body, headers)
    again = http.request("POST", "/v1/stock/movements", body, headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert json.loads(first.body) == json.loads(again.body)
    assert call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]["on_hand"] == 3
    assert_stock_invariants(tenant)


def test_a_movement_into_an_unknown_warehouse_is_400_and_creates_nothing(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    status, problem = move(http, tenant, "CAFE-500G", "receipt", 5, warehouse="nowhere")
    assert status == 400 and problem["code"] == "invalid_request" and fields(problem) == {"warehouse"}
    assert call(http, tenant, "GET", "/v1/warehouses/nowhere")[0] == 404
    assert [w["code"] for w in call(http, tenant, "GET", "/v1/warehouses")[1]["data"]] == ["main"]
    level = call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]
    assert level["warehouses"] == [] and level["on_hand"] == 0
    assert call(http, tenant, "GET", "/v1/stock/movements")[1]["data"] == []
    assert events_of(http, tenant, "stock.moved") == []
    assert_stock_invariants(tenant)


def test_every_tenant_has_main_without_creating_it(http, tenant):
    status, main = call(http, tenant, "GET", "/v1/warehouses/main")
    assert status == 200 and main == {"code": "main", "name": "Principal", "built_in": True, "created_at": None}
    assert call(http, tenant, "GET", "/v1/warehouses")[1] == {"data": [main], "next_cursor": None}
    status, problem = call(http, tenant, "POST", "/v1/warehouses", {"code": "main", "name": "Outro"})
    assert status == 409 and problem["code"] == "conflict" and fields(problem) == {"code"}


def test_a_registered_warehouse_is_unique_per_tenant_and_takes_stock(http, tenant):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    created = new_warehouse(http, tenant, "loja-centro", "Loja Centro")
    assert created["code"] == "loja-centro" and created["built_in"] is False and created["created_at"]
    assert call(http, tenant, "GET", "/v1/warehouses/loja-centro")[1] == created
    status, problem = call(http, tenant, "POST", "/v1/warehouses", {"code": "loja-centro", "name": "Outra"})
    assert status == 409 and problem["code"] == "conflict"
    assert [e["data"]["warehouse"]["code"] for e in events_of(http, tenant, "warehouse.created")] == ["loja-centro"]
    call(http, tenant, "POST", "/v1/products", product_body())
    assert move(http, tenant, "CAFE-500G", "receipt", 4, warehouse="loja-centro")[0] == 201
    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="45723174000110"), ADMIN).body)
    other_tenant = {"headers": {"Authorization": f"Bearer {other['api_key']}"}}
    assert call(http, other_tenant, "GET", "/v1/warehouses/loja-centro")[0] == 404
    call(http, other_tenant, "POST", "/v1/products", product_body())
    assert move(http, other_tenant, "CAFE-500G", "receipt", 1, warehouse="loja-centro")[0] == 400
    assert new_warehouse(http, other_tenant, "loja-centro")["code"] == "loja-centro"
    assert_stock_invariants(tenant)


def test_warehouses_are_listed_by_code_with_main_in_its_place_across_pages(http, tenant):
    for code in ("zona-sul", "armazem", "nordeste", "deposito-2", "central"):
        new_warehouse(http, tenant, code)
    expected = sorted(["main", "zona-sul", "armazem", "nordeste", "deposito-2", "central"])
    for limit in (1, 2, 4, 6, 50):
        seen, cursor = [], None
        while True:
            path = f"/v1/warehouses?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            status, page = call(http, tenant, "GET", path)
            assert status == 200 and len(page["data"]) <= limit
            seen += [w["code"] for w in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == expected, limit


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "Loja Centro", "name": "x"}, "code"),
    ({"code": "x" * 21, "name": "x"}, "code"),
    ({"code": "a#b", "name": "x"}, "code"),
    ({"code": "ok", "name": ""}, "name"),
    ({"code": "ok", "name": "x" * 61}, "name"),
    ({"code": "ok"}, "name"),
    ({"code": "ok", "name": "x", "address": "y"}, "address"),
])
def test_bad_warehouses_are_400_naming_the_field(http, tenant, body, field):
    status, problem = call(http, tenant, "POST", "/v1/warehouses", body)
    assert status == 400 and field in fields(problem), problem
    assert [w["code"] for w in call(http, tenant, "GET", "/v1/warehouses")[1]["data"]] == ["main"]


def test_warehouses_need_the_stock_scopes(http, tenant):
    key = call(http, tenant, "POST", "/v1/api-keys", {"name": "ro", "scopes": ["stock:read"]})[1]["key"]
    reader = {"headers": {"Authorization": f"Bearer {key}"}}
    assert call(http, reader, "GET", "/v1/warehouses")[0] == 200
    assert call(http, reader, "POST", "/v1/warehouses", {"code": "filial", "name": "Filial"})[0] == 403
    key = call(http, tenant, "POST", "/v1/api-keys", {"name": "orders", "scopes": ["orders:read"]})[1]["key"]
    assert call(http, {"headers": {"Authorization": f"Bearer {key}"}}, "GET", "/v1/warehouses/main")[0] == 403


def test_a_registered_warehouse_the_sku_never_entered_takes_returns_and_counts(http, tenant):
    call(http, tenant, "POST", "/v1/products", product_body())
    new_warehouse(http, tenant, "loja-2")
    for kind in ("return", "adjustment"):
        status, movement = call(http, tenant, "POST", "/v1/stock/movements",
                                {"sku": "CAFE-500G", "type": kind, "quantity": 2, "warehouse": "loja-2"})
        assert status == 201, movement
    level = call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]
    assert [(w["warehouse"], w["on_hand"]) for w in level["warehouses"] if w["warehouse"] == "loja-2"] == [("loja-2", 4)]
