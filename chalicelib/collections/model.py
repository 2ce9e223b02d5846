"""Charges and payments: the status machine, settlement and today's amount due. Pure rules, no I/O.

Settlement algebra (checked after every scenario in the tests):
  owed(d)      = interest.amount_due(amount, due_date, d, fine%, interest%, consumer).total, non-decreasing in d
  paid_at      ≤ the moment the payment was recorded (a later one is clamped or refused: `payment_instant`),
                 so the payment date is never after today and an `underpaid` charge always shows
                 amount_due_cents > 0 (owed(today) ≥ owed(payment date) > paid)
  paid         = Σ accepted payments            (a payment on a cancelled charge is recorded, not accepted)
  status paid  ⇔ paid ≥ owed(date of the payment that completed it)
  overpaid     = paid − owed(that date) ≥ 0      (recorded on the charge, never lost)
  remainder    = owed(today) − paid, shown as `amount_due_cents` while the charge is open
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from chalicelib.collections import interest
from chalicelib.platform.errors import ConflictError, FieldError, InvalidRequestError
from chalicelib.platform.states import transition

ChargeStatus = Literal["pending", "overdue", "paid", "cancelled"]
ChargeMethod = Literal["boleto", "pix", "card_link"]
Action = Literal["pay", "overdue", "cancel"]
PaymentOutcome = Literal["paid", "underpaid", "overpaid", "charge_cancelled", "charge_already_paid", "confirmed"]
# A bank statement line is the bank's view of money a provider's notice (or a person) may have recorded
# already: the two are the same money when they agree on the amount (see `settle`).
STATEMENT_SOURCE = "statement"

# (status, action) -> new status. `pay` that leaves a remainder keeps the status (see `settle`).
TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "pay"): "paid",
    ("overdue", "pay"): "paid",
    ("pending", "overdue"): "overdue",
    ("pending", "cancel"): "cancelled",
    ("overdue", "cancel"): "cancelled",
}
EVENT_OF_STATUS = {"pending": "charge.created", "paid": "charge.paid", "overdue": "charge.overdue",
                   "cancelled": "charge.cancelled"}
OPEN_STATUSES = frozenset({"pending", "overdue"})
# A charge keeps its payments inline; far more than any real charge sees, small enough for one item.
MAX_PAYMENTS_PER_CHARGE = 50
# A due date at most 10 years ahead: the fator de vencimento repeats every 9000 days and a decoder reads
# the date nearest to today, so a date more than 4500 days away would be read back wrong.
MAX_DUE_IN_DAYS = 3650
# How far ahead of our clock a manual payment's paid_at may be (the caller's clock may run fast).
MAX_CLOCK_SKEW = timedelta(minutes=5)

Percent = Annotated[Decimal, PlainSerializer(lambda v: float(v), return_type=float, when_used="json")]


def next_status(status: str, action: str) -> str:
    """The status an action leads to, or InvalidStateError when the table does not allow it."""
    return transition(TRANSITIONS, status, action, "a charge")


def due_date_errors(due_date: date, today: date) -> list[FieldError]:
    """A new charge is due today or later, and at most MAX_DUE_IN_DAYS ahead."""
    if due_date < today:
        return [FieldError("due_date", f"is in the past (today is {today.isoformat()})")]
    latest = today + timedelta(days=MAX_DUE_IN_DAYS)
    if due_date > latest:
        return [FieldError("due_date", f"is more than {MAX_DUE_IN_DAYS} days ahead (latest {latest.isoformat()})")]
    return []


def payment_instant(paid_at: datetime, received_at: datetime, *, manual: bool) -> tuple[datetime, datetime | None]:
    """The instant a payment settles at, and the reported one when it had to be clamped (else None).

    Money cannot have arrived after we heard of it: a later paid_at is clamped to `received_at` and the
    reported value kept on the payment. A provider's notice is never refused for it (its clock is not the
    payer's fault); a manual payment more than MAX_CLOCK_SKEW ahead is a mistyped date: 400 on paid_at.
    """
    if paid_at.tzinfo is None:
        raise InvalidRequestError("paid_at needs a timezone.", [FieldError("paid_at", "must carry an offset")])
    if manual and paid_at > received_at + MAX_CLOCK_SKEW:
        raise InvalidRequestError("A payment cannot be in the future.",
                                  [FieldError("paid_at", "is in the future (more than "
                                              f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes ahead of now)")])
    if paid_at > received_at:
        return received_at, paid_at
    return paid_at, None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoletoInfo(Strict):
    bank_code: str
    our_number: str
    barcode: str
    digitable_line: str
    layout: str


class PixInfo(Strict):
    txid: str
    brcode: str


class CardLinkInfo(Strict):
    url: str


class Payment(Strict):
    """One payment received for a charge (a provider notice or a manual settlement)."""

    id: str
    amount_cents: int
    paid_at: str
    method: str
    source: str  # "manual" or the provider's name
    provider_event_id: str | None = None
    outcome: PaymentOutcome
    amount_due_cents: int  # what was owed on the payment date, before this payment
    recorded_at: str
    reported_paid_at: str | None = None  # the paid_at as reported, when it was later than recorded_at (clamped)
    confirms: str | None = None  # outcome "confirmed": the payment recorded before that this one is the bank's view of

    @property
    def stated_paid_at(self) -> str:
        """The paid_at the notice or the person stated (before any clamping)."""
        return self.reported_paid_at or self.paid_at


class Charge(Strict):
    id: str
    order_id: str | None = None
    customer_id: str
    description: str
    method: ChargeMethod
    amount_cents: int
    due_date: date
    status: ChargeStatus = "pending"
    installment: int = 1
    installments: int = 1
    paid_at: str | None = None
    paid_amount_cents: int = 0
    overpaid_cents: int = 0
    fine_percent: Percent
    interest_monthly_percent: Percent
    payer_is_consumer: bool
    provider: str = "local"
    provider_charge_id: str | None = None
    boleto: BoletoInfo | None = None
    pix: PixInfo | None = None
    card_link: CardLinkInfo | None = None
    payments: list[Payment] = Field(default_factory=list)

    @property
    def unapplied_cents(self) -> int:
        """Money that came in on the charge after it was cancelled or paid: to give back."""
        return sum(p.amount_cents for p in self.payments if p.outcome in ("charge_cancelled", "charge_already_paid"))
    cancelled_at: str | None = None
    created_at: str
    updated_at: str
    version: int = 1

    @model_validator(mode="after")
    def _consumer_fine_is_capped(self) -> Charge:
        # The fine shown and printed is the one that can be charged (also for charges stored uncapped).
        self.fine_percent = interest.effective_fine_percent(self.fine_percent, self.payer_is_consumer)
        return self

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def owed_on(self, day: date) -> interest.AmountDue:
        """Principal + fine + interest for a payment on `day` (B2C fine capped at 2%)."""
        return interest.amount_due(self.amount_cents, self.due_date, day, self.fine_percent,
                                   self.interest_monthly_percent, self.payer_is_consumer)

    def amount_due_on(self, day: date) -> int:
        """What is still to pay on `day`: 0 once paid or cancelled."""
        if not self.is_open:
            return 0
        return max(0, self.owed_on(day).total - self.paid_amount_cents)

    def is_late_on(self, day: date) -> bool:
        return self.is_open and interest.days_late(self.due_date, day) > 0


def settle(charge: Charge, payment_id: str, amount_cents: int, paid_on: date, paid_at: str, method: str,
           source: str, provider_event_id: str | None, now: str,
           reported_paid_at: str | None = None) -> tuple[Charge, Payment]:
    """Apply one payment: the charge after it and the payment as recorded (with its outcome).

    A payment on a cancelled (or already paid) charge is recorded with an outcome that explains it and
    changes no balance: the money came in and must be returned or reconciled by a person.
    """
    owed = charge.owed_on(paid_on).total
    due_before = max(0, owed - charge.paid_amount_cents)
    confirmed = _confirmed_payment(charge, amount_cents, source)
    if confirmed is not None:
        payment = Payment(id=payment_id, amount_cents=amount_cents, paid_at=paid_at, method=method, source=source,
                          provider_event_id=provider_event_id, outcome="confirmed", amount_due_cents=due_before,
                          recorded_at=now, reported_paid_at=reported_paid_at, confirms=confirmed.id)
        return charge.model_copy(update={"payments": [*charge.payments, payment], "updated_at": now}), payment
    if charge.status == "cancelled" or charge.status == "paid":
        outcome: PaymentOutcome = "charge_cancelled" if charge.status == "cancelled" else "charge_already_paid"
        payment = Payment(id=payment_id, amount_cents=amount_cents, paid_at=paid_at, method=method, source=source,
                          provider_event_id=provider_event_id, outcome=outcome, amount_due_cents=0, recorded_at=now,
                          reported_paid_at=reported_paid_at)
        return charge.model_copy(update={"payments": [*charge.payments, payment], "updated_at": now}), payment
    paid = charge.paid_amount_cents + amount_cents
    changes: dict[str, Any] = {"paid_amount_cents": paid, "updated_at": now}
    if paid >= owed:
        outcome = "overpaid" if paid > owed else "paid"
        changes.update(status=next_status(charge.status, "pay"), paid_at=paid_at, overpaid_cents=paid - owed)
    else:
        outcome = "underpaid"
    payment = Payment(id=payment_id, amount_cents=amount_cents, paid_at=paid_at, method=method, source=source,
                      provider_event_id=provider_event_id, outcome=outcome, amount_due_cents=due_before,
                      recorded_at=now, reported_paid_at=reported_paid_at)
    changes["payments"] = [*charge.payments, payment]
    return charge.model_copy(update=changes), payment


def _confirmed_payment(charge: Charge, amount_cents: int, source: str) -> Payment | None:
    """The payment recorded before that this one is the same money as, if any: a statement line and a
    provider's notice (or a manual payment) of the same amount, the first of them not confirmed yet.
    So a charge is settled once whichever path comes first: notice, statement or a person."""
    from_bank = source == STATEMENT_SOURCE
    confirmed = {p.confirms for p in charge.payments if p.confirms}
    for p in charge.payments:
        if (p.outcome in ("paid", "overpaid", "underpaid") and (p.source == STATEMENT_SOURCE) != from_bank
                and p.amount_cents == amount_cents and p.id not in confirmed):
            return p
    return None


def charge_event_data(charge: Charge) -> dict[str, Any]:
    """The `charge.*` event body the orders context (and outbound webhooks) consume."""
    return {"charge": {"id": charge.id, "order_id": charge.order_id, "customer_id": charge.customer_id,
                       "amount_cents": charge.amount_cents, "paid_amount_cents": charge.paid_amount_cents,
                       "overpaid_cents": charge.overpaid_cents, "paid_at": charge.paid_at,
                       "status": charge.status, "method": charge.method, "due_date": charge.due_date.isoformat(),
                       "installment": charge.installment,
                       "unapplied_cents": charge.unapplied_cents,
                       # grows with every change: a consumer keeps the newest snapshot (events may come out of order)
                       "version": charge.version}}


# --- provider notices ---------------------------------------------------------------------------

class NoticeIdReusedError(ConflictError):
    """A provider notice reuses the event id of an earlier one with different content."""

    code, title = "notice_id_reused", "Notice id reused"


def notice_differences(first_charge_id: str, first: Payment, charge_id: str, amount_cents: int, paid_at: str,
                       method: str) -> list[FieldError]:
    """What a notice says differently from the first notice with its event id (nothing for a true repeat).

    `first` is the payment the first notice recorded on `first_charge_id`. `paid_at` is compared as
    stated (before any clamping), both as RFC 3339 UTC.
    """
    stated = {"charge_id": (charge_id, first_charge_id), "amount_cents": (amount_cents, first.amount_cents),
              "paid_at": (paid_at, first.stated_paid_at), "method": (method, first.method)}
    return [FieldError(name, "differs from the first notice with this id") for name, (now, then) in stated.items()
            if now != then]
