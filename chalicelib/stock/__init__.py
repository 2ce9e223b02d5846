"""Stock: levels per SKU and warehouse, the movement ledger, and reservations.

This is the context's public API. The orders context reserves, releases and ships stock by
staging writes into its own `UnitOfWork`, then commits once; wrap the whole attempt
(build the UnitOfWork, stage, commit) in `retry_on_conflict`, because the staged conditions
come from a read and a concurrent writer can make them stale::

    def attempt() -> Order:
        uow = UnitOfWork()
        stock.reserve_stock(uow, tenant_id, order.id, [StockLine("SKU-1", 2)], deps.stock)
        ...stage the order and its event...
        uow.commit()
        return order

    order = stock.retry_on_conflict(attempt)

Errors: `InsufficientStockError` (409 `insufficient_stock`, one entry per short SKU with
`sku`, `warehouse`, `requested`, `available`), `NotFoundError` (unknown SKU or reservation),
`InvalidStateError` (reservation not open), `InvalidRequestError` (malformed lines),
`ConflictError` (the reservation id is taken, or the race was lost `attempts` times).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.stock import service
from chalicelib.stock.model import (
    DEFAULT_WAREHOUSE,
    MAX_RESERVATION_LINES,
    InsufficientStockError,
    Movement,
    Reservation,
    ReservationLine,
    StockLevel,
    StockLine,
    WarehouseLevel,
)
from chalicelib.stock.service import StockChangedError, retry_on_conflict

if TYPE_CHECKING:
    from chalicelib.platform.dynamo import UnitOfWork
    from chalicelib.stock.service import StockDeps

__all__ = [
    "DEFAULT_WAREHOUSE",
    "MAX_RESERVATION_LINES",
    "InsufficientStockError",
    "Movement",
    "Reservation",
    "ReservationLine",
    "StockChangedError",
    "StockLevel",
    "StockLine",
    "WarehouseLevel",
    "get_stock_level",
    "release_reservation",
    "reserve_stock",
    "retry_on_conflict",
    "ship_reservation",
    "stage_min_stock",
    "stage_new_stock_level",
]


def reserve_stock(uow: UnitOfWork, tenant_id: str, reservation_id: str, lines: Sequence[StockLine],
                  deps: StockDeps) -> Reservation:
    """Stage a reservation of every (sku, warehouse, quantity) line into `uow`; all or nothing.

    `reservation_id` is the caller's own id (an order id): one reservation per id. At most
    `MAX_RESERVATION_LINES` lines; it stages 1 + (distinct SKUs) items (+1 per `stock.low`).
    """
    return service.reserve_stock(uow, tenant_id, reservation_id, lines, deps)


def release_reservation(uow: UnitOfWork, tenant_id: str, reservation_id: str,
                        deps: StockDeps) -> Reservation:
    """Stage the release of an open reservation (order cancelled): its units are available again."""
    return service.release_reservation(uow, tenant_id, reservation_id, deps)


def ship_reservation(uow: UnitOfWork, tenant_id: str, reservation_id: str, reason: str | None = None, *,
                     deps: StockDeps) -> list[Movement]:
    """Stage the shipping of an open reservation: one outbound `shipment` movement per line.

    Stages 2 items per line + 2 (the reservation and one `stock.moved`).
    """
    return service.ship_reservation(uow, tenant_id, reservation_id, deps, reason=reason)


def get_stock_level(tenant_id: str, sku: str, deps: StockDeps) -> StockLevel:
    """The SKU's level (consistent read), or NotFoundError."""
    return deps.repo.get_level(tenant_id, sku)


def stage_new_stock_level(uow: UnitOfWork, tenant_id: str, sku: str, min_stock: int,
                          deps: StockDeps) -> None:
    """Catalog hook: a new product's (empty) level, created in the product's transaction."""
    service.stage_new_stock_level(uow, tenant_id, sku, min_stock, deps)


def stage_min_stock(uow: UnitOfWork, tenant_id: str, sku: str, min_stock: int,
                    deps: StockDeps) -> Any:
    """Catalog hook: a product's new `min_stock`, staged in the product's transaction."""
    return service.stage_min_stock(uow, tenant_id, sku, min_stock, deps)
