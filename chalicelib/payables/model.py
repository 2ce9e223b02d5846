"""Payables' pure rules: a bill, its states as a table, and a payment applied once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.collections.interest import next_business_day
from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.states import transition

PayableStatus = Literal["open", "scheduled", "paid", "overdue", "cancelled"]
OPEN_STATUSES = frozenset({"open", "scheduled", "overdue"})
DEFAULT_EXPENSE = "4.2.01"  # Despesas administrativas: a bill registered by hand with no account named

# (status, action) → next status: the contract's table, row by row.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "schedule"): "scheduled",
    ("overdue", "schedule"): "scheduled",  # an overdue boleto may still be paid on the day (DOMAIN.md)
    ("open", "pay"): "paid",
    ("scheduled", "pay"): "paid",
    ("overdue", "pay"): "paid",
    ("open", "overdue"): "overdue",
    ("open", "cancel"): "cancelled",
    ("scheduled", "cancel"): "cancelled",
    ("scheduled", "unschedule"): "open",  # the provider gave up (failed, cancelled): a person decides again
}


def next_status(status: str, action: str) -> str:
    return transition(TRANSITIONS, status, action, "a payable")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PayableDocument(Strict):
    kind: Literal["bank_boleto", "arrecadacao", "pix"]
    digitable_line: str | None = None
    barcode: str | None = None
    pix_brcode: str | None = None
    bank_code: str | None = None
    segment: str | None = None
    payee_name: str | None = None


class PayablePayment(Strict):
    id: str
    amount_cents: int
    paid_at: str
    method: str
    source: str  # manual, statement, or the provider's name
    reference: str | None = None  # the provider's notice id or the statement line id
    recorded_at: str


class ProviderSubmission(Strict):
    """A bill handed to a real payment provider: `pending` from just before the call until its answer
    (after a lost answer the next attempt looks for it first), then `submitted` or `failed`."""

    provider: str
    status: Literal["pending", "submitted", "failed"]
    reference: str
    pay_on: date
    provider_payment_id: str | None = None
    reason: str | None = None
    at: str


class Payable(Strict):
    id: str
    supplier_id: str
    description: str
    amount_cents: int
    due_date: date
    status: PayableStatus = "open"
    ledger_account: str | None = None  # the expense a hand-made bill books; None for a supplier invoice's
    document: PayableDocument | None = None
    origin: Literal["manual", "inbound_invoice"] = "manual"
    inbound_invoice_id: str | None = None
    installment: int = 1
    scheduled_for: date | None = None
    schedule_note: str | None = None  # why the payment day is not the one asked for (cut-off, holiday)
    submission: ProviderSubmission | None = None
    paid_at: str | None = None
    paid_amount_cents: int = 0
    payments: list[PayablePayment] = Field(default_factory=list)
    cancelled_at: str | None = None
    created_at: str
    updated_at: str
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# The bill-payment cut-offs (Asaas's, DOMAIN.md): 18:00 in Brasília, 16:00 for utilities and taxes and
# for amounts above R$ 250.000,00.
CUTOFF, EARLY_CUTOFF, EARLY_ABOVE_CENTS = time(18, 0), time(16, 0), 25_000_000


def payment_day(payable: Payable, pay_on: date, now_local: datetime) -> tuple[date, str | None]:
    """The day a bill asked to be paid on `pay_on` is paid, and why it moved (None when it did not): past
    the day's cut-off it is the next business day; a weekend or bank holiday moves to the next one."""
    early = (payable.document is not None and payable.document.kind == "arrecadacao") \
        or payable.amount_cents > EARLY_ABOVE_CENTS
    cutoff = EARLY_CUTOFF if early else CUTOFF
    day, reason = pay_on, None
    if day == now_local.date() and now_local.time() >= cutoff:
        day, reason = day + timedelta(days=1), f"asked after today's {cutoff:%H:%M} cut-off"
    business = next_business_day(day)
    if business != day:
        reason = reason or f"{day.isoformat()} is not a business day"
        day = business
    return day, (f"moved to {day.isoformat()}: {reason}" if reason else None)


def check_late_code(payable: Payable, day: date, today: date) -> None:
    """An overdue boleto or utility bill is paid only on the day it is handed over (its amount with the
    fine and interest is the day's; a bank takes no schedule for it): any later day is 400 naming pay_on."""
    coded = payable.document is not None and payable.document.kind != "pix"
    if coded and payable.due_date < today and day != today:
        raise InvalidRequestError("An overdue boleto is paid only on the day.", [FieldError(
            "pay_on", f"must be today, before the cut-off: the bill was due {payable.due_date.isoformat()} and "
                      f"would be paid on {day.isoformat()}")])


def pay(payable: Payable, payment: PayablePayment) -> Payable:
    """The payable paid by this payment (once: a paid or cancelled payable takes none)."""
    status = next_status(payable.status, "pay")
    return payable.model_copy(update={"status": status, "paid_at": payment.paid_at,
                                      "paid_amount_cents": payment.amount_cents,
                                      "payments": [*payable.payments, payment], "updated_at": payment.recorded_at})


def payable_event_data(payable: Payable) -> dict[str, Any]:
    return {"payable": payable.model_dump(mode="json", exclude={"payments", "document"})
            | {"version": payable.version}}
