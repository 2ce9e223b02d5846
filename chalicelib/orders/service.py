"""Use cases of the orders context.

Every command is one transaction: the order item, the stock it reserves, releases or ships
(staged by the stock context into the same UnitOfWork) and its outbox event. Commands read
the order and stock, decide, and commit under conditions on what they read; losing a race
re-runs the whole attempt (`retry_on_conflict`), which re-reads and re-decides, so two
concurrent cancels, or a cancel racing a ship, leave exactly one winner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib import stock
from chalicelib.orders.model import (
    EVENT_OF_ACTION,
    ChargeState,
    LineRequest,
    Order,
    OrderLine,
    Payment,
    TimelineEntry,
    check_amounts,
    merge_lines,
    next_status,
    price_lines,
    totals,
)
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.platform.errors import FieldError, InvalidStateError, NotFoundError, naming
from chalicelib.platform.events import Event, EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.pagination import Page
from chalicelib.stock.service import StockDeps

if TYPE_CHECKING:  # the catalog's models, read through the ports of OrderDeps
    from chalicelib.catalog.model import Customer, Product


class OrderRepository(Protocol):
    def get(self, tenant_id: str, order_id: str) -> Order: ...
    def stage_new(self, uow: UnitOfWork, tenant_id: str, order: Order) -> None: ...
    def stage_update(self, uow: UnitOfWork, tenant_id: str, order: Order, expected_version: int,
                     on_fail: Any) -> None: ...
    def list(self, tenant_id: str, status: str | None, customer_id: str | None, limit: int,
             cursor: str | None) -> Page[Order]: ...


@dataclass(frozen=True)
class OrderDeps:
    repo: OrderRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    invoicing_enabled: Callable[[str], bool]
    stock: StockDeps  # reservations are staged into the order's own transaction
    customer: Callable[[str, str], Customer]  # the catalog's readers (NotFoundError)
    products: Callable[[str, list[str]], dict[str, Product]]  # those that exist, by SKU
    # (tenant, invoice id): raise CancellationWindowExpiredError past the NF-e's 24 h (a downstream
    # context's rule, handed in by the composition root so orders never import invoicing)
    check_invoice_cancellable: Callable[[str, str], None]


@dataclass(frozen=True)
class NewOrder:
    customer_id: str
    lines: list[LineRequest]
    payment: Payment
    shipping_cents: int = 0
    notes: str | None = None


def _lost_race() -> None:
    raise stock.StockChangedError("The order changed concurrently.")


def order_event_data(order: Order) -> dict[str, Any]:
    return {"order": order.public(timeline=False)}


def _record_event(order: Order, event: Event, now: str, **changes: Any) -> Order:
    timeline = [*order.timeline, TimelineEntry(event_id=event.id, type=event.type, occurred_at=event.occurred_at)]
    return order.model_copy(update={**changes, "timeline": timeline, "updated_at": now, "version": order.version + 1})


def place_order(tenant_id: str, cmd: NewOrder, deps: OrderDeps) -> Order:
    """Confirm an order: price its lines, reserve every line's stock and record it, in one step."""
    with naming("customer_id"):
        deps.customer(tenant_id, cmd.customer_id)
    lines = merge_lines(cmd.lines)
    products = deps.products(tenant_id, [line.sku for line in lines])
    unknown = [FieldError(f"lines.{i}.sku", f"no product with SKU {line.sku}")
               for i, line in enumerate(cmd.lines) if line.sku not in products]
    if unknown:
        raise NotFoundError("Some lines name unknown products.", unknown)
    priced = price_lines(lines, {sku: p.price_cents for sku, p in products.items()})
    amounts = totals(priced, cmd.shipping_cents)
    check_amounts(amounts["products_cents"], cmd.shipping_cents, cmd.payment.installments)
    now = rfc3339(deps.clock.now())
    order = Order(
        id=deps.ids.new("ord"), customer_id=cmd.customer_id, status="confirmed",
        lines=[OrderLine(sku=line.sku, name=products[line.sku].name, quantity=line.quantity,
                         unit_price_cents=line.unit_price_cents, total_cents=line.total_cents) for line in priced],
        payment=cmd.payment, notes=cmd.notes, created_at=now, updated_at=now,
        **amounts,
    )
    # The request's own lines (stock merges them the same way), so a shortfall names the line
    # the client sent (`lines.<i>.quantity`), not a position among the merged ones.
    stock_lines = [stock.StockLine(line.sku, line.quantity) for line in cmd.lines]

    def attempt() -> Order:
        uow = UnitOfWork()
        stock.reserve_stock(uow, tenant_id, order.id, stock_lines, deps.stock)
        event = deps.events.make(tenant_id, "order.confirmed", order_event_data(order))
        confirmed = _record_event(order, event, now, version=1)
        deps.repo.stage_new(uow, tenant_id, confirmed)
        stage_event(uow, event)
        uow.commit()
        return confirmed

    return stock.retry_on_conflict(attempt)


def _transition(tenant_id: str, order_id: str, action: str, deps: OrderDeps,
                stage_stock: Callable[[UnitOfWork, Order], object] | None = None,
                **changes: Any) -> Order:
    invoicing = deps.invoicing_enabled(tenant_id) if action == "ship" else True

    def attempt() -> Order:
        order = deps.repo.get(tenant_id, order_id)
        status = next_status(order.status, action, invoicing_enabled=invoicing)
        now = rfc3339(deps.clock.now())
        uow = UnitOfWork()
        if stage_stock is not None:
            stage_stock(uow, order)
        pending = order.model_copy(update={"status": status, **changes})
        event = deps.events.make(tenant_id, EVENT_OF_ACTION[action], order_event_data(pending))
        updated = _record_event(pending, event, now)
        deps.repo.stage_update(uow, tenant_id, updated, order.version, on_fail=_lost_race)
        stage_event(uow, event)
        uow.commit()
        return updated

    return stock.retry_on_conflict(attempt)


def ship_order(tenant_id: str, order_id: str, carrier: str | None, tracking_code: str | None,
               deps: OrderDeps) -> Order:
    """Ship: the reservation becomes outbound stock movements."""
    return _transition(tenant_id, order_id, "ship", deps,
                       lambda uow, order: stock.ship_reservation(uow, tenant_id, order.id, reason=f"order {order.id}",
                                                                 deps=deps.stock),
                       carrier=carrier, tracking_code=tracking_code)


def deliver_order(tenant_id: str, order_id: str, deps: OrderDeps) -> Order:
    return _transition(tenant_id, order_id, "deliver", deps)


def cancel_order(tenant_id: str, order_id: str, reason: str, deps: OrderDeps) -> Order:
    """Cancel: the reservation is released; `order.cancelled` asks invoicing and collections to
    cancel the NF-e and the open charges. An order whose NF-e is past its 24 h cancellation
    window is refused (409 `cancellation_window_expired`)."""
    order = deps.repo.get(tenant_id, order_id)
    if order.invoice_id and order.status == "invoiced":
        deps.check_invoice_cancellable(tenant_id, order.invoice_id)
    return _transition(tenant_id, order_id, "cancel", deps,
                       lambda uow, order: stock.release_reservation(uow, tenant_id, order.id, deps.stock),
                       cancel_reason=reason)


# Reactions to other contexts' events (consumers are idempotent per event: see platform.consumers)
def _update(tenant_id: str, order_id: str, deps: OrderDeps, change: Callable[[Order], Order | None],
            event_type: Callable[[Order, Order], str | None]) -> Order | None:
    def attempt() -> Order | None:
        order = deps.repo.get(tenant_id, order_id)
        changed = change(order)
        if changed is None:
            return order
        changed = changed.with_payments()
        now = rfc3339(deps.clock.now())
        uow = UnitOfWork()
        kind = event_type(order, changed)
        if kind:
            event = deps.events.make(tenant_id, kind, order_event_data(changed))
            changed = _record_event(changed, event, now)
            stage_event(uow, event)
        else:
            changed = changed.model_copy(update={"updated_at": now, "version": order.version + 1})
        deps.repo.stage_update(uow, tenant_id, changed, order.version, on_fail=_lost_race)
        uow.commit()
        return changed

    return stock.retry_on_conflict(attempt)


def mark_invoiced(tenant_id: str, order_id: str, invoice_id: str, deps: OrderDeps) -> Order | None:
    """`invoice.authorized` → `invoiced` (only from `confirmed`; a late NF-e for a cancelled order
    is left to invoicing, which cancels it on `order.cancelled`)."""
    def change(order: Order) -> Order | None:
        if order.status != "confirmed":
            return None
        next_status(order.status, "invoice")
        return order.model_copy(update={"status": "invoiced", "invoice_id": invoice_id})

    return _update(tenant_id, order_id, deps, change, lambda old, new: "order.invoiced")


def note_invoice(tenant_id: str, order_id: str, invoice_id: str, deps: OrderDeps) -> Order | None:
    """`invoice.rejected`: the order names its NF-e (still `confirmed`), so the rejection can be found."""
    def change(order: Order) -> Order | None:
        return None if order.invoice_id == invoice_id else order.model_copy(update={"invoice_id": invoice_id})

    return _update(tenant_id, order_id, deps, change, lambda old, new: None)


def invoice_cancelled(tenant_id: str, order_id: str, invoice_number: int, reason: str, deps: OrderDeps) -> Order | None:
    """`invoice.cancelled` for an `invoiced` order (its NF-e cancelled directly): the sale is undone, as if the
    order were cancelled (reservation released, open charges cancelled). Other states are left as they are:
    a cancelled order caused it; a shipped one cannot have lost its NF-e (invoicing refuses that)."""
    order = deps.repo.get(tenant_id, order_id)
    if order.status != "invoiced":
        return None
    text = f"NF-e {invoice_number} cancelada: {reason}"[:255]
    try:
        return cancel_order(tenant_id, order_id, text, deps)
    except InvalidStateError:
        return None  # shipped or cancelled in the meantime


def record_charge(tenant_id: str, order_id: str, charge_id: str, amount_cents: int, status: str,
                  paid_cents: int, deps: OrderDeps, version: int = 0, unapplied_cents: int = 0) -> Order | None:
    """A charge of the order was created, paid, became overdue or was cancelled. Events may arrive out
    of order (concurrent consumers): a snapshot older than the one kept changes nothing."""
    def change(order: Order) -> Order | None:
        current = order.charges.get(charge_id)
        state = ChargeState(amount_cents=amount_cents, paid_cents=paid_cents, status=status, version=version,
                            unapplied_cents=unapplied_cents)
        if current == state or (current is not None and version and current.version > version):
            return None
        return order.model_copy(update={"charges": {**order.charges, charge_id: state}})

    def paid_now(old: Order, new: Order) -> str | None:
        # A cancelled order is not "paid" news: what it collected shows as refund_due_cents.
        return "order.paid" if (new.payment_status == "paid" and old.payment_status != "paid"
                                and new.status != "cancelled") else None

    return _update(tenant_id, order_id, deps, change, paid_now)
