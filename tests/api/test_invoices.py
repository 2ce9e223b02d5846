"""Invoices through the HTTP edge: emission with the local authority, numbering, the XML,
cancellation, cartas de correção and voids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.test_catalog import call, fields
from tests.api.test_orders import deliver_event, order_body, shop  # noqa: F401 - fixtures


@pytest.fixture
def order(http, tenant, shop) -> dict[str, Any]:  # noqa: F811
    status, placed = call(http, tenant, "POST", "/v1/orders", order_body(shop))
    assert status == 201, placed
    return placed


def emit(http, tenant, order_id: str) -> tuple[int, dict[str, Any]]:
    return call(http, tenant, "POST", "/v1/invoices", {"order_id": order_id})


def xml_of(http, tenant, invoice_id: str) -> tuple[int, str, str]:
    answer = http.request("GET", f"/v1/invoices/{invoice_id}/xml", headers=tenant["headers"])
    return answer.status_code, answer.headers.get("Content-Type", ""), answer.body.decode()


def test_an_order_becomes_an_authorized_nfe_with_a_valid_key_and_nfeproc(http, tenant, order):
    from chalicelib.invoicing.chave import is_valid_chave
    from chalicelib.invoicing.signing import verify_signature
    from chalicelib.invoicing.xsd import validate_nfe_proc

    status, invoice = emit(http, tenant, order["id"])
    assert status == 201, invoice
    assert invoice["status"] == "authorized", invoice
    assert (invoice["status_code"], invoice["model"], invoice["series"], invoice["number"]) == ("100", "55", 1, 1)
    assert is_valid_chave(invoice["access_key"]) and invoice["access_key"][20:22] == "55"
    assert invoice["protocol"] and len(invoice["protocol"]) == 15 and invoice["environment"] == "homologacao"
    assert invoice["totals"] == {"products_cents": 5780, "shipping_cents": 1500, "total_cents": 7280,
                                 "icms_cents": 0, "pis_cents": 0, "cofins_cents": 0,  # Simples Nacional: in the DAS
                                 "icms_uf_dest_cents": 0}
    status, content_type, xml = xml_of(http, tenant, invoice["id"])
    assert status == 200 and content_type == "application/xml"
    assert xml.startswith("<?xml") and "<nfeProc" in xml and f"<chNFe>{invoice['access_key']}</chNFe>" in xml
    assert validate_nfe_proc(xml.encode()) == []
    assert verify_signature(xml.encode())
    again = emit(http, tenant, order["id"])
    assert again[0] == 200 and again[1]["id"] == invoice["id"]
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"]
    assert [e["data"]["invoice"]["id"] for e in authorized] == [invoice["id"]]


def test_with_the_clock_stopped_in_the_past_the_nfe_its_certificate_and_events_are_of_then(
        monday, http, tenant, shop):  # noqa: F811
    from chalicelib.invoicing.signing import verify_signature

    placed = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]
    status, invoice = emit(http, tenant, placed["id"])
    assert status == 201 and invoice["status"] == "authorized", invoice  # the test A1 is valid from then
    xml = xml_of(http, tenant, invoice["id"])[2]
    assert "<dhEmi>2026-03-02T12:00:00-03:00</dhEmi>" in xml and invoice["access_key"][2:6] == "2603"
    assert verify_signature(xml.encode(), now=monday.now())
    (authorized,) = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"]
    assert authorized["occurred_at"] == "2026-03-02T15:00:00.000Z"
    monday.advance(hours=25)  # a clock moved after the components were built is the one they read
    status, problem = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                           {"reason": "Pedido cancelado pelo cliente depois do prazo"})
    assert status == 409 and problem["code"] == "cancellation_window_expired"


def test_numbers_are_sequential_per_series_without_gaps(http, tenant, shop):  # noqa: F811
    numbers = []
    for _ in range(3):
        placed = call(http, tenant, "POST", "/v1/orders", order_body(shop, [{"sku": "CAFE-500G", "quantity": 1}]))[1]
        numbers.append(emit(http, tenant, placed["id"])[1]["number"])
    assert numbers == [1, 2, 3]
    call(http, tenant, "PATCH", "/v1/tenant/settings", {"invoicing": {"series": 7}})
    placed = call(http, tenant, "POST", "/v1/orders", order_body(shop, [{"sku": "CAFE-500G", "quantity": 1}]))[1]
    other = emit(http, tenant, placed["id"])[1]
    assert (other["series"], other["number"]) == (7, 1)


def test_cancel_within_24h_then_nothing_more(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    short = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel", {"reason": "curto"})
    assert short[0] == 400 and "reason" in fields(short[1])
    status, cancelled = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                             {"reason": "Pedido cancelado pelo cliente antes do envio"})
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    again = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                 {"reason": "Pedido cancelado pelo cliente antes do envio"})
    assert again[0] == 409 and again[1]["code"] == "invalid_state"
    assert len(call(http, tenant, "GET", "/v1/events?type=invoice.cancelled")[1]["data"]) == 1


def test_cancel_after_24h_is_cancellation_window_expired(http, tenant, order):
    from datetime import timedelta

    from chalicelib.platform.clock import FixedClock
    from tests.deps import root, use

    invoice = emit(http, tenant, order["id"])[1]
    later = FixedClock(root().clock.now() + timedelta(hours=25))
    use(clock=later)
    status, problem = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                           {"reason": "Pedido cancelado pelo cliente depois do prazo"})
    assert status == 409 and problem["code"] == "cancellation_window_expired"


def test_cartas_de_correcao_are_consolidated_and_capped_at_20(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    first = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/corrections",
                 {"text": "Corrige o complemento do endereço de entrega"})
    assert first[0] == 201 and first[1]["corrections"][0]["sequence"] == 1
    second = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/corrections",
                  {"text": "Corrige a transportadora para Correios"})[1]
    assert second["corrections"][1]["text"] == "Corrige a transportadora para Correios"
    assert second["corrections"][1]["consolidated_text"] == (
        "Corrige o complemento do endereço de entrega | Corrige a transportadora para Correios")
    for n in range(3, 21):
        status, body = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/corrections",
                            {"text": f"Correção de texto {n:02d}"})
        assert status == 201, body
    last = body["corrections"][-1]
    assert last["sequence"] == 20 and last["consolidated_text"].count(" | ") == 19
    assert last["consolidated_text"].endswith("Correção de texto 19 | Correção de texto 20")
    status, problem = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/corrections",
                           {"text": "Mais uma correção de texto"})
    assert status == 409 and problem["code"] == "invalid_state", problem


def test_voids_take_unused_numbers_and_refuse_used_ones(http, tenant, order):
    emit(http, tenant, order["id"])
    used = call(http, tenant, "POST", "/v1/invoice-number-voids",
                {"series": 1, "first_number": 1, "last_number": 3, "reason": "Falha no sistema emissor"})
    assert used[0] == 409 and used[1]["code"] == "numbers_in_use"
    status, void = call(http, tenant, "POST", "/v1/invoice-number-voids",
                        {"series": 1, "first_number": 2, "last_number": 4, "reason": "Falha no sistema emissor"})
    assert status == 201 and void["status_code"] == "102", void
    bad = call(http, tenant, "POST", "/v1/invoice-number-voids",
               {"series": 1, "first_number": 9, "last_number": 5, "reason": "Falha no sistema emissor"})
    assert bad[0] == 400 and "last_number" in fields(bad[1])


def test_the_next_nfe_skips_voided_numbers(http, tenant, shop):  # noqa: F811
    call(http, tenant, "POST", "/v1/invoice-number-voids",
         {"series": 1, "first_number": 1, "last_number": 2, "reason": "Numeração usada no sistema anterior"})
    placed = call(http, tenant, "POST", "/v1/orders", order_body(shop, [{"sku": "CAFE-500G", "quantity": 1}]))[1]
    assert emit(http, tenant, placed["id"])[1]["number"] == 3


def test_an_nfe_that_cannot_be_built_is_rejected_and_keeps_its_number(http, tenant, order):
    from tests.deps import root

    original = root().catalog_repository.get_products

    def broken(tenant_id, skus):
        products = original(tenant_id, skus)
        return {sku: p.model_copy(update={"ncm": "1234"}) for sku, p in products.items()}

    root().catalog_repository.get_products = broken
    try:
        status, invoice = emit(http, tenant, order["id"])
    finally:
        root().catalog_repository.get_products = original
    assert status == 201 and invoice["status"] == "rejected" and invoice["number"] == 1
    assert "ncm" in invoice["status_reason"].lower()
    status, again = emit(http, tenant, order["id"])
    assert status == 200 and again["status"] == "authorized" and again["number"] == 1


def test_emission_through_the_consumer_is_idempotent_and_invoices_the_order(http, tenant, order):
    confirmed = call(http, tenant, "GET", "/v1/events?type=order.confirmed")[1]["data"][0]
    for _ in range(2):  # the same event, delivered twice
        assert deliver_event("invoicing_consumer", "order.confirmed", tenant, confirmed["data"],
                             confirmed["id"]) == {"batchItemFailures": []}
    invoices = call(http, tenant, "GET", "/v1/invoices")[1]["data"]
    assert len(invoices) == 1 and invoices[0]["status"] == "authorized"
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.authorized", tenant, authorized["data"], authorized["id"])
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]["status"] == "invoiced"


def test_unknown_or_foreign_orders_and_invoices_are_404(http, tenant):
    assert emit(http, tenant, "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert emit(http, tenant, "nope")[0] == 400
    assert call(http, tenant, "GET", "/v1/invoices/inv_01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert json.loads(http.request("GET", "/v1/invoices/x/xml", headers=tenant["headers"]).body)["code"] == "not_found"


def test_an_invoiced_order_cannot_be_cancelled_past_the_nfe_window(http, tenant, order):
    from datetime import timedelta

    from chalicelib.platform.clock import FixedClock
    from tests.deps import root, use

    invoice = emit(http, tenant, order["id"])[1]
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.authorized", tenant, authorized["data"], authorized["id"])
    use(clock=FixedClock(root().clock.now() + timedelta(hours=25)))
    status, problem = call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "tarde demais"})
    assert status == 409 and problem["code"] == "cancellation_window_expired"
    assert call(http, tenant, "GET", f"/v1/invoices/{invoice['id']}")[1]["status"] == "authorized"


def test_cancelling_an_invoiced_order_cancels_its_nfe_through_the_consumer(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.authorized", tenant, authorized["data"], authorized["id"])
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "desistiu"})[0] == 200
    cancelled = call(http, tenant, "GET", "/v1/events?type=order.cancelled")[1]["data"][0]
    assert deliver_event("invoicing_consumer", "order.cancelled", tenant, cancelled["data"],
                         cancelled["id"]) == {"batchItemFailures": []}
    assert call(http, tenant, "GET", f"/v1/invoices/{invoice['id']}")[1]["status"] == "cancelled"


def test_the_danfe_of_an_authorized_nfe_is_a_pdf(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/pdf"}):
        answer = http.request("GET", f"/v1/invoices/{invoice['id']}/danfe", headers={**tenant["headers"], **accept})
        assert answer.status_code == 200, answer.body[:300]
        assert answer.headers["Content-Type"] == "application/pdf"
        assert answer.body.startswith(b"%PDF") and answer.body.rstrip().endswith(b"%%EOF") and len(answer.body) > 3_000


def pdf_text(pdf: bytes) -> bytes:
    """What the PDF's content streams say (fpdf2 deflates them)."""
    import re
    import zlib

    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            parts.append(stream)
    return b"".join(parts)


def test_a_cancelled_nfes_danfe_says_so(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    before = http.request("GET", f"/v1/invoices/{invoice['id']}/danfe", headers=tenant["headers"]).body
    assert b"CANCELADA" not in pdf_text(before)
    assert call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                {"reason": "Erro na emissão da nota fiscal"})[0] == 200
    after = http.request("GET", f"/v1/invoices/{invoice['id']}/danfe", headers=tenant["headers"])
    assert after.status_code == 200 and after.body.startswith(b"%PDF")
    assert b"CANCELADA" in pdf_text(after.body)


def test_an_uploaded_certificate_signs_the_tenants_nfe(http, tenant, order):
    import base64

    from chalicelib.invoicing.signing import generate_test_certificate, verify_signature

    pfx, password = generate_test_certificate(tenant["cnpj"], "CERTIFICADO ENVIADO")
    wrapped = base64.encodebytes(pfx).decode()  # 76-column lines, as the base64 tool prints them
    assert "\n" in wrapped
    upload = {"invoicing": {"certificate": {"pfx_base64": wrapped, "password": password}}}
    assert call(http, tenant, "PATCH", "/v1/tenant/settings", upload)[0] == 200
    invoice = emit(http, tenant, order["id"])[1]
    assert invoice["status"] == "authorized"
    assert "CERTIFICADO ENVIADO" in verify_signature(xml_of(http, tenant, invoice["id"])[2].encode())


def test_tenant_and_product_tax_rules_reach_the_nfe(http, tenant, shop):  # noqa: F811
    status, settings = call(http, tenant, "PATCH", "/v1/tenant/settings",
                            {"invoicing": {"tax": {"csosn": "103", "pis_cst": "07", "cofins_cst": "07"}}})
    assert status == 200 and settings["settings"]["invoicing"]["tax"]["csosn"] == "103", settings
    status, product = call(http, tenant, "PATCH", "/v1/products/ACUCAR-1KG", {"tax": {"csosn": "300"}})
    assert status == 200 and product["tax"]["csosn"] == "300" and product["tax"]["icms_cst"] is None, product
    placed = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]
    invoice = emit(http, tenant, placed["id"])[1]
    assert invoice["status"] == "authorized", invoice
    xml = xml_of(http, tenant, invoice["id"])[2]
    assert xml.count("<CSOSN>103</CSOSN>") == 1 and xml.count("<CSOSN>300</CSOSN>") == 1
    assert xml.count("<CST>07</CST>") == 4  # PIS and COFINS of both lines, from the tenant's rules
    status, settings = call(http, tenant, "PATCH", "/v1/tenant/settings", {"invoicing": {"tax": None}})
    assert status == 200 and settings["settings"]["invoicing"]["tax"]["csosn"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"invoicing": {"tax": {"csosn": "999"}}}, "invoicing.tax.csosn"),
    ({"invoicing": {"tax": {"icms_interstate_percent": 18}}}, "invoicing.tax.icms_interstate_percent"),
    ({"invoicing": {"tax": {"pis_percent": -1}}}, "invoicing.tax.pis_percent"),
    ({"invoicing": {"tax": {"vat": 1}}}, "invoicing.tax.vat"),
])
def test_bad_tax_rules_are_400_naming_the_field(http, tenant, body, field):
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings", body)
    assert status == 400 and field in fields(problem), problem


def reject_next_emission(http, tenant, order_id: str) -> dict[str, Any]:
    """Emit with a product made invalid (NCM of 4 digits): the NF-e is rejected, keeping its number."""
    from tests.deps import root

    repo = root().catalog_repository
    original = repo.get_products
    repo.get_products = lambda t, skus: {k: p.model_copy(update={"ncm": "1234"}) for k, p in original(t, skus).items()}
    try:
        status, invoice = emit(http, tenant, order_id)
    finally:
        repo.get_products = original
    assert status == 201 and invoice["status"] == "rejected", invoice
    return invoice


def void(http, tenant, first: int, last: int) -> tuple[int, dict[str, Any]]:
    return call(http, tenant, "POST", "/v1/invoice-number-voids",
                {"series": 1, "first_number": first, "last_number": last, "reason": "Numeração pulada por engano"})


def test_voids_ahead_of_the_counter_are_jumped_only_when_it_gets_there(http, tenant, shop):  # noqa: F811
    assert void(http, tenant, 3, 4)[0] == 201
    assert void(http, tenant, 6, 6)[0] == 201
    numbers = []
    for _ in range(4):
        placed = call(http, tenant, "POST", "/v1/orders", order_body(shop, [{"sku": "CAFE-500G", "quantity": 1}]))[1]
        numbers.append(emit(http, tenant, placed["id"])[1]["number"])
    assert numbers == [1, 2, 5, 7]


def test_a_void_far_ahead_does_not_move_the_counter(http, tenant, order):
    assert void(http, tenant, 999_999_999, 999_999_999)[0] == 201
    assert emit(http, tenant, order["id"])[1]["number"] == 1  # far-ahead voids do not move the counter


def test_voiding_a_voided_range_again_is_refused_by_the_authority(http, tenant):
    assert void(http, tenant, 10, 12)[0] == 201
    status, problem = void(http, tenant, 12, 14)
    assert status == 409 and problem["code"] == "rejected_by_authority" and "256" in problem["detail"], problem


def test_a_rejected_nfe_whose_number_was_voided_is_renumbered_on_resubmission(http, tenant, order):
    rejected = reject_next_emission(http, tenant, order["id"])
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]["invoice_id"] is None  # consumer not run here
    assert void(http, tenant, rejected["number"], rejected["number"])[0] == 201
    status, again = emit(http, tenant, order["id"])
    assert status == 200 and again["id"] == rejected["id"], again
    assert again["status"] == "authorized" and again["number"] == 2 and again["voided_numbers"] == [1]
    assert again["access_key"][25:34] == "000000002"


def test_the_order_names_its_rejected_nfe(http, tenant, order):
    rejected = reject_next_emission(http, tenant, order["id"])
    event = call(http, tenant, "GET", "/v1/events?type=invoice.rejected")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.rejected", tenant, event["data"], event["id"])
    placed = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert placed["invoice_id"] == rejected["id"] and placed["status"] == "confirmed"


def test_cancelling_the_order_of_a_rejected_nfe_voids_its_number(http, tenant, order):
    rejected = reject_next_emission(http, tenant, order["id"])
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})[0] == 200
    event = call(http, tenant, "GET", "/v1/events?type=order.cancelled")[1]["data"][0]
    assert deliver_event("invoicing_consumer", "order.cancelled", tenant, event["data"], event["id"]) == {
        "batchItemFailures": []}
    voided = call(http, tenant, "GET", "/v1/events?type=invoice.numbers_voided")[1]["data"]
    assert [(v["data"]["first_number"], v["data"]["last_number"]) for v in voided] == [(rejected["number"],) * 2]


def test_cancelling_an_invoiced_orders_nfe_cancels_the_order(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.authorized", tenant, authorized["data"], authorized["id"])
    status, cancelled = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                             {"reason": "Erro na emissão da nota fiscal"})
    assert status == 200 and cancelled["status"] == "cancelled", cancelled
    assert (cancelled["status_code"], cancelled["cancellation_protocol"] is not None) == ("101", True)
    event = call(http, tenant, "GET", "/v1/events?type=invoice.cancelled")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.cancelled", tenant, event["data"], event["id"])
    placed = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert placed["status"] == "cancelled" and "Erro na emissão" in placed["cancel_reason"], placed
    stock = call(http, tenant, "GET", "/v1/stock/CAFE-500G")[1]
    assert stock["reserved"] == 0


def test_the_nfe_of_a_shipped_order_cannot_be_cancelled(http, tenant, order):
    invoice = emit(http, tenant, order["id"])[1]
    authorized = call(http, tenant, "GET", "/v1/events?type=invoice.authorized")[1]["data"][0]
    deliver_event("orders_consumer", "invoice.authorized", tenant, authorized["data"], authorized["id"])
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship", {})[0] == 200
    status, problem = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                           {"reason": "Erro na emissão da nota fiscal"})
    assert status == 409 and problem["code"] == "invalid_state" and "order_id" in fields(problem), problem


def test_an_e_cnpj_of_another_company_is_refused(http, tenant):
    import base64

    from chalicelib.invoicing.signing import generate_test_certificate

    other = "11444777000161" if tenant["cnpj"][:8] != "11444777" else "11222333000181"
    pfx, password = generate_test_certificate(other, "OUTRA EMPRESA")
    upload = {"invoicing": {"certificate": {"pfx_base64": base64.b64encode(pfx).decode(), "password": password}}}
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings", upload)
    assert status == 400 and "invoicing.certificate.pfx_base64" in fields(problem) and other in str(problem), problem
    assert call(http, tenant, "GET", "/v1/tenant")[1]["settings"]["invoicing"]["certificate"] is None  # nothing kept
    branch = tenant["cnpj"][:8] + "0002"  # a branch of the same company: the CNPJ base matches
    branch += _cnpj_check_digits(branch)
    pfx, password = generate_test_certificate(branch, "FILIAL")
    upload = {"invoicing": {"certificate": {"pfx_base64": base64.b64encode(pfx).decode(), "password": password}}}
    assert call(http, tenant, "PATCH", "/v1/tenant/settings", upload)[0] == 200


def _cnpj_check_digits(base12: str) -> str:
    digits = [int(c) for c in base12]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, digits[12:]))


def test_an_ie_exempt_company_is_indiedest_2_without_an_ie_tag(http, tenant, shop):  # noqa: F811
    from tests.api.test_catalog import customer_body

    status, exempt = call(http, tenant, "POST", "/v1/customers",
                          customer_body(name="Associação Isenta", document="11444777000161",
                                        state_registration="ISENTO"))
    assert status == 201, exempt
    placed = call(http, tenant, "POST", "/v1/orders", {**order_body(shop), "customer_id": exempt["id"]})[1]
    invoice = emit(http, tenant, placed["id"])[1]
    assert invoice["status"] == "authorized", invoice
    xml = xml_of(http, tenant, invoice["id"])[2]
    assert "<indIEDest>2</indIEDest>" in xml and "ISENTO" not in xml.split("<dest>")[1].split("</dest>")[0]


def test_tax_rules_that_cannot_make_an_nfe_are_refused_when_saved(http, tenant, shop):  # noqa: F811
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings", {"invoicing": {"tax": {"csosn": "101"}}})
    assert status == 400 and fields(problem) == {"invoicing.tax.simples_credit_percent"}, problem
    status, problem = call(http, tenant, "PATCH", "/v1/products/CAFE-500G", {"tax": {"icms_cst": "40"}})
    assert status == 400 and fields(problem) == {"tax.icms_cst"}, problem
    assert call(http, tenant, "GET", "/v1/products/CAFE-500G")[1]["tax"] is None  # nothing written


@pytest.mark.parametrize(("text", "status"), [
    ("Corrige o endereço\nde entrega e o\tcomplemento", 201),
    ("Corrige o endereço de entrega 😀 agora", 400),
    ("Corrige “aspas” no endereço de entrega", 400),
    (12345678901234567, 400),
    ("   \n\n  curto  \t ", 400),
])
def test_fiscal_texts_are_one_line_of_latin_1(http, tenant, order, text, status):
    invoice = emit(http, tenant, order["id"])[1]
    answer_status, body = call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/corrections", {"text": text})
    assert answer_status == status, body
    if status == 201:
        assert body["corrections"][0]["text"] == "Corrige o endereço de entrega e o complemento"
    else:
        assert "text" in fields(body)


def test_a_cancelled_orders_rejected_nfe_is_never_resubmitted(http, tenant, order):
    reject_next_emission(http, tenant, order["id"])
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})[0] == 200
    status, problem = emit(http, tenant, order["id"])
    assert status == 409 and problem["code"] == "invalid_state" and fields(problem) == {"order_id"}, problem
    assert [i["status"] for i in call(http, tenant, "GET", "/v1/invoices")[1]["data"]] == ["rejected"]


def test_a_duplicate_at_sefaz_is_resolved_by_consulting_the_kept_authorization(http, tenant, order):
    """SEFAZ got the NF-e before and its answer was lost: NFeAutorizacao4 answers 204, the emission asks
    NFeConsultaProtocolo4 (recorded answers) and completes with the kept protNFe instead of retrying forever."""
    import base64
    import re

    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from chalicelib.invoicing.sefaz import AUTORIZACAO, CONSULTA
    from chalicelib.invoicing.signing import digest_value
    from tests.clock import app_now
    from tests.deps import use
    from tests.unit.test_sefaz_adapter import CHAVE, FakeTransport, fixture, icp_key, on

    class SefazOfThisNfe(FakeTransport):
        """The recorded answers, about the NF-e actually sent (its chave and digest)."""

        sent: bytes = b""

        def post(self, url: str, soap_action: str, envelope: bytes, cert) -> bytes:
            if soap_action == AUTORIZACAO.soap_action:
                self.sent = re.search(rb"<NFe .*</NFe>", envelope, re.S).group(0)  # type: ignore[union-attr]
            answer = super().post(url, soap_action, envelope, cert)
            chave = re.search(rb'Id="NFe(\d{44})"', self.sent).group(1)  # type: ignore[union-attr]
            return (answer.replace(CHAVE.encode(), chave)
                    .replace(b"aWpBMlDjIlWUn2ALNSdwzLi2ntE=", digest_value(self.sent).encode()))

    a1 = icp_key(app_now())
    pfx = pkcs12.serialize_key_and_certificates(b"a1", a1.private_key, a1.certificate, None,
                                                BestAvailableEncryption(b"segredo"))
    settings = {"invoicing": {"authority": "sefaz",
                              "certificate": {"pfx_base64": base64.b64encode(pfx).decode(), "password": "segredo"}}}
    status, body = call(http, tenant, "PATCH", "/v1/tenant/settings", settings)
    assert status == 200, body
    transport = SefazOfThisNfe({**on(AUTORIZACAO, fixture("retEnviNFe_204_duplicidade.xml")),
                                **on(CONSULTA, fixture("retConsSitNFe_100_autorizado.xml"))})
    use(sefaz_transport=transport)
    status, invoice = emit(http, tenant, order["id"])
    assert status == 201 and invoice["status"] == "authorized", invoice
    assert (invoice["status_code"], invoice["protocol"]) == ("100", "135260000123456")
    assert [call[1] for call in transport.calls] == [AUTORIZACAO.soap_action, CONSULTA.soap_action]
    status, _, xml = xml_of(http, tenant, invoice["id"])
    assert status == 200 and "<nfeProc" in xml and "<nProt>135260000123456</nProt>" in xml
