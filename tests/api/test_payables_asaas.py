"""A tenant on Asaas pays its bills through Asaas's bill payment (`POST /v3/bill`, recorded JSON at the HTTP
seam, no network): the code handed over now or for a day, a refusal named, a lost answer found again before
any second submission, and Asaas's BILL_* webhooks paying the bill once."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses

from tests.api.test_catalog import call, fields
from tests.api.test_charges import ASAAS_KEY, patch_settings
from tests.api.test_payables import _at, bill, boleto_line, books_stay_right  # noqa: F401
from tests.unit.test_charges_asaas import fixture

BASE = "https://api-sandbox.asaas.com/v3"
ASAAS_BILL = "f1bce822-6f37-4905-8de8-f1af9f2f4bab"


@pytest.fixture
def on_asaas(http, tenant) -> str:
    """The tenant on Asaas, on Monday 2026-03-02 at 10:00 in Brasília; its webhooks' access token."""
    _at(10)
    assert call(http, tenant, "PUT", "/v1/psp/asaas/credentials", {"api_key": ASAAS_KEY})[0] == 200
    assert patch_settings(http, tenant, {"provider": "asaas"})[0] == 200
    return str(call(http, tenant, "GET", "/v1/psp/asaas/webhook-secret")[1]["secret"])


def boleto_bill(http, tenant, supplier, due_in: int = 7) -> dict[str, Any]:
    status, made = bill(http, tenant, supplier, amount_cents=None, due_date=None,
                        document={"digitable_line": boleto_line(12_345, due_in)})
    assert status == 201, made
    return made


def schedule(http, tenant, payable_id: str, pay_on: str) -> tuple[int, Any]:
    return call(http, tenant, "POST", f"/v1/payables/{payable_id}/schedule", {"pay_on": pay_on})


def bill_event(http, token: str, tenant, payable_id: str, event: str = "BILL_PAID", **fields_: Any):
    payload = fixture("webhook_bill_paid.json")
    payload["event"] = event
    payload["bill"] |= {"externalReference": f"{tenant['id']}:{payable_id}", **fields_}
    return http.request("POST", "/v1/psp/asaas/bill-webhooks", raw=json.dumps(payload).encode(),
                        headers={"asaas-access-token": token})


def test_scheduled_today_asaas_pays_now_and_its_webhook_pays_the_bill_once(http, tenant, supplier, on_asaas):
    made = boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", json=fixture("bill_created.json"))
        status, scheduled = schedule(http, tenant, made["id"], "2026-03-02")
        sent = json.loads(asaas_api.calls[0].request.body)
    assert status == 200 and scheduled["status"] == "scheduled", scheduled
    assert sent == {"identificationField": made["document"]["digitable_line"], "description": made["description"],
                    "externalReference": f"{tenant['id']}:{made['id']}"}  # now: no scheduleDate
    assert scheduled["submission"] | {"at": None} == {
        "provider": "asaas", "status": "submitted", "reference": f"{tenant['id']}:{made['id']}",
        "pay_on": "2026-03-02", "provider_payment_id": ASAAS_BILL, "reason": None, "at": None}
    for _ in range(2):  # Asaas delivers at least once
        answer = bill_event(http, on_asaas, tenant, made["id"], fine=1.5)
        assert answer.status_code == 200, answer.body
        assert json.loads(answer.body) == {"received": True, "payable_id": made["id"], "status": "paid"}
    paid = call(http, tenant, "GET", f"/v1/payables/{made['id']}")[1]
    assert [(p["source"], p["amount_cents"], p["reference"]) for p in paid["payments"]] == [
        ("asaas", 12_345 + 150, f"bill:{ASAAS_BILL}")]
    types = [e["type"] for e in call(http, tenant, "GET", "/v1/events?limit=100")[1]["data"]]
    assert types.count("payable.scheduled") == 1 and types.count("payable.paid") == 1
    assert call(http, tenant, "POST", f"/v1/payables/{made['id']}/payments",
                {"amount_cents": 12_345, "paid_at": "2026-03-02T09:00:00-03:00", "method": "pix"})[0] == 409


def test_a_later_day_is_asaas_schedule_date_and_past_the_cut_off_it_moves_and_says_so(http, tenant, supplier,
                                                                                      on_asaas):
    made, late = boleto_bill(http, tenant, supplier), boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", json=fixture("bill_created.json"))
        assert schedule(http, tenant, made["id"], "2026-03-05")[0] == 200
        _at(18, 30)
        status, moved = schedule(http, tenant, late["id"], "2026-03-02")
        dates = [json.loads(c.request.body).get("scheduleDate") for c in asaas_api.calls]
    assert dates == ["2026-03-05", "2026-03-03"]
    assert status == 200 and moved["scheduled_for"] == "2026-03-03" and "18:00" in moved["schedule_note"], moved


def test_asaas_refusing_the_bill_is_400_with_its_reason_and_the_bill_stays_open(http, tenant, supplier, on_asaas):
    made = boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", status=400, json={"errors": [
            {"code": "invalid_identificationField", "description": "Linha digitável não encontrada."}]})
        status, problem = schedule(http, tenant, made["id"], "2026-03-02")
    assert status == 400 and "provider" in fields(problem), problem
    after = call(http, tenant, "GET", f"/v1/payables/{made['id']}")[1]
    assert after["status"] == "open" and after["submission"]["status"] == "failed"
    assert "não encontrada" in after["submission"]["reason"]


def test_a_lost_answer_is_503_and_the_retry_finds_the_first_submission_instead_of_paying_twice(
        http, tenant, supplier, on_asaas):
    made = boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", status=504)
        status, problem = schedule(http, tenant, made["id"], "2026-03-02")
    assert status == 503, problem
    assert call(http, tenant, "GET", f"/v1/payables/{made['id']}")[1]["submission"]["status"] == "pending"
    taken = {**fixture("bill_created.json"), "externalReference": f"{tenant['id']}:{made['id']}"}
    with responses.RequestsMock() as asaas_api:  # Asaas had taken it: found, not submitted again
        asaas_api.get(f"{BASE}/bill?offset=0&limit=100", json={"data": [taken], "hasMore": False})
        status, scheduled = schedule(http, tenant, made["id"], "2026-03-02")
        assert [c.request.method for c in asaas_api.calls] == ["GET"]
    assert status == 200 and scheduled["submission"]["provider_payment_id"] == ASAAS_BILL, scheduled


def test_the_days_run_resolves_a_submission_left_pending(http, tenant, supplier, on_asaas):
    from chalicelib.payables.service import run_daily
    from tests.deps import root

    found, never = boleto_bill(http, tenant, supplier), boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", body=requests.ConnectionError("reset"))
        assert schedule(http, tenant, found["id"], "2026-03-03")[0] == 503
        assert schedule(http, tenant, never["id"], "2026-03-03")[0] == 503
    taken = {**fixture("bill_created.json"), "externalReference": f"{tenant['id']}:{found['id']}"}
    _at(6, day="2026-03-03")
    with responses.RequestsMock() as asaas_api:
        asaas_api.get(f"{BASE}/bill?offset=0&limit=100", json={"data": [taken], "hasMore": False})
        assert run_daily(root().payables)["resolved"] == 2
        assert {c.request.method for c in asaas_api.calls} == {"GET"}  # the run never submits
    found_after, never_after = (call(http, tenant, "GET", f"/v1/payables/{b['id']}")[1] for b in (found, never))
    assert (found_after["status"], found_after["scheduled_for"]) == ("scheduled", "2026-03-03")
    assert (never_after["status"], never_after["submission"]["status"]) == ("open", "failed")


def test_asaas_failing_the_payment_gives_the_bill_back_to_a_person(http, tenant, supplier, on_asaas):
    made = boleto_bill(http, tenant, supplier)
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", json=fixture("bill_created.json"))
        schedule(http, tenant, made["id"], "2026-03-04")
    answer = bill_event(http, on_asaas, tenant, made["id"], "BILL_FAILED", failReasons=["Saldo insuficiente"])
    assert answer.status_code == 200 and json.loads(answer.body)["status"] == "open", answer.body
    after = call(http, tenant, "GET", f"/v1/payables/{made['id']}")[1]
    assert after["scheduled_for"] is None and "Saldo insuficiente" in after["submission"]["reason"]
    assert json.loads(bill_event(http, on_asaas, tenant, made["id"], "BILL_PENDING").body)["payable_id"] is None


def test_bill_webhooks_need_the_token_and_come_from_asaas_only(http, tenant, supplier, on_asaas):
    made = boleto_bill(http, tenant, supplier)
    assert bill_event(http, "wrong", tenant, made["id"]).status_code == 401
    assert http.request("POST", "/v1/psp/local/bill-webhooks", raw=b"{}").status_code == 404
    assert call(http, tenant, "GET", f"/v1/payables/{made['id']}")[1]["status"] == "open"


def test_an_overdue_boleto_is_paid_only_on_the_day(http, tenant, supplier, on_asaas):
    late = boleto_bill(http, tenant, supplier, due_in=-3)
    status, problem = schedule(http, tenant, late["id"], "2026-03-03")
    assert status == 400 and "pay_on" in fields(problem), problem
    with responses.RequestsMock() as asaas_api:
        asaas_api.post(f"{BASE}/bill", json=fixture("bill_created.json"))
        assert schedule(http, tenant, late["id"], "2026-03-02")[0] == 200
        assert "scheduleDate" not in json.loads(asaas_api.calls[0].request.body)


def test_asaas_pays_codes_so_a_bill_without_one_is_400_naming_document(http, tenant, supplier, on_asaas):
    from chalicelib.collections import pix

    code = pix.build_brcode(name="Fornecedor", city="Sao Paulo", key="11222333000181", amount_cents=9_900)
    for overrides in ({}, {"amount_cents": None, "document": {"pix_brcode": code}}):
        _, made = bill(http, tenant, supplier, **overrides)
        status, problem = schedule(http, tenant, made["id"], "2026-03-03")
        assert status == 400 and "document" in fields(problem), problem
