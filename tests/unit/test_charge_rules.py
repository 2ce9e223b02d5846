"""Charge rules: the tenant's collection settings, payment instants, the B2C fine, the due-date horizon
and provider notices that reuse an event id."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from annotated_types import Le
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import chalicelib.collections as collections_context
from chalicelib.collections import boleto, check_agreement, check_bank_code, check_pix_key, pix
from chalicelib.collections.model import (
    MAX_CLOCK_SKEW,
    MAX_DUE_IN_DAYS,
    Charge,
    Payment,
    due_date_errors,
    notice_differences,
    payment_instant,
    settle,
)
from chalicelib.collections.pdf import instructions
from chalicelib.collections.providers.local import settings_problems
from chalicelib.orders.installments import plan_installments
from chalicelib.platform.errors import InvalidRequestError, validation_errors
from chalicelib.tenants.model import TenantSettings

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def settings_errors(collections: dict) -> dict[str, str]:
    try:
        TenantSettings.model_validate({"collections": collections},
                                      context={"collections_rules": collections_context})
    except ValidationError as exc:
        return {e.field: e.message for e in validation_errors(exc)}
    return {}


# --- collection settings ------------------------------------------------------------------------

@pytest.mark.parametrize("bank_code", ["237", "999", "341"])
def test_a_bank_without_a_boleto_layout_is_refused_naming_bank_code(bank_code):
    assert set(settings_problems(bank_code, "1234567")) == {"bank_code"}
    with pytest.raises(ValueError, match="no boleto layout"):
        check_bank_code(bank_code)
    assert set(settings_errors({"bank_code": bank_code})) == {"collections.bank_code"}


@pytest.mark.parametrize("agreement", ["1234", "123456", "123456789"])
def test_an_agreement_no_layout_of_the_bank_takes_is_refused_naming_agreement(agreement):
    with pytest.raises(ValueError, match="7 or 8 digits"):
        check_agreement(agreement, "001")
    assert set(settings_errors({"agreement": agreement})) == {"collections.agreement"}


@pytest.mark.parametrize("agreement", ["1234567", "12345678"])
def test_banco_do_brasil_takes_a_convenio_of_7_or_8_digits(agreement):
    assert settings_errors({"bank_code": "001", "agreement": agreement}) == {}
    layout = boleto.find_layout("001", {"convenio": agreement, "carteira": "17"})
    assert layout.key == f"bb_convenio_{len(agreement)}"


def test_the_settings_are_judged_merged_so_a_bad_bank_is_not_also_blamed_on_the_agreement():
    assert set(settings_errors({"bank_code": "237", "agreement": "12"})) == {"collections.bank_code"}


@pytest.mark.parametrize("key", ["52998224725", "11222333000181", "pix@loja.example.com", "+5511987654321",
                                 "+551133334444", "123e4567-e12b-42d1-a456-426655440000"])
def test_every_kind_of_dict_key_is_accepted_and_goes_verbatim_into_a_br_code(key):
    assert check_pix_key(key) == key and settings_errors({"pix_key": key}) == {}
    brcode = pix.build_brcode(name="Loja", city="Sao Paulo", key=key, amount_cents=100)
    assert pix.parse_brcode(brcode).key == key  # a phone keeps its "+"


@pytest.mark.parametrize("key", ["52998224724", "11111111111", "11222333000180", "5511987654321", "+15551234567",
                                 "+55119876543", "+55 11 98765-4321", "Pix@Loja.example.com", "pix at loja",
                                 "123E4567-E12B-42D1-A456-426655440000", "chave-pix"])
def test_anything_else_is_refused_naming_pix_key(key):
    with pytest.raises(ValueError, match="Pix key"):
        check_pix_key(key)
    assert set(settings_errors({"pix_key": key})) == {"collections.pix_key"}


def test_the_pix_key_may_be_cleared():
    assert settings_errors({"pix_key": None}) == {}


def test_stored_settings_are_read_back_without_being_judged_again():
    stored = {"collections": {"bank_code": "237", "agreement": "123456", "pix_key": "not a key"}}
    settings_read = TenantSettings.model_validate(stored, context={"stored": True,
                                                                    "collections_rules": collections_context})
    assert settings_read.collections.bank_code == "237"
    with pytest.raises(ValidationError):
        TenantSettings.model_validate(stored, context={"collections_rules": collections_context})


# --- payment instants ---------------------------------------------------------------------------

def test_a_manual_payment_in_the_future_is_refused_naming_paid_at():
    with pytest.raises(InvalidRequestError) as caught:
        payment_instant(NOW + MAX_CLOCK_SKEW + timedelta(seconds=1), NOW, manual=True)
    assert [e.field for e in caught.value.errors] == ["paid_at"]


def test_a_manual_payment_within_the_clock_skew_is_recorded_as_now_keeping_what_was_said():
    ahead = NOW + timedelta(minutes=2)
    assert payment_instant(ahead, NOW, manual=True) == (NOW, ahead)


def test_a_provider_notice_in_the_future_is_clamped_to_its_arrival_never_refused():
    far = datetime(2030, 1, 1, tzinfo=UTC)
    assert payment_instant(far, NOW, manual=False) == (NOW, far)


def test_a_past_paid_at_is_kept_as_it_is():
    past = NOW - timedelta(days=3)
    assert payment_instant(past, NOW, manual=True) == (past, None)
    assert payment_instant(past, NOW, manual=False) == (past, None)


def test_a_naive_paid_at_is_refused():
    with pytest.raises(InvalidRequestError):
        payment_instant(datetime(2026, 1, 1, 12), NOW, manual=False)


def charge(**overrides) -> Charge:
    fields = {"id": "chg_01JAAAAAAAAAAAAAAAAAAAAAAA", "customer_id": "cus_01JAAAAAAAAAAAAAAAAAAAAAAA",
              "description": "x", "method": "boleto", "amount_cents": 10_000, "due_date": date(2026, 3, 6),
              "fine_percent": Decimal("2"), "interest_monthly_percent": Decimal("1"), "payer_is_consumer": True,
              "created_at": "2026-03-01T00:00:00.000Z", "updated_at": "2026-03-01T00:00:00.000Z"}
    fields.update(overrides)
    return Charge(**fields)


@settings(max_examples=150, deadline=None)
@given(due=st.dates(date(2025, 1, 1), date(2027, 12, 31)), paid_offset=st.integers(-40, 400),
       today_offset=st.integers(0, 400), amount=st.integers(1, 10**9), fine=st.integers(0, 20),
       consumer=st.booleans(), share=st.floats(0.01, 0.999))
def test_an_underpaid_charge_always_shows_something_due_today(due, paid_offset, today_offset, amount, fine, consumer,
                                                             share):
    # paid_at is never after the moment it is recorded (payment_instant), so the payment date is never after today.
    paid_on = due + timedelta(days=paid_offset)
    today = paid_on + timedelta(days=today_offset)
    open_charge = charge(due_date=due, amount_cents=amount, fine_percent=Decimal(fine), payer_is_consumer=consumer)
    owed = open_charge.owed_on(paid_on).total
    paying = max(1, min(owed - 1, int(owed * share)))
    if owed < 2:
        return
    after, payment = settle(open_charge, "pay_1", paying, paid_on, "x", "pix", "local", None, "now")
    assert payment.outcome == "underpaid"
    assert after.amount_due_on(today) > 0


# --- the consumer fine cap ----------------------------------------------------------------------

def test_a_consumer_charge_stores_and_shows_the_capped_fine():
    consumer = charge(fine_percent=Decimal("10"), payer_is_consumer=True)
    assert consumer.fine_percent == Decimal("2")
    assert consumer.model_dump(mode="json")["fine_percent"] == 2.0
    assert "multa de 2%" in instructions(consumer)


def test_a_business_charge_keeps_the_agreed_fine():
    business = charge(fine_percent=Decimal("10"), payer_is_consumer=False)
    assert business.fine_percent == Decimal("10") and "multa de 10%" in instructions(business)


def test_a_consumer_charge_stored_uncapped_reads_back_capped():
    stored = charge(payer_is_consumer=False, fine_percent=Decimal("5")).model_dump(mode="json")
    assert Charge.model_validate({**stored, "payer_is_consumer": True}).fine_percent == Decimal("2")


def test_the_printed_instructions_use_a_decimal_comma():
    assert instructions(charge(fine_percent=Decimal("1.50"), interest_monthly_percent=Decimal("0.5"))) == (
        "Após o vencimento, multa de 1,5% e juros de 0,5% ao mês pro rata die.")


# --- the due-date horizon -----------------------------------------------------------------------

def test_a_charge_is_due_from_today_to_3650_days_ahead():
    today = date(2026, 11, 23)
    assert due_date_errors(today, today) == []
    assert due_date_errors(today + timedelta(days=MAX_DUE_IN_DAYS), today) == []
    assert [e.field for e in due_date_errors(today + timedelta(days=MAX_DUE_IN_DAYS + 1), today)] == ["due_date"]
    assert [e.field for e in due_date_errors(date(2100, 1, 1), today)] == ["due_date"]
    assert [e.field for e in due_date_errors(today - timedelta(days=1), today)] == ["due_date"]


@settings(max_examples=100, deadline=None)
@given(today=st.dates(date(2025, 1, 1), date(2045, 12, 31)), ahead=st.integers(0, MAX_DUE_IN_DAYS))
def test_any_due_date_within_the_horizon_decodes_back_from_its_fator(today, ahead):
    due = today + timedelta(days=ahead)
    assert boleto.due_date_from_fator(boleto.fator_vencimento(due), today) == due


def test_the_longest_order_payment_terms_stay_within_the_horizon():
    from chalicelib.orders.model import Payment as OrderPayment

    def upper(name: str) -> int:
        return next(m.le for m in OrderPayment.model_fields[name].metadata if isinstance(m, Le))

    today = date(2026, 1, 31)
    plan = plan_installments(100_000, upper("installments"), today, upper("first_due_in_days"))
    assert not due_date_errors(plan[-1].due_date, today)


# --- provider notices reusing an event id ------------------------------------------------------

def first_payment(**overrides) -> Payment:
    fields = {"id": "pay_1", "amount_cents": 15_000, "paid_at": "2026-01-01T12:00:00.000Z", "method": "pix",
              "source": "local", "provider_event_id": "evt-1", "outcome": "paid", "amount_due_cents": 15_000,
              "recorded_at": "2026-01-01T12:00:01.000Z"}
    fields.update(overrides)
    return Payment(**fields)


def test_an_identical_notice_differs_in_nothing():
    assert notice_differences("chg_a", first_payment(), "chg_a", 15_000, "2026-01-01T12:00:00.000Z", "pix") == []


def test_a_notice_reusing_an_id_names_every_field_that_differs():
    found = notice_differences("chg_a", first_payment(), "chg_b", 9_000, "2026-01-01T12:00:00.000Z", "boleto")
    assert [e.field for e in found] == ["charge_id", "amount_cents", "method"]


def test_a_clamped_first_notice_is_compared_by_the_paid_at_it_stated():
    first = first_payment(paid_at="2026-11-23T15:00:00.000Z", reported_paid_at="2030-01-01T00:00:00.000Z")
    assert notice_differences("chg_a", first, "chg_a", 15_000, "2030-01-01T00:00:00.000Z", "pix") == []
    assert [e.field for e in notice_differences("chg_a", first, "chg_a", 15_000, "2026-11-23T15:00:00.000Z",
                                                "pix")] == ["paid_at"]
