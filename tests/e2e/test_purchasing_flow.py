"""Purchasing through `make run`'s stack: a supplier's signed NF-e taken in, accepted against a purchase
order, and the purchasing queue's steps (stock, payables, the order, the MD-e) and the ledger's entry."""

from __future__ import annotations

import pytest

from tests.api.conftest import tenant_body
from tests.api.test_catalog import product_body
from tests.documents import fresh_cnpj
from tests.supplier_nfe import supplier_nfe

pytestmark = pytest.mark.e2e


def test_a_supplier_nfe_becomes_stock_payables_and_books(stack):
    cnpj = fresh_cnpj()
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj=cnpj))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    for sku, gtin in (("CAFE-TRAD", "7891234567895"), ("FILTRO-UN", None), ("CANECA", None)):
        assert stack.call("POST", "/v1/products", key, product_body(sku=sku, gtin=gtin)).status_code == 201
    answer = stack.call("POST", "/v1/inbound-invoices", key, data=supplier_nfe(cnpj),
                        headers={"Content-Type": "application/xml"})
    assert answer.status_code == 201, answer.text
    invoice = answer.json()
    order = stack.call("POST", "/v1/purchase-orders", key, {
        "supplier_id": invoice["supplier_id"], "lines": [{"sku": "CAFE-TRAD", "quantity": 24, "unit_cost_cents": 1890}]})
    assert order.status_code == 201, order.text
    accepted = stack.call("POST", f"/v1/inbound-invoices/{invoice['id']}/accept", key, {
        "purchase_order_id": order.json()["id"],
        "lines": [{"item": 2, "sku": "FILTRO-UN", "factor": 30}, {"item": 3, "sku": "CANECA"}]})
    assert accepted.status_code == 200, accepted.text

    def steps() -> list[str]:
        return list(stack.call("GET", f"/v1/inbound-invoices/{invoice['id']}", key).json()["acceptance"]["steps_done"])

    stack.wait_for(lambda: "manifest" in steps(), timeout=60)
    assert stack.call("GET", "/v1/stock/FILTRO-UN", key).json()["on_hand"] == 300
    assert stack.call("GET", f"/v1/purchase-orders/{order.json()['id']}", key).json()["status"] == "received"
    bills = stack.call("GET", f"/v1/payables?supplier_id={invoice['supplier_id']}", key).json()["data"]
    assert sorted(b["amount_cents"] for b in bills) == [38_670, 38_670]

    def books() -> dict[str, int]:
        rows = stack.call("GET", "/v1/ledger/trial-balance", key).json()["accounts"]
        return {row["code"]: row["balance_cents"] for row in rows}

    stack.wait_for(lambda: books().get("2.1.1.01") == 77_340, timeout=60)
    assert books()["1.1.3.01"] == 77_340


def test_the_dfe_inbox_brings_the_summary_then_the_full_nfe_to_accept(stack):
    """The stack runs with DFE_WAIT_SECONDS=3 (NT 2014.002's hour, shortened for make run only)."""
    import time

    cnpj = fresh_cnpj()
    key = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj=cnpj)).json()["api_key"]
    for sku in ("CAFE-TRAD", "FILTRO-UN", "CANECA"):
        assert stack.call("POST", "/v1/products", key, product_body(sku=sku, gtin=None)).status_code == 201
    deposited = stack.call("POST", "/v1/sandbox/inbound-invoices", key, data=supplier_nfe(cnpj, nnf=77),
                           headers={"Content-Type": "application/xml"})
    assert deposited.status_code == 201, deposited.text

    def synced_until(status: str) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = stack.call("POST", "/v1/inbound-invoices/sync", key, {})
            assert answer.status_code in (200, 429), answer.text
            found = stack.call("GET", f"/v1/inbound-invoices?status={status}", key).json()["data"]
            if found:
                return dict(found[0])
            time.sleep(float(answer.headers.get("Retry-After", "1")) if answer.status_code == 429 else 1)
        raise AssertionError(f"no inbound invoice became {status}")

    summary = synced_until("summary") if not stack.call(
        "GET", "/v1/inbound-invoices?status=received", key).json()["data"] else None
    full = synced_until("received")
    assert full["access_key"] == deposited.json()["access_key"] and len(full["lines"]) == 3
    if summary is not None:
        assert summary["id"] == full["id"]
    lines = [{"item": n, "sku": sku} for n, sku in enumerate(("CAFE-TRAD", "FILTRO-UN", "CANECA"), start=1)]
    assert stack.call("POST", f"/v1/inbound-invoices/{full['id']}/accept", key, {"lines": lines}).status_code == 200
    stack.wait_for(lambda: stack.call("GET", "/v1/stock/CANECA", key).json()["on_hand"] == 12, timeout=60)
