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
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.payables import documents
from chalicelib.payables.model import (
    DEFAULT_EXPENSE,
    Payable,
    PayableDocument,
    PayablePayment,
    ProviderSubmission,
    check_late_code,
    next_status,
    pay,
    payable_event_data,
    payment_day,
)
from chalicelib.payables.providers import BillNotice, BillPayer, BillRequest
from chalicelib.platform.clock import Clock, business_date, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import (
    FieldError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
    ServiceUnavailableError,
)
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
    bill_payer: Callable[[str], BillPayer | None]  # a real provider's bill payment; None for the local one
    provider_secret: Callable[[str, str], str | None]  # (tenant, provider) → the webhooks' access token


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


@dataclass(frozen=True)
class InvoiceInstallment:
    number: int
    due_date: date
    amount_cents: int


def stage_from_invoice(uow: UnitOfWork, tenant_id: str, invoice_id: str, supplier_id: str, description: str,
                       installments: list[InvoiceInstallment], deps: PayableDeps) -> list[Payable]:
    """Stage an accepted supplier invoice's bills into the caller's transaction: one per installment, with
    `origin: inbound_invoice` (the acceptance books them with the stock and taxes, so they book nothing at
    creation), each with its `payable.created`. Items staged: 2 per installment."""
    now = rfc3339(deps.clock.now())
    bills = [Payable(id=deps.ids.new("bil"), supplier_id=supplier_id,
                     description=f"{description} {part.number}/{len(installments)}"[:200],
                     amount_cents=part.amount_cents, due_date=part.due_date, origin="inbound_invoice",
                     inbound_invoice_id=invoice_id, installment=part.number, created_at=now, updated_at=now)
             for part in installments]
    for bill in bills:
        deps.repo.stage_new(uow, tenant_id, bill)
        stage_event(uow, deps.events.make(tenant_id, "payable.created", payable_event_data(bill)))
    return bills


def _change(tenant_id: str, payable_id: str, change: Callable[[Payable, str], Payable], event_type: str | None,
            deps: PayableDeps) -> Payable:
    def attempt() -> Payable:
        current = deps.repo.get(tenant_id, payable_id)
        now = rfc3339(deps.clock.now())
        changed = change(current, now)
        if changed is current:
            return current  # nothing to change (a notice about a bill that moved on)
        updated = changed.model_copy(update={"updated_at": now, "version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_update(uow, tenant_id, updated, current.version, on_fail=_lost)
        if event_type is not None:  # a provider submission's bookkeeping is no event of the contract
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
    cut-off (the answer's `schedule_note` says so); a day before today is 400 naming pay_on, and so is a
    later day for an overdue boleto. A real provider (Asaas) is handed the bill's code at once and the bill
    is `scheduled` once it took it; the local provider pays when the day's run fires."""
    now = deps.clock.now()
    today = business_date(now)
    if pay_on < today:
        raise InvalidRequestError("A payment is scheduled for today or later.",
                                  [FieldError("pay_on", "is before today")])

    def day_of(current: Payable) -> tuple[date, str | None]:
        next_status(current.status, "schedule")  # 409 before anything is asked of a provider
        day, note = payment_day(current, pay_on, now.astimezone(BRASILIA))
        check_late_code(current, day, today)
        return day, note

    payer = deps.bill_payer(tenant_id)
    if payer is None:
        def change(current: Payable, _: str) -> Payable:
            day, note = day_of(current)
            return current.model_copy(update={"status": "scheduled", "scheduled_for": day, "schedule_note": note})

        return _change(tenant_id, payable_id, change, "payable.scheduled", deps)
    return _submit(tenant_id, payable_id, day_of, today, payer, deps)


def _submit(tenant_id: str, payable_id: str, day_of: Callable[[Payable], tuple[date, str | None]], today: date,
            payer: BillPayer, deps: PayableDeps) -> Payable:
    """Hand the bill to the provider: mark the submission `pending` (a crash or a lost answer after this
    leaves a trace the next attempt resolves with `find`, never a second payment), call, then record."""
    current = deps.repo.get(tenant_id, payable_id)
    day, note = day_of(current)
    code = current.document.digitable_line if current.document is not None else None
    if code is None:
        raise InvalidRequestError(f"{payer.name} pays a bill by its boleto's or utility's code.", [FieldError(
            "document", "has no linha digitável: pay this bill by hand (POST /v1/payables/{id}/payments)")])
    earlier = current.submission if current.submission and current.submission.status == "pending" else None
    reference = f"{tenant_id}:{payable_id}"

    def pending(p: Payable, now: str) -> Payable:
        day_of(p)
        return p.model_copy(update={"submission": ProviderSubmission(provider=payer.name, status="pending",
                                                                     reference=reference, pay_on=day, at=now)})

    _change(tenant_id, payable_id, pending, None, deps)
    provider_id = payer.find(reference) if earlier is not None else None
    if provider_id is None:
        try:
            provider_id = payer.submit(BillRequest(reference=reference, digitable_line=code,
                                                   amount_cents=current.amount_cents,
                                                   description=current.description,
                                                   schedule_date=None if day == today else day))
        except InvalidRequestError as refused:
            reason = "; ".join(e.message for e in refused.errors)[:500] or "refused"
            _change(tenant_id, payable_id, lambda p, now: p.model_copy(update={"submission": p.submission.model_copy(
                update={"status": "failed", "reason": reason, "at": now}) if p.submission else None}), None, deps)
            raise
    return _change(tenant_id, payable_id, lambda p, now: p.model_copy(update={
        "status": next_status(p.status, "schedule"), "scheduled_for": day, "schedule_note": note,
        "submission": ProviderSubmission(provider=payer.name, status="submitted", reference=reference, pay_on=day,
                                         provider_payment_id=provider_id, at=now)}), "payable.scheduled", deps)


def receive_bill_notice(notice: BillNotice, deps: PayableDeps) -> Payable:
    """A provider's word about a bill, whichever provider: paid (once per bill, whatever path came first)
    or given up (a scheduled bill goes back to `open` for a person to decide again; a repeat changes
    nothing)."""
    if notice.outcome == "paid":
        paid_at = datetime.combine(notice.paid_on, time(12), BRASILIA) if notice.paid_on else deps.clock.now()
        bill = deps.repo.get(notice.tenant_id, notice.payable_id)
        method = "pix" if bill.document is not None and bill.document.kind == "pix" else "boleto"
        return record_payment(notice.tenant_id, notice.payable_id, notice.amount_cents or bill.amount_cents,
                              min(paid_at, deps.clock.now()), method, deps, source=notice.provider,
                              reference=notice.event_id)

    def gave_up(p: Payable, now: str) -> Payable:
        submission = p.submission
        if p.status != "scheduled" or submission is None or submission.provider_payment_id != notice.provider_payment_id:
            return p  # a paid, cancelled or rescheduled bill: nothing to undo
        return p.model_copy(update={"status": next_status(p.status, "unschedule"), "scheduled_for": None,
                                    "submission": submission.model_copy(update={
                                        "status": "failed", "reason": notice.reason, "at": now})})

    return _change(notice.tenant_id, notice.payable_id, gave_up, None, deps)


def receive_bill_webhook(provider: str, raw: bytes, headers: dict[str, str], deps: PayableDeps) -> Payable | None:
    """`POST /v1/psp/{provider}/bill-webhooks`: authenticate (401), read (400), apply once; None for an
    event that changes nothing here."""
    if provider != "asaas":
        raise NotFoundError(f"No bill notices from '{provider}': the local provider pays through the day's run "
                            "and the sandbox.", [FieldError("provider", "takes no bill webhooks")])
    from chalicelib.payables import asaas

    notice = asaas.read_bill_notice(raw, headers, lambda tenant_id: deps.provider_secret(tenant_id, provider),
                                    business_date(deps.clock.now()))
    return None if notice is None else receive_bill_notice(notice, deps)


def provider_paid(tenant_id: str, payable_id: str, notice_id: str, deps: PayableDeps,
                  amount_cents: int | None = None) -> Payable:
    """The local provider's notice that it paid a bill (the day's run, the sandbox): once per notice id,
    through the same path as a real provider's webhook."""
    return receive_bill_notice(BillNotice(provider="local", event_id=notice_id, tenant_id=tenant_id,
                                          payable_id=payable_id, outcome="paid", amount_cents=amount_cents or 0),
                               deps)


def run_daily(deps: PayableDeps) -> dict[str, int]:
    """The day's run: bills past their due date and still open become `overdue`; the local provider pays
    the bills scheduled for today or before (one notice per bill and day, so a rerun pays nothing twice);
    a real provider's submissions left `pending` (a crash, a lost answer) are resolved."""
    today = business_date(deps.clock.now())
    counts = {"overdue": 0, "paid": 0, "resolved": 0}
    for tenant_id in deps.tenant_ids():
        unpaid = [*_every(tenant_id, "open", deps), *_every(tenant_id, "overdue", deps)]  # read before moving
        for bill in unpaid:
            if bill.status == "open" and bill.due_date < today:
                _change(tenant_id, bill.id, lambda p, _: p.model_copy(
                    update={"status": next_status(p.status, "overdue")}), "payable.overdue", deps)
                counts["overdue"] += 1
        if deps.provider_of(tenant_id) != "local":
            pending = [bill for bill in unpaid if bill.submission and bill.submission.status == "pending"]
            payer = deps.bill_payer(tenant_id) if pending else None
            for bill in pending:
                if payer is not None:
                    _resolve_pending(tenant_id, bill, payer, deps)
                    counts["resolved"] += 1
            continue
        for bill in list(_every(tenant_id, "scheduled", deps)):
            if bill.scheduled_for and bill.scheduled_for <= today:
                provider_paid(tenant_id, bill.id, f"run-{bill.id}-{bill.scheduled_for.isoformat()}", deps)
                counts["paid"] += 1
    return counts


def _resolve_pending(tenant_id: str, bill: Payable, payer: BillPayer, deps: PayableDeps) -> None:
    """A submission whose answer was lost: `scheduled` if the provider has it, `failed` if it never took it
    (a person schedules again). Never a second submission from here."""
    submission = bill.submission
    assert submission is not None
    try:
        provider_id = payer.find(submission.reference)
    except ServiceUnavailableError:
        return  # tomorrow's run, or the person's retry, asks again

    def resolved(p: Payable, now: str) -> Payable:
        if p.submission != submission:
            return p  # moved on meanwhile
        if provider_id is None:
            return p.model_copy(update={"submission": submission.model_copy(update={
                "status": "failed", "reason": f"{payer.name} never took it; schedule it again", "at": now})})
        return p.model_copy(update={"status": next_status(p.status, "schedule"), "scheduled_for": submission.pay_on,
                                    "submission": submission.model_copy(update={
                                        "status": "submitted", "provider_payment_id": provider_id, "at": now})})

    _change(tenant_id, bill.id, resolved, "payable.scheduled" if provider_id else None, deps)


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
