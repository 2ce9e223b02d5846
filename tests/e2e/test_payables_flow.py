"""Payables through `make run`'s stack: a supplier, a bill from a utility's arrecadação code, paid by hand,
and the books through the bus: the expense, the payment, nothing left owed to the supplier."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.platform.clock import business_date, rfc3339
from tests.api.conftest import tenant_body
from tests.api.test_suppliers import supplier_body
from tests.documents import fresh_cnpj
from tests.unit.test_payable_codes import ENERGY

pytestmark = pytest.mark.e2e


def test_a_utility_bill_is_registered_paid_and_booked(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="04252011000110"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    supplier = stack.call("POST", "/v1/suppliers", key, supplier_body()).json()
    due = (business_date(datetime.now(UTC)) + timedelta(days=5)).isoformat()
    made = stack.call("POST", "/v1/payables", key, {"supplier_id": supplier["id"], "description": "Energia",
                                                     "due_date": due, "document": {"digitable_line": ENERGY}})
    assert made.status_code == 201 and made.json()["amount_cents"] == 6678, made.text
    bill = made.json()
    paid = stack.call("POST", f"/v1/payables/{bill['id']}/payments", key, {
        "amount_cents": 6678, "paid_at": rfc3339(datetime.now(UTC) - timedelta(minutes=1)), "method": "boleto"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text

    def books() -> dict[str, int]:
        rows = stack.call("GET", "/v1/ledger/trial-balance", key).json()["accounts"]
        return {row["code"]: row["balance_cents"] for row in rows}

    stack.wait_for(lambda: books().get("1.1.1.02") == -6678)
    assert books()["4.2.01"] == 6678 and books().get("2.1.1.01", 0) == 0


def test_a_bill_scheduled_for_today_is_paid_by_the_days_run_and_a_later_one_waits(stack):
    """The stack's payables schedule fires every 2 s here (LOCAL_SCHEDULES): today's bill is paid by the local
    provider through its notice path and booked; one for next month stays scheduled. Past the day's cut-off
    "today" moves to the next business day (the answer says so) and then that bill waits too."""
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj=fresh_cnpj()))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    supplier = stack.call("POST", "/v1/suppliers", key, supplier_body()).json()
    today = business_date(datetime.now(UTC))
    bills = []
    for pay_on in (today, today + timedelta(days=30)):
        made = stack.call("POST", "/v1/payables", key, {"supplier_id": supplier["id"], "description": "Aluguel",
                                                         "amount_cents": 250_000,
                                                         "due_date": (today + timedelta(days=40)).isoformat()})
        scheduled = stack.call("POST", f"/v1/payables/{made.json()['id']}/schedule", key,
                               {"pay_on": pay_on.isoformat()})
        assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
        bills.append(scheduled.json())
    now, later = bills

    def status(bill: dict) -> str:
        return str(stack.call("GET", f"/v1/payables/{bill['id']}", key).json()["status"])

    if now["scheduled_for"] == today.isoformat():
        stack.wait_for(lambda: status(now) == "paid")
        paid = stack.call("GET", f"/v1/payables/{now['id']}", key).json()
        assert [p["source"] for p in paid["payments"]] == ["local"]
        stack.wait_for(lambda: {r["code"]: r["balance_cents"] for r in stack.call(
            "GET", "/v1/ledger/trial-balance", key).json()["accounts"]}.get("1.1.1.02") == -250_000)
    else:
        assert now["schedule_note"], now
        time.sleep(5)
        assert status(now) == "scheduled"
    assert status(later) == "scheduled"
