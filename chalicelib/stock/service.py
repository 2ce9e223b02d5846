"""Use cases of the stock context.

`record_movement` runs its own transaction. The reservation primitives (`reserve_stock`,
`release_reservation`, `ship_reservation`) and the catalog hooks stage their writes into the
caller's `UnitOfWork`, so the caller's state change, the stock change and the events commit
together or not at all. Their conditions are derived from a consistent read: when the stock
changes between read and commit, the commit fails with `StockChangedError` and the caller
runs its whole attempt again (`retry_on_conflict` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import OnFail, UnitOfWork, retry_lost_races
from chalicelib.platform.errors import (
    ConflictError,
    FieldError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
)
from chalicelib.platform.events import EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.pagination import Page
from chalicelib.stock.model import (
    DEFAULT_WAREHOUSE,
    MAX_RESERVATION_LINES,
    RESERVATION_ID_PATTERN,
    Change,
    InsufficientStockError,
    Movement,
    MovementType,
    Reservation,
    ReservationLine,
    Shortfall,
    StockLevel,
    StockLine,
    Warehouse,
    can_transition,
    changes_by_sku,
    line_errors,
    merge_lines,
    new_level,
    shortfalls,
)

T = TypeVar("T")


class StockChangedError(ConflictError):
    """The stock changed between the read a write was decided on and its commit; retry."""


class StockRepository(Protocol):
    def get_level(self, tenant_id: str, sku: str) -> StockLevel: ...
    def get_levels(self, tenant_id: str, skus: Sequence[str]) -> dict[str, StockLevel]: ...
    def stage_new_level(self, uow: UnitOfWork, tenant_id: str, level: StockLevel,
                        on_fail: OnFail = None) -> None: ...
    def stage_level_change(self, uow: UnitOfWork, tenant_id: str, sku: str, changes: dict[str, Change], *,
                           before: StockLevel | None, after: StockLevel | None,
                           on_fail: OnFail = None) -> None: ...
    def list_levels(self, tenant_id: str, below_minimum: bool | None, limit: int, cursor: str | None) -> Page[StockLevel]: ...
    def stage_movement(self, uow: UnitOfWork, tenant_id: str, movement: Movement) -> None: ...
    def list_movements(self, tenant_id: str, sku: str | None, limit: int, cursor: str | None) -> Page[Movement]: ...
    def get_reservation(self, tenant_id: str, reservation_id: str) -> Reservation: ...
    def stage_new_reservation(self, uow: UnitOfWork, tenant_id: str, reservation: Reservation,
                              on_fail: OnFail = None) -> None: ...
    def stage_reservation_status(self, uow: UnitOfWork, tenant_id: str, reservation: Reservation, expected: str,
                                 on_fail: OnFail = None) -> None: ...
    def get_warehouse(self, tenant_id: str, code: str) -> Warehouse: ...
    def stage_new_warehouse(self, uow: UnitOfWork, tenant_id: str, warehouse: Warehouse,
                            on_fail: OnFail = None) -> None: ...
    def stage_warehouse_check(self, uow: UnitOfWork, tenant_id: str, code: str, on_fail: OnFail = None) -> None: ...
    def list_warehouses(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Warehouse]: ...


@dataclass(frozen=True)
class StockDeps:
    repo: StockRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory


@dataclass(frozen=True)
class NewMovement:
    sku: str
    type: MovementType
    quantity: int
    warehouse: str
    reason: str | None = None


def _changed() -> None:
    raise StockChangedError("The stock changed concurrently; retry.")


def retry_on_conflict(attempt: Callable[[], T], attempts: int = 12) -> T:
    """Run `attempt` (which builds and commits a fresh UnitOfWork) until it does not lose a race.

    Retries `StockChangedError` and DynamoDB's `TransactionConflict`; every other error,
    `InsufficientStockError` included, goes straight to the caller.
    """
    return retry_lost_races(attempt, retry_on=(StockChangedError,), attempts=attempts, what="stock")


def _shortfall_error(short: list[Shortfall], field_of: Callable[[Shortfall], str]) -> InsufficientStockError:
    skus = ", ".join(sorted({s.sku for s in short}))
    return InsufficientStockError(
        f"Not enough stock for {skus}.",
        [FieldError(field_of(s), f"requested {s.requested}, available {s.available}",
                    {"sku": s.sku, "warehouse": s.warehouse, "requested": s.requested, "available": s.available})
         for s in short])


def _stage_change(uow: UnitOfWork, tenant_id: str, before: StockLevel, changes: dict[str, Change],
                  deps: StockDeps, on_fail: OnFail, min_stock: int | None = None) -> StockLevel:
    """Stage one SKU's change, and `stock.low` when this very write takes it below its minimum."""
    after = before.apply(changes, min_stock)
    deps.repo.stage_level_change(uow, tenant_id, before.sku, changes, before=before, after=after, on_fail=on_fail)
    if after.low and not before.low:
        stage_event(uow, deps.events.make(tenant_id, "stock.low", {
            "sku": before.sku, "available": after.available, "min_stock": after.min_stock}))
    return after


# Warehouses
def create_warehouse(tenant_id: str, code: str, name: str, deps: StockDeps) -> Warehouse:
    """Register a warehouse: its item (the code's claim) and `warehouse.created`, in one transaction."""
    taken = ConflictError(f"Warehouse {code} already exists.", [FieldError("code", "is already a warehouse")])
    if code == DEFAULT_WAREHOUSE:
        raise taken
    warehouse = Warehouse(code=code, name=name, created_at=rfc3339(deps.clock.now()))
    uow = UnitOfWork()
    deps.repo.stage_new_warehouse(uow, tenant_id, warehouse, on_fail=taken)
    stage_event(uow, deps.events.make(tenant_id, "warehouse.created", {"warehouse": warehouse.model_dump(mode="json")}))
    uow.commit()
    return warehouse


def _unknown_warehouse(code: str) -> InvalidRequestError:
    return InvalidRequestError(f"No warehouse {code}.", [FieldError(
        "warehouse", "is not a warehouse of this tenant; register it with POST /v1/warehouses")])


def warehouse_exists(tenant_id: str, code: str, deps: StockDeps) -> bool:
    """`main` (built in) or a registered warehouse."""
    try:
        deps.repo.get_warehouse(tenant_id, code)
    except NotFoundError:
        return False
    return True


def shipped_since(tenant_id: str, sku: str, since: datetime, deps: StockDeps) -> int:
    """Units of a SKU shipped since `since`: its movements, newest first, read back to that instant."""
    from chalicelib.platform.pagination import every

    shipped = 0
    for movement in every(lambda cursor: deps.repo.list_movements(tenant_id, sku, 100, cursor)):
        if datetime.fromisoformat(movement.created_at) < since:
            break
        if movement.type == "shipment":
            shipped -= movement.quantity
    return shipped


# Movements
def record_movement(tenant_id: str, cmd: NewMovement, deps: StockDeps) -> Movement:
    """Receipt, adjustment or return: the movement, the level and `stock.moved` in one transaction.

    A warehouse other than `main` must be registered: the transaction carries that as a
    condition (no extra read on the common path), so nothing is written into an unknown one.
    """

    def attempt() -> Movement:
        try:
            level = deps.repo.get_level(tenant_id, cmd.sku)
        except NotFoundError:
            raise NotFoundError(f"No product with SKU {cmd.sku}.", [FieldError("sku", "no product has this SKU")]) from None
        if cmd.warehouse not in level.warehouses and cmd.quantity < 0 and not warehouse_exists(
                tenant_id, cmd.warehouse, deps):
            raise _unknown_warehouse(cmd.warehouse)  # said before the shortfall, which would blame the quantity
        # A registered warehouse the SKU never entered holds 0 of it: a return or a positive count
        # adjustment starts it as a receipt would; taking from it is a shortfall (409).
        current = level.warehouse(cmd.warehouse)
        if current.available + cmd.quantity < 0:
            raise _shortfall_error([Shortfall(0, cmd.sku, cmd.warehouse, -cmd.quantity, current.available)],
                                   lambda _: "quantity")
        movement = Movement(id=deps.ids.new("mov"), sku=cmd.sku, warehouse=cmd.warehouse, type=cmd.type,
                            quantity=cmd.quantity, reason=cmd.reason, created_at=rfc3339(deps.clock.now()))
        uow = UnitOfWork()
        if cmd.warehouse != DEFAULT_WAREHOUSE and cmd.warehouse not in level.warehouses:
            # A code the SKU already holds stock in stays usable (stock moved before warehouses were
            # registered is not frozen); a new one must be registered.
            deps.repo.stage_warehouse_check(uow, tenant_id, cmd.warehouse, on_fail=_unknown_warehouse(cmd.warehouse))
        _stage_change(uow, tenant_id, level, {cmd.warehouse: Change(on_hand=cmd.quantity)}, deps, _changed)
        deps.repo.stage_movement(uow, tenant_id, movement)
        stage_event(uow, deps.events.make(tenant_id, "stock.moved", {"movements": [movement.model_dump(mode="json")]}))
        uow.commit()
        return movement

    return retry_on_conflict(attempt)


# Reservations: primitives other contexts stage into their own transaction.
def _check_lines(lines: Sequence[StockLine]) -> None:
    if not 1 <= len(lines) <= MAX_RESERVATION_LINES:
        raise InvalidRequestError(f"A reservation holds 1..{MAX_RESERVATION_LINES} lines.",
                                  [FieldError("lines", f"must hold 1..{MAX_RESERVATION_LINES} lines")])
    errors = line_errors(lines)
    if errors:
        raise InvalidRequestError("Some lines are invalid.", [FieldError(f"lines.{i}.{f}", m) for i, f, m in errors])


def _check_reservation_id(reservation_id: str) -> None:
    import re

    if not isinstance(reservation_id, str) or not re.match(RESERVATION_ID_PATTERN, reservation_id):
        raise ValueError(f"reservation ids match {RESERVATION_ID_PATTERN}")


def reserve_stock(uow: UnitOfWork, tenant_id: str, reservation_id: str, lines: Sequence[StockLine],
                  deps: StockDeps) -> Reservation:
    """Stage a reservation of every line into `uow`: all of it commits, or none of it.

    A shortfall is found before anything is staged (and again if the commit loses a race):
    `InsufficientStockError` lists every short (sku, warehouse), with the field
    `lines.<i>.quantity` of its first line (the dotted path validation errors use).
    """
    _check_reservation_id(reservation_id)
    _check_lines(lines)
    merged = merge_lines(lines)
    skus = sorted({sku for sku, _ in merged})
    levels = deps.repo.get_levels(tenant_id, skus)
    unknown = [i for i, line in enumerate(lines) if line.sku not in levels]
    if unknown:
        raise NotFoundError("Some SKUs have no product.",
                            [FieldError(f"lines.{i}.sku", f"no product has SKU {lines[i].sku}") for i in unknown])

    def field_of(s: Shortfall) -> str:
        return f"lines.{s.index}.quantity"

    short = shortfalls(levels, merged)
    if short:
        raise _shortfall_error(short, field_of)

    def lost_race() -> None:
        # The commit failed a stock condition: tell a real shortfall from a stale read.
        again = shortfalls(deps.repo.get_levels(tenant_id, skus), merged)
        if again:
            raise _shortfall_error(again, field_of)
        _changed()

    now = rfc3339(deps.clock.now())
    reservation = Reservation(id=reservation_id, status="open", created_at=now, updated_at=now, lines=[
        ReservationLine(sku=sku, warehouse=warehouse, quantity=quantity) for (sku, warehouse), (_, quantity) in merged.items()])
    deps.repo.stage_new_reservation(uow, tenant_id, reservation,
                                    on_fail=ConflictError(f"Stock reservation {reservation_id} already exists."))
    for sku, changes in changes_by_sku(merged, Change(reserved=1)).items():
        _stage_change(uow, tenant_id, levels[sku], changes, deps, lost_race)
    return reservation


def _open_reservation(tenant_id: str, reservation_id: str, target: str, deps: StockDeps) -> Reservation:
    _check_reservation_id(reservation_id)
    reservation = deps.repo.get_reservation(tenant_id, reservation_id)
    if not can_transition(reservation.status, target):
        raise InvalidStateError(f"Stock reservation {reservation_id} is {reservation.status}; it cannot be {target}.")
    return reservation


def _merged(reservation: Reservation) -> dict[tuple[str, str], tuple[int, int]]:
    return {(line.sku, line.warehouse): (i, line.quantity) for i, line in enumerate(reservation.lines)}


def release_reservation(uow: UnitOfWork, tenant_id: str, reservation_id: str, deps: StockDeps) -> Reservation:
    """Stage the release of an open reservation: its units become available again."""
    reservation = _open_reservation(tenant_id, reservation_id, "released", deps)
    merged = _merged(reservation)
    levels = deps.repo.get_levels(tenant_id, [sku for sku, _ in merged])
    released = reservation.model_copy(update={"status": "released", "updated_at": rfc3339(deps.clock.now())})
    deps.repo.stage_reservation_status(uow, tenant_id, released, "open", on_fail=_changed)
    for sku, changes in changes_by_sku(merged, Change(reserved=-1)).items():
        _stage_change(uow, tenant_id, levels[sku], changes, deps, _changed)
    return released


def ship_reservation(uow: UnitOfWork, tenant_id: str, reservation_id: str, deps: StockDeps,
                     reason: str | None = None) -> list[Movement]:
    """Stage the shipping of an open reservation: one outbound `shipment` movement per line.

    on_hand and reserved drop together, so available (and the `low` flag) do not move and no
    level read is needed. Items staged: 2 per line + the reservation + one `stock.moved`.
    """
    reservation = _open_reservation(tenant_id, reservation_id, "shipped", deps)
    merged = _merged(reservation)
    now = rfc3339(deps.clock.now())
    shipped = reservation.model_copy(update={"status": "shipped", "updated_at": now})
    deps.repo.stage_reservation_status(uow, tenant_id, shipped, "open", on_fail=_changed)
    for sku, changes in changes_by_sku(merged, Change(on_hand=-1, reserved=-1)).items():
        deps.repo.stage_level_change(uow, tenant_id, sku, changes, before=None, after=None, on_fail=_changed)
    movements = [Movement(id=deps.ids.new("mov"), sku=line.sku, warehouse=line.warehouse, type="shipment",
                          quantity=-line.quantity, reason=reason, reference=reservation_id, created_at=now)
                 for line in reservation.lines]
    for movement in movements:
        deps.repo.stage_movement(uow, tenant_id, movement)
    stage_event(uow, deps.events.make(tenant_id, "stock.moved", {
        "movements": [m.model_dump(mode="json") for m in movements]}))
    return movements


def stage_receipts(uow: UnitOfWork, tenant_id: str, receipts: Sequence[StockLine], reference: str, reason: str,
                   deps: StockDeps) -> list[Movement]:
    """Stage inbound `receipt` movements (a supplier's goods) into the caller's transaction: one level
    change per SKU, read first so the `low` flag (and `stock.low`) stays right, one movement per line, and
    a warehouse other than `main` the SKU never held must be registered (a condition, 400 naming
    warehouse). Items staged: at most 2 per line (+1 per new warehouse) + one `stock.moved`. A lost race is
    StockChangedError: rebuild the transaction and retry (`retry_on_conflict`)."""
    merged: dict[tuple[str, str], int] = {}
    for line in receipts:
        merged[(line.sku, line.warehouse)] = merged.get((line.sku, line.warehouse), 0) + line.quantity
    levels = deps.repo.get_levels(tenant_id, sorted({sku for sku, _ in merged}))
    missing = sorted({sku for sku, _ in merged} - set(levels))
    if missing:
        raise NotFoundError(f"No product with SKU {', '.join(missing)}.", [FieldError("sku", "no product has this SKU")])
    by_sku: dict[str, dict[str, Change]] = {}
    for (sku, warehouse), quantity in merged.items():
        by_sku.setdefault(sku, {})[warehouse] = Change(on_hand=quantity)
        if warehouse != DEFAULT_WAREHOUSE and warehouse not in levels[sku].warehouses:
            deps.repo.stage_warehouse_check(uow, tenant_id, warehouse, on_fail=_unknown_warehouse(warehouse))
    for sku, changes in by_sku.items():
        _stage_change(uow, tenant_id, levels[sku], changes, deps, _changed)
    now = rfc3339(deps.clock.now())
    movements = [Movement(id=deps.ids.new("mov"), sku=line.sku, warehouse=line.warehouse, type="receipt",
                          quantity=line.quantity, reason=reason, reference=reference, created_at=now)
                 for line in receipts]
    for movement in movements:
        deps.repo.stage_movement(uow, tenant_id, movement)
    stage_event(uow, deps.events.make(tenant_id, "stock.moved", {
        "movements": [m.model_dump(mode="json") for m in movements]}))
    return movements


# Hooks for the catalog: a product's level is born with it and follows its min_stock.
def stage_new_stock_level(uow: UnitOfWork, tenant_id: str, sku: str, min_stock: int, deps: StockDeps) -> None:
    deps.repo.stage_new_level(uow, tenant_id, new_level(sku, min_stock),
                              on_fail=ConflictError(f"SKU {sku} already has stock."))


def stage_min_stock(uow: UnitOfWork, tenant_id: str, sku: str, min_stock: int, deps: StockDeps) -> StockLevel:
    """Stage a new minimum; raising it above what is available is a crossing like any other."""
    before = deps.repo.get_level(tenant_id, sku)
    if before.min_stock == min_stock:
        return before
    return _stage_change(uow, tenant_id, before, {}, deps, _changed, min_stock=min_stock)


def level_view(level: StockLevel) -> dict[str, Any]:
    return {"sku": level.sku, "on_hand": level.on_hand, "reserved": level.reserved, "available": level.available,
            "min_stock": level.min_stock, "below_minimum": level.low,
            "warehouses": [{"warehouse": code, "on_hand": w.on_hand, "reserved": w.reserved, "available": w.available}
                           for code, w in sorted(level.warehouses.items())]}
