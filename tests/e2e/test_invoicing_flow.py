"""Invoicing through `make run`'s stack: a confirmed order becomes an authorized NF-e on its own."""

from __future__ import annotations

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body, product_body

pytestmark = pytest.mark.e2e


def test_order_to_authorized_nfe_to_invoiced_order_with_downloadable_xml(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="19131243000197"))
    key = created.json()["api_key"]
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    assert stack.call("POST", "/v1/products", key, product_body(min_stock=0)).status_code == 201
    stack.call("POST", "/v1/stock/movements", key, {"sku": "CAFE-500G", "type": "receipt", "quantity": 10})
    order = stack.call("POST", "/v1/orders", key, {"customer_id": customer["id"], "payment": {"method": "boleto"},
                                                   "lines": [{"sku": "CAFE-500G", "quantity": 2}]}).json()

    def invoiced():
        current = stack.call("GET", f"/v1/orders/{order['id']}", key).json()
        return current if current["status"] == "invoiced" else None

    current = stack.wait_for(invoiced, timeout=60)
    invoice = stack.call("GET", f"/v1/invoices/{current['invoice_id']}", key).json()
    assert invoice["status"] == "authorized" and invoice["status_code"] == "100" and invoice["number"] == 1
    xml = stack.call("GET", f"/v1/invoices/{invoice['id']}/xml", key)
    assert xml.status_code == 200 and xml.headers["Content-Type"] == "application/xml"
    assert "<nfeProc" in xml.text and invoice["access_key"] in xml.text
    danfe = stack.call("GET", f"/v1/invoices/{invoice['id']}/danfe", key)
    assert danfe.status_code == 200 and danfe.headers["Content-Type"] == "application/pdf"
    assert danfe.content.startswith(b"%PDF")
    shipped = stack.call("POST", f"/v1/orders/{order['id']}/ship", key, {})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
