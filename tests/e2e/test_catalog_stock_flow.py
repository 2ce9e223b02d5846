"""Catalog and stock through `make run`'s stack, over HTTP."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_catalog import customer_body, product_body

pytestmark = pytest.mark.e2e


def test_a_product_is_stocked_moved_and_watched_end_to_end(stack):
    key = stack.demo_key
    sku = f"E2E-{uuid.uuid4().hex[:8]}"
    created = stack.call("POST", "/v1/products", key, product_body(sku=sku, min_stock=10))
    assert created.status_code == 201, created.text
    assert stack.call("POST", "/v1/products", key, product_body(sku=sku)).json()["code"] == "conflict"

    receipt = stack.call("POST", "/v1/stock/movements", key, {"sku": sku, "type": "receipt", "quantity": 25,
                                                              "reason": "NF 1001"})
    assert receipt.status_code == 201, receipt.text
    unknown = stack.call("POST", "/v1/stock/movements", key,
                         {"sku": sku, "type": "receipt", "quantity": 5, "warehouse": f"w-{sku.lower()[4:]}"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "warehouse"
    # The demo tenant outlives a run: the warehouse may be there already.
    assert stack.call("POST", "/v1/warehouses", key, {"code": "loja-2", "name": "Loja 2"}).status_code in (201, 409)
    assert stack.call("POST", "/v1/stock/movements", key,
                      {"sku": sku, "type": "receipt", "quantity": 5, "warehouse": "loja-2"}).status_code == 201
    short = stack.call("POST", "/v1/stock/movements", key, {"sku": sku, "type": "adjustment", "quantity": -26})
    assert short.status_code == 409 and short.json()["errors"][0]["available"] == 25
    assert short.headers["Content-Type"] == "application/problem+json"
    assert stack.call("POST", "/v1/stock/movements", key,
                      {"sku": sku, "type": "adjustment", "quantity": -20, "reason": "inventário"}).status_code == 201

    level = stack.call("GET", f"/v1/stock/{sku}", key).json()
    assert (level["on_hand"], level["available"], level["below_minimum"]) == (10, 10, False)
    assert stack.call("POST", "/v1/stock/movements", key,
                      {"sku": sku, "type": "adjustment", "quantity": -1}).status_code == 201
    below = stack.call("GET", "/v1/stock?below_minimum=true", key).json()["data"]
    assert sku in [lv["sku"] for lv in below]
    ledger = stack.call("GET", f"/v1/stock/movements?sku={sku}&limit=2", key).json()
    assert [m["quantity"] for m in ledger["data"]] == [-1, -20] and ledger["next_cursor"]

    def published(event_type: str):
        def check():
            events = stack.call("GET", f"/v1/events?type={event_type}", key).json()["data"]
            return [e for e in events if e["published_at"] and sku in str(e["data"])]
        return check

    lows = stack.wait_for(published("stock.low"))
    assert [e["data"] for e in lows] == [{"sku": sku, "available": 9, "min_stock": 10}]
    assert len(stack.wait_for(published("stock.moved"))) >= 1


def test_a_customer_is_created_and_found_by_document_end_to_end(stack):
    key = stack.demo_key
    created = stack.call("POST", "/v1/customers", key, customer_body(document="86288366757"))
    assert created.status_code in (201, 409), created.text
    found = stack.call("GET", "/v1/customers?document=86288366757", key).json()["data"]
    assert [c["document"] for c in found] == ["86288366757"]
    bad = stack.call("POST", "/v1/customers", key, customer_body(document="86288366758"))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "document"
