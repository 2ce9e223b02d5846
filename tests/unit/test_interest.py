"""Fine and interest rules, and the bank calendar they count days on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.collections import interest
from chalicelib.collections.interest import AmountDue, InterestError

# Easter Sunday, from published tables (e.g. the US Naval Observatory's and Wikipedia's "List of dates for
# Easter"), including the earliest (March 22) and latest (April 25) possible dates.
EASTER = [date(1818, 3, 22), date(1943, 4, 25), date(2000, 4, 23), date(2008, 3, 23), date(2011, 4, 24),
          date(2019, 4, 21), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2038, 4, 25),
          date(2285, 3, 22)]


@pytest.mark.parametrize("sunday", EASTER)
def test_easter_follows_the_anonymous_gregorian_algorithm(sunday):
    assert interest.easter_sunday(sunday.year) == sunday


def test_2025_has_the_13_bank_holidays_febraban_published():
    # FEBRABAN 2025 (CMN Res. 4.880/2020), as reported by exame.com 2025-02 and rcn67.com.br 2025-02:
    # Carnaval 3-4 March, Good Friday 18 April, Corpus Christi 19 June, Consciência Negra 20 November.
    holidays = interest.bank_holidays(2025)
    assert len(holidays) == 13
    for day in (date(2025, 3, 3), date(2025, 3, 4), date(2025, 4, 18), date(2025, 6, 19), date(2025, 11, 20),
                date(2025, 1, 1), date(2025, 4, 21), date(2025, 12, 25)):
        assert day in holidays


def test_consciencia_negra_is_a_bank_holiday_only_from_2024():
    assert date(2023, 11, 20) not in interest.bank_holidays(2023)
    assert date(2024, 11, 20) in interest.bank_holidays(2024)


def test_ash_wednesday_is_a_business_day():
    assert interest.is_business_day(date(2025, 3, 5))


def test_weekends_are_not_business_days():
    assert not interest.is_business_day(date(2025, 3, 1))  # Saturday
    assert not interest.is_business_day(date(2025, 3, 2))  # Sunday
    assert interest.is_business_day(date(2025, 3, 6))


def test_a_due_date_on_a_business_day_stays_put():
    assert interest.next_business_day(date(2025, 3, 6)) == date(2025, 3, 6)


def test_a_due_date_on_saturday_before_carnaval_moves_to_ash_wednesday():
    assert interest.next_business_day(date(2025, 3, 1)) == date(2025, 3, 5)


def test_a_due_date_on_good_friday_moves_past_tiradentes_on_monday():
    # 2025: Good Friday 18 April, Easter 20 April, Tiradentes Monday 21 April.
    assert interest.next_business_day(date(2025, 4, 18)) == date(2025, 4, 22)


def test_an_aware_instant_is_read_as_a_sao_paulo_date():
    # 2025-03-07 01:00 UTC is still 2025-03-06 in São Paulo (UTC-3), a Thursday.
    assert interest.next_business_day(datetime(2025, 3, 7, 1, 0, tzinfo=UTC)) == date(2025, 3, 6)
    with pytest.raises(InterestError):
        interest.next_business_day(datetime(2025, 3, 7, 1, 0))


# --- amount due ---------------------------------------------------------------------------------

def test_paying_on_the_due_date_owes_only_the_principal():
    due = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 6), 2, 1, payer_is_consumer=True)
    assert due == AmountDue(principal=100_000, fine=0, interest=0, total=100_000, days_late=0)


def test_paying_on_the_moved_due_date_is_not_late():
    due = interest.amount_due(100_000, date(2025, 3, 1), date(2025, 3, 5), 2, 1, payer_is_consumer=True)
    assert due.days_late == 0 and due.total == 100_000


def test_days_late_count_from_the_moved_due_date():
    due = interest.amount_due(100_000, date(2025, 3, 1), date(2025, 3, 6), 2, 1, payer_is_consumer=True)
    assert due.days_late == 1


def test_ten_days_late_at_2_percent_fine_and_1_percent_a_month():
    # R$ 1.000,00: fine R$ 20,00; interest 1000 × 1% × 10/30 = R$ 3,333… -> R$ 3,33.
    due = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 16), Decimal("2"), Decimal("1"), False)
    assert due == AmountDue(principal=100_000, fine=2_000, interest=333, total=102_333, days_late=10)


def test_the_fine_applies_once_however_late():
    early = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 7), 2, 0, False)
    late = interest.amount_due(100_000, date(2025, 3, 6), date(2026, 3, 7), 2, 0, False)
    assert early.fine == late.fine == 2_000


def test_a_consumer_fine_is_capped_at_2_percent():
    due = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 7), 10, 0, payer_is_consumer=True)
    assert due.fine == 2_000


def test_a_business_payer_pays_the_agreed_fine():
    due = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 7), 10, 0, payer_is_consumer=False)
    assert due.fine == 10_000


@pytest.mark.parametrize(("agreed", "consumer", "effective"), [
    ("10", True, Decimal("2")), ("1.5", True, Decimal("1.5")), ("2", True, Decimal("2")),
    ("10", False, Decimal("10")), ("0", True, Decimal("0")),
])
def test_the_effective_fine_is_the_agreed_one_capped_at_2_percent_for_a_consumer(agreed, consumer, effective):
    assert interest.effective_fine_percent(Decimal(agreed), consumer) == effective


def test_half_a_centavo_rounds_up():
    # 100 centavos × 1% × 15/30 = 0.5 centavo -> 1; 25 centavos × 2% = 0.5 -> 1.
    assert interest.amount_due(100, date(2025, 3, 6), date(2025, 3, 21), 0, 1, False).interest == 1
    assert interest.amount_due(25, date(2025, 3, 6), date(2025, 3, 7), 2, 0, False).fine == 1


def test_rates_are_never_floats():
    with pytest.raises(InterestError):
        interest.amount_due(100, date(2025, 3, 6), date(2025, 3, 7), 2.0, 1, False)
    with pytest.raises(InterestError):
        interest.amount_due(100, date(2025, 3, 6), date(2025, 3, 7), "-1", 1, False)
    with pytest.raises(InterestError):
        interest.amount_due(100.0, date(2025, 3, 6), date(2025, 3, 7), 2, 1, False)


def test_rates_may_be_decimal_strings():
    due = interest.amount_due(100_000, date(2025, 3, 6), date(2025, 3, 16), "2.5", "0.033", False)
    assert (due.fine, due.interest) == (2_500, 11)  # 1000 × 0.033% × 10/30 = 0.11


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(amount=st.integers(0, 10**12), due=st.dates(date(2020, 1, 1), date(2040, 12, 31)), late=st.integers(-60, 400),
       fine=st.decimals(0, 20, places=2), rate=st.decimals(0, 10, places=3), consumer=st.booleans())
def test_the_total_is_principal_plus_fine_plus_interest_and_never_less_than_principal(amount, due, late, fine, rate,
                                                                                        consumer):
    result = interest.amount_due(amount, due, due + timedelta(days=late), fine, rate, consumer)
    assert result.total == result.principal + result.fine + result.interest >= amount
    if consumer:
        assert result.fine <= (Decimal(amount) * 2 / 100).to_integral_value(rounding="ROUND_HALF_UP")
    if result.days_late == 0:
        assert result.total == amount


@settings(max_examples=50, deadline=None)
@given(day=st.dates(date(1990, 1, 1), date(2100, 12, 31)))
def test_the_next_business_day_is_a_business_day_within_a_week(day):
    moved = interest.next_business_day(day)
    assert interest.is_business_day(moved)
    assert timedelta(0) <= moved - day < timedelta(days=7)
    assert all(not interest.is_business_day(day + timedelta(days=i)) for i in range((moved - day).days))
