"""The books through `make run`'s stack: an order's NF-e, its payment and its shipment reach the ledger
through the bus and the ledger queue, and the trial balance shows them (debits equal credits)."""

from __future__ import annotations

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body, product_body

pytestmark = pytest.mark.e2e


def test_a_sale_lands_in_the_trial_balance(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="45997418000153"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    assert stack.call("POST", "/v1/products", key, product_body(sku="LED-1", gtin=None, min_stock=0)).status_code == 201
    stack.call("POST", "/v1/stock/movements", key, {"sku": "LED-1", "type": "receipt", "quantity": 10})
    order = stack.call("POST", "/v1/orders", key, {"customer_id": customer["id"],
                                                   "lines": [{"sku": "LED-1", "quantity": 2}],
                                                   "payment": {"method": "pix"}}).json()  # 2 × 2590

    def balance() -> dict[str, int]:
        body = stack.call("GET", "/v1/ledger/trial-balance", key).json()
        assert body["totals"]["debit_cents"] == body["totals"]["credit_cents"]
        return {row["code"]: row["balance_cents"] for row in body["accounts"]}

    stack.wait_for(lambda: balance().get("1.1.2.01") == order["total_cents"])
    assert balance()["3.1.01"] == order["total_cents"]
    charge = stack.wait_for(lambda: [c for c in stack.call("GET", "/v1/charges", key).json()["data"]
                                     if c["order_id"] == order["id"]])[0]
    assert stack.call("POST", f"/v1/sandbox/charges/{charge['id']}/pay", key, {}).status_code == 200
    stack.wait_for(lambda: balance().get("1.1.1.02") == charge["amount_cents"])
    stack.wait_for(lambda: stack.call("GET", f"/v1/orders/{order['id']}", key).json()["status"] == "invoiced")
    assert stack.call("POST", f"/v1/orders/{order['id']}/ship", key, {}).status_code == 200
    stack.wait_for(lambda: balance().get("4.1.01") == 2 * 1400)
    journal = stack.call("GET", "/v1/ledger/entries", key).json()["data"]
    assert [e["source"]["type"] for e in journal] == ["invoice.authorized", "charge.paid", "order.shipped"]
    csv = stack.call("GET", f"/v1/ledger/export?from={journal[0]['date']}&to={journal[-1]['date']}", key)
    assert csv.status_code == 200 and csv.text.count("\n") == 1 + sum(len(e["lines"]) for e in journal)
