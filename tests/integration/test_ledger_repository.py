"""The ledger's behaviour over the in-memory table, moto and DynamoDB Local: an event posts once (run
twice, or by 8 callers at once), a document is reversed once whichever event asks, money owed back on
a charge is booked by what grew whatever order its events arrive in, the monthly totals equal the journal,
and the journal reads in date order by range and account. The books are audited after each test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.ledger import service
from chalicelib.ledger.invariants import audit
from chalicelib.platform.events import Event
from tests.deps import root
from tests.integration.test_stock_concurrency import run_concurrently

TENANT = "ten_01JLEDGERLEDGERLEDGERLEDGE"


@pytest.fixture(autouse=True)
def books(store):
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    use(clock=FixedClock(datetime(2026, 3, 2, 15, tzinfo=UTC)))
    yield
    assert audit(TENANT, root().ledger_repository) == []


def event(event_type: str, data: dict, n: int = 1, at: str = "2026-03-02T15:00:00.000Z") -> Event:
    code = "".join(word[:3] for word in event_type.split(".")).upper()
    return Event(id=f"evt_01J{code}{n:017d}", type=event_type, tenant_id=TENANT, occurred_at=at,
                 data=data)


def invoice(total: int = 11000, shipping: int = 1000, **taxes: int) -> dict:
    return {"invoice": {"id": "inv_01JAAAAAAAAAAAAAAAAAAAAAAA", "number": 7, "series": 1,
                        "authorized_at": "2026-03-02T15:00:00.000Z",
                        "totals": {"products_cents": total - shipping, "shipping_cents": shipping,
                                   "total_cents": total, **taxes}}}


def balances(as_of: date = date(2026, 3, 31)) -> dict[str, int]:
    body = service.trial_balance(TENANT, as_of, root().ledger)
    assert body["totals"]["debit_cents"] == body["totals"]["credit_cents"]
    return {row["code"]: row["balance_cents"] for row in body["accounts"]}


def test_an_event_posts_once_however_often_it_comes(store):
    authorized = event("invoice.authorized", invoice(icms_cents=1800, pis_cents=165, cofins_cents=760))
    assert service.post_event(authorized, root().ledger) is True
    assert service.post_event(authorized, root().ledger) is False
    assert balances() == {"1.1.2.01": 11000, "2.1.2.01": 1800, "2.1.2.02": 165, "2.1.2.03": 760,
                          "3.1.01": 10000, "3.1.02": 1000, "3.2.02": -1800, "3.2.03": -165, "3.2.04": -760}


def test_eight_callers_posting_one_event_at_once_write_one_entry(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    authorized = event("invoice.authorized", invoice())
    outcomes = run_concurrently(8, lambda _: str(service.post_event(authorized, root().ledger)))
    assert outcomes == {"True": 1, "False": 7}, outcomes


def test_entries_of_one_account_at_once_all_land(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    lines = [{"account": "1.1.1.02", "debit_cents": 100}, {"account": "2.3.1.01", "credit_cents": 100}]
    outcomes = run_concurrently(6, lambda i: service.manual_entry(TENANT, date(2026, 3, 2), f"aporte {i}", lines,
                                                                    root().ledger).id[:4])
    assert outcomes == {"jnl_": 6}, outcomes
    assert balances()["1.1.1.02"] == 600


def test_a_document_is_reversed_once_whichever_event_asks(store):
    service.post_event(event("invoice.authorized", invoice()), root().ledger)
    assert service.post_event(event("invoice.cancelled", invoice(), 1), root().ledger) is True
    assert service.post_event(event("invoice.cancelled", invoice(), 2), root().ledger) is False  # another event
    assert all(v == 0 for v in balances().values())
    entry, reversed_by = root().ledger_repository.document_entry(TENANT, "invoice", "inv_01JAAAAAAAAAAAAAAAAAAAAAAA")
    assert reversed_by and root().ledger_repository.get_entry(TENANT, reversed_by).reverses == entry.id


def test_a_cancellation_before_the_sale_is_booked_is_retried_not_lost(store):
    with pytest.raises(service.DocumentNotBookedYetError):
        service.post_event(event("invoice.cancelled", invoice()), root().ledger)
    assert balances() == {}


def test_money_owed_back_is_booked_by_what_grew_in_any_order(store):
    def unapplied(cents: int, n: int) -> Event:
        return event("charge.payment_unapplied", {"charge": {"id": "chg_01JAAAAAAAAAAAAAAAAAAAAAAA",
                                                             "amount_cents": 5000, "unapplied_cents": cents}}, n)

    service.post_event(unapplied(3000, 2), root().ledger)  # the second payment's event first
    service.post_event(unapplied(1000, 1), root().ledger)  # the first one's, late: nothing grew
    service.post_event(unapplied(3000, 2), root().ledger)
    assert balances() == {"1.1.1.02": 3000, "2.1.3.01": 3000}


def test_a_payment_books_principal_fine_and_interest_and_an_overpayment(store):
    paid = event("charge.paid", {"charge": {"id": "chg_01JAAAAAAAAAAAAAAAAAAAAAAA", "amount_cents": 10000,
                                            "paid_amount_cents": 10700, "overpaid_cents": 300,
                                            "paid_at": "2026-03-03T02:30:00.000Z"}})  # 23:30 on the 2nd in SP
    service.post_event(paid, root().ledger)
    assert balances() == {"1.1.1.02": 10700, "1.1.2.01": -10000, "2.1.3.01": 300, "3.3.01": 400}
    [entry] = root().ledger_repository.entries_between(TENANT, "2026-03-02", "2026-03-02")
    assert entry.date == "2026-03-02"


def test_a_shipment_books_its_cost_from_the_catalog(store):
    from chalicelib.ledger.service import LedgerDeps

    deps = LedgerDeps(repo=root().ledger_repository, ids=root().ids, clock=root().clock,
                      costs=lambda tenant, skus: {"CAFE": 1400, "ACUCAR": 0})
    shipped = event("order.shipped", {"order": {"id": "ord_01JAAAAAAAAAAAAAAAAAAAAAAA", "lines": [
        {"sku": "CAFE", "quantity": 3}, {"sku": "ACUCAR", "quantity": 2}]}})
    service.post_event(shipped, deps)
    assert balances() == {"1.1.3.01": -4200, "4.1.01": 4200}
    free = event("order.shipped", {"order": {"id": "ord_01JBBBBBBBBBBBBBBBBBBBBBBB",
                                             "lines": [{"sku": "ACUCAR", "quantity": 2}]}}, 2)
    assert service.post_event(free, deps) is False  # no cost, no entry


def test_the_trial_balance_adds_months_before_to_the_days_of_its_month(store):
    lines = [{"account": "1.1.1.02", "debit_cents": 100}, {"account": "2.3.1.01", "credit_cents": 100}]
    for day in (date(2026, 1, 15), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)):
        service.manual_entry(TENANT, day, "aporte", lines, root().ledger)
    assert balances(date(2026, 1, 14)) == {}
    assert balances(date(2026, 1, 31))["1.1.1.02"] == 100
    assert balances(date(2026, 3, 1))["1.1.1.02"] == 300
    assert balances(date(2026, 3, 2))["2.3.1.01"] == 400


def test_the_journal_reads_in_date_order_by_range_and_account(store):
    repo = root().ledger_repository
    bank = [{"account": "1.1.1.02", "debit_cents": 100}, {"account": "2.3.1.01", "credit_cents": 100}]
    fee = [{"account": "4.3.01", "debit_cents": 10}, {"account": "1.1.1.02", "credit_cents": 10}]
    made = [service.manual_entry(TENANT, day, memo, lines, root().ledger).id
            for day, memo, lines in ((date(2026, 3, 2), "c", bank), (date(2026, 2, 1), "a", fee),
                                     (date(2026, 2, 20), "b", bank))]
    for limit in (1, 2, 10):
        seen, cursor = [], None
        while True:
            page = repo.list_entries(TENANT, "2026-02-01", "2026-03-02", None, limit, cursor)
            seen += [e.memo for e in page.items]
            if (cursor := page.next_cursor) is None:
                break
        assert seen == ["a", "b", "c"], limit
    assert [e.memo for e in repo.list_entries(TENANT, "2026-02-01", "2026-03-02", "4.3.01", 10, None).items] == ["a"]
    assert [e.memo for e in repo.list_entries(TENANT, "2026-02-02", "2026-03-01", None, 10, None).items] == ["b"]
    assert repo.get_entry(TENANT, made[0]).memo == "c"
