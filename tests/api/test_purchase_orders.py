"""Purchase orders through the API: placed against known SKUs and a known supplier, listed by status and
supplier, cancelled while open; bad ones named by field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_catalog import call, fields, product_body


@pytest.fixture
def skus(http, tenant) -> list[str]:
    made = []
    for sku in ("CAFE-TRAD", "FILTRO-103"):
        status, product = call(http, tenant, "POST", "/v1/products", product_body(sku=sku, gtin=None))
        assert status == 201, product
        made.append(sku)
    return made


def order(http, tenant, supplier, **overrides: Any) -> tuple[int, Any]:
    body = {"supplier_id": supplier["id"], "lines": [{"sku": "CAFE-TRAD", "quantity": 24, "unit_cost_cents": 1890},
                                                     {"sku": "FILTRO-103", "quantity": 10, "unit_cost_cents": 450}],
            "expected_on": "2026-12-20"}
    body.update(overrides)
    return call(http, tenant, "POST", "/v1/purchase-orders", body)


def test_a_purchase_order_is_placed_listed_and_cancelled_once(http, tenant, supplier, skus):
    status, placed = order(http, tenant, supplier)
    assert status == 201, placed
    assert placed["id"].startswith("po_") and placed["status"] == "open" and placed["warehouse"] == "main"
    assert placed["total_cents"] == 24 * 1890 + 10 * 450
    assert [line["received_quantity"] for line in placed["lines"]] == [0, 0]
    assert call(http, tenant, "GET", f"/v1/purchase-orders/{placed['id']}")[1] == placed
    _, second = order(http, tenant, supplier, lines=[{"sku": "CAFE-TRAD", "quantity": 1, "unit_cost_cents": 1}])
    assert [o["id"] for o in call(http, tenant, "GET", "/v1/purchase-orders?status=open")[1]["data"]] == [
        second["id"], placed["id"]]
    status, cancelled = call(http, tenant, "POST", f"/v1/purchase-orders/{placed['id']}/cancel", {})
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["cancelled_at"], cancelled
    status, problem = call(http, tenant, "POST", f"/v1/purchase-orders/{placed['id']}/cancel", {})
    assert (status, problem["code"]) == (409, "invalid_state")
    assert [o["id"] for o in call(http, tenant, "GET", f"/v1/purchase-orders?status=cancelled&supplier_id="
                                                         f"{supplier['id']}")[1]["data"]] == [placed["id"]]
    types = [e["type"] for e in call(http, tenant, "GET", "/v1/events?limit=100")[1]["data"]]
    assert types.count("purchase_order.created") == 2 and types.count("purchase_order.cancelled") == 1


@pytest.mark.parametrize("overrides, status, field", [
    ({"lines": [{"sku": "NOPE", "quantity": 1, "unit_cost_cents": 1}]}, 400, "lines.0.sku"),
    ({"lines": [{"sku": "CAFE-TRAD", "quantity": 1, "unit_cost_cents": 1}] * 2}, 400, "lines.1.sku"),
    ({"lines": []}, 400, "lines"),
    ({"lines": [{"sku": "CAFE-TRAD", "quantity": 0, "unit_cost_cents": 1}]}, 400, "lines.0.quantity"),
    ({"warehouse": "nowhere"}, 400, "warehouse"),
    ({"supplier_id": "sup_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 404, "supplier_id"),
    ({"expected_on": "20/12/2026"}, 400, "expected_on"),
])
def test_bad_purchase_orders_are_named_and_nothing_is_kept(http, tenant, supplier, skus, overrides, status, field):
    got, problem = order(http, tenant, supplier, **overrides)
    assert got == status and field in fields(problem), problem
    assert call(http, tenant, "GET", "/v1/purchase-orders")[1]["data"] == []


def test_unknown_and_malformed_ids_are_404(http, tenant):
    for path in ("/v1/purchase-orders/po_01ARZ3NDEKTSV4RRFFQ69G5FAV", "/v1/purchase-orders/nfi_x",
                 "/v1/purchase-orders/x%23y"):
        assert call(http, tenant, "GET", path)[0] == 404, path
