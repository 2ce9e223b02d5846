"""The Asaas v3 adapter at the HTTP seam (recorded JSON, no network) and its webhook mapping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import requests
import responses

from chalicelib.collections.providers import IssueRequest, Payee, Payer, asaas
from chalicelib.collections.signatures import InvalidSignatureError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "asaas"
TENANT = "ten_01JAAAAAAAAAAAAAAAAAAAAAAA"
CHARGE = "chg_01JBBBBBBBBBBBBBBBBBBBBBBB"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def request(method: str = "pix") -> IssueRequest:
    return IssueRequest(charge_id=CHARGE, method=method, amount_cents=15_000, due_date=date(2026, 11, 27),
                        description="Pedido", nosso_numero=None,
                        payee=Payee(TENANT, "Loja", "São Paulo", "11222333000181", "001", "1", "1", "1234567", None),
                        payer=Payer("cus_01JAAAAAAAAAAAAAAAAAAAAAAA", "Maria da Silva", "52998224725", None))


@responses.activate
def test_a_pix_charge_creates_the_customer_and_the_payment_in_reais():
    base = asaas.SANDBOX_URL
    responses.post(f"{base}/customers", json=fixture("customer_created.json"))
    responses.post(f"{base}/payments", json=fixture("payment_created_pix.json"))
    responses.get(f"{base}/payments/pay_080225913252/pixQrCode", json=fixture("pix_qrcode.json"))
    issued = asaas.AsaasProvider("key", requests.Session()).issue(request())
    assert issued.provider_charge_id == "pay_080225913252" and issued.pix.brcode.startswith("000201")
    sent = json.loads(responses.calls[1].request.body)
    assert sent["value"] == "150.00" and sent["billingType"] == "PIX" and sent["externalReference"] == f"{TENANT}:{CHARGE}"
    assert responses.calls[0].request.headers["access_token"] == "key"


@responses.activate
def test_asaas_refusals_are_400_naming_the_reason():
    responses.post(f"{asaas.SANDBOX_URL}/customers", status=400,
                   json={"errors": [{"code": "invalid_cpfCnpj", "description": "O CPF/CNPJ informado é inválido."}]})
    with pytest.raises(asaas.InvalidRequestError) as caught:
        asaas.AsaasProvider("key", requests.Session()).issue(request())
    assert "inválido" in caught.value.errors[0].message


def test_payment_received_maps_to_our_settlement_in_centavos():
    notice = asaas.notice_from_payload(fixture("webhook_payment_received.json"))
    assert (notice.tenant_id, notice.charge_id, notice.amount_cents, notice.method) == (TENANT, CHARGE, 15_000, "pix")
    assert notice.event_id == "payment:pay_080225913252" and notice.paid_at.startswith("2026-11-23")
    confirmed = {**fixture("webhook_payment_received.json"), "event": "PAYMENT_CONFIRMED", "id": "evt_other"}
    # CONFIRMED then RECEIVED for one card payment: one notice (the same money), so one settlement
    assert asaas.notice_from_payload(confirmed) == notice


def test_events_that_move_no_money_are_ignored():
    assert asaas.notice_from_payload(fixture("webhook_payment_created.json")) is None


def test_the_access_token_must_match_the_tenants_secret():
    raw = (FIXTURES / "webhook_payment_received.json").read_bytes()
    secrets = {TENANT: "tok_123"}
    assert asaas.read_notice(raw, {"asaas-access-token": "tok_123"}, secrets.get).charge_id == CHARGE
    for headers in ({}, {"asaas-access-token": "nope"}):
        with pytest.raises(InvalidSignatureError):
            asaas.read_notice(raw, headers, secrets.get)


@responses.activate
def test_asaas_out_of_reach_or_not_json_is_503_to_retry():
    responses.post(f"{asaas.SANDBOX_URL}/customers", body=requests.ConnectionError("no route to host"))
    with pytest.raises(asaas.ServiceUnavailableError):
        asaas.AsaasProvider("key", requests.Session()).issue(request())
    responses.replace(responses.POST, f"{asaas.SANDBOX_URL}/customers", body="<html>bad gateway</html>", status=200)
    with pytest.raises(asaas.ServiceUnavailableError):
        asaas.AsaasProvider("key", requests.Session()).issue(request())
    responses.replace(responses.POST, f"{asaas.SANDBOX_URL}/customers", body="", status=401)
    with pytest.raises(asaas.InvalidRequestError) as caught:
        asaas.AsaasProvider("key", requests.Session()).issue(request())
    assert caught.value.errors[0].field == "api_key"


@responses.activate
def test_a_late_payment_is_read_again_from_asaas_which_recomputes_its_value():
    from chalicelib.collections.model import Charge, PixInfo

    base = asaas.SANDBOX_URL
    responses.get(f"{base}/payments/pay_080225913252/pixQrCode", json=fixture("pix_qrcode.json"))
    charge = Charge(id=CHARGE, customer_id="cus_01JAAAAAAAAAAAAAAAAAAAAAAA", description="Pedido", method="pix",
                    amount_cents=15_000, due_date=date(2026, 11, 27), fine_percent=2, interest_monthly_percent=1,
                    payer_is_consumer=True, provider="asaas", provider_charge_id="pay_080225913252",
                    pix=PixInfo(txid="a" * 26, brcode="old"), created_at="x", updated_at="x")
    issued = asaas.AsaasProvider("key", requests.Session()).updated(charge, request().payee, date(2026, 12, 4), 15_100)
    assert issued.pix.brcode == fixture("pix_qrcode.json")["payload"] and issued.pix.txid == "a" * 26
    assert [c.request.method for c in responses.calls] == ["GET"]  # nothing created or changed at Asaas
