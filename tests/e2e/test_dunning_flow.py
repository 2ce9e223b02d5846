"""The régua through `make run`'s stack: a boleto charge from its first reminder to the third one after
the due date, each day's run once, the updated boleto for the day's amount, and the payment that stops it.
Days ahead are run through the sandbox's `date`; every date comes from the stack's own today."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.dunning.model import step_day
from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body

pytestmark = pytest.mark.e2e


def test_a_late_charge_hears_the_regua_until_it_is_paid(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="60701190000104"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    today = date.fromisoformat(stack.call("POST", "/v1/dunning/runs", key, {}).json()["date"])
    due = date.fromordinal(today.toordinal() + 4)  # its −3 is tomorrow: today's run is spent
    charge = stack.call("POST", "/v1/charges", key, {"customer_id": customer["id"], "amount_cents": 25000,
                                                     "due_date": due.isoformat(), "method": "boleto",
                                                     "description": "Pedido 7"}).json()

    def run(offset: int, expect: int = 201) -> dict:
        answer = stack.call("POST", "/v1/dunning/runs", key, {"date": step_day(offset, due).isoformat()})
        assert answer.status_code == expect, answer.text
        return answer.json()

    sent = {offset: run(offset) for offset in (-3, 0, 1, 7)}
    assert all(r["steps_sent"] == 1 for r in sent.values()), sent
    assert run(7, expect=200) == sent[7]
    steps = stack.call("GET", f"/v1/charges/{charge['id']}/dunning", key).json()["data"]
    assert [(s["offset_days"], s["channel"], s["status"]) for s in steps] == [
        (-3, "email", "sent"), (0, "email", "sent"), (1, "whatsapp", "sent"), (7, "email", "sent")]
    reminder = stack.call("GET", f"/v1/notifications/{steps[-1]['notification_id']}", key).json()
    assert reminder["template"] == "overdue_reminder" and reminder["charge_ids"] == [charge["id"]]
    assert "application/pdf" in {a["content_type"] for a in reminder["attachments"]}

    assert stack.call("POST", f"/v1/sandbox/charges/{charge['id']}/pay", key, {}).status_code == 200
    assert run(15)["steps_sent"] == 0
    assert len(stack.call("GET", f"/v1/charges/{charge['id']}/dunning", key).json()["data"]) == 4
