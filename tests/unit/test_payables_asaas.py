"""Asaas's bill payment at the HTTP seam (recorded JSON, no network) and its BILL_* webhooks' mapping."""

from __future__ import annotations

import json
from datetime import date

import pytest
import requests
import responses

from chalicelib.collections.providers.asaas import SANDBOX_URL, AsaasProvider
from chalicelib.collections.signatures import InvalidSignatureError
from chalicelib.payables import asaas
from chalicelib.payables.providers import BillRequest
from chalicelib.platform.errors import InvalidRequestError, ServiceUnavailableError
from tests.unit.test_charges_asaas import TENANT, fixture

BILL = "bil_01JCCCCCCCCCCCCCCCCCCCCCCC"
LINE = "34191090000012345678901234567890183340000012345"
TODAY = date(2026, 3, 2)


def payer() -> asaas.AsaasBillPayer:
    return asaas.AsaasBillPayer(AsaasProvider("key", requests.Session()))


def paid_event(**bill: object) -> dict:
    event = fixture("webhook_bill_paid.json")
    event["bill"] |= {"externalReference": f"{TENANT}:{BILL}", **bill}
    return event


@responses.activate
@pytest.mark.parametrize("schedule_date", [None, date(2026, 3, 5)])
def test_a_bill_is_handed_over_by_its_linha_digitavel_and_our_reference(schedule_date):
    responses.post(f"{SANDBOX_URL}/bill", json=fixture("bill_created.json"))
    provider_id = payer().submit(BillRequest(reference=f"{TENANT}:{BILL}", digitable_line=LINE, amount_cents=12_345,
                                             description="Energia", schedule_date=schedule_date))
    assert provider_id == "f1bce822-6f37-4905-8de8-f1af9f2f4bab"
    sent = json.loads(responses.calls[0].request.body)
    assert sent["identificationField"] == LINE and sent["externalReference"] == f"{TENANT}:{BILL}"
    # Now: no scheduleDate at all (Asaas refuses today's date as a schedule); later: the day.
    assert sent.get("scheduleDate") == (schedule_date.isoformat() if schedule_date else None)
    assert responses.calls[0].request.headers["access_token"] == "key"


@responses.activate
def test_a_refusal_is_400_with_asaas_reasons_and_an_outage_503():
    responses.post(f"{SANDBOX_URL}/bill", status=400, json={"errors": [
        {"code": "invalid_action", "description": "Não é possível agendar o pagamento de uma conta vencida."}]})
    request = BillRequest(reference="r", digitable_line=LINE, amount_cents=1, description="x", schedule_date=None)
    with pytest.raises(InvalidRequestError) as caught:
        payer().submit(request)
    assert "vencida" in caught.value.errors[0].message
    responses.replace(responses.POST, f"{SANDBOX_URL}/bill", status=502)
    with pytest.raises(ServiceUnavailableError):
        payer().submit(request)


@responses.activate
def test_find_looks_for_our_reference_among_the_latest_bills_page_by_page():
    mine = {**fixture("bill_created.json"), "id": "mine", "externalReference": f"{TENANT}:{BILL}"}
    failed = {**mine, "id": "failed-before", "status": "FAILED"}
    other = {**fixture("bill_created.json"), "id": "other", "externalReference": "someone else"}
    responses.get(f"{SANDBOX_URL}/bill?offset=0&limit=100", json={"data": [other, failed], "hasMore": True})
    responses.get(f"{SANDBOX_URL}/bill?offset=100&limit=100", json={"data": [mine], "hasMore": False})
    assert payer().find(f"{TENANT}:{BILL}") == "mine"
    assert payer().find(f"{TENANT}:bil_nobody") is None


def test_bill_paid_is_the_value_with_fine_and_interest_less_the_discount_in_centavos():
    notice = asaas.bill_notice_from_payload(paid_event(), TODAY)
    assert (notice.tenant_id, notice.payable_id, notice.outcome, notice.amount_cents, notice.paid_on) == (
        TENANT, BILL, "paid", 12_345, date(2026, 3, 2))
    assert notice.event_id == "bill:f1bce822-6f37-4905-8de8-f1af9f2f4bab"
    late = asaas.bill_notice_from_payload(paid_event(fine=2.47, interest=0.13, discount=0.05), TODAY)
    assert late.amount_cents == 12_345 + 247 + 13 - 5


def test_failed_and_cancelled_give_the_bill_back_and_the_rest_changes_nothing():
    for event in ("BILL_FAILED", "BILL_CANCELLED"):
        notice = asaas.bill_notice_from_payload({**paid_event(failReasons=["Saldo insuficiente"]), "event": event},
                                                TODAY)
        assert notice.outcome == "failed" and "Saldo insuficiente" in notice.reason and notice.event_id.endswith(
            event.lower())
    for event in ("BILL_CREATED", "BILL_PENDING", "BILL_BANK_PROCESSING", "BILL_REFUNDED", "PAYMENT_RECEIVED"):
        assert asaas.bill_notice_from_payload({**paid_event(), "event": event}, TODAY) is None


@pytest.mark.parametrize("reference", [None, "", f"{TENANT}:chg_01JBBBBBBBBBBBBBBBBBBBBBBB", "ten_x:bil_y"])
def test_a_bill_that_names_none_of_our_payables_is_400(reference):
    with pytest.raises(InvalidRequestError) as caught:
        asaas.bill_notice_from_payload(paid_event(externalReference=reference), TODAY)
    assert caught.value.errors[0].field == "bill.externalReference"


def test_a_bill_event_needs_the_tenants_access_token():
    raw = json.dumps(paid_event()).encode()
    secrets = {TENANT: "tok_123"}
    assert asaas.read_bill_notice(raw, {"asaas-access-token": "tok_123"}, secrets.get, TODAY).payable_id == BILL
    for headers in ({}, {"asaas-access-token": "nope"}):
        with pytest.raises(InvalidSignatureError):
            asaas.read_bill_notice(raw, headers, secrets.get, TODAY)
