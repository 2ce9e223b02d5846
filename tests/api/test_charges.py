"""Charges through the HTTP edge (moto): creation, documents, lifecycle, payments and provider notices."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_catalog import call, customer_body, fields
from tests.api.test_orders import deliver_event, invoicing_off, place
from tests.clock import app_now, app_timestamp, app_today, days_ahead, instant_after, instant_before

CNPJ_CUSTOMER = "45723174000110"


@pytest.fixture
def customer(http, tenant) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/customers", customer_body())
    assert status == 201, body
    return body


def charge_body(customer: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {"customer_id": customer["id"], "amount_cents": 15_000, "due_date": days_ahead(5),
            "method": "boleto", "description": "Mensalidade"}
    body.update(overrides)
    return body


def new_charge(http, tenant, customer, **overrides: Any) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/charges", charge_body(customer, **overrides))
    assert status == 201, body
    return body


def secret_of(http, tenant) -> str:
    status, body = call(http, tenant, "GET", "/v1/psp/local/webhook-secret")
    assert status == 200, body
    return body["secret"]


def notice(tenant, charge, event_id="evt-1", amount=None, **extra: Any) -> bytes:
    body = {"id": event_id, "type": "payment.received", "tenant_id": tenant["id"], "charge_id": charge["id"],
            "amount_cents": amount if amount is not None else charge["amount_cents"],
            "paid_at": charge["created_at"], "method": charge["method"], **extra}
    return json.dumps(body).encode()


def post_notice(http, raw: bytes, signature: str | None, provider: str = "local"):
    headers = {"X-Signature": signature} if signature is not None else {}
    answer = http.request("POST", f"/v1/psp/{provider}/webhooks", raw=raw, headers=headers)
    return answer.status_code, json.loads(answer.body)


def signed(secret: str, raw: bytes, at: int | None = None) -> str:
    from chalicelib.collections.signatures import sign

    return sign(secret, raw, at if at is not None else app_timestamp())


def test_a_boleto_charge_has_barcode_digitable_line_and_a_hybrid_pix(http, tenant, customer):
    charge = new_charge(http, tenant, customer)
    assert charge["id"].startswith("chg_") and charge["status"] == "pending"
    assert charge["amount_due_cents"] == 15_000 and charge["fine_percent"] == 2.0
    from chalicelib.collections import boleto, pix

    info = charge["boleto"]
    assert boleto.validate_barcode(info["barcode"]) and boleto.linha_to_barcode(info["digitable_line"]) == info["barcode"]
    decoded = boleto.decode_barcode(info["barcode"], app_today())
    assert (decoded.bank_code, decoded.amount_cents, decoded.due_date.isoformat()) == ("001", 15_000, charge["due_date"])
    assert info["our_number"] == "1234567" + "0000000001"
    parsed = pix.parse_brcode(charge["pix"]["brcode"])
    assert parsed.amount_cents == 15_000 and charge["pix"]["txid"] in parsed.location
    assert pix.is_valid_txid(charge["pix"]["txid"])
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1] == charge
    events = call(http, tenant, "GET", "/v1/events?type=charge.created")[1]["data"]
    assert events[0]["data"]["charge"]["id"] == charge["id"]


def test_nosso_numero_never_repeats_within_a_tenant(http, tenant, customer):
    numbers = [new_charge(http, tenant, customer)["boleto"]["our_number"] for _ in range(3)]
    assert len(set(numbers)) == 3 and numbers == sorted(numbers)


def test_pix_and_card_link_charges(http, tenant, customer):
    pix_charge = new_charge(http, tenant, customer, method="pix")
    assert pix_charge["boleto"] is None and pix_charge["pix"]["brcode"].startswith("000201")
    card = new_charge(http, tenant, customer, method="card_link")
    assert card["pix"] is None and "/v1/sandbox/checkout/" in card["card_link"]["url"]


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda b: b.update(amount_cents=0), "amount_cents"),
    (lambda b: b.update(amount_cents=-5), "amount_cents"),
    (lambda b: b.update(amount_cents=10.5), "amount_cents"),
    (lambda b: b.update(due_date=days_ahead(-2)), "due_date"),
    (lambda b: b.update(due_date="2026-13-01"), "due_date"),
    (lambda b: b.update(method="cheque"), "method"),
    (lambda b: b.update(customer_id="cus_x"), "customer_id"),
    (lambda b: b.pop("description"), "description"),
    (lambda b: b.update(tenant_id="ten_x"), "tenant_id"),
])
def test_bad_charges_are_400_naming_the_field(http, tenant, customer, mutate, field):
    body = charge_body(customer)
    mutate(body)
    status, problem = call(http, tenant, "POST", "/v1/charges", body)
    assert status == 400 and field in fields(problem), problem
    assert call(http, tenant, "GET", "/v1/charges")[1]["data"] == []


def test_an_unknown_customer_is_404(http, tenant, customer):
    status, problem = call(http, tenant, "POST", "/v1/charges",
                           charge_body(customer, customer_id="cus_01JAAAAAAAAAAAAAAAAAAAAAAA"))
    assert status == 404 and problem["code"] == "not_found"


def test_charges_are_listed_by_status_customer_and_due_date(http, tenant, customer):
    soon = new_charge(http, tenant, customer)
    later = new_charge(http, tenant, customer, due_date=days_ahead(40))
    call(http, tenant, "POST", f"/v1/charges/{later['id']}/cancel", {})
    listed = call(http, tenant, "GET", "/v1/charges")[1]["data"]
    assert [c["id"] for c in listed] == [later["id"], soon["id"]]
    pending = call(http, tenant, "GET", "/v1/charges?status=pending")[1]["data"]
    assert [c["id"] for c in pending] == [soon["id"]]
    due = call(http, tenant, "GET", f"/v1/charges?due_before={days_ahead(10)}")[1]
    assert [c["id"] for c in due["data"]] == [soon["id"]]


def test_cancel_follows_the_transition_table(http, tenant, customer):
    charge = new_charge(http, tenant, customer)
    status, cancelled = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/cancel", {})
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["amount_due_cents"] == 0
    status, problem = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/cancel", {})
    assert status == 409 and problem["code"] == "invalid_state"
    status, problem = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                           {"amount_cents": 100, "paid_at": instant_before(hours=1), "method": "cash"})
    assert status == 409 and problem["code"] == "invalid_state"


def test_manual_payments_underpay_then_pay_and_then_refuse_more(http, tenant, customer):
    charge = new_charge(http, tenant, customer)
    earlier = app_now() - timedelta(hours=2)
    status, first = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                         {"amount_cents": 5_000, "paid_at": earlier.isoformat(), "method": "transfer"})
    assert status == 201 and first["payment"]["outcome"] == "underpaid"
    assert first["charge"]["status"] == "pending" and first["charge"]["amount_due_cents"] == 10_000
    status, second = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                          {"amount_cents": 10_500, "paid_at": (earlier + timedelta(hours=1)).isoformat(),
                           "method": "pix"})
    assert second["payment"]["outcome"] == "overpaid" and second["charge"]["status"] == "paid"
    assert second["charge"]["overpaid_cents"] == 500 and second["charge"]["paid_amount_cents"] == 15_500
    paid = call(http, tenant, "GET", "/v1/events?type=charge.paid")[1]["data"]
    assert len(paid) == 1 and paid[0]["data"]["charge"]["paid_amount_cents"] == 15_500


@pytest.mark.parametrize("body", [
    {"amount_cents": 0, "paid_at": "2026-01-01T10:00:00Z", "method": "cash"},
    {"amount_cents": -1, "paid_at": "2026-01-01T10:00:00Z", "method": "cash"},
    {"amount_cents": 100, "paid_at": "2026-01-01T10:00:00", "method": "cash"},
    {"amount_cents": 100, "paid_at": "2026-01-01T10:00:00Z", "method": "bitcoin"},
])
def test_bad_manual_payments_are_400(http, tenant, customer, body):
    charge = new_charge(http, tenant, customer)
    status, problem = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments", body)
    assert status == 400 and problem["code"] == "invalid_request", problem


def test_a_signed_notice_settles_once_and_a_repeat_changes_nothing(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    raw = notice(tenant, charge)
    status, answer = post_notice(http, raw, signed(secret, raw))
    assert status == 200 and answer == {"received": True, "replayed": False, "charge_id": charge["id"],
                                        "outcome": "paid"}
    again = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    for _ in range(3):
        status, answer = post_notice(http, raw, signed(secret, raw))
        assert status == 200 and answer["replayed"] is True and answer["outcome"] == "paid"
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1] == again
    assert again["status"] == "paid" and len(again["payments"]) == 1
    assert len(call(http, tenant, "GET", "/v1/events?type=charge.paid")[1]["data"]) == 1


def test_bad_signatures_are_401_and_settle_nothing(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    raw = notice(tenant, charge)
    cases = [
        (None, "invalid_signature"),
        ("garbage", "invalid_signature"),
        (signed("whsec_wrong", raw), "invalid_signature"),
        (signed(secret, raw + b" "), "invalid_signature"),
        (signed(secret, raw, app_timestamp() - 301), "signature_expired"),
        (signed(secret, raw, app_timestamp() + 400), "signature_expired"),
    ]
    for signature, code in cases:
        status, problem = post_notice(http, raw, signature)
        assert status == 401 and problem["code"] == code, (signature, problem)
    # A notice for a tenant that has no secret (or no tenant at all) looks the same.
    other = notice({"id": "ten_01JAAAAAAAAAAAAAAAAAAAAAAA"}, charge)
    assert post_notice(http, other, signed(secret, other))[0] == 401
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]["status"] == "pending"


def test_unknown_provider_unknown_charge_and_bad_bodies(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    raw = notice(tenant, charge)
    status, problem = post_notice(http, raw, signed(secret, raw), provider="paypal")
    assert status == 404 and fields(problem) == {"provider"}
    ghost = notice(tenant, {**charge, "id": "chg_01JAAAAAAAAAAAAAAAAAAAAAAA"}, event_id="evt-2")
    assert post_notice(http, ghost, signed(secret, ghost))[0] == 404
    zero = notice(tenant, charge, event_id="evt-3", amount=0)
    status, problem = post_notice(http, zero, signed(secret, zero))
    assert status == 400 and "amount_cents" in fields(problem)
    assert post_notice(http, b"{not json", "t=1,v1=00")[0] == 400


def test_a_notice_on_a_cancelled_charge_is_recorded_and_explained(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    call(http, tenant, "POST", f"/v1/charges/{charge['id']}/cancel", {})
    secret = secret_of(http, tenant)
    raw = notice(tenant, charge)
    status, answer = post_notice(http, raw, signed(secret, raw))
    assert status == 200 and answer["outcome"] == "charge_cancelled"
    after = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    assert after["status"] == "cancelled" and after["paid_amount_cents"] == 0
    assert [p["outcome"] for p in after["payments"]] == ["charge_cancelled"]


def test_the_sandbox_pays_through_the_webhook_path(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="card_link")
    status, paid = call(http, tenant, "POST", f"/v1/sandbox/charges/{charge['id']}/pay", {})
    assert status == 200 and paid["charge"]["status"] == "paid" and paid["payment"]["source"] == "local"
    assert paid["payment"]["provider_event_id"].startswith("sbx")
    assert call(http, tenant, "POST", "/v1/sandbox/charges/chg_01JAAAAAAAAAAAAAAAAAAAAAAA/pay", {})[0] == 404


def test_a_late_payment_owes_the_fine_and_interest(monday, http, tenant, customer):
    clock = monday
    charge = new_charge(http, tenant, customer, due_date="2026-03-06", amount_cents=10_000)  # Friday
    clock.advance(days=14)  # Monday 2026-03-16: 10 days late
    read = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    assert read["amount_due_cents"] == 10_000 + 200 + 33  # 2% fine (CPF cap) + 1% × 10/30
    _, settled = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                           {"amount_cents": 10_000, "paid_at": "2026-03-16T12:00:00-03:00", "method": "boleto"})
    assert settled["payment"]["outcome"] == "underpaid" and settled["charge"]["amount_due_cents"] == 233


def test_pdf_and_qrcode_answer_binary_with_any_accept(http, tenant, customer):
    charge = new_charge(http, tenant, customer)
    for accept in ({}, {"Accept": "*/*"}, {"Accept": "application/pdf"}):
        answer = http.request("GET", f"/v1/charges/{charge['id']}/pdf", headers={**tenant["headers"], **accept})
        assert answer.status_code == 200, answer.body
        assert answer.headers["Content-Type"] == "application/pdf" and answer.body.startswith(b"%PDF")
    answer = http.request("GET", f"/v1/charges/{charge['id']}/qrcode.png", headers=tenant["headers"])
    assert answer.status_code == 200 and answer.body.startswith(b"\x89PNG")
    card = new_charge(http, tenant, customer, method="card_link")
    assert http.request("GET", f"/v1/charges/{card['id']}/pdf", headers=tenant["headers"]).status_code == 404
    assert http.request("GET", f"/v1/charges/{card['id']}/qrcode.png", headers=tenant["headers"]).status_code == 404


def test_order_confirmed_creates_one_charge_per_installment_once(http, tenant):
    from tests.api.test_catalog import product_body

    customer = call(http, tenant, "POST", "/v1/customers", customer_body())[1]
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    call(http, tenant, "POST", "/v1/stock/movements", {"sku": "CAFE-500G", "type": "receipt", "quantity": 10})
    invoicing_off(http, tenant)
    order = place(http, tenant, {"customer_id": customer["id"]}, lines=[{"sku": "CAFE-500G", "quantity": 1}],
                  payment={"method": "boleto", "installments": 3})
    assert order["total_cents"] == 4090
    confirmed = call(http, tenant, "GET", "/v1/events?type=order.confirmed")[1]["data"][0]
    for n in range(3):  # redelivered under new message ids: the claim keeps one set
        deliver_event("collections_consumer", "order.confirmed", tenant, confirmed["data"], f"{confirmed['id']}")
        deliver_event("collections_consumer", "order.confirmed", tenant, confirmed["data"], f"evt_redelivery{n}")
    charges = sorted(call(http, tenant, "GET", "/v1/charges")[1]["data"], key=lambda c: c["installment"])
    assert [(c["installment"], c["amount_cents"]) for c in charges] == [(1, 1364), (2, 1363), (3, 1363)]
    assert all(c["order_id"] == order["id"] and c["installments"] == 3 for c in charges)
    assert charges[1]["due_date"] > charges[0]["due_date"]
    # order.cancelled cancels the open ones
    deliver_event("collections_consumer", "order.cancelled", tenant, {"order": {"id": order["id"]}}, "evt_cancel")
    assert {c["status"] for c in call(http, tenant, "GET", "/v1/charges")[1]["data"]} == {"cancelled"}


def test_a_cancelled_order_before_its_charges_gets_none(http, tenant, customer):
    order = {"id": "ord_01JAAAAAAAAAAAAAAAAAAAAAAA", "customer_id": customer["id"], "total_cents": 1000,
             "payment": {"method": "pix", "installments": 1, "first_due_in_days": 3}}
    invoicing_off(http, tenant)
    deliver_event("collections_consumer", "order.cancelled", tenant, {"order": order}, "evt_c1")
    deliver_event("collections_consumer", "order.confirmed", tenant, {"order": order}, "evt_c2")
    assert call(http, tenant, "GET", "/v1/charges")[1]["data"] == []


def test_with_invoicing_on_charges_wait_for_the_invoice(http, tenant, customer):
    order = {"id": "ord_01JAAAAAAAAAAAAAAAAAAAAAAA", "customer_id": customer["id"], "total_cents": 1000,
             "payment": {"method": "pix", "installments": 1, "first_due_in_days": 3}}
    deliver_event("collections_consumer", "order.confirmed", tenant, {"order": order}, "evt_d1")
    assert call(http, tenant, "GET", "/v1/charges")[1]["data"] == []



# --- collection settings ------------------------------------------------------------------------

def patch_settings(http, tenant, collections: dict[str, Any]):
    return call(http, tenant, "PATCH", "/v1/tenant/settings", {"collections": collections})


@pytest.mark.parametrize(("collections", "field"), [
    ({"agreement": "123456"}, "collections.agreement"),
    ({"agreement": "123456789"}, "collections.agreement"),
    ({"bank_code": "237"}, "collections.bank_code"),
    ({"bank_code": "999", "agreement": "1234567"}, "collections.bank_code"),
    ({"pix_key": "chave-pix"}, "collections.pix_key"),
    ({"pix_key": "5511987654321"}, "collections.pix_key"),
    ({"pix_key": "52998224724"}, "collections.pix_key"),
    ({"pix_key": "Pix@Loja.example.com"}, "collections.pix_key"),
])
def test_settings_no_boleto_layout_or_dict_key_fits_are_400_and_boletos_keep_working(http, tenant, customer,
                                                                                      collections, field):
    status, problem = patch_settings(http, tenant, collections)
    assert status == 400 and problem["code"] == "invalid_request" and fields(problem) == {field}, problem
    assert call(http, tenant, "GET", "/v1/tenant")[1]["settings"] == tenant["settings"]
    assert new_charge(http, tenant, customer)["boleto"]["layout"] == "bb_convenio_7"


@pytest.mark.parametrize("key", ["+5511987654321", "pix@loja.example.com", "52998224725",
                                 "123e4567-e12b-42d1-a456-426655440000"])
def test_every_kind_of_dict_key_can_be_set_and_charged_with(http, tenant, customer, key):
    status, body = patch_settings(http, tenant, {"pix_key": key})
    assert status == 200 and body["settings"]["collections"]["pix_key"] == key, body
    assert new_charge(http, tenant, customer, method="pix")["pix"]["brcode"].startswith("000201")


def test_an_eight_digit_banco_do_brasil_convenio_uses_its_own_layout(http, tenant, customer):
    status, body = patch_settings(http, tenant, {"agreement": "12345678"})
    assert status == 200, body
    info = new_charge(http, tenant, customer)["boleto"]
    assert info["layout"] == "bb_convenio_8" and info["our_number"] == "12345678" + "000000001"


# --- paid_at in the future ----------------------------------------------------------------------

def test_a_manual_payment_in_the_future_is_400_on_paid_at(http, tenant, customer):
    charge = new_charge(http, tenant, customer)
    tomorrow = days_ahead(2)
    status, problem = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                           {"amount_cents": 15_000, "paid_at": f"{tomorrow}T12:00:00-03:00", "method": "pix"})
    assert status == 400 and problem["code"] == "invalid_request" and fields(problem) == {"paid_at"}, problem
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1] == charge


def test_a_manual_payment_a_minute_ahead_is_clock_skew_recorded_as_now(monday, http, tenant, customer):
    charge = new_charge(http, tenant, customer, due_date="2026-03-06")
    status, settled = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                           {"amount_cents": 15_000, "paid_at": "2026-03-02T12:01:00-03:00", "method": "pix"})
    assert status == 201, settled
    payment = settled["payment"]
    assert payment["paid_at"] == payment["recorded_at"] == "2026-03-02T15:00:00.000Z"
    assert payment["reported_paid_at"] == "2026-03-02T15:01:00.000Z" and settled["charge"]["status"] == "paid"


def test_a_notice_paid_in_the_future_settles_at_its_arrival_and_is_never_underpaid_with_nothing_due(
        http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    years_ahead = instant_after(days=3 * 365)
    raw = notice(tenant, charge, paid_at=years_ahead)  # late by years, if it were believed
    status, answer = post_notice(http, raw, signed(secret, raw))
    assert status == 200 and answer["outcome"] == "paid", answer
    paid = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    (payment,) = paid["payments"]
    assert payment["paid_at"] <= payment["recorded_at"] and payment["reported_paid_at"] == years_ahead
    assert paid["status"] == "paid" and paid["amount_due_cents"] == 0
    assert post_notice(http, raw, signed(secret, raw))[1]["replayed"] is True


def test_a_partial_notice_in_the_future_leaves_the_remainder_due(http, tenant, customer):
    charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    raw = notice(tenant, charge, amount=5_000, paid_at=instant_after(days=3 * 365))
    assert post_notice(http, raw, signed(secret, raw))[1]["outcome"] == "underpaid"
    after = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    assert after["status"] == "pending" and after["amount_due_cents"] == 10_000


# --- the consumer fine cap ----------------------------------------------------------------------

def pdf_text(pdf: bytes) -> bytes:
    """The PDF's content streams, decoded (reportlab writes them ASCII85 + Flate)."""
    import base64
    import re
    import zlib

    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\n?endstream", pdf, re.S):
        raw = base64.a85decode(stream.strip(), adobe=True) if stream.strip().endswith(b"~>") else stream
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            continue  # an image
    return b"".join(out)


def test_a_consumer_charge_shows_and_prints_the_fine_capped_at_2_percent(http, tenant, customer):
    status, problem = patch_settings(http, tenant, {"fine_percent": 10})
    assert status == 400 and problem["errors"][0]["field"] == "collections.fine_percent"
    assert patch_settings(http, tenant, {"b2b_fine_percent": 10})[0] == 200
    consumer = new_charge(http, tenant, customer)
    assert consumer["fine_percent"] == 2.0
    pdf = http.request("GET", f"/v1/charges/{consumer['id']}/pdf", headers=tenant["headers"]).body
    assert b"multa de 2%" in pdf_text(pdf) and b"multa de 10%" not in pdf_text(pdf)
    business = call(http, tenant, "POST", "/v1/customers", customer_body(document=CNPJ_CUSTOMER))[1]
    b2b = new_charge(http, tenant, business)
    assert b2b["fine_percent"] == 10.0
    pdf = http.request("GET", f"/v1/charges/{b2b['id']}/pdf", headers=tenant["headers"]).body
    assert b"multa de 10%" in pdf_text(pdf)


# --- the due-date horizon -----------------------------------------------------------------------

@pytest.mark.parametrize(("due", "status"), [
    ("2100-01-01", 400),
    ((app_today() + timedelta(days=3651)).isoformat(), 400),
    ((app_today() + timedelta(days=3650)).isoformat(), 201),
])
def test_a_due_date_more_than_10_years_ahead_is_400(http, tenant, customer, due, status):
    answer, body = call(http, tenant, "POST", "/v1/charges", charge_body(customer, due_date=due))
    assert answer == status, body
    if status == 400:
        assert fields(body) == {"due_date"} and call(http, tenant, "GET", "/v1/charges")[1]["data"] == []
    else:
        from chalicelib.collections import boleto

        assert boleto.decode_barcode(body["boleto"]["barcode"], app_today()).due_date.isoformat() == due


# --- notices reusing an event id ----------------------------------------------------------------

def test_a_notice_reusing_an_event_id_with_other_content_is_409_and_the_first_stands(http, tenant, customer):
    first_charge = new_charge(http, tenant, customer, method="pix")
    other_charge = new_charge(http, tenant, customer, method="pix")
    secret = secret_of(http, tenant)
    raw = notice(tenant, first_charge, event_id="evt-reused", amount=5_000)
    assert post_notice(http, raw, signed(secret, raw))[1]["outcome"] == "underpaid"
    before = [call(http, tenant, "GET", f"/v1/charges/{c['id']}")[1] for c in (first_charge, other_charge)]
    for forged, field in ((notice(tenant, first_charge, event_id="evt-reused", amount=10_000), "amount_cents"),
                          (notice(tenant, other_charge, event_id="evt-reused", amount=5_000,
                                  paid_at=first_charge["created_at"]), "charge_id"),
                          (notice(tenant, first_charge, event_id="evt-reused", amount=5_000,
                                  paid_at="2026-01-02T12:00:00Z"), "paid_at")):
        status, problem = post_notice(http, forged, signed(secret, forged))
        assert status == 409 and problem["code"] == "notice_id_reused" and fields(problem) == {field}, problem
    after = [call(http, tenant, "GET", f"/v1/charges/{c['id']}")[1] for c in (first_charge, other_charge)]
    assert after == before
    status, answer = post_notice(http, raw, signed(secret, raw))
    assert status == 200 and answer["replayed"] is True and answer["outcome"] == "underpaid"


ASAAS_KEY = "$aact_YTU5YTE0M2M2N2I4MTliNzk0YTI5N2U5MzdjNWZmNDQ6OjAwMDAwMDAwMDAwMDAwODg4ODg6OiRhYWNoXzEyMzQ1"


def test_asaas_credentials_are_kept_secret_and_shown_by_their_last_four(http, tenant):
    assert call(http, tenant, "GET", "/v1/psp/asaas/credentials")[0] == 404
    status, shown = call(http, tenant, "PUT", "/v1/psp/asaas/credentials", {"api_key": ASAAS_KEY})
    assert status == 200 and shown == {"provider": "asaas", "environment": "sandbox", "api_key_last4": ASAAS_KEY[-4:],
                                       "updated_at": shown["updated_at"]}, shown
    assert ASAAS_KEY not in json.dumps(call(http, tenant, "GET", "/v1/psp/asaas/credentials")[1])
    for provider, body, expected, field in (
            ("local", {"api_key": ASAAS_KEY}, 400, "provider"), ("paypal", {"api_key": ASAAS_KEY}, 404, None),
            ("asaas", {"api_key": "short"}, 400, "api_key"), ("asaas", {"api_key": ASAAS_KEY, "environment": "live"},
                                                               400, "environment")):
        status, problem = call(http, tenant, "PUT", f"/v1/psp/{provider}/credentials", body)
        assert status == expected and (field is None or field in fields(problem)), problem


def test_a_tenant_on_asaas_gets_its_charges_issued_by_asaas_and_settled_by_its_webhook(http, tenant, customer):
    import responses

    from tests.unit.test_charges_asaas import fixture

    call(http, tenant, "PUT", "/v1/psp/asaas/credentials", {"api_key": ASAAS_KEY, "environment": "sandbox"})
    assert patch_settings(http, tenant, {"provider": "asaas"})[0] == 200
    base = "https://api-sandbox.asaas.com/v3"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as asaas_api:
        asaas_api.post(f"{base}/customers", json=fixture("customer_created.json"))
        asaas_api.post(f"{base}/payments", json=fixture("payment_created_pix.json"))
        asaas_api.get(f"{base}/payments/pay_080225913252/pixQrCode", json=fixture("pix_qrcode.json"))
        charge = new_charge(http, tenant, customer, method="pix")
        assert asaas_api.calls[0].request.headers["access_token"] == ASAAS_KEY
    assert charge["pix"]["brcode"] == fixture("pix_qrcode.json")["payload"], charge
    token = call(http, tenant, "GET", "/v1/psp/asaas/webhook-secret")[1]["secret"]
    payload = fixture("webhook_payment_received.json")
    payload["payment"]["externalReference"] = f"{tenant['id']}:{charge['id']}"
    answer = http.request("POST", "/v1/psp/asaas/webhooks", raw=json.dumps(payload).encode(),
                          headers={"asaas-access-token": token})
    assert answer.status_code == 200, answer.body
    paid = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    assert paid["status"] == "paid" and paid["paid_amount_cents"] == 15_000, paid


def test_choosing_asaas_without_credentials_is_refused(http, tenant):
    status, problem = patch_settings(http, tenant, {"provider": "asaas"})
    assert status == 409 and problem["code"] == "provider_not_configured", problem


def test_asaas_out_of_reach_is_a_503_with_retry_after_and_no_charge(http, tenant, customer):
    import requests
    import responses

    call(http, tenant, "PUT", "/v1/psp/asaas/credentials", {"api_key": ASAAS_KEY})
    assert patch_settings(http, tenant, {"provider": "asaas"})[0] == 200
    with responses.RequestsMock() as asaas_api:
        asaas_api.post("https://api-sandbox.asaas.com/v3/customers", body=requests.ConnectionError("unreachable"))
        answer = http.request("POST", "/v1/charges", charge_body(customer, method="pix"), tenant["headers"])
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.body
    assert json.loads(answer.body)["code"] == "service_unavailable"
    assert call(http, tenant, "GET", "/v1/charges")[1]["data"] == []


def test_the_daily_run_marks_late_charges_overdue_once(monday, http, tenant, customer):
    import app

    clock = monday
    late = new_charge(http, tenant, customer, due_date="2026-03-04")
    weekend = new_charge(http, tenant, customer, due_date="2026-03-07")  # Saturday: due Monday the 9th
    paid = new_charge(http, tenant, customer, due_date="2026-03-04")
    assert call(http, tenant, "POST", f"/v1/charges/{paid['id']}/payments",
                {"amount_cents": 15_000, "paid_at": "2026-03-02T14:00:00Z", "method": "pix"})[0] == 201
    clock.advance(days=7)  # Monday the 9th
    assert app.charges_overdue({}, None) == {"overdue": 1}
    statuses = {c["id"]: c["status"] for c in call(http, tenant, "GET", "/v1/charges")[1]["data"]}
    assert (statuses[late["id"]], statuses[weekend["id"]], statuses[paid["id"]]) == ("overdue", "pending", "paid")
    assert app.charges_overdue({}, None) == {"overdue": 0}  # a second run changes nothing
    events = call(http, tenant, "GET", "/v1/events?type=charge.overdue")[1]["data"]
    assert [e["data"]["charge"]["id"] for e in events] == [late["id"]]
    clock.advance(days=1)
    assert app.charges_overdue({}, None) == {"overdue": 1}  # the weekend one, now past its business day


def test_a_record_class_first_used_after_the_shared_connection_has_its_own_indexes(aws):
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

    from chalicelib.platform.dynamo import BaseRecord

    BaseRecord._get_connection()  # the shared connection (transactions) exists first

    class LateIndex(GlobalSecondaryIndex):
        class Meta:
            index_name = "gsi2"
            projection = AllProjection()

        gsi2pk = UnicodeAttribute(hash_key=True)
        gsi2sk = UnicodeAttribute(range_key=True)

    class LateRecord(BaseRecord):
        gsi2pk = UnicodeAttribute(null=True)
        gsi2sk = UnicodeAttribute(null=True)
        gsi2 = LateIndex()

    assert list(LateRecord.gsi2.query("nobody")) == []


def pix_order_with_its_charge(http, tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    """A one-line Pix order of a tenant with invoicing off, and the charge the collections consumer made."""
    from tests.api.test_catalog import product_body

    customer = call(http, tenant, "POST", "/v1/customers", customer_body())[1]
    call(http, tenant, "POST", "/v1/products", product_body(min_stock=0))
    call(http, tenant, "POST", "/v1/stock/movements", {"sku": "CAFE-500G", "type": "receipt", "quantity": 5})
    invoicing_off(http, tenant)
    order = place(http, tenant, {"customer_id": customer["id"]}, lines=[{"sku": "CAFE-500G", "quantity": 1}],
                  payment={"method": "pix", "installments": 1})
    confirmed = call(http, tenant, "GET", "/v1/events?type=order.confirmed")[1]["data"][0]
    deliver_event("collections_consumer", "order.confirmed", tenant, confirmed["data"], confirmed["id"])
    charge = call(http, tenant, "GET", "/v1/charges")[1]["data"][0]
    return order, charge


def test_a_paid_order_that_is_cancelled_shows_the_refund_due(http, tenant):
    order, charge = pix_order_with_its_charge(http, tenant)
    assert call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                {"amount_cents": charge["amount_cents"], "paid_at": instant_before(hours=1), "method": "pix"})[0] == 201
    for kind in ("charge.created", "charge.paid"):
        event = call(http, tenant, "GET", f"/v1/events?type={kind}")[1]["data"][0]
        deliver_event("orders_consumer", kind, tenant, event["data"], event["id"])
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]["refund_due_cents"] == 0
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})[0] == 200
    cancelled = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert (cancelled["status"], cancelled["refund_due_cents"]) == ("cancelled", order["total_cents"]), cancelled


def test_a_payment_landing_after_the_cancellation_is_no_order_paid_news(http, tenant):
    order, charge = pix_order_with_its_charge(http, tenant)
    call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
         {"amount_cents": charge["amount_cents"], "paid_at": instant_before(hours=1), "method": "pix"})
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})[0] == 200
    paid = call(http, tenant, "GET", "/v1/events?type=charge.paid")[1]["data"][0]
    deliver_event("orders_consumer", "charge.paid", tenant, paid["data"], paid["id"])  # lands after the cancel
    assert call(http, tenant, "GET", "/v1/events?type=order.paid")[1]["data"] == []
    assert call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]["refund_due_cents"] == order["total_cents"]


@pytest.mark.parametrize(("payment", "field"), [
    ({"value": "abc"}, "payment.value"), ({"value": True}, "payment.value"), ({"value": None}, "payment.value"),
    ({"value": []}, "payment.value"), ({"value": "NaN"}, "payment.value"), ({"value": 1e300}, "payment.value"),
    ({"paymentDate": "not-a-date"}, "payment.paymentDate"), ({"paymentDate": "2026-02-30"}, "payment.paymentDate"),
])
def test_hostile_asaas_event_values_are_400_naming_the_field(http, tenant, customer, payment, field):
    from tests.unit.test_charges_asaas import fixture

    token = call(http, tenant, "GET", "/v1/psp/asaas/webhook-secret")[1]["secret"]
    charge = new_charge(http, tenant, customer, method="pix")
    body = fixture("webhook_payment_received.json")
    body["payment"].update({"externalReference": f"{tenant['id']}:{charge['id']}", **payment})
    answer = http.request("POST", "/v1/psp/asaas/webhooks", raw=json.dumps(body).encode(),
                          headers={"asaas-access-token": token})
    assert answer.status_code == 400 and field in fields(json.loads(answer.body)), answer.body
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]["status"] == "pending"


@pytest.mark.parametrize("paid_at", [-1, 1700000000, "100", 1.5, "2026-03-01T10:00:00"])
def test_paid_at_is_an_rfc3339_instant_with_its_offset(http, tenant, customer, paid_at):
    charge = new_charge(http, tenant, customer)
    status, problem = call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
                           {"amount_cents": 100, "paid_at": paid_at, "method": "transfer"})
    assert status == 400 and "paid_at" in fields(problem), problem


def test_unknown_customer_or_order_of_a_charge_is_404_naming_it(http, tenant, customer):
    status, problem = call(http, tenant, "POST", "/v1/charges",
                           charge_body(customer, customer_id="cus_01JAAAAAAAAAAAAAAAAAAAAAAA"))
    assert status == 404 and fields(problem) == {"customer_id"}, problem
    status, problem = call(http, tenant, "POST", "/v1/charges",
                           charge_body(customer, order_id="ord_01JAAAAAAAAAAAAAAAAAAAAAAA"))
    assert status == 404 and fields(problem) == {"order_id"}, problem
    status, problem = call(http, tenant, "POST", "/v1/invoices", {"order_id": "ord_01JAAAAAAAAAAAAAAAAAAAAAAA"})
    assert status == 404 and fields(problem) == {"order_id"}, problem


def test_an_older_charge_snapshot_arriving_late_changes_nothing(http, tenant):
    order, charge = pix_order_with_its_charge(http, tenant)
    call(http, tenant, "POST", f"/v1/charges/{charge['id']}/payments",
         {"amount_cents": charge["amount_cents"], "paid_at": instant_before(hours=1), "method": "pix"})
    for kind in ("charge.paid", "charge.created"):  # out of order, as concurrent consumers may deliver them
        event = call(http, tenant, "GET", f"/v1/events?type={kind}")[1]["data"][0]
        deliver_event("orders_consumer", kind, tenant, event["data"], event["id"])
    placed = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert (placed["payment_status"], placed["paid_cents"]) == ("paid", order["total_cents"]), placed


def test_money_landing_on_a_cancelled_charge_shows_as_the_orders_refund_due(http, tenant):
    order, charge = pix_order_with_its_charge(http, tenant)
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/cancel", {"reason": "cliente desistiu"})[0] == 200
    cancelled = call(http, tenant, "GET", "/v1/events?type=order.cancelled")[1]["data"][0]
    deliver_event("collections_consumer", "order.cancelled", tenant, cancelled["data"], cancelled["id"])
    assert call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]["status"] == "cancelled"
    raw = notice(tenant, charge, event_id="evt-late")
    status, answer = post_notice(http, raw, signed(secret_of(http, tenant), raw))
    assert status == 200 and answer["outcome"] == "charge_cancelled", answer
    [event] = call(http, tenant, "GET", "/v1/events?type=charge.payment_unapplied")[1]["data"]
    assert event["data"]["charge"]["unapplied_cents"] == charge["amount_cents"]
    deliver_event("orders_consumer", "charge.payment_unapplied", tenant, event["data"], event["id"])
    placed = call(http, tenant, "GET", f"/v1/orders/{order['id']}")[1]
    assert (placed["status"], placed["refund_due_cents"]) == ("cancelled", charge["amount_cents"]), placed
