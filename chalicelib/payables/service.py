"""Use cases of payables: a bill registered (by hand, from a boleto's or a utility's code, from a Pix BR
Code), cancelled, and paid exactly once.

A payment moves the bill under its version and, when it comes with a reference (a provider's notice id,
a statement line id), claims that reference in the same transaction: a repeat of the same reference is a
replay, and a second payment of a paid bill is 409 `invalid_state` (a bill is paid once whichever path
comes first). Each change emits its `payable.*` event in its transaction; the ledger books them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.payables import documents
from chalicelib.payables.model import (
    DEFAULT_EXPENSE,
    Payable,
    PayableDocument,
    PayablePayment,
    next_status,
    pay,
    payable_event_data,
    payment_day,
)
from chalicelib.platform.clock import Clock, business_date, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import FieldError, InvalidRequestError, InvalidStateError
from chalicelib.platform.events import EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.pagination import Page, every

if TYPE_CHECKING:
    from chalicelib.catalog.model import Supplier

BRASILIA = ZoneInfo("America/Sao_Paulo")
MAX_CENTS = 9_999_999_999  # a boleto's amount field
STATEMENT = "statement"
MAX_DAYS_AHEAD = 3660


class PayableRepository(Protocol):
    def stage_new(self, uow: UnitOfWork, tenant_id: str, payable: Payable) -> None: ...
    def stage_update(self, uow: UnitOfWork, tenant_id: str, payable: Payable, expected_version: int,
                     on_fail: Callable[[], None]) -> None: ...
    def stage_reference(self, uow: UnitOfWork, tenant_id: str, source: str, reference: str, payable_id: str,
                        on_fail: Callable[[], None]) -> None: ...
    def reference(self, tenant_id: str, source: str, reference: str) -> str | None: ...
    def get(self, tenant_id: str, payable_id: str) -> Payable: ...
    def list(self, tenant_id: str, status: str | None, supplier_id: str | None, due_before: str | None,
             limit: int, cursor: str | None) -> Page[Payable]: ...


@dataclass(frozen=True)
class PayableDeps:
    repo: PayableRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    supplier: Callable[[str, str], Supplier]  # the catalog's reader (404 naming supplier_id when missing)
    postable_accounts: Callable[[str], set[str]]  # the ledger's analytic accounts
    tenant_ids: Callable[[], Iterator[str]]  # every tenant (the daily run)
    provider_of: Callable[[str], str]  # the tenant's payment provider (the local one pays on the day's run)


@dataclass(frozen=True)
class NewPayable:
    supplier_id: str
    description: str
    amount_cents: int | None = None
    due_date: date | None = None
    ledger_account: str | None = None
    digitable_line: str | None = None
    barcode: str | None = None
    pix_brcode: str | None = None


class _LostRace(Exception):
    pass


def _lost() -> None:
    raise _LostRace


def _document(cmd: NewPayable, today: date) -> tuple[PayableDocument | None, int | None, date | None]:
    """The bill's code decoded: (document, the amount it states, the due date it states)."""
    given = [v for v in (cmd.digitable_line, cmd.barcode, cmd.pix_brcode) if v is not None]
    if len(given) > 1:
        raise InvalidRequestError("A payable carries one code.",
                                  [FieldError("document", "give one of digitable_line, barcode or pix_brcode")])
    if not given:
        return None, None, None
    if cmd.pix_brcode is not None:
        code = documents.from_pix(cmd.pix_brcode)
        return PayableDocument(kind="pix", pix_brcode=code.digitable_line, payee_name=code.payee_name), \
            code.amount_cents, None
    code = documents.decode(cmd.digitable_line, cmd.barcode, today)
    return PayableDocument(kind=code.kind, digitable_line=code.digitable_line, barcode=code.barcode,
                           bank_code=code.bank_code, segment=code.segment), code.amount_cents, code.due_date


def create_payable(tenant_id: str, cmd: NewPayable, deps: PayableDeps) -> Payable:
    """`POST /v1/payables`: amount and due date default to what the code states; a wrong check digit is 400
    naming the code's field; the supplier must exist (404 naming supplier_id)."""
    today = business_date(deps.clock.now())
    document, stated_amount, stated_due = _document(cmd, today)
    amount = cmd.amount_cents if cmd.amount_cents is not None else stated_amount
    due = cmd.due_date or stated_due
    errors = []
    if amount is None:
        errors.append(FieldError("amount_cents", "is required (the code states no amount)"))
    elif not 0 < amount <= MAX_CENTS:
        errors.append(FieldError("amount_cents", f"must be 1..{MAX_CENTS}"))
    if due is None:
        errors.append(FieldError("due_date", "is required (the code states no due date)"))
    elif (due - today).days > MAX_DAYS_AHEAD:
        errors.append(FieldError("due_date", "is more than 10 years ahead"))
    account = cmd.ledger_account or DEFAULT_EXPENSE
    if account not in deps.postable_accounts(tenant_id):
        errors.append(FieldError("ledger_account", "is not an analytic account of the chart"))
    if errors:
        raise InvalidRequestError("The payable is not valid.", errors)
    deps.supplier(tenant_id, cmd.supplier_id)
    assert amount is not None and due is not None
    now = rfc3339(deps.clock.now())
    payable = Payable(id=deps.ids.new("bil"), supplier_id=cmd.supplier_id, description=cmd.description,
                      amount_cents=amount, due_date=due, ledger_account=account, document=document,
                      created_at=now, updated_at=now)
    uow = UnitOfWork()
    deps.repo.stage_new(uow, tenant_id, payable)
    stage_event(uow, deps.events.make(tenant_id, "payable.created", payable_event_data(payable)))
    uow.commit()
    return payable


def _change(tenant_id: str, payable_id: str, change: Callable[[Payable, str], Payable], event_type: str,
            deps: PayableDeps) -> Payable:
    def attempt() -> Payable:
        current = deps.repo.get(tenant_id, payable_id)
        now = rfc3339(deps.clock.now())
        updated = change(current, now).model_copy(update={"updated_at": now, "version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_update(uow, tenant_id, updated, current.version, on_fail=_lost)
        stage_event(uow, deps.events.make(tenant_id, event_type, payable_event_data(updated)))
        uow.commit()
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=10, what="payable")


def cancel_payable(tenant_id: str, payable_id: str, deps: PayableDeps) -> Payable:
    return _change(tenant_id, payable_id, lambda p, now: p.model_copy(update={
        "status": next_status(p.status, "cancel"), "cancelled_at": now}), "payable.cancelled", deps)


def record_payment(tenant_id: str, payable_id: str, amount_cents: int, paid_at: datetime, method: str,
                   deps: PayableDeps, *, source: str = "manual", reference: str | None = None) -> Payable:
    """Pay a bill once. A reference (notice id, statement line id) seen before returns the bill as it is
    (a replay); any payment of a bill that is not open is 409 invalid_state."""
    if amount_cents <= 0:
        raise InvalidRequestError("A payment is a positive amount.", [FieldError("amount_cents", "must be > 0")])
    if paid_at > deps.clock.now():
        if source == "manual":
            raise InvalidRequestError("A payment cannot be in the future.", [FieldError("paid_at", "is in the future")])
        paid_at = deps.clock.now()  # a statement's day (taken at midday) or a provider's clock ahead of ours

    def attempt() -> Payable:
        if reference is not None and deps.repo.reference(tenant_id, source, reference) == payable_id:
            return deps.repo.get(tenant_id, payable_id)
        current = deps.repo.get(tenant_id, payable_id)
        if reference is not None and _same_money(current, amount_cents, source):
            uow = UnitOfWork()  # the bank's view of a payment recorded before: remembered, paid once
            deps.repo.stage_reference(uow, tenant_id, source, reference, payable_id, on_fail=_lost)
            uow.commit()
            return current
        if not current.is_open:
            raise InvalidStateError(f"Cannot pay a payable that is {current.status}.",
                                    [FieldError("status", f"is {current.status}")])
        now = rfc3339(deps.clock.now())
        payment = PayablePayment(id=deps.ids.new("pay"), amount_cents=amount_cents, paid_at=rfc3339(paid_at),
                                 method=method, source=source, reference=reference, recorded_at=now)
        updated = pay(current, payment).model_copy(update={"version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_update(uow, tenant_id, updated, current.version, on_fail=_lost)
        if reference is not None:
            deps.repo.stage_reference(uow, tenant_id, source, reference, payable_id, on_fail=_lost)
        stage_event(uow, deps.events.make(tenant_id, "payable.paid", payable_event_data(updated)))
        uow.commit()
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=10, what="payable")


def schedule_payable(tenant_id: str, payable_id: str, pay_on: date, deps: PayableDeps) -> Payable:
    """`POST /v1/payables/{id}/schedule`: the provider pays it that day, or the next business day after the
    cut-off (the answer's `schedule_note` says so); a day before today is 400 naming pay_on."""
    now = deps.clock.now()
    if pay_on < business_date(now):
        raise InvalidRequestError("A payment is scheduled for today or later.",
                                  [FieldError("pay_on", "is before today")])

    def change(current: Payable, _: str) -> Payable:
        day, note = payment_day(current, pay_on, now.astimezone(BRASILIA))
        return current.model_copy(update={"status": next_status(current.status, "schedule"), "scheduled_for": day,
                                          "schedule_note": note})

    return _change(tenant_id, payable_id, change, "payable.scheduled", deps)


def provider_paid(tenant_id: str, payable_id: str, notice_id: str, deps: PayableDeps,
                  amount_cents: int | None = None) -> Payable:
    """The local provider's notice that it paid a bill (the day's run, the sandbox): once per notice id."""
    bill = deps.repo.get(tenant_id, payable_id)
    return record_payment(tenant_id, payable_id, amount_cents or bill.amount_cents, deps.clock.now(), "boleto"
                          if bill.document is not None and bill.document.kind != "pix" else "pix", deps,
                          source="local", reference=notice_id)


def run_daily(deps: PayableDeps) -> dict[str, int]:
    """The day's run: bills past their due date and still open become `overdue`; the local provider pays
    the bills scheduled for today or before (one notice per bill and day, so a rerun pays nothing twice)."""
    today = business_date(deps.clock.now())
    overdue = paid = 0
    for tenant_id in deps.tenant_ids():
        for bill in list(_every(tenant_id, "open", deps)):  # read first: marking moves them out of the index
            if bill.due_date < today:
                _change(tenant_id, bill.id, lambda p, _: p.model_copy(
                    update={"status": next_status(p.status, "overdue")}), "payable.overdue", deps)
                overdue += 1
        if deps.provider_of(tenant_id) != "local":
            continue
        for bill in list(_every(tenant_id, "scheduled", deps)):
            if bill.scheduled_for and bill.scheduled_for <= today:
                provider_paid(tenant_id, bill.id, f"run-{bill.id}-{bill.scheduled_for.isoformat()}", deps)
                paid += 1
    return {"overdue": overdue, "paid": paid}


def _same_money(payable: Payable, amount_cents: int, source: str) -> bool:
    """A statement line and a provider's notice (or a person's payment) of a paid bill's amount are the same
    money, whichever came first."""
    if payable.status != "paid" or not payable.payments or source == "manual":
        return False
    first = payable.payments[0]
    return first.amount_cents == amount_cents and (first.source == STATEMENT) != (source == STATEMENT)


def open_payables(tenant_id: str, deps: PayableDeps) -> list[Payable]:
    """Every bill still to pay (open, scheduled, overdue): what a statement's debits are matched against."""
    return [bill for status in ("open", "scheduled", "overdue") for bill in _every(tenant_id, status, deps)]


def _every(tenant_id: str, status: str, deps: PayableDeps) -> Iterator[Payable]:
    return every(lambda cursor: deps.repo.list(tenant_id, status, None, None, 100, cursor))


def public(payable: Payable) -> dict[str, Any]:
    return payable.model_dump(mode="json", exclude={"version"})
