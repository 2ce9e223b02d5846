"""Fine and interest on a late payment (multa e juros), over the Brazilian bank calendar.

Dates are calendar dates in America/Sao_Paulo (see `chalicelib.platform.clock.business_date`).
Money is integer centavos; rates are Decimal percentages (never floats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from chalicelib.platform.clock import business_date
from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.money import round_cents

B2C_FINE_CAP_PERCENT = Decimal(2)  # CDC art. 52 §1º
DAYS_PER_MONTH = 30  # pro rata die: 1/30 of the monthly rate per day late


class InterestError(InvalidRequestError):
    """Fine or interest parameters are not valid."""

    code = "invalid_fine_or_interest"


# --- the bank calendar (data) -------------------------------------------------------------------

class FixedHoliday(NamedTuple):
    month: int
    day: int
    name: str
    since: int = 0  # first year it is observed


class EasterHoliday(NamedTuple):
    offset_days: int  # from Easter Sunday
    name: str


# Days that are not business days for the financial system besides weekends (CMN Resolução 4.880/2020):
# national holidays (Leis 662/1949, 6.802/1980, 10.607/2002, 14.759/2023) plus Carnaval Monday and Tuesday,
# Good Friday and Corpus Christi. FEBRABAN's 2025 calendar lists these 13 dates. Ash Wednesday (banks open
# at noon) is a business day; local (state, municipal) holidays are not modelled.
FIXED_HOLIDAYS: tuple[FixedHoliday, ...] = (
    FixedHoliday(1, 1, "Confraternização Universal"),
    FixedHoliday(4, 21, "Tiradentes"),
    FixedHoliday(5, 1, "Dia do Trabalho"),
    FixedHoliday(9, 7, "Independência do Brasil"),
    FixedHoliday(10, 12, "Nossa Senhora Aparecida"),
    FixedHoliday(11, 2, "Finados"),
    FixedHoliday(11, 15, "Proclamação da República"),
    FixedHoliday(11, 20, "Dia Nacional de Zumbi e da Consciência Negra", since=2024),
    FixedHoliday(12, 25, "Natal"),
)
EASTER_HOLIDAYS: tuple[EasterHoliday, ...] = (
    EasterHoliday(-48, "Carnaval (segunda-feira)"),
    EasterHoliday(-47, "Carnaval (terça-feira)"),
    EasterHoliday(-2, "Sexta-feira da Paixão"),
    EasterHoliday(60, "Corpus Christi"),
)


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> dict[date, str]:
    """Every national bank holiday of a year, by date."""
    out = {date(year, h.month, h.day): h.name for h in FIXED_HOLIDAYS if year >= h.since}
    easter = easter_sunday(year)
    out.update({easter + timedelta(days=h.offset_days): h.name for h in EASTER_HOLIDAYS})
    return out


def _as_date(value: date, name: str) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InterestError(f"{name} must be a date or an aware datetime.", [FieldError(name, "is a naive datetime")])
        return business_date(value)
    return value


def is_business_day(day: date) -> bool:
    """A weekday that is not a national bank holiday."""
    day = _as_date(day, "date")
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_business_day(day: date) -> date:
    """The day itself when it is a business day, else the first business day after it."""
    day = _as_date(day, "date")
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


# --- amount due ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AmountDue:
    """What a payer owes on a given date, in centavos; `total` = principal + fine + interest."""

    principal: int
    fine: int
    interest: int
    total: int
    days_late: int


def _percent(value: Decimal | int | str, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise InterestError(f"{name} must be a Decimal, int or str, never a float.", [FieldError(name, "must not be a float")])
    try:
        percent = Decimal(value)
    except ArithmeticError as exc:
        raise InterestError(f"{name} is not a number.", [FieldError(name, "is not a number")]) from exc
    if not percent.is_finite() or percent < 0:
        raise InterestError(f"{name} must be a non-negative percentage.", [FieldError(name, "must be >= 0")])
    return percent


def effective_fine_percent(fine_percent: Decimal | int | str, payer_is_consumer: bool) -> Decimal:
    """The fine a payer can be charged: the agreed one, capped at 2% for a consumer (CDC art. 52 §1º)."""
    rate = _percent(fine_percent, "fine_percent")
    return min(rate, B2C_FINE_CAP_PERCENT) if payer_is_consumer else rate


def days_late(due_date: date, pay_date: date) -> int:
    """Days between the due date (moved to the next business day) and the payment date; 0 when on time."""
    effective_due = next_business_day(_as_date(due_date, "due_date"))
    return max(0, (_as_date(pay_date, "pay_date") - effective_due).days)


def amount_due(amount_cents: int, due_date: date, pay_date: date, fine_percent: Decimal | int | str,
               interest_monthly_percent: Decimal | int | str, payer_is_consumer: bool) -> AmountDue:
    """Principal + fine (once, capped at 2% for a consumer) + simple interest pro rata die, each half-up to the centavo.

    fine = amount × fine%; interest = amount × monthly% × days_late / 30; both only when days_late > 0.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise InterestError("The amount must be a non-negative integer number of centavos.",
                            [FieldError("amount_cents", "must be an integer >= 0")])
    fine_rate = effective_fine_percent(fine_percent, payer_is_consumer)
    monthly_rate = _percent(interest_monthly_percent, "interest_monthly_percent")
    late = days_late(due_date, pay_date)
    if late == 0:
        return AmountDue(principal=amount_cents, fine=0, interest=0, total=amount_cents, days_late=0)
    principal = Decimal(amount_cents)
    fine = round_cents(principal * fine_rate / 100)
    interest = round_cents(principal * monthly_rate / 100 * late / DAYS_PER_MONTH)
    return AmountDue(principal=amount_cents, fine=fine, interest=interest, total=amount_cents + fine + interest,
                     days_late=late)
