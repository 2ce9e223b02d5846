"""Accepting and rejecting a supplier's NF-e through the API: the acceptance is one commit and its steps run
once each in the purchasing queue (here delivered by hand, twice: delivery is at least once): stock receipts
with unit conversion, a payable per installment, the purchase order's quantities, what was learned of the
supplier's codes, the MD-e 210200 at the (local) fiscal authority, and the ledger's entry. Reject sends
210240 or 210220 first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_catalog import call, fields, product_body
from tests.api.test_inbound_invoices import TENANT_CNPJ, post_xml
from tests.api.test_ledger import balances, deliver
from tests.supplier_nfe import supplier_nfe


@pytest.fixture(autouse=True)
def books_stay_right(tenant):
    yield
    from chalicelib.ledger.invariants import audit
    from tests.deps import root

    assert audit(tenant["id"], root().ledger_repository) == []


@pytest.fixture
def catalog(http, tenant) -> None:
    for sku, gtin in (("CAFE-TRAD", "7891234567895"), ("FILTRO-UN", None), ("CANECA", None)):
        status, product = call(http, tenant, "POST", "/v1/products", product_body(sku=sku, gtin=gtin, min_stock=0))
        assert status == 201, product


def run_queue(http, tenant) -> None:
    for _ in range(2):  # at least once: the second delivery redoes nothing
        deliver(http, tenant, "inbound_invoice.accepted", "purchasing_consumer")


def accept(http, tenant, invoice_id: str, **body: Any) -> tuple[int, Any]:
    return call(http, tenant, "POST", f"/v1/inbound-invoices/{invoice_id}/accept", body)


def level(http, tenant, sku: str) -> int:
    return int(call(http, tenant, "GET", f"/v1/stock/{sku}")[1]["on_hand"])


def test_accepting_books_stock_payables_the_order_the_books_and_the_confirmation_once(http, tenant, catalog):
    _, invoice = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ))
    status, order = call(http, tenant, "POST", "/v1/purchase-orders", {
        "supplier_id": invoice["supplier_id"], "lines": [{"sku": "CAFE-TRAD", "quantity": 48, "unit_cost_cents": 1890},
                                                         {"sku": "FILTRO-UN", "quantity": 300, "unit_cost_cents": 15}]})
    assert status == 201, order
    lines = [{"item": 2, "sku": "FILTRO-UN", "factor": 30}, {"item": 3, "sku": "CANECA"}]
    status, accepted = accept(http, tenant, invoice["id"], purchase_order_id=order["id"], lines=lines)
    assert status == 200 and accepted["status"] == "accepted", accepted
    assert [(line["sku"], line["quantity"]) for line in accepted["acceptance"]["lines"]] == [
        ("CAFE-TRAD", 24), ("FILTRO-UN", 300), ("CANECA", 12)]
    assert accepted["acceptance"]["steps_done"] == []
    assert accept(http, tenant, invoice["id"], purchase_order_id=order["id"], lines=lines)[0] == 409
    run_queue(http, tenant)
    done = call(http, tenant, "GET", f"/v1/inbound-invoices/{invoice['id']}")[1]
    assert done["acceptance"]["steps_done"] == ["stock:0", "payables", "purchase_order", "learned", "sources", "manifest"]
    assert (done["manifestation"]["event_type"], done["manifestation"]["status"]) == ("210200", "registered")
    # Stock: once, in the tenant's units (10 boxes of 30 = 300).
    assert (level(http, tenant, "CAFE-TRAD"), level(http, tenant, "FILTRO-UN"), level(http, tenant, "CANECA")) == (
        24, 300, 12)
    # Payables: one per installment, from the invoice, once.
    bills = call(http, tenant, "GET", f"/v1/payables?supplier_id={invoice['supplier_id']}")[1]["data"]
    assert sorted((b["installment"], b["amount_cents"], b["due_date"], b["origin"]) for b in bills) == [
        (1, 38_670, "2026-12-22", "inbound_invoice"), (2, 38_670, "2027-01-21", "inbound_invoice")]
    assert sorted(done["acceptance"]["payable_ids"]) == sorted(b["id"] for b in bills)
    # The purchase order: half the coffee, all the filters.
    po = call(http, tenant, "GET", f"/v1/purchase-orders/{order['id']}")[1]
    assert po["status"] == "partially_received" and [line["received_quantity"] for line in po["lines"]] == [24, 300]
    assert po["inbound_invoice_ids"] == [invoice["id"]]
    assert any("CANECA" in note for note in done["acceptance"]["notes"])  # not on the order
    # The books: a Simples Nacional tenant recovers no ICMS, so the goods cost the whole NF-e.
    assert deliver(http, tenant, "inbound_invoice.accepted") == 1
    deliver(http, tenant, "payable.created")  # an invoice's bills book nothing of their own
    books = balances(http, tenant)
    assert books["2.1.1.01"] == 77_340 and books["1.1.3.01"] == 77_340 and books.get("1.1.4.01", 0) == 0
    types = [e["type"] for e in call(http, tenant, "GET", "/v1/events?limit=100")[1]["data"]]
    assert types.count("payable.created") == 2 and types.count("purchase_order.received") == 1
    assert types.count("stock.moved") == 1


def test_the_next_nfe_of_the_supplier_is_matched_by_what_was_learned(http, tenant, catalog):
    _, first = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ, nnf=1))
    accept(http, tenant, first["id"], lines=[{"item": 2, "sku": "FILTRO-UN", "factor": 30}, {"item": 3, "sku": "CANECA"}])
    run_queue(http, tenant)
    _, second = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ, nnf=2))
    assert [(line["sku"], line["factor"], line["matched_by"]) for line in second["lines"]] == [
        ("CAFE-TRAD", 1, "learned"), ("FILTRO-UN", 30, "learned"), ("CANECA", 1, "learned")]
    status, accepted = accept(http, tenant, second["id"])
    assert status == 200 and accepted["acceptance"]["lines"][1]["quantity"] == 300, accepted


@pytest.mark.parametrize("body, status, field", [
    ({}, 400, "lines.1.sku"),  # item 2 (FLT-103, SEM GTIN) has no SKU
    ({"lines": [{"item": 2, "sku": "NOPE"}, {"item": 3, "sku": "CANECA"}]}, 400, "lines.0.sku"),
    ({"lines": [{"item": 9, "sku": "CANECA"}]}, 400, "lines.0.item"),
    ({"lines": [{"item": 2, "sku": "FILTRO-UN", "factor": 0.25}, {"item": 3, "sku": "CANECA"}]}, 400, "lines.0.factor"),
    ({"lines": [{"item": 2, "sku": "FILTRO-UN"}, {"item": 3, "sku": "CANECA"}], "warehouse": "nowhere"}, 400,
     "warehouse"),
    ({"lines": [{"item": 2, "sku": "FILTRO-UN"}, {"item": 3, "sku": "CANECA"}],
      "purchase_order_id": "po_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 404, "purchase_order_id"),
])
def test_a_bad_acceptance_is_named_and_changes_nothing(http, tenant, catalog, body, status, field):
    _, invoice = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ))
    got, problem = accept(http, tenant, invoice["id"], **body)
    assert got == status and field in fields(problem), problem
    assert call(http, tenant, "GET", f"/v1/inbound-invoices/{invoice['id']}")[1]["status"] == "received"


def test_rejecting_sends_the_manifestation_first_and_closes_the_invoice(http, tenant):
    _, not_done = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ, nnf=11))
    _, unknown = post_xml(http, tenant, supplier_nfe(TENANT_CNPJ, nnf=12))
    status, rejected = call(http, tenant, "POST", f"/v1/inbound-invoices/{not_done['id']}/reject",
                            {"reason": "Mercadoria não foi entregue"})
    assert status == 200 and rejected["status"] == "rejected", rejected
    assert (rejected["manifestation"]["event_type"], rejected["manifestation"]["status"]) == ("210240", "registered")
    status, rejected = call(http, tenant, "POST", f"/v1/inbound-invoices/{unknown['id']}/reject",
                            {"reason": "Não reconhecemos esta compra", "unknown": True})
    assert status == 200 and rejected["manifestation"]["event_type"] == "210220", rejected
    assert call(http, tenant, "POST", f"/v1/inbound-invoices/{unknown['id']}/reject",
                {"reason": "Não reconhecemos esta compra"})[0] == 409
    assert accept(http, tenant, unknown["id"])[0] == 409
    status, problem = call(http, tenant, "POST", f"/v1/inbound-invoices/{not_done['id']}/reject", {"reason": "curto"})
    assert status == 400 and "reason" in fields(problem)


def test_a_regime_normal_tenant_books_the_icms_it_recovers(http):
    import json

    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    cnpj = "11444777000161"
    normal = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj=cnpj, tax_regime="regime_normal"),
                                     ADMIN).body)
    normal["headers"] = {"Authorization": f"Bearer {normal['api_key']}"}
    for sku in ("CAFE-TRAD", "FILTRO-UN", "CANECA"):
        assert call(http, normal, "POST", "/v1/products", product_body(sku=sku, gtin=None))[0] == 201
    _, invoice = post_xml(http, normal, supplier_nfe(cnpj))
    icms = invoice["totals"]["icms_cents"]
    assert icms > 0
    lines = [{"item": n, "sku": sku} for n, sku in enumerate(("CAFE-TRAD", "FILTRO-UN", "CANECA"), start=1)]
    assert accept(http, normal, invoice["id"], lines=lines)[0] == 200
    deliver(http, normal, "inbound_invoice.accepted")
    books = balances(http, normal)
    assert (books["2.1.1.01"], books["1.1.3.01"], books["1.1.4.01"]) == (77_340, 77_340 - icms, icms)
    from chalicelib.ledger.invariants import audit
    from tests.deps import root

    assert audit(normal["id"], root().ledger_repository) == []
