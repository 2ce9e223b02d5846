"""Reports through `make run`'s stack: orders placed and one cancelled, the sales report kept by the reports
queue within seconds, cancelled orders left out."""

from __future__ import annotations

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body
from tests.documents import fresh_cnpj
from tests.e2e.test_orders_flow import new_product

pytestmark = pytest.mark.e2e


def test_the_sales_report_follows_the_orders(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj=fresh_cnpj()))
    key = created.json()["api_key"]
    assert stack.call("PATCH", "/v1/tenant/settings", key, {"invoicing": {"enabled": False}}).status_code == 200
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    new_product(stack, key, "RPT-1", 10)
    placed = [stack.call("POST", "/v1/orders", key, {"customer_id": customer["id"], "lines": [
        {"sku": "RPT-1", "quantity": n}], "payment": {"method": "pix"}}).json() for n in (1, 2, 3)]
    assert stack.call("POST", f"/v1/orders/{placed[2]['id']}/cancel", key, {"reason": "teste"}).status_code == 200
    expected = placed[0]["total_cents"] + placed[1]["total_cents"]

    def totals():
        body = stack.call("GET", "/v1/reports/sales", key).json()
        return body["totals"] if body["totals"]["gross_cents"] == expected and body["totals"]["orders"] == 2 else None

    assert stack.wait_for(totals)["orders"] == 2
    [product] = stack.call("GET", "/v1/reports/sales?group_by=product", key).json()["rows"]
    assert product["sku"] == "RPT-1" and product["quantity"] == 3
