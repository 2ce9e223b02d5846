"""The dunning context's pure rules: the template catalogue, and (with the run) which steps fall due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

from chalicelib.collections import interest


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    use: str  # when the step is meant to run


# The built-in pt-BR templates a step may name; their text lives with the other message templates
# (notifications/templates/<name>.txt.j2 and .html.j2), rendered for the charges the step covers.
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("upcoming", "Lembrete de vencimento", "before the due date (a friendly reminder)"),
    Template("due_today", "Vence hoje", "on the due date"),
    Template("overdue", "Pagamento em atraso", "the first days after the due date"),
    Template("overdue_reminder", "Lembrete de atraso", "the reminders that follow"),
    Template("final_notice", "Último aviso", "the last step, before other collection measures"),
)}


# --- which steps fall due on a day (pure) -------------------------------------------------------

# Charges are marked overdue when found late among those due in the last days; this covers weekends
# and holiday chains (the collections context looks back as far).
OVERDUE_LOOKBACK_DAYS = 10
# A message's charges and their step markers are finished in one transaction (2 items per charge + 1).
MAX_CHARGES_PER_MESSAGE = 40


def step_day(offset_days: int, due_date: date) -> date:
    """The day a step falls on for a charge. Before and on the due date the calendar counts; after it,
    lateness does, and a due date on a weekend or bank holiday moves to the next business day first
    (a boleto due on Saturday is paid on Monday without a fine: no "overdue" message on Sunday)."""
    if offset_days <= 0:
        return due_date + timedelta(days=offset_days)
    return interest.next_business_day(due_date) + timedelta(days=offset_days)


def due_dates_for(offset_days: int, day: date) -> list[date]:
    """The due dates whose step `offset_days` falls on `day` (the inverse of `step_day`): one date before
    and on the due date; after it, the business day `day - offset` and the non-business days before it
    (which move to it), or none when that day is not a business day."""
    anchor = day - timedelta(days=offset_days)
    if offset_days <= 0:
        return [anchor]
    if not interest.is_business_day(anchor):
        return []
    dates = [anchor]
    previous = anchor - timedelta(days=1)
    while not interest.is_business_day(previous):
        dates.append(previous)
        previous -= timedelta(days=1)
    return dates


def dates_to_read(offsets: list[int], day: date) -> list[date]:
    """Every due date a run on `day` reads: the policy's steps, and the last days (to mark late charges)."""
    dates = {d for offset in offsets for d in due_dates_for(offset, day)}
    dates |= {day - timedelta(days=back) for back in range(1, OVERDUE_LOOKBACK_DAYS + 1)}
    return sorted(dates)


Channel = Literal["email", "whatsapp", "sms"]


@dataclass(frozen=True)
class StepRef:
    offset_days: int
    channel: Channel
    template: str


@dataclass(frozen=True)
class Dispatch:
    """One message of a run: one step to one customer, for the charges it falls on that day."""

    customer_id: str
    step: StepRef
    charge_ids: tuple[str, ...]


class DueCharge(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def due_date(self) -> date: ...
    @property
    def is_open(self) -> bool: ...


def plan(steps: list[StepRef], charges: list[DueCharge], day: date) -> list[Dispatch]:
    """The messages a run on `day` sends: every open charge whose step falls on `day`, grouped per
    customer and step (one message, however many charges), split at MAX_CHARGES_PER_MESSAGE."""
    groups: dict[tuple[str, int], list[str]] = {}
    by_offset = {step.offset_days: step for step in steps}
    for charge in sorted(charges, key=lambda c: (c.due_date, c.id)):
        if not charge.is_open:
            continue
        for offset in by_offset:
            if step_day(offset, charge.due_date) == day:
                groups.setdefault((charge.customer_id, offset), []).append(charge.id)
    out = []
    for (customer_id, offset), ids in sorted(groups.items()):
        for start in range(0, len(ids), MAX_CHARGES_PER_MESSAGE):
            out.append(Dispatch(customer_id, by_offset[offset], tuple(ids[start:start + MAX_CHARGES_PER_MESSAGE])))
    return out


def is_paused(paused_until: date | None, day: date) -> bool:
    """A customer's promise to pay holds back every step up to and including `paused_until`."""
    return paused_until is not None and day <= paused_until
