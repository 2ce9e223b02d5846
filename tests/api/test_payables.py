"""Payables through the API: bills registered by hand and from their codes (bank boleto, arrecadação, Pix),
a wrong digit named by field, the state table row by row, paid exactly once whichever path comes first, and
the ledger's entries (expense against suppliers payable, suppliers payable against the bank, reversed on
cancel), audited after every scenario."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_catalog import call, fields
from tests.clock import app_today, days_ahead, instant_before
from tests.unit.test_payable_codes import ENERGY


@pytest.fixture(autouse=True)
def books_stay_right(tenant):
    yield
    from chalicelib.ledger.invariants import audit
    from tests.deps import root

    assert audit(tenant["id"], root().ledger_repository) == []


def bill(http, tenant, supplier, **overrides: Any) -> tuple[int, Any]:
    body = {"supplier_id": supplier["id"], "description": "Aluguel de dezembro", "amount_cents": 350_000,
            "due_date": days_ahead(10)}
    body.update(overrides)
    return call(http, tenant, "POST", "/v1/payables", {k: v for k, v in body.items() if v is not None})


def boleto_line(amount: int, due_in: int) -> str:
    from chalicelib.collections import boleto

    barcode = boleto.build_barcode("341", boleto.fator_vencimento(app_today() + timedelta(days=due_in)), amount,
                                   "1090000012345678901234567")
    return boleto.format_linha(boleto.barcode_to_linha(barcode))


def test_a_bill_by_hand_from_a_boleto_from_a_utility_code_and_from_a_pix_code(http, tenant, supplier):
    status, rent = bill(http, tenant, supplier, ledger_account="4.2.01")
    assert status == 201 and rent["id"].startswith("bil_") and rent["status"] == "open", rent
    status, boleto = bill(http, tenant, supplier, amount_cents=None, due_date=None,
                          document={"digitable_line": boleto_line(12_345, 7)})
    assert status == 201, boleto
    assert (boleto["amount_cents"], boleto["due_date"], boleto["document"]["kind"], boleto["document"]["bank_code"]) \
        == (12_345, days_ahead(7), "bank_boleto", "341")
    status, energy = bill(http, tenant, supplier, amount_cents=None, document={"digitable_line": ENERGY})
    assert status == 201 and (energy["amount_cents"], energy["document"]["segment"]) == (6678, "3"), energy
    from chalicelib.collections import pix

    code = pix.build_brcode(name="Fornecedor", city="Sao Paulo", key="11222333000181", amount_cents=9_900)
    status, by_pix = bill(http, tenant, supplier, amount_cents=None, document={"pix_brcode": code})
    assert status == 201 and by_pix["amount_cents"] == 9_900 and by_pix["document"]["kind"] == "pix", by_pix
    listed = call(http, tenant, "GET", f"/v1/payables?status=open&supplier_id={supplier['id']}")[1]["data"]
    assert [p["id"] for p in listed] == [by_pix["id"], energy["id"], boleto["id"], rent["id"]]
    assert [p["id"] for p in call(http, tenant, "GET", f"/v1/payables?due_before={days_ahead(8)}")[1]["data"]] == [
        boleto["id"]]


@pytest.mark.parametrize("overrides, field", [
    ({"document": {"digitable_line": ENERGY[:-1] + ("0" if ENERGY[-1] != "0" else "1")}}, "document.digitable_line"),
    ({"document": {"barcode": "1" * 44}}, "document.barcode"),
    ({"document": {"pix_brcode": "000201xyz"}}, "document.pix_brcode"),
    ({"document": {"digitable_line": ENERGY}, "amount_cents": None, "due_date": None}, "due_date"),
    ({"amount_cents": None}, "amount_cents"),
    ({"amount_cents": 0}, "amount_cents"),
    ({"ledger_account": "4.2"}, "ledger_account"),
    ({"ledger_account": "9.9.9"}, "ledger_account"),
    ({"supplier_id": "sup_x"}, "supplier_id"),
    ({"description": ""}, "description"),
    ({"document": {"barcode": "1" * 44, "digitable_line": ENERGY}}, "document"),
])
def test_bad_bills_are_400_naming_the_field(http, tenant, supplier, overrides, field):
    status, problem = bill(http, tenant, supplier, **overrides)
    assert status == 400 and field in fields(problem), problem
    assert call(http, tenant, "GET", "/v1/payables")[1]["data"] == []


def test_an_unknown_supplier_is_404_naming_it(http, tenant, supplier):
    status, problem = bill(http, tenant, supplier, supplier_id="sup_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (status, fields(problem)) == (404, {"supplier_id"})


def test_paid_once_and_the_state_table_row_by_row(http, tenant, supplier):
    _, first = bill(http, tenant, supplier)
    payment = {"amount_cents": 350_000, "paid_at": instant_before(minutes=5), "method": "pix"}
    status, paid = call(http, tenant, "POST", f"/v1/payables/{first['id']}/payments", payment)
    assert status == 200 and paid["status"] == "paid" and paid["paid_amount_cents"] == 350_000, paid
    for path, body in (("payments", payment), ("cancel", {})):
        status, problem = call(http, tenant, "POST", f"/v1/payables/{first['id']}/{path}", body)
        assert (status, problem["code"]) == (409, "invalid_state"), (path, problem)
    _, second = bill(http, tenant, supplier)
    status, cancelled = call(http, tenant, "POST", f"/v1/payables/{second['id']}/cancel", {})
    assert status == 200 and cancelled["status"] == "cancelled"
    for path, body in (("payments", payment), ("cancel", {})):
        assert call(http, tenant, "POST", f"/v1/payables/{second['id']}/{path}", body)[0] == 409
    status, problem = call(http, tenant, "POST", f"/v1/payables/{second['id']}/payments",
                           {**payment, "paid_at": "2999-01-01T00:00:00Z"})
    assert status == 400 and "paid_at" in fields(problem)


def test_the_books_see_the_expense_the_payment_and_the_cancellation(http, tenant, supplier):
    from tests.api.test_ledger import balances, deliver

    _, paid = bill(http, tenant, supplier, ledger_account="4.2.01")
    call(http, tenant, "POST", f"/v1/payables/{paid['id']}/payments",
         {"amount_cents": 351_000, "paid_at": instant_before(minutes=5), "method": "boleto"})  # R$ 10 late fee
    _, cancelled = bill(http, tenant, supplier, amount_cents=5_000, ledger_account="4.2.02")
    call(http, tenant, "POST", f"/v1/payables/{cancelled['id']}/cancel", {})
    for event_type in ("payable.created", "payable.paid", "payable.cancelled"):
        deliver(http, tenant, event_type)
    books = balances(http, tenant)
    assert (books["4.2.01"], books["4.3.02"], books["1.1.1.02"], books.get("2.1.1.01", 0)) == (
        350_000, 1_000, -351_000, 0)
    assert books.get("4.2.02", 0) == 0


def test_a_statement_debit_pays_its_bill_once_whichever_comes_first(http, tenant, supplier):
    from tests.api.test_bank_statements import ofx, upload
    from tests.api.test_ledger import balances, deliver

    today = app_today()
    _, rent = bill(http, tenant, supplier, amount_cents=350_000, due_date=days_ahead(2))
    _, energy = bill(http, tenant, supplier, amount_cents=6_678, due_date=days_ahead(1))
    call(http, tenant, "POST", f"/v1/payables/{energy['id']}/payments",  # paid by hand before the statement came
         {"amount_cents": 6_678, "paid_at": instant_before(minutes=5), "method": "boleto"})
    _, water = bill(http, tenant, supplier, amount_cents=4_321, due_date=days_ahead(25))  # outside the window
    status, statement = upload(http, tenant, ofx([(today, -350_000, "PAGTO BOLETO ALUGUEL", "D1"),
                                                  (today, -6_678, "PAGTO CONTA ENERGIA", "D2"),
                                                  (today, -4_321, "PAGTO AGUA", "D3")],
                                                 balance_cents=1_000_000 - 350_000 - 6_678 - 4_321))
    assert (status, statement["matched"], statement["unmatched"]) == (201, 1, 2), statement  # rent by amount
    after = call(http, tenant, "GET", f"/v1/payables/{rent['id']}")[1]
    assert (after["status"], after["payments"][0]["source"]) == ("paid", "statement")
    lines = {t["fitid"]: t for t in call(http, tenant, "GET", "/v1/bank-transactions")[1]["data"]}
    assert lines["D1"]["match"]["payable_id"] == rent["id"]
    # The energy bill was paid by hand: its line confirms that payment, it pays nothing twice.
    status, confirmed = call(http, tenant, "POST", f"/v1/bank-transactions/{lines['D2']['id']}/match",
                             {"payable_id": energy["id"]})
    assert status == 200 and confirmed["status"] == "matched", confirmed
    after = call(http, tenant, "GET", f"/v1/payables/{energy['id']}")[1]
    assert (after["status"], len(after["payments"])) == ("paid", 1)
    # A second line for the same bill, or a credit, is refused.
    status, problem = call(http, tenant, "POST", f"/v1/bank-transactions/{lines['D3']['id']}/match",
                           {"payable_id": rent["id"]})
    assert (status, problem["code"]) == (409, "invalid_state") and "payable_id" in fields(problem)
    assert call(http, tenant, "POST", f"/v1/bank-transactions/{lines['D3']['id']}/match",
                {"payable_id": "bil_01ARZ3NDEKTSV4RRFFQ69G5FAV"})[0] == 404
    status, _ = call(http, tenant, "POST", f"/v1/bank-transactions/{lines['D3']['id']}/match",
                        {"payable_id": water["id"]})
    assert status == 200 and call(http, tenant, "GET", f"/v1/payables/{water['id']}")[1]["status"] == "paid"
    # A person paying it again by hand is refused: the bank paid it.
    assert call(http, tenant, "POST", f"/v1/payables/{water['id']}/payments",
                {"amount_cents": 4_321, "paid_at": instant_before(minutes=1), "method": "pix"})[0] == 409
    for event_type in ("payable.created", "payable.paid", "bank_statement.imported", "bank_transaction.matched"):
        deliver(http, tenant, event_type)
    books = balances(http, tenant)
    assert books["1.1.1.10"] == 1_000_000 - 350_000 - 6_678 - 4_321 and books.get("1.1.1.02", 0) == 0
    assert books.get("2.1.1.01", 0) == 0
    check = call(http, tenant, "GET", f"/v1/bank-statements/{statement['id']}")[1]["balance_check"]
    assert check["balanced"] is True, check


def _at(hour: int, minute: int = 0, day: str = "2026-03-02"):
    """The application's clock at that time of a day in Brasília (2026-03-02 is a Monday)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    clock = FixedClock(datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(
        tzinfo=ZoneInfo("America/Sao_Paulo")))
    use(clock=clock)
    return clock


@pytest.mark.parametrize("hour, document, pay_on, expected, moved", [
    (10, None, "2026-03-02", "2026-03-02", False),
    (18, None, "2026-03-02", "2026-03-03", True),           # after 18:00
    (16, "energy", "2026-03-02", "2026-03-03", True),       # utilities close at 16:00
    (15, "energy", "2026-03-02", "2026-03-02", False),
    (10, None, "2026-03-07", "2026-03-09", True),           # a Saturday
    (17, None, "2026-04-03", "2026-04-06", True),           # Good Friday 2026, a bank holiday
])
def test_a_schedule_moves_past_the_cut_off_and_holidays_and_says_so(http, tenant, supplier, hour, document,
                                                                    pay_on, expected, moved):
    _at(hour)
    extra = {"document": {"digitable_line": ENERGY}, "amount_cents": None} if document else {}
    _, made = bill(http, tenant, supplier, due_date="2026-03-20", **extra)
    status, scheduled = call(http, tenant, "POST", f"/v1/payables/{made['id']}/schedule", {"pay_on": pay_on})
    assert status == 200 and scheduled["status"] == "scheduled", scheduled
    assert scheduled["scheduled_for"] == expected and (scheduled["schedule_note"] is not None) == moved, scheduled
    assert call(http, tenant, "POST", f"/v1/payables/{made['id']}/schedule", {"pay_on": pay_on})[0] == 409


def test_a_schedule_for_a_past_day_is_400(http, tenant, supplier):
    _, made = bill(http, tenant, supplier)
    status, problem = call(http, tenant, "POST", f"/v1/payables/{made['id']}/schedule", {"pay_on": days_ahead(-1)})
    assert status == 400 and "pay_on" in fields(problem)


def test_the_days_run_marks_late_bills_and_pays_the_scheduled_ones_once(http, tenant, supplier):
    from tests.deps import root

    _at(10)
    _, late = bill(http, tenant, supplier, due_date="2026-03-01")
    _, due = bill(http, tenant, supplier, due_date="2026-03-05")
    call(http, tenant, "POST", f"/v1/payables/{due['id']}/schedule", {"pay_on": "2026-03-02"})
    _, later = bill(http, tenant, supplier, due_date="2026-03-20")
    call(http, tenant, "POST", f"/v1/payables/{later['id']}/schedule", {"pay_on": "2026-03-10"})
    from chalicelib.payables.service import run_daily

    assert run_daily(root().payables) == {"overdue": 1, "paid": 1, "resolved": 0}
    assert run_daily(root().payables) == {"overdue": 0, "paid": 0, "resolved": 0}
    states = {p["id"]: p for p in call(http, tenant, "GET", "/v1/payables")[1]["data"]}
    assert (states[late["id"]]["status"], states[due["id"]]["status"], states[later["id"]]["status"]) == (
        "overdue", "paid", "scheduled")
    assert states[due["id"]]["payments"][0]["source"] == "local"
    types = [e["type"] for e in call(http, tenant, "GET", "/v1/events?limit=100")[1]["data"]]
    assert types.count("payable.overdue") == 1 and types.count("payable.scheduled") == 2
    # The sandbox pays the late one now, through the same notice path; a second time is 409.
    status, paid = call(http, tenant, "POST", f"/v1/sandbox/payables/{late['id']}/pay", {})
    assert status == 200 and paid["status"] == "paid" and paid["payments"][0]["source"] == "local"
    assert call(http, tenant, "POST", f"/v1/sandbox/payables/{late['id']}/pay", {})[0] == 409
