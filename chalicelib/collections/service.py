"""Use cases of the collections context.

Every command is one transaction under conditions on what it read:
- an order's charges are created with a per-order claim item in the same transaction, so a
  redelivered or concurrently delivered `order.confirmed` / `invoice.authorized` never makes two sets;
- a provider notice is claimed by its event id in the transaction that settles the charge, and the
  charge is written under its version: the same notice delivered 20 times at once settles once;
- losing a race re-runs the whole attempt (re-read, re-decide).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from chalicelib.collections.model import (
    EVENT_OF_STATUS,
    MAX_PAYMENTS_PER_CHARGE,
    Charge,
    ChargeMethod,
    NoticeIdReusedError,
    Payment,
    charge_event_data,
    due_date_errors,
    next_status,
    notice_differences,
    payment_instant,
    settle,
)
from chalicelib.collections.providers import IssueRequest, Payee, Payer, PaymentNotice, PaymentProvider
from chalicelib.orders import installments
from chalicelib.platform.clock import Clock, business_date, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import ConflictError, FieldError, InvalidRequestError, InvalidStateError, naming
from chalicelib.platform.events import EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.observability import logger
from chalicelib.platform.pagination import Page

if TYPE_CHECKING:  # upstream contexts' models, read through the ports below
    from chalicelib.catalog.model import Customer
    from chalicelib.collections.credentials import CredentialStore
    from chalicelib.orders.model import Order
    from chalicelib.tenants.model import Tenant

T = TypeVar("T")
# Overdue charges are found by due date; this many days back covers weekends and holiday chains.
OVERDUE_LOOKBACK_DAYS = 10


class ChargeRepository(Protocol):
    def get(self, tenant_id: str, charge_id: str) -> Charge: ...
    def stage_new(self, uow: UnitOfWork, tenant_id: str, charge: Charge) -> None: ...
    def stage_update(self, uow: UnitOfWork, tenant_id: str, charge: Charge, expected_version: int,
                     on_fail: Any) -> None: ...
    def order_charge_ids(self, tenant_id: str, order_id: str) -> list[str] | None: ...
    def stage_order_claim(self, uow: UnitOfWork, tenant_id: str, order_id: str, charge_ids: list[str],
                          on_fail: Any) -> None: ...
    def notice(self, tenant_id: str, provider: str, event_id: str) -> Any: ...
    def stage_notice(self, uow: UnitOfWork, tenant_id: str, provider: str, event_id: str, charge_id: str,
                     payment_id: str, outcome: str, on_fail: Any) -> None: ...
    def reserve_nosso_numeros(self, tenant_id: str, count: int) -> list[int]: ...
    def webhook_secret(self, tenant_id: str, provider: str, create: bool = True) -> str | None: ...
    def list(self, tenant_id: str, status: str | None, customer_id: str | None, due_before: str | None,
             limit: int, cursor: str | None) -> Page[Charge]: ...
    def pending_due_on(self, due_date: str) -> builtins.list[tuple[str, str]]: ...
    def open_due_on(self, tenant_id: str, due_date: str) -> builtins.list[Charge]: ...
    def get_many(self, tenant_id: str, charge_ids: builtins.list[str]) -> dict[str, Charge]: ...
    def ids_by_our_number(self, tenant_id: str, our_numbers: builtins.list[str]) -> dict[str, str]: ...


@dataclass(frozen=True)
class ChargeDeps:
    repo: ChargeRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    provider: Callable[[str, str], PaymentProvider]  # (name, tenant); UnknownProviderError otherwise
    tenant: Callable[[str], Tenant]  # the tenants context's reader
    customer: Callable[[str, str], Customer]  # the catalog's reader (NotFoundError)
    order: Callable[[str, str], Order]  # the orders context's reader (NotFoundError)
    credentials: CredentialStore  # the tenants' provider API keys (Secrets Manager)


@dataclass(frozen=True)
class NewCharge:
    customer_id: str
    amount_cents: int
    due_date: date
    method: ChargeMethod
    description: str
    order_id: str | None = None
    installment: int = 1
    installments: int = 1


@dataclass(frozen=True)
class Settlement:
    charge: Charge
    payment: Payment
    replayed: bool  # the same provider notice was settled before: nothing changed


class _LostRace(Exception):
    """The charge (or a claim) changed between the read and the write: re-run the attempt."""


def _lost_race() -> None:
    raise _LostRace()


def retry(attempt: Callable[[], T], attempts: int = 15) -> T:
    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=attempts, what="charge")


def today(deps: ChargeDeps) -> date:
    return business_date(deps.clock.now())


# --- creating charges ---------------------------------------------------------------------------

def _payee(tenant_id: str, tenant: Tenant) -> Payee:
    settings = tenant.settings.collections
    return Payee(tenant_id=tenant_id, name=tenant.legal_name, city=tenant.address.city, cnpj=tenant.cnpj,
                 bank_code=settings.bank_code, agency=settings.agency, account=settings.account,
                 agreement=settings.agreement, pix_key=settings.pix_key)


def _issue(tenant_id: str, specs: list[NewCharge], deps: ChargeDeps) -> list[Charge]:
    tenant = deps.tenant(tenant_id)
    settings = tenant.settings.collections
    with naming("customer_id"):
        customer = deps.customer(tenant_id, specs[0].customer_id)
    provider = deps.provider(settings.provider, tenant_id)
    payee = _payee(tenant_id, tenant)
    payer = Payer(customer_id=customer.id, name=customer.name, document=customer.document, email=customer.email)
    boletos = sum(1 for s in specs if s.method == "boleto")
    numbers = iter(deps.repo.reserve_nosso_numeros(tenant_id, boletos) if boletos else [])
    now = rfc3339(deps.clock.now())
    charges = []
    for spec in specs:
        charge_id = deps.ids.new("chg")
        issued = provider.issue(IssueRequest(
            charge_id=charge_id, method=spec.method, amount_cents=spec.amount_cents, due_date=spec.due_date,
            description=spec.description, payee=payee, payer=payer,
            nosso_numero=next(numbers) if spec.method == "boleto" else None))
        charges.append(Charge(
            id=charge_id, order_id=spec.order_id, customer_id=spec.customer_id, description=spec.description,
            method=spec.method, amount_cents=spec.amount_cents, due_date=spec.due_date,
            installment=spec.installment, installments=spec.installments,
            fine_percent=settings.fine_for(customer.document_type == "cpf"),
            interest_monthly_percent=settings.interest_monthly_percent,
            payer_is_consumer=customer.document_type == "cpf", provider=provider.name,
            provider_charge_id=issued.provider_charge_id, boleto=issued.boleto, pix=issued.pix,
            card_link=issued.card_link, created_at=now, updated_at=now))
    return charges


def _stage_created(uow: UnitOfWork, tenant_id: str, charge: Charge, deps: ChargeDeps) -> None:
    deps.repo.stage_new(uow, tenant_id, charge)
    stage_event(uow, deps.events.make(tenant_id, "charge.created", charge_event_data(charge)))


def create_charge(tenant_id: str, cmd: NewCharge, deps: ChargeDeps) -> Charge:
    """A standalone charge (`POST /v1/charges`): due today or later (at most 10 years ahead), a positive amount."""
    errors = due_date_errors(cmd.due_date, today(deps))
    if cmd.amount_cents <= 0:
        errors.append(FieldError("amount_cents", "must be greater than 0"))
    if errors:
        raise InvalidRequestError("The charge is not valid.", errors)
    charge = _issue(tenant_id, [cmd], deps)[0]
    uow = UnitOfWork()
    _stage_created(uow, tenant_id, charge, deps)
    uow.commit()
    return charge


class _AlreadyClaimed(Exception):
    pass


def _raise_claimed() -> None:
    raise _AlreadyClaimed()


def create_order_charges(tenant_id: str, order: dict[str, Any], deps: ChargeDeps) -> list[Charge]:
    """One charge per installment of the order's payment terms, once per order whatever the deliveries.

    `order` is the order as events carry it (`order_event_data`): id, customer_id, total_cents, payment.
    """
    order_id = str(order["id"])
    existing = deps.repo.order_charge_ids(tenant_id, order_id)
    if existing is not None:
        return [deps.repo.get(tenant_id, cid) for cid in existing]
    if order.get("status") == "cancelled":
        return []
    payment = order.get("payment") or {}
    count = int(payment.get("installments") or 1)
    plan = installments.plan_installments(int(order["total_cents"]), count, today(deps),
                                          int(payment.get("first_due_in_days", 3)))
    specs = [NewCharge(customer_id=str(order["customer_id"]), amount_cents=part.amount_cents, due_date=part.due_date,
                       method=cast(ChargeMethod, str(payment.get("method") or "boleto")),
                       description=f"Pedido {order_id}, parcela {part.number}/{count}", order_id=order_id,
                       installment=part.number, installments=count) for part in plan]
    charges = _issue(tenant_id, specs, deps)
    uow = UnitOfWork()
    deps.repo.stage_order_claim(uow, tenant_id, order_id, [c.id for c in charges], on_fail=_raise_claimed)
    for charge in charges:
        _stage_created(uow, tenant_id, charge, deps)
    try:
        uow.commit()
    except _AlreadyClaimed:
        # A concurrent delivery won; its charges are the order's (our nosso números stay unused: a gap, no repeat).
        logger.info("order charges created concurrently", extra={"tenant_id": tenant_id, "order_id": order_id})
        return [deps.repo.get(tenant_id, cid) for cid in deps.repo.order_charge_ids(tenant_id, order_id) or []]
    return charges


# --- lifecycle ----------------------------------------------------------------------------------

def _change_status(tenant_id: str, charge_id: str, action: str, deps: ChargeDeps,
                   only_if: Callable[[Charge], bool] | None = None) -> Charge:
    def attempt() -> Charge:
        charge = deps.repo.get(tenant_id, charge_id)
        if only_if is not None and not only_if(charge):
            return charge
        status = next_status(charge.status, action)
        now = rfc3339(deps.clock.now())
        changes: dict[str, Any] = {"status": status, "updated_at": now, "version": charge.version + 1}
        if status == "cancelled":
            changes["cancelled_at"] = now
        updated = charge.model_copy(update=changes)
        uow = UnitOfWork()
        deps.repo.stage_update(uow, tenant_id, updated, charge.version, on_fail=_lost_race)
        stage_event(uow, deps.events.make(tenant_id, EVENT_OF_STATUS[status], charge_event_data(updated)))
        uow.commit()
        return updated

    return retry(attempt)


def cancel_charge(tenant_id: str, charge_id: str, deps: ChargeDeps) -> Charge:
    """`pending|overdue → cancelled`; 409 invalid_state from any other status."""
    return _change_status(tenant_id, charge_id, "cancel", deps)


def cancel_order_charges(tenant_id: str, order: dict[str, Any], deps: ChargeDeps) -> list[Charge]:
    """`order.cancelled`: every open charge of the order is cancelled. When the charges were not
    created yet, the order's claim is taken (empty), so a late `order.confirmed` creates none."""
    order_id = str(order["id"])
    claimed = deps.repo.order_charge_ids(tenant_id, order_id)
    if claimed is None:
        uow = UnitOfWork()
        deps.repo.stage_order_claim(uow, tenant_id, order_id, [], on_fail=_raise_claimed)
        try:
            uow.commit()
        except _AlreadyClaimed:
            claimed = deps.repo.order_charge_ids(tenant_id, order_id)
    ids = sorted(set(claimed or []) | set(order.get("charge_ids") or []))
    return [_change_status(tenant_id, cid, "cancel", deps, only_if=lambda c: c.is_open) for cid in ids]


def mark_overdue(tenant_id: str, charge_id: str, deps: ChargeDeps) -> Charge:
    """`pending → overdue` once the due date (moved to the next business day) has passed."""
    day = today(deps)
    return _change_status(tenant_id, charge_id, "overdue", deps,
                          only_if=lambda c: c.status == "pending" and c.is_late_on(day))


def mark_overdue_charges(deps: ChargeDeps) -> int:
    """The daily run: open charges due in the last days that are now late become `overdue`."""
    day = today(deps)
    changed = 0
    for back in range(1, OVERDUE_LOOKBACK_DAYS + 1):
        for tenant_id, charge_id in deps.repo.pending_due_on((day - timedelta(days=back)).isoformat()):
            if mark_overdue(tenant_id, charge_id, deps).status == "overdue":
                changed += 1
    return changed


def open_charges_due(tenant_id: str, due_dates: builtins.list[date], deps: ChargeDeps) -> builtins.list[Charge]:
    """The tenant's open charges due on these dates, read through the due-date index (the daily dunning
    run reads what falls due, never every charge)."""
    return [charge for day in sorted(set(due_dates)) for charge in deps.repo.open_due_on(tenant_id, day.isoformat())]


def payable_on(tenant_id: str, charge: Charge, day: date, deps: ChargeDeps) -> Charge:
    """The charge as its payer should see it on `day`: when late, its boleto and Pix are reissued for that
    day's amount (fine and interest included) through the charge's provider; else it is as issued."""
    if not charge.is_late_on(day):
        return charge
    tenant = deps.tenant(tenant_id)
    issued = deps.provider(charge.provider, tenant_id).updated(charge, _payee(tenant_id, tenant), day, charge.amount_due_on(day))
    return charge.model_copy(update={"boleto": issued.boleto, "pix": issued.pix, "card_link": issued.card_link})


# --- payments -----------------------------------------------------------------------------------

def record_payment(tenant_id: str, charge_id: str, amount_cents: int, paid_at: datetime, method: str,
                   deps: ChargeDeps, *, source: str = "manual", provider_event_id: str | None = None) -> Settlement:
    """Settle a charge with one payment: paid, underpaid (stays open with the remainder) or overpaid.

    A provider notice (`provider_event_id`) settles at most once: a repeat returns the first settlement;
    the same event id with other content (charge, amount, paid_at, method) is 409 notice_id_reused and
    changes nothing. A manual payment on a charge that is not open is 409 invalid_state; a provider's is
    recorded with an outcome that explains it (the money arrived and needs a person).
    A paid_at after now is clamped to now (the reported one is kept on the payment); a manual one more
    than a few minutes ahead is refused (400 on paid_at).
    """
    if amount_cents <= 0:
        raise InvalidRequestError("A payment is a positive amount.", [FieldError("amount_cents", "must be > 0")])
    settled_at, reported = payment_instant(paid_at, deps.clock.now(), manual=source == "manual")
    paid_on = business_date(settled_at)
    stated_paid_at = rfc3339(paid_at)

    def attempt() -> Settlement:
        if provider_event_id is not None:
            seen = deps.repo.notice(tenant_id, source, provider_event_id)
            if seen is not None:
                charge = deps.repo.get(tenant_id, str(seen.charge_id))
                first = next(p for p in charge.payments if p.id == seen.payment_id)
                differences = notice_differences(charge.id, first, charge_id, amount_cents, stated_paid_at, method)
                if differences:
                    raise NoticeIdReusedError(
                        f"Notice {provider_event_id} from {source} was received before with other content; "
                        "the first one stands.", differences)
                return Settlement(charge, first, replayed=True)
        charge = deps.repo.get(tenant_id, charge_id)
        if source == "manual" and not charge.is_open:
            raise InvalidStateError(f"Cannot pay a charge that is {charge.status}.",
                                    [FieldError("status", f"is {charge.status}")])
        if len(charge.payments) >= MAX_PAYMENTS_PER_CHARGE:
            raise ConflictError(f"A charge takes at most {MAX_PAYMENTS_PER_CHARGE} payments.")
        now = rfc3339(deps.clock.now())
        updated, payment = settle(charge, deps.ids.new("pay"), amount_cents, paid_on, rfc3339(settled_at), method,
                                  source, provider_event_id, now, rfc3339(reported) if reported else None)
        updated = updated.model_copy(update={"version": charge.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_update(uow, tenant_id, updated, charge.version, on_fail=_lost_race)
        if provider_event_id is not None:
            deps.repo.stage_notice(uow, tenant_id, source, provider_event_id, charge.id, payment.id,
                                   payment.outcome, on_fail=_lost_race)
        if updated.status == "paid" and charge.status != "paid":
            stage_event(uow, deps.events.make(tenant_id, "charge.paid", charge_event_data(updated)))
        if updated.unapplied_cents != charge.unapplied_cents:  # money on a cancelled or paid charge
            stage_event(uow, deps.events.make(tenant_id, "charge.payment_unapplied", charge_event_data(updated)))
        uow.commit()
        logger.info("payment recorded", extra={"tenant_id": tenant_id, "charge_id": charge.id,
                                               "outcome": payment.outcome, "source": source,
                                               "paid_at_clamped": reported is not None})
        return Settlement(updated, payment, replayed=False)

    return retry(attempt)


def settle_notice(notice: PaymentNotice, deps: ChargeDeps) -> Settlement:
    paid_at = datetime.fromisoformat(notice.paid_at.replace("Z", "+00:00"))
    return record_payment(notice.tenant_id, notice.charge_id, notice.amount_cents, paid_at, notice.method, deps,
                          source=notice.provider, provider_event_id=notice.event_id)


# --- provider notices and the sandbox ---------------------------------------------------------

def receive_notice(provider: str, raw: bytes, headers: dict[str, str], deps: ChargeDeps) -> Settlement:
    """`POST /v1/psp/{provider}/webhooks`: authenticate the notice (401), read it (400), settle it once."""
    from chalicelib.collections.providers import notices

    notices.check_provider(provider)
    now = int(deps.clock.now().timestamp())
    if provider == "asaas":
        from chalicelib.collections.providers import asaas

        notice = asaas.read_notice(raw, headers, lambda t: deps.repo.webhook_secret(t, "asaas", create=False))
    else:
        notice = notices.read_local_notice(raw, headers, lambda t: deps.repo.webhook_secret(t, "local", create=False),
                                           now)
    if notice is None:  # a provider event that moves no money (e.g. PAYMENT_CREATED): acknowledged, ignored
        raise _Ignored()
    return settle_notice(notice, deps)


class _Ignored(Exception):
    """A notice about something other than money received."""


Ignored = _Ignored


def sandbox_payment(tenant_id: str, charge_id: str, amount_cents: int | None, deps: ChargeDeps) -> Settlement:
    """The local provider pays the charge: a signed notice through the same path as a real one."""
    from uuid import uuid4

    from chalicelib.collections import signatures
    from chalicelib.collections.providers.local import notice_body

    charge = deps.repo.get(tenant_id, charge_id)
    amount = amount_cents or charge.amount_due_on(today(deps)) or charge.amount_cents
    notice = PaymentNotice(provider="local", event_id=f"sbx{uuid4().hex}", tenant_id=tenant_id, charge_id=charge.id,
                           amount_cents=amount, paid_at=rfc3339(deps.clock.now()), method=charge.method)
    raw = notice_body(notice)
    secret = deps.repo.webhook_secret(tenant_id, "local")
    assert secret is not None
    header = signatures.sign(secret, raw, int(deps.clock.now().timestamp()))
    return receive_notice("local", raw, {signatures.SIGNATURE_HEADER: header}, deps)
