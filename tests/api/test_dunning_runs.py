"""The daily dunning run through the API, over a calendar of charges with the clock stopped on Monday
2026-03-02 and moved day by day: before the due date, on it, late, paid in between, cancelled, paused,
and two charges of one customer on one day (one message). Every date is derived from that Monday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.api.test_catalog import call, customer_body
from tests.api.test_notifications import attachments, sent_mail

MONDAY = date(2026, 3, 2)


def day(n: int) -> str:
    return (MONDAY + timedelta(days=n)).isoformat()


def to_day(clock: Any, n: int) -> None:
    """Move the application's clock to `n` days after Monday, same time of day."""
    from tests.clock import app_today

    clock.advance(days=(MONDAY + timedelta(days=n) - app_today()).days)


def charge(http, tenant, customer_id: str, due: str, method: str = "boleto", amount: int = 10000) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/charges", {"customer_id": customer_id, "amount_cents": amount,
                                                              "due_date": due, "method": method,
                                                              "description": f"Pedido {amount}"})
    assert status == 201, body
    return body


def run(http, tenant, when: str | None = None, expect: int = 201) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/dunning/runs", {"date": when} if when else {})
    assert status == expect, body
    return body


def steps(http, tenant, charge_id: str) -> list[tuple[int, str, str]]:
    status, body = call(http, tenant, "GET", f"/v1/charges/{charge_id}/dunning")
    assert status == 200, body
    return [(s["offset_days"], s["template"], s["status"]) for s in body["data"]]


def dunning_mail(to: str) -> list[Any]:
    return [m for m in sent_mail() if m["To"] == to and "Pedido" in m.get_body(("plain",)).get_content()
            and "cobrança" not in m["Subject"].lower()]


@pytest.fixture
def maria(monday, http, tenant) -> dict[str, Any]:
    status, body = call(http, tenant, "POST", "/v1/customers", customer_body())
    assert status == 201, body
    return body


def test_a_calendar_of_charges_step_by_step(monday, http, tenant, maria):
    thursday = day(3)
    first = charge(http, tenant, maria["id"], thursday, "boleto", 10000)
    second = charge(http, tenant, maria["id"], thursday, "pix", 5000)
    later = charge(http, tenant, maria["id"], day(10), "boleto", 7000)

    # Monday: three days before Thursday, one "upcoming" message for both charges of Maria's.
    monday_run = run(http, tenant)
    assert (monday_run["date"], monday_run["steps_sent"], monday_run["messages_sent"]) == (day(0), 2, 1)
    assert monday_run["status"] == "completed" and monday_run["id"].startswith("dun_")
    assert monday_run["charges_evaluated"] == 2  # `later` is due on no date a step falls on today
    [message] = [n for n in call(http, tenant, "GET", f"/v1/notifications?charge_id={first['id']}")[1]["data"]
                 if n["template"] == "upcoming"]
    assert sorted(message["charge_ids"]) == sorted([first["id"], second["id"]])
    assert run(http, tenant, expect=200) == monday_run  # the same day again: the first run, nothing sent

    # Thursday: the second was paid; the first is due today.
    assert call(http, tenant, "POST", f"/v1/sandbox/charges/{second['id']}/pay", {})[0] == 200
    to_day(monday, 3)
    thursday_run = run(http, tenant)
    assert (thursday_run["steps_sent"], thursday_run["messages_sent"], thursday_run["overdue_marked"]) == (1, 1, 0)

    # Friday: the first is late (marked overdue) and Maria gets the WhatsApp step.
    to_day(monday, 4)
    friday_run = run(http, tenant)
    assert (friday_run["overdue_marked"], friday_run["steps_sent"]) == (1, 1)
    assert call(http, tenant, "GET", f"/v1/charges/{first['id']}")[1]["status"] == "overdue"
    [whatsapp] = call(http, tenant, "GET", f"/v1/notifications?channel=whatsapp&charge_id={first['id']}")[1]["data"]
    assert whatsapp["to"] == "5511987654321" and "em atraso" in whatsapp["text"]

    # A week after the (business) due date: an updated boleto for today's amount, fine and interest included.
    to_day(monday, 10)
    week_run = run(http, tenant)
    assert (week_run["steps_sent"], week_run["messages_sent"]) == (2, 2)  # and `later` is due today
    owed = call(http, tenant, "GET", f"/v1/charges/{first['id']}")[1]
    [mail] = [m for m in sent_mail() if "atraso" in m["Subject"].lower()]
    text = mail.get_body(("plain",)).get_content()
    assert "7 dias em atraso" in text and "R$ 102,23" in text  # 100,00 + 2 % fine + 1 %/month × 7/30
    assert owed["amount_due_cents"] == 10223
    linha = next(line for line in text.splitlines() if "Linha digitável" in line).split(": ")[1].replace(".", "").replace(" ", "")
    assert linha != first["boleto"]["digitable_line"] and linha.endswith("0000010223")
    assert linha[:9] == first["boleto"]["digitable_line"][:9]  # same bank, same campo livre start
    assert f"boleto-{first['id']}.pdf" in attachments(mail)

    assert steps(http, tenant, first["id"]) == [(-3, "upcoming", "sent"), (0, "due_today", "sent"),
                                                (1, "overdue", "sent"), (7, "overdue_reminder", "sent")]
    assert steps(http, tenant, second["id"]) == [(-3, "upcoming", "sent")]
    assert steps(http, tenant, later["id"]) == [(0, "due_today", "sent")]  # no run on day 7, its −3
    events = call(http, tenant, "GET", "/v1/events?type=dunning.step_sent")[1]["data"]
    assert len(events) == 6 and {e["data"]["step"]["charge_id"] for e in events} == {first["id"], second["id"], later["id"]}


def test_a_cancelled_charge_and_a_paused_customer_hear_nothing(monday, http, tenant, maria):
    cancelled = charge(http, tenant, maria["id"], day(3))
    assert call(http, tenant, "POST", f"/v1/charges/{cancelled['id']}/cancel", {})[0] == 200
    status, paused = call(http, tenant, "PATCH", f"/v1/customers/{maria['id']}", {"dunning_paused_until": day(4)})
    assert status == 200 and paused["dunning_paused_until"] == day(4)
    kept = charge(http, tenant, maria["id"], day(4))
    assert run(http, tenant)["steps_sent"] == 0  # cancelled: out of the index
    to_day(monday, 1)
    assert run(http, tenant)["steps_sent"] == 0  # paused until Friday: Tuesday's −3 is held back
    to_day(monday, 4)
    assert call(http, tenant, "PATCH", f"/v1/customers/{maria['id']}", {"dunning_paused_until": None})[0] == 200
    assert run(http, tenant)["steps_sent"] == 1  # Friday: due today, pause lifted
    assert steps(http, tenant, kept["id"]) == [(0, "due_today", "sent")]
    assert steps(http, tenant, cancelled["id"]) == []


def test_a_due_date_on_saturday_is_late_only_after_monday(monday, http, tenant, maria):
    saturday = charge(http, tenant, maria["id"], day(5), "pix", 3000)
    to_day(monday, 7)  # the next Monday: the due date moved here, not late yet
    monday_run = run(http, tenant)
    assert (monday_run["overdue_marked"], monday_run["steps_sent"]) == (0, 0)
    to_day(monday, 8)  # Tuesday: one day late
    tuesday_run = run(http, tenant)
    assert (tuesday_run["overdue_marked"], tuesday_run["steps_sent"]) == (1, 1)
    assert steps(http, tenant, saturday["id"]) == [(1, "overdue", "sent")]


def test_a_customer_without_a_phone_gets_a_recorded_skip_for_whatsapp(monday, http, tenant):
    nobody = call(http, tenant, "POST", "/v1/customers", customer_body(phone=None))[1]
    late = charge(http, tenant, nobody["id"], day(0), "pix", 2000)
    to_day(monday, 1)
    tuesday = run(http, tenant)
    assert (tuesday["steps_sent"], tuesday["messages_sent"]) == (0, 0)
    assert steps(http, tenant, late["id"]) == [(1, "overdue", "skipped")]
    assert run(http, tenant, expect=200)["id"] == tuesday["id"]


@pytest.mark.parametrize(("body", "field"), [({"date": "2026-13-01"}, "date"), ({"date": "2025-01-01"}, "date"),
                                             ({"date": "2026-06-01"}, "date"), ({"when": "today"}, "when")])
def test_a_bad_run_request_is_400_naming_the_field(monday, http, tenant, body, field):
    status, problem = call(http, tenant, "POST", "/v1/dunning/runs", body)
    assert status == 400 and field in {e["field"] for e in problem["errors"]}, problem


def test_the_steps_of_an_unknown_charge_are_404(monday, http, tenant):
    assert call(http, tenant, "GET", "/v1/charges/chg_01JAAAAAAAAAAAAAAAAAAAAAAA/dunning")[0] == 404
    assert call(http, tenant, "GET", "/v1/charges/nope/dunning")[0] == 404


def test_only_the_sandbox_runs_a_day_ahead(monday, http, tenant):
    import dataclasses

    from chalicelib.dunning import service
    from chalicelib.platform.errors import InvalidRequestError
    from tests.deps import root

    tomorrow = MONDAY + timedelta(days=1)
    assert service.run_day(tenant["id"], tomorrow, root().dunning) == tomorrow
    with pytest.raises(InvalidRequestError) as refused:
        service.run_day(tenant["id"], tomorrow, dataclasses.replace(root().dunning, future_runs=False))
    assert refused.value.errors[0].field == "date" and "sandbox" in refused.value.errors[0].message
    assert service.run_day(tenant["id"], MONDAY - timedelta(days=60), root().dunning) == MONDAY - timedelta(days=60)
