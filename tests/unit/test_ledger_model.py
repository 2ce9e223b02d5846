"""The ledger's pure rules: an entry balances by construction, every posting of any figures balances,
a reversal cancels its entry, the chart is a tree whose groups take no postings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.ledger import model
from chalicelib.ledger.model import DEFAULT_CHART, Entry, Line, Source, credit, debit
from chalicelib.platform.money import decimal_comma

cents = st.integers(min_value=0, max_value=10**11)


def entry(lines) -> Entry:
    return Entry(id="jnl_1", date="2026-03-02", memo="x", source=Source(event_id=None, type="manual"),
                 lines=tuple(lines), created_at="2026-03-02T12:00:00.000Z")


def balanced(lines) -> bool:
    return sum(ln.debit_cents for ln in lines) == sum(ln.credit_cents for ln in lines)


@pytest.mark.parametrize("lines", [
    [debit("1.1.1.02", 100), credit("2.3.1.01", 99)],
    [debit("1.1.1.02", 100)],
    [],
])
def test_an_entry_that_does_not_balance_cannot_be_built(lines):
    with pytest.raises(ValueError):
        entry(lines)


def test_a_line_is_one_sided():
    for sides in ({"debit_cents": 1, "credit_cents": 1}, {}, {"debit_cents": 0, "credit_cents": 0}):
        with pytest.raises(ValueError):
            Line(account="1.1.1.02", **sides)
    with pytest.raises(ValueError):
        Line(account="1.1.1.02", debit_cents=-1)


@given(total=cents, shipping=cents, icms=cents, pis=cents, cofins=cents, difal=cents)
def test_an_nfe_of_any_figures_books_a_balanced_entry(total, shipping, icms, pis, cofins, difal):
    posting = model.invoice_authorized({"id": "inv_1", "totals": {
        "total_cents": total, "shipping_cents": shipping, "icms_cents": icms, "pis_cents": pis,
        "cofins_cents": cofins, "icms_uf_dest_cents": difal}}, "2026-03-02")
    if total == 0:
        assert posting is None
        return
    assert balanced(posting.lines) and entry(posting.lines)
    receivable = sum(ln.debit_cents for ln in posting.lines if ln.account == model.RECEIVABLES)
    assert receivable == total


@given(principal=st.integers(min_value=1, max_value=10**11), paid=cents, overpaid=cents)
def test_a_payment_of_any_figures_books_a_balanced_entry(principal, paid, overpaid):
    posting = model.charge_paid({"id": "chg_1", "amount_cents": principal, "paid_amount_cents": paid,
                                 "overpaid_cents": overpaid}, "2026-03-02")
    if paid == 0:
        assert posting is None
        return
    assert balanced(posting.lines) and entry(posting.lines)
    assert sum(ln.debit_cents for ln in posting.lines if ln.account == model.BANK) == paid


@given(st.lists(st.tuples(st.sampled_from(["1.1.1.02", "2.3.1.01", "4.3.01"]), cents, st.booleans()), min_size=1))
def test_a_reversal_cancels_its_entry_account_by_account(rows):
    lines = [debit(a, c) if is_debit else credit(a, c) for a, c, is_debit in rows if c > 0]
    net: dict[str, int] = {}
    for line in [*model.net_lines(lines), *model.reversed_lines(model.net_lines(lines))]:
        net[line.account] = net.get(line.account, 0) + line.debit_cents - line.credit_cents
    assert all(v == 0 for v in net.values())


def test_the_default_chart_is_a_tree_of_five_types_with_analytic_leaves():
    for account in DEFAULT_CHART.values():
        if account.parent:
            parent = DEFAULT_CHART[account.parent]
            assert parent.group, account.code
            assert parent.type == account.type or (parent.code, account.type) == ("2", "equity")
        assert account.group == any(a.parent == account.code for a in DEFAULT_CHART.values())
    roles = [model.CASH, model.BANK, model.RECEIVABLES, model.INVENTORY, model.PAYABLES, model.SALES, model.COGS,
             model.FINANCIAL_INCOME, model.CUSTOMER_REFUNDS, model.DISCOUNTS_GIVEN, model.ICMS_PAYABLE]
    assert all(not DEFAULT_CHART[code].group for code in roles)
    assert {a.type for a in DEFAULT_CHART.values()} == {"asset", "liability", "equity", "revenue", "expense"}


def test_a_new_account_goes_one_level_under_a_group_of_its_type():
    group, leaf = DEFAULT_CHART["4.2"], DEFAULT_CHART["4.2.01"]
    assert model.check_new_account("4.2.10", group, None) == []
    assert [f for f, _ in model.check_new_account("4.2.01.1", leaf, None)] == ["parent"]
    assert [f for f, _ in model.check_new_account("4.3.10", group, None)] == ["code"]
    assert [f for f, _ in model.check_new_account("4.2.10", group, "asset")] == ["type"]
    assert [f for f, _ in model.check_new_account("9.1", None, None)] == ["parent"]


def test_balances_read_in_each_accounts_normal_direction():
    assert model.trial_balance_row(DEFAULT_CHART["1.1.1.02"], 500, 200)["balance_cents"] == 300
    assert model.trial_balance_row(DEFAULT_CHART["3.1.01"], 200, 500)["balance_cents"] == 300
    assert model.trial_balance_row(DEFAULT_CHART["3.2.02"], 180, 0)["balance_cents"] == -180  # a deduction


def test_amounts_are_written_as_a_brazilian_spreadsheet_reads_them():
    assert [decimal_comma(c) for c in (0, 5, 123456, -1990, 10**8)] == ["0,00", "0,05", "1234,56", "-19,90", "1000000,00"]


def test_an_entry_never_exceeds_one_transaction():
    with pytest.raises(ValueError, match="at most 40 lines"):
        model.Entry.model_validate({"id": "jnl_1", "date": "2026-03-02", "memo": "x",
                                    "source": {"event_id": None, "type": "manual"}, "created_at": "x",
                                    "lines": [{"account": "1.1.1.02", "debit_cents": 1}] * 21
                                    + [{"account": "2.3.1.01", "credit_cents": 1}] * 21})


def test_a_statement_line_books_against_its_bank_account():
    from chalicelib.ledger.model import bank_line, bank_opening

    pix = {"id": "btx_1", "amount_cents": 15_000, "description": "PIX", "source_format": "ofx",
           "match": {"charge_id": "chg_1"}}
    entry = bank_line(pix, "1.1.1.10", "2026-12-01")
    assert entry is not None and [(ln.account, ln.debit_cents, ln.credit_cents) for ln in entry.lines] == [
        ("1.1.1.10", 15_000, 0), ("1.1.1.02", 0, 15_000)]
    fee = {"id": "btx_2", "amount_cents": -1_250, "description": "TARIFA", "match": {"ledger_account": "4.3.01"}}
    entry = bank_line(fee, "1.1.1.10", "2026-12-01")
    assert entry is not None and [(ln.account, ln.debit_cents, ln.credit_cents) for ln in entry.lines] == [
        ("4.3.01", 1_250, 0), ("1.1.1.10", 0, 1_250)]
    assert bank_line({**pix, "source_format": "cnab240"}, "1.1.1.10", "2026-12-01") is None  # a cobrança report
    assert bank_line({**pix, "match": {"charge_id": "chg_1"}, "amount_cents": -5}, "1.1.1.10", "2026-12-01") is None
    assert bank_line(pix, None, "2026-12-01") is None
    opening = bank_opening({"bank_account_id": "bac_1", "opening_balance_cents": -300,
                            "bank_ledger_account": "1.1.1.10"}, "2026-12-01")
    assert opening is not None and [(ln.account, ln.debit_cents, ln.credit_cents) for ln in opening.lines] == [
        ("2.3.2.01", 300, 0), ("1.1.1.10", 0, 300)]
    assert bank_opening({"bank_account_id": "bac_1", "opening_balance_cents": 0,
                         "bank_ledger_account": "1.1.1.10"}, "2026-12-01") is None


def test_a_bill_books_its_expense_and_its_payment_with_the_late_fee():
    from chalicelib.ledger.model import payable_created, payable_paid

    bill = {"id": "bil_1", "amount_cents": 10_000, "ledger_account": "4.2.01", "origin": "manual",
            "description": "Aluguel"}
    entry = payable_created(bill, "2026-12-01")
    assert entry is not None and [(ln.account, ln.debit_cents, ln.credit_cents) for ln in entry.lines] == [
        ("4.2.01", 10_000, 0), ("2.1.1.01", 0, 10_000)]
    assert payable_created({**bill, "origin": "inbound_invoice"}, "2026-12-01") is None  # its acceptance books it
    late = payable_paid({**bill, "paid_amount_cents": 10_250}, "2026-12-02")
    assert late is not None and sorted((ln.account, ln.debit_cents, ln.credit_cents) for ln in late.lines) == [
        ("1.1.1.02", 0, 10_250), ("2.1.1.01", 10_000, 0), ("4.3.02", 250, 0)]
    early = payable_paid({**bill, "paid_amount_cents": 9_800}, "2026-12-02")
    assert early is not None and ("3.3.01", 0, 200) in [(ln.account, ln.debit_cents, ln.credit_cents)
                                                         for ln in early.lines]
