"""The order state table, row by row, and the pricing rules."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.orders.model import (
    MAX_TOTAL_CENTS,
    TRANSITIONS,
    LineRequest,
    Payment,
    check_amounts,
    merge_lines,
    next_status,
    payment_status,
    price_lines,
    totals,
)
from chalicelib.platform.errors import InvalidRequestError, InvalidStateError

STATUSES = ["confirmed", "invoiced", "shipped", "delivered", "cancelled"]
ACTIONS = ["invoice", "ship", "deliver", "cancel"]
ALLOWED = {
    ("confirmed", "invoice"): "invoiced",
    ("invoiced", "ship"): "shipped",
    ("shipped", "deliver"): "delivered",
    ("confirmed", "cancel"): "cancelled",
    ("invoiced", "cancel"): "cancelled",
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, ACTIONS)))
def test_the_state_table_allows_exactly_the_contracts_transitions(status, action):
    if (status, action) in ALLOWED:
        assert next_status(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(InvalidStateError):
            next_status(status, action)


def test_ship_from_confirmed_only_when_invoicing_is_off():
    assert next_status("confirmed", "ship", invoicing_enabled=False) == "shipped"
    with pytest.raises(InvalidStateError):
        next_status("confirmed", "ship", invoicing_enabled=True)
    assert set(TRANSITIONS) == set(ALLOWED) | {("confirmed", "ship")}


def test_lines_of_one_sku_at_one_price_are_merged():
    merged = merge_lines([LineRequest("A", 2, None), LineRequest("B", 1, 500), LineRequest("A", 3, None)])
    assert merged == [LineRequest("A", 5, None), LineRequest("B", 1, 500)]


def test_lines_of_one_sku_at_two_prices_are_rejected_naming_the_line():
    with pytest.raises(InvalidRequestError) as err:
        merge_lines([LineRequest("A", 1, 100), LineRequest("A", 1, 200)])
    assert err.value.errors[0].field == "lines.1.unit_price_cents"


def test_lines_take_the_catalog_price_unless_given_and_totals_add_up():
    lines = price_lines([LineRequest("A", 2, None), LineRequest("B", 3, 150)], {"A": 1000, "B": 999})
    assert [line.total_cents for line in lines] == [2000, 450]
    assert totals(lines, 1500) == {"products_cents": 2450, "shipping_cents": 1500, "total_cents": 3950}


@pytest.mark.parametrize(("amount", "paid", "late", "expected"), [
    (1000, 0, False, "pending"), (1000, 400, False, "partially_paid"), (1000, 400, True, "overdue"),
    (1000, 1000, True, "paid"), (1000, 1200, False, "paid"), (1000, 0, True, "overdue"),
])
def test_payment_status_follows_the_money_and_lateness(amount, paid, late, expected):
    assert payment_status(amount, paid, late) == expected


@pytest.mark.parametrize(("products", "shipping", "installments", "field"), [
    (MAX_TOTAL_CENTS + 1, 0, 1, "lines"),
    (10**18, 0, 1, "lines"),
    (MAX_TOTAL_CENTS, 1, 1, "shipping_cents"),
    (5, 6, 12, "payment.installments"),
    (0, 0, 1, "payment.installments"),
])
def test_an_order_total_must_fit_a_boleto_and_give_each_installment_a_centavo(products, shipping, installments, field):
    with pytest.raises(InvalidRequestError) as refused:
        check_amounts(products, shipping, installments)
    assert [e.field for e in refused.value.errors] == [field]


@pytest.mark.parametrize(("products", "shipping", "installments"), [
    (MAX_TOTAL_CENTS, 0, 12), (MAX_TOTAL_CENTS - 1, 1, 1), (0, 12, 12), (1, 0, 1)])
def test_totals_up_to_the_boleto_limit_with_a_centavo_per_installment_are_accepted(products, shipping, installments):
    check_amounts(products, shipping, installments)


def test_no_installment_falls_due_more_than_two_years_out():
    from datetime import date, timedelta

    from pydantic import ValidationError

    from chalicelib.orders.installments import plan_installments

    for too_far in ({"installments": 13}, {"first_due_in_days": 366}):
        with pytest.raises(ValidationError):
            Payment(method="boleto", **too_far)
    widest = Payment(method="boleto", installments=12, first_due_in_days=365)
    today = date(2026, 1, 31)
    plan = plan_installments(MAX_TOTAL_CENTS, widest.installments, today, widest.first_due_in_days)
    assert plan[-1].due_date - today < timedelta(days=2 * 366)
