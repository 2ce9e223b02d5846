"""The supplier's NF-e taken in through the API: read, verified and addressed to the tenant, stored once per
access key, its supplier found or registered, its lines matched by GTIN; refusals named and nothing left
half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_catalog import call, fields, product_body
from tests.supplier_nfe import SUPPLIER_CNPJ, reworked, supplier_nfe, tampered, with_ibscbs, with_protocol

TENANT_CNPJ = "11222333000181"  # tests.api.conftest.tenant_body's


def post_xml(http, tenant, raw: bytes, content_type: str = "application/xml") -> tuple[int, Any]:
    answer = http.request("POST", "/v1/inbound-invoices", raw=raw,
                          headers={**tenant["headers"], "Content-Type": content_type})
    return answer.status_code, json.loads(answer.body)


def test_a_supplier_nfe_is_taken_in_once_with_its_supplier_lines_and_installments(http, tenant):
    status, product = call(http, tenant, "POST", "/v1/products", product_body(sku="CAFE-TRAD", gtin="7891234567895"))
    assert status == 201, product
    raw = supplier_nfe(TENANT_CNPJ)
    status, invoice = post_xml(http, tenant, raw)
    assert status == 201, invoice
    assert invoice["id"].startswith("nfi_") and invoice["status"] == "received" and invoice["source"] == "upload"
    assert invoice["access_key"][6:20] == SUPPLIER_CNPJ and invoice["number"] == 1001
    suppliers = call(http, tenant, "GET", f"/v1/suppliers?document={SUPPLIER_CNPJ}")[1]["data"]
    assert [s["id"] for s in suppliers] == [invoice["supplier_id"]]
    assert suppliers[0]["address"]["city_code"] == "3550308" and suppliers[0]["state_registration"] == "110042490114"
    lines = invoice["lines"]
    assert [(line["supplier_code"], line["quantity"], line["unit"], line["cfop"], line["entry_cfop"]) for line in lines] \
        == [("CF-500-TRAD", 24, "UN", "5102", "1102"), ("FLT-103", 10, "CX", "5102", "1102"),
            ("CAN-PORC", 12, "UN", "5102", "1102")]
    assert (lines[0]["sku"], lines[0]["matched_by"]) == ("CAFE-TRAD", "gtin")  # by the GTIN
    assert lines[1]["sku"] is None and lines[1]["gtin"] is None  # SEM GTIN matches nothing
    assert invoice["totals"]["total_cents"] == 24 * 1890 + 10 * 450 + 12 * 2290 and invoice["totals"]["icms_cents"] > 0
    assert [i["amount_cents"] for i in invoice["installments"]] == [38_670, 38_670] and invoice["installments_stated"]
    # The same access key again: the first one, 200, nothing new.
    status, again = post_xml(http, tenant, raw, "text/xml")
    assert (status, again["id"]) == (200, invoice["id"])
    listed = call(http, tenant, "GET", "/v1/inbound-invoices?status=received")[1]["data"]
    assert [i["id"] for i in listed] == [invoice["id"]]
    assert call(http, tenant, "GET", "/v1/inbound-invoices?status=accepted")[1]["data"] == []
    xml = http.request("GET", f"/v1/inbound-invoices/{invoice['id']}/xml", headers=tenant["headers"])
    assert xml.status_code == 200 and xml.body == raw
    types = [e["type"] for e in call(http, tenant, "GET", "/v1/events?limit=100")[1]["data"]]
    assert types.count("inbound_invoice.received") == 1 and types.count("supplier.created") == 1


def test_an_nfe_proc_keeps_its_protocol_and_a_known_supplier_is_reused(http, tenant, supplier):
    status, invoice = post_xml(http, tenant, with_protocol(supplier_nfe(TENANT_CNPJ)))
    assert status == 201 and invoice["authorization_protocol"] == "135260000012345", invoice
    assert invoice["supplier_id"] == supplier["id"]  # tests.api.conftest's supplier has the same CNPJ


def test_other_layouts_no_cobr_other_units_and_ibs_cbs_groups(http, tenant):
    raw = reworked(supplier_nfe(TENANT_CNPJ, nnf=7), drop_cobr=True, units={"FLT-103": ("PCT", "2.5")})
    status, invoice = post_xml(http, tenant, raw)
    assert status == 201, invoice
    assert invoice["installments_stated"] is False
    assert invoice["installments"] == [{"number": "001", "due_date": invoice["issued_at"][:10],
                                        "amount_cents": invoice["totals"]["total_cents"]}]
    assert [(line["unit"], line["quantity"]) for line in invoice["lines"]][1] == ("PCT", 2.5)
    status, with_reform = post_xml(http, tenant, with_ibscbs(TENANT_CNPJ, nnf=8))
    assert status == 201 and with_reform["number"] == 8, with_reform


@pytest.mark.parametrize("make, status, field", [
    (lambda: tampered(supplier_nfe(TENANT_CNPJ)), 400, "Signature"),
    (lambda: b"<nope/>", 400, "body"),
    (lambda: b"not xml at all", 400, "body"),
    (lambda: supplier_nfe(TENANT_CNPJ).replace(b"<natOp>VENDA DE MERCADORIA</natOp>", b""), 400, "body"),
    (lambda: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><NFe>&e;</NFe>', 400, "body"),
    (lambda: supplier_nfe("45997418000153"), 422, "dest.CNPJ"),
    (lambda: supplier_nfe(TENANT_CNPJ, tp_amb="1"), 400, "Signature"),  # produção: a self-signed A1 is refused
])
def test_bad_documents_are_refused_naming_what_is_wrong_and_nothing_is_kept(http, tenant, make, status, field):
    got, problem = post_xml(http, tenant, make())
    assert got == status and field in fields(problem), problem
    if status == 422:
        assert problem["code"] == "not_addressed_to_tenant"
    assert call(http, tenant, "GET", "/v1/inbound-invoices")[1]["data"] == []
    assert call(http, tenant, "GET", "/v1/suppliers")[1]["data"] == []


def test_another_tenants_invoice_is_404_and_its_nfe_is_not_addressed_to_the_other(http, tenant):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    raw = supplier_nfe(TENANT_CNPJ)
    _, invoice = post_xml(http, tenant, raw)
    other = json.loads(http.request("POST", "/v1/tenants", tenant_body(cnpj="11444777000161"), ADMIN).body)
    other["headers"] = {"Authorization": f"Bearer {other['api_key']}"}
    for path in (f"/v1/inbound-invoices/{invoice['id']}", f"/v1/inbound-invoices/{invoice['id']}/xml",
                 "/v1/inbound-invoices/nfi_01ARZ3NDEKTSV4RRFFQ69G5FAV", "/v1/inbound-invoices/po_x"):
        assert call(http, other, "GET", path)[0] == 404, path
    assert post_xml(http, other, raw)[0] == 422
