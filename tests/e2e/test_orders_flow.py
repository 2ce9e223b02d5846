"""Orders through `make run`'s stack over HTTP: the main flow and the races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body, product_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="06990590000123"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    assert stack.call("PATCH", "/v1/tenant/settings", key, {"invoicing": {"enabled": False}}).status_code == 200
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    return {"key": key, "customer_id": customer["id"]}


def stock_of(stack, key, sku):
    data = stack.call("GET", f"/v1/stock/{sku}", key).json()
    return data["on_hand"], data["reserved"], data["available"]


def new_product(stack, key, sku, units):
    assert stack.call("POST", "/v1/products", key, product_body(sku=sku, gtin=None, min_stock=0)).status_code == 201
    assert stack.call("POST", "/v1/stock/movements", key, {"sku": sku, "type": "receipt",
                                                          "quantity": units}).status_code == 201


def order(stack, shop, sku, quantity=1):
    return stack.call("POST", "/v1/orders", shop["key"], {
        "customer_id": shop["customer_id"], "lines": [{"sku": sku, "quantity": quantity}],
        "payment": {"method": "pix"}})


def test_customer_product_receipt_order_ship_deliver(stack, shop):
    new_product(stack, shop["key"], "FLOW-1", 5)
    placed = order(stack, shop, "FLOW-1", 2)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert stock_of(stack, shop["key"], "FLOW-1") == (5, 2, 3)
    shipped = stack.call("POST", f"/v1/orders/{order_id}/ship", shop["key"], {"carrier": "Correios"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    assert stock_of(stack, shop["key"], "FLOW-1") == (3, 0, 3)
    delivered = stack.call("POST", f"/v1/orders/{order_id}/deliver", shop["key"], {})
    assert delivered.json()["status"] == "delivered"

    def published():
        events = stack.call("GET", "/v1/events?limit=100", shop["key"]).json()["data"]
        return {e["type"] for e in events if e["published_at"]} >= {
            "order.confirmed", "order.shipped", "order.delivered", "stock.moved"}

    stack.wait_for(published)


def test_cancel_puts_the_stock_back(stack, shop):
    new_product(stack, shop["key"], "FLOW-2", 4)
    order_id = order(stack, shop, "FLOW-2", 3).json()["id"]
    cancelled = stack.call("POST", f"/v1/orders/{order_id}/cancel", shop["key"], {"reason": "desistiu"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert stock_of(stack, shop["key"], "FLOW-2") == (4, 0, 4)


def test_fifty_concurrent_orders_for_the_last_ten_units_sell_exactly_ten(stack, shop):
    new_product(stack, shop["key"], "RACE-1", 10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: order(stack, shop, "RACE-1"), range(50)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 10 and codes.count(409) == 40, codes
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"insufficient_stock"}
    assert stock_of(stack, shop["key"], "RACE-1") == (10, 10, 0)


def test_a_cancel_racing_a_ship_leaves_one_winner_and_consistent_stock(stack, shop):
    new_product(stack, shop["key"], "RACE-2", 6)
    for _ in range(3):
        order_id = order(stack, shop, "RACE-2", 2).json()["id"]
        calls = [("POST", f"/v1/orders/{order_id}/ship", {}), ("POST", f"/v1/orders/{order_id}/cancel",
                                                                {"reason": "corrida"})] * 2
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda c: stack.call(c[0], c[1], shop["key"], c[2]), calls))
        assert sorted(a.status_code for a in answers).count(200) == 1, [a.text for a in answers]
        final = stack.call("GET", f"/v1/orders/{order_id}", shop["key"]).json()["status"]
        assert final in ("shipped", "cancelled")
    on_hand, reserved, available = stock_of(stack, shop["key"], "RACE-2")
    assert reserved == 0 and available == on_hand and on_hand in (0, 2, 4, 6)
