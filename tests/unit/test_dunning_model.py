"""The dunning run's pure rules: on which day a step falls, the due dates a run reads for it (its exact
inverse, over weekends and bank holidays), the plan of messages, and the pause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.dunning import model
from chalicelib.dunning.model import StepRef

offsets = st.integers(min_value=-30, max_value=180)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


@given(offsets, days, st.integers(min_value=0, max_value=400))
def test_a_run_reads_exactly_the_due_dates_whose_step_falls_on_its_day(offset, day, back):
    due = day - timedelta(days=back - 200)
    assert (model.step_day(offset, due) == day) == (due in model.due_dates_for(offset, day))


def test_late_steps_count_from_the_next_business_day():
    saturday, carnival_monday = date(2026, 3, 7), date(2026, 2, 16)
    assert model.step_day(1, saturday) == date(2026, 3, 10)  # Monday is the due date; Tuesday is +1
    assert model.step_day(0, saturday) == saturday and model.step_day(-3, saturday) == date(2026, 3, 4)
    assert model.step_day(1, carnival_monday) == date(2026, 2, 19)  # Mon and Tue are bank holidays
    assert model.due_dates_for(1, date(2026, 3, 10)) == [date(2026, 3, 9), date(2026, 3, 8), date(2026, 3, 7)]
    assert model.due_dates_for(1, date(2026, 3, 8)) == []  # Saturday is nobody's effective due date


def test_the_dates_read_cover_the_steps_and_the_last_ten_days():
    read = model.dates_to_read([-3, 0, 1], date(2026, 3, 10))
    assert date(2026, 3, 13) in read and date(2026, 3, 10) in read and date(2026, 3, 9) in read
    assert min(read) == date(2026, 2, 28) and len(read) == len(set(read))


@dataclass(frozen=True)
class FakeCharge:
    id: str
    customer_id: str
    due_date: date
    is_open: bool = True


STEPS = [StepRef(-3, "email", "upcoming"), StepRef(0, "email", "due_today"), StepRef(1, "whatsapp", "overdue")]


def test_the_plan_is_one_message_per_customer_and_step():
    day = date(2026, 3, 5)
    charges = [FakeCharge("c1", "ana", day), FakeCharge("c2", "ana", day), FakeCharge("c3", "bia", day),
               FakeCharge("c4", "ana", date(2026, 3, 8)), FakeCharge("c5", "ana", day, is_open=False),
               FakeCharge("c6", "ana", date(2026, 3, 20))]
    plan = model.plan(STEPS, charges, day)
    assert [(d.customer_id, d.step.template, d.charge_ids) for d in plan] == [
        ("ana", "upcoming", ("c4",)), ("ana", "due_today", ("c1", "c2")), ("bia", "due_today", ("c3",))]


def test_a_large_group_is_split_to_fit_one_transaction():
    day = date(2026, 3, 5)
    charges = [FakeCharge(f"c{i:03d}", "ana", day) for i in range(model.MAX_CHARGES_PER_MESSAGE + 1)]
    assert [len(d.charge_ids) for d in model.plan(STEPS, charges, day)] == [model.MAX_CHARGES_PER_MESSAGE, 1]


def test_a_pause_holds_back_up_to_and_including_its_day():
    assert model.is_paused(date(2026, 3, 5), date(2026, 3, 5))
    assert not model.is_paused(date(2026, 3, 5), date(2026, 3, 6)) and not model.is_paused(None, date(2026, 3, 6))
