"""Stock levels, movements and reservations: pure rules, no I/O.

The algebra every write preserves, per SKU `s` and warehouse `w` (checked by `invariants.py`):

    on_hand(s, w)   = Σ quantity of the movements of (s, w)
    reserved(s, w)  = Σ quantity of the open reservation lines of (s, w)
    available(s, w) = on_hand(s, w) − reserved(s, w) ≥ 0,  reserved(s, w) ≥ 0
    on_hand(s)      = Σ_w on_hand(s, w)   (likewise reserved, available)
    low(s)          = available(s) < min_stock(s)   (the flag behind `below_minimum` and `stock.low`)

A reservation moves units from available to reserved; shipping it turns the reserved units
into an outbound movement (on_hand and reserved drop together, available stays).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StringConstraints

from chalicelib.platform.errors import AppError

# A quantity or stock figure a person could mean; larger is garbage (and would overflow reports).
MAX_QUANTITY = 1_000_000_000

# SKUs appear in keys and paths: no '#', no '/'. "movements" would collide with
# `GET /v1/stock/movements`, so it is reserved.
_SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
RESERVED_SKUS = frozenset({"movements"})


def _sku(value: str) -> str:
    if not _SKU_RE.match(value):
        raise ValueError("must be 1..40 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if value.lower() in RESERVED_SKUS:
        raise ValueError(f"'{value}' is reserved")
    return value


def is_sku(value: str) -> bool:
    return bool(_SKU_RE.match(value or "")) and value.lower() not in RESERVED_SKUS


Sku = Annotated[str, AfterValidator(_sku)]


class InsufficientStockError(AppError):
    """Some lines ask for more than is available; `errors` has one entry per short SKU."""

    status, code, title = 409, "insufficient_stock", "Insufficient stock"


DEFAULT_WAREHOUSE = "main"
DEFAULT_WAREHOUSE_NAME = "Principal"
WAREHOUSE_PATTERN = r"^[a-z0-9_-]{1,20}$"
WarehouseCode = Annotated[str, StringConstraints(pattern=WAREHOUSE_PATTERN)]
# A caller's transaction also holds its own items (the order, its event): 50 lines leave room.
MAX_RESERVATION_LINES = 50
RESERVATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

MovementType = Literal["receipt", "adjustment", "return", "shipment"]
ReservationStatus = Literal["open", "released", "shipped"]
# Allowed reservation transitions, as data.
RESERVATION_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"released", "shipped"}),
    "released": frozenset(),
    "shipped": frozenset(),
}


def can_transition(current: str, target: str) -> bool:
    return target in RESERVATION_TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class WarehouseLevel:
    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Change:
    """What one write does to one warehouse of one SKU."""

    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def __add__(self, other: Change) -> Change:
        return Change(self.on_hand + other.on_hand, self.reserved + other.reserved)


@dataclass(frozen=True)
class StockLevel:
    sku: str
    min_stock: int
    low: bool
    warehouses: Mapping[str, WarehouseLevel] = field(default_factory=dict)

    @property
    def on_hand(self) -> int:
        return sum(w.on_hand for w in self.warehouses.values())

    @property
    def reserved(self) -> int:
        return sum(w.reserved for w in self.warehouses.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def warehouse(self, code: str) -> WarehouseLevel:
        return self.warehouses.get(code, WarehouseLevel())

    def apply(self, changes: Mapping[str, Change], min_stock: int | None = None) -> StockLevel:
        warehouses = dict(self.warehouses)
        for code, change in changes.items():
            current = warehouses.get(code, WarehouseLevel())
            warehouses[code] = WarehouseLevel(current.on_hand + change.on_hand, current.reserved + change.reserved)
        after = replace(self, warehouses=warehouses, min_stock=self.min_stock if min_stock is None else min_stock)
        return replace(after, low=is_low(after.available, after.min_stock))


def is_low(available: int, min_stock: int) -> bool:
    return available < min_stock


def new_level(sku: str, min_stock: int) -> StockLevel:
    return StockLevel(sku=sku, min_stock=min_stock, low=is_low(0, min_stock))


@dataclass(frozen=True)
class StockLine:
    """One (sku, warehouse, quantity) line of a reservation."""

    sku: str
    quantity: int
    warehouse: str = DEFAULT_WAREHOUSE


@dataclass(frozen=True)
class Shortfall:
    index: int  # the first caller line of this (sku, warehouse)
    sku: str
    warehouse: str
    requested: int
    available: int


def line_errors(lines: Iterable[StockLine]) -> list[tuple[int, str, str]]:
    """(index, field, message) for every malformed line: the caller's input, checked before any I/O."""
    import re

    errors = []
    for i, line in enumerate(lines):
        if not isinstance(line.sku, str) or not is_sku(line.sku):
            errors.append((i, "sku", "is not a valid SKU"))
        if not isinstance(line.warehouse, str) or not re.match(WAREHOUSE_PATTERN, line.warehouse):
            errors.append((i, "warehouse", "must match [a-z0-9_-]{1,20}"))
        if type(line.quantity) is not int or not 0 < line.quantity <= MAX_QUANTITY:
            errors.append((i, "quantity", f"must be an integer in 1..{MAX_QUANTITY}"))
    return errors


def merge_lines(lines: Iterable[StockLine]) -> dict[tuple[str, str], tuple[int, int]]:
    """(sku, warehouse) → (first index, total quantity): repeated lines add up."""
    merged: dict[tuple[str, str], tuple[int, int]] = {}
    for i, line in enumerate(lines):
        key = (line.sku, line.warehouse)
        first, total = merged.get(key, (i, 0))
        merged[key] = (first, total + line.quantity)
    return merged


def shortfalls(levels: Mapping[str, StockLevel], merged: Mapping[tuple[str, str], tuple[int, int]]) -> list[Shortfall]:
    """Every (sku, warehouse) asking for more than is available: collect all, raise once."""
    short = []
    for (sku, warehouse), (index, requested) in merged.items():
        available = levels[sku].warehouse(warehouse).available if sku in levels else 0
        if requested > available:
            short.append(Shortfall(index, sku, warehouse, requested, max(available, 0)))
    return sorted(short, key=lambda s: s.index)


def changes_by_sku(merged: Mapping[tuple[str, str], tuple[int, int]], per_unit: Change) -> dict[str, dict[str, Change]]:
    """sku → warehouse → change, for a quantity per (sku, warehouse) and a unit change."""
    out: dict[str, dict[str, Change]] = {}
    for (sku, warehouse), (_, quantity) in merged.items():
        out.setdefault(sku, {})[warehouse] = Change(per_unit.on_hand * quantity, per_unit.reserved * quantity)
    return out


class Warehouse(BaseModel):
    """A place stock is kept. Every tenant has `main` (built in, never stored); others are registered."""

    code: str
    name: str
    built_in: bool = False
    created_at: str | None = None


def built_in_warehouse() -> Warehouse:
    return Warehouse(code=DEFAULT_WAREHOUSE, name=DEFAULT_WAREHOUSE_NAME, built_in=True)


class Movement(BaseModel):
    """One entry of the ledger: a signed quantity of one SKU in one warehouse."""

    id: str
    sku: str
    warehouse: str
    type: MovementType
    quantity: int
    reason: str | None = None
    reference: str | None = None
    created_at: str


class ReservationLine(BaseModel):
    sku: str
    warehouse: str
    quantity: int


class Reservation(BaseModel):
    id: str
    status: ReservationStatus
    lines: list[ReservationLine]
    created_at: str
    updated_at: str
