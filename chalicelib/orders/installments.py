"""Installments (parcelas): an order total split to the centavo, due monthly on the same day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import NamedTuple

from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.money import split_cents

MAX_INSTALLMENTS = 360


class InstallmentPlanError(InvalidRequestError):
    """The total, the count or the first due date do not make a valid installment plan."""

    code = "invalid_installment_plan"


class Installment(NamedTuple):
    number: int  # 1-based
    due_date: date
    amount_cents: int


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_installments(total_cents: int, count: int, today: date, first_due_in_days: int) -> list[Installment]:
    """`count` installments summing to `total_cents`, the remainder centavos on the FIRST one.

    The first is due `first_due_in_days` after `today`; each later one on the first's day-of-month,
    `k` months on (clamped to month end, always counted from the first so a 31st comes back).
    """
    errors = []
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTALLMENTS:
        errors.append(FieldError("installments", f"must be an integer in 1..{MAX_INSTALLMENTS}"))
    if isinstance(total_cents, bool) or not isinstance(total_cents, int) or total_cents < 1:
        errors.append(FieldError("total_cents", "must be a positive integer number of centavos"))
    elif not errors and total_cents < count:
        errors.append(FieldError("total_cents", f"cannot give {count} installments of at least 1 centavo"))
    if isinstance(first_due_in_days, bool) or not isinstance(first_due_in_days, int) or first_due_in_days < 0:
        errors.append(FieldError("first_due_in_days", "must be an integer >= 0"))
    if errors:
        raise InstallmentPlanError("The installment plan is not valid.", errors)
    first_due = today + timedelta(days=first_due_in_days)
    amounts = split_cents(total_cents, count)
    return [Installment(number=i + 1, due_date=add_months(first_due, i), amount_cents=amount)
            for i, amount in enumerate(amounts)]
