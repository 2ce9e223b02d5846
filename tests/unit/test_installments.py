"""Installment rules: amounts to the centavo, remainder first, monthly due dates clamped to month end."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.orders.installments import Installment, InstallmentPlanError, add_months, plan_installments


def test_the_remainder_centavos_go_on_the_first_installment():
    plan = plan_installments(10_000, 3, date(2026, 1, 10), 30)
    assert [p.amount_cents for p in plan] == [3_334, 3_333, 3_333]


def test_the_first_is_due_after_the_given_days_then_monthly_on_the_same_day():
    plan = plan_installments(30_000, 3, date(2026, 1, 10), 5)
    assert plan == [Installment(1, date(2026, 1, 15), 10_000), Installment(2, date(2026, 2, 15), 10_000),
                    Installment(3, date(2026, 3, 15), 10_000)]


def test_a_31st_is_clamped_to_month_end_and_comes_back_when_the_month_has_it():
    plan = plan_installments(400, 4, date(2026, 1, 31), 0)
    assert [p.due_date for p in plan] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_february_29_in_a_leap_year():
    assert add_months(date(2027, 12, 29), 2) == date(2028, 2, 29)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_installments_are_returned_as_number_due_date_amount_tuples():
    (number, due, amount), = plan_installments(500, 1, date(2026, 5, 1), 10)
    assert (number, due, amount) == (1, date(2026, 5, 11), 500)


@pytest.mark.parametrize(("total", "count", "days"), [(0, 1, 0), (2, 3, 0), (100, 0, 0), (100, 2, -1), (100, True, 0)])
def test_an_impossible_plan_is_rejected(total, count, days):
    with pytest.raises(InstallmentPlanError):
        plan_installments(total, count, date(2026, 1, 1), days)


@settings(max_examples=50, deadline=None)
@given(total=st.integers(1, 10**12), count=st.integers(1, 120), today=st.dates(date(2020, 1, 1), date(2060, 12, 31)),
       days=st.integers(0, 120))
def test_installments_sum_to_the_total_and_fall_monthly(total, count, today, days):
    if total < count:
        total = count
    plan = plan_installments(total, count, today, days)
    assert sum(p.amount_cents for p in plan) == total
    assert [p.number for p in plan] == list(range(1, count + 1))
    later_amounts = {p.amount_cents for p in plan[1:]}
    assert len(later_amounts) <= 1
    assert all(0 <= plan[0].amount_cents - amount < count for amount in later_amounts)
    first_day = plan[0].due_date.day
    for earlier, later in pairwise(plan):
        assert (later.due_date.year * 12 + later.due_date.month) - (earlier.due_date.year * 12 + earlier.due_date.month) == 1
        assert later.due_date.day <= first_day
