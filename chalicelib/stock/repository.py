"""Stock levels, the movement ledger and reservations, in the single table.

One item per SKU (`STK#<sku>`) holds the totals and three maps keyed by warehouse
(`wh_on_hand`, `wh_reserved`, `wh_available`), so a reservation of k SKUs is k conditional
updates, and `available ≥ 0` is a plain condition on a stored number (DynamoDB conditions
cannot do arithmetic). The `low` flag and its sparse GSI1 entry serve `below_minimum`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.platform.dynamo import BaseRecord, OnFail, UnitOfWork, batch_get, newest_page, query_rows
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.keys import Key
from chalicelib.platform.pagination import Page, paginate
from chalicelib.stock import keys
from chalicelib.stock.model import (
    DEFAULT_WAREHOUSE,
    Change,
    Movement,
    Reservation,
    StockLevel,
    Warehouse,
    WarehouseLevel,
    built_in_warehouse,
)


class StockLevelRecord(BaseRecord):
    sku = UnicodeAttribute()
    on_hand = NumberAttribute()
    reserved = NumberAttribute()
    available = NumberAttribute()
    min_stock = NumberAttribute()
    low = BooleanAttribute()
    wh_on_hand = MapAttribute()  # type: ignore[var-annotated,no-untyped-call]
    wh_reserved = MapAttribute()  # type: ignore[var-annotated,no-untyped-call]
    wh_available = MapAttribute()  # type: ignore[var-annotated,no-untyped-call]


class StockMovementRecord(BaseRecord):
    doc = JSONAttribute()


class ReservationRecord(BaseRecord):
    doc = JSONAttribute()
    status = UnicodeAttribute()


class WarehouseRecord(BaseRecord):
    doc = JSONAttribute()


def _as_dict(value: Any) -> dict[str, int]:
    raw = value.as_dict() if hasattr(value, "as_dict") else dict(value or {})
    return {k: int(v) for k, v in raw.items()}


def _level_from(record: StockLevelRecord) -> StockLevel:
    on_hand, reserved = _as_dict(record.wh_on_hand), _as_dict(record.wh_reserved)
    warehouses = {code: WarehouseLevel(on_hand[code], reserved.get(code, 0)) for code in sorted(on_hand)}
    return StockLevel(sku=record.sku, min_stock=int(record.min_stock), low=bool(record.low), warehouses=warehouses)


def _raw_levels(record: StockLevelRecord) -> dict[str, Any]:
    """Every stored figure, for the invariant audit (it must not trust the mapping above)."""
    return {"sku": record.sku, "on_hand": int(record.on_hand), "reserved": int(record.reserved),
            "available": int(record.available), "min_stock": int(record.min_stock), "low": bool(record.low),
            "indexed_low": record.gsi1pk is not None, "wh_on_hand": _as_dict(record.wh_on_hand),
            "wh_reserved": _as_dict(record.wh_reserved), "wh_available": _as_dict(record.wh_available)}


class DynamoStockRepository:
    # Reads: always strongly consistent, since write conditions are derived from them.
    def get_level(self, tenant_id: str, sku: str) -> StockLevel:
        key = keys.stock_level(tenant_id, sku)
        try:
            return _level_from(StockLevelRecord.get(key.pk, key.sk, consistent_read=True))
        except StockLevelRecord.DoesNotExist:
            raise NotFoundError(f"No stock for SKU {sku}.") from None

    def get_levels(self, tenant_id: str, skus: Iterable[str]) -> dict[str, StockLevel]:
        """The levels of the SKUs that exist (missing ones are absent), one BatchGetItem per 100."""
        wanted = [keys.stock_level(tenant_id, sku) for sku in sorted(set(skus))]
        return {record.sku: _level_from(record)
                for record in batch_get(StockLevelRecord, wanted, consistent_read=True)}

    def stage_new_level(self, uow: UnitOfWork, tenant_id: str, level: StockLevel,
                        on_fail: OnFail = None) -> None:
        index = keys.stock_below_minimum_index(tenant_id, level.sku)
        record = StockLevelRecord.at(
            keys.stock_level(tenant_id, level.sku), kind="stock_level", sku=level.sku, on_hand=0, reserved=0,
            available=0, min_stock=level.min_stock, low=level.low, wh_on_hand={}, wh_reserved={}, wh_available={},
            gsi1pk=index.pk if level.low else None, gsi1sk=index.sk if level.low else None)
        uow.put(record, condition=StockLevelRecord.pk.does_not_exist(), on_fail=on_fail)

    def stage_level_change(self, uow: UnitOfWork, tenant_id: str, sku: str, changes: Mapping[str, Change], *,
                           before: StockLevel | None, after: StockLevel | None,
                           on_fail: OnFail = None) -> None:
        """One conditional update that applies `changes` to a SKU's level.

        The conditions carry the invariants (no warehouse figure goes negative) and pin what
        the caller decided from its read (`before`): the `low` flag written is right for the
        state the write lands on, so `stock.low` is sent exactly once per crossing. Without
        `before` (shipping: available does not move) the warehouses must already exist.
        """
        record = StockLevelRecord.at(keys.stock_level(tenant_id, sku))
        actions: list[Action] = []
        condition: Condition = StockLevelRecord.pk.exists()
        total = Change()
        for code, change in changes.items():
            total = total + change
            exists = before is None or code in before.warehouses
            for attribute, delta in ((StockLevelRecord.wh_on_hand, change.on_hand),
                                     (StockLevelRecord.wh_reserved, change.reserved),
                                     (StockLevelRecord.wh_available, change.available)):
                path = attribute[code]
                if not exists:
                    actions.append(path.set(delta))
                    continue
                if delta:
                    actions.append(path.set(path + delta))
                if delta < 0:
                    condition &= path >= -delta
            if not exists:
                condition &= StockLevelRecord.wh_on_hand[code].does_not_exist()
        for counter, delta in ((StockLevelRecord.on_hand, total.on_hand), (StockLevelRecord.reserved, total.reserved),
                               (StockLevelRecord.available, total.available)):
            if delta:
                actions.append(counter.add(delta))
        if before is not None and after is not None:
            condition &= StockLevelRecord.low == before.low
            if after.min_stock != before.min_stock:
                actions.append(StockLevelRecord.min_stock.set(after.min_stock))
            if total.available or after.min_stock != before.min_stock:
                condition &= StockLevelRecord.min_stock == before.min_stock
                if after.low != before.low:
                    # A crossing: pin the exact figure, so the event tells the truth.
                    condition &= StockLevelRecord.available == before.available
                elif after.low:
                    condition &= StockLevelRecord.available < after.min_stock - total.available
                else:
                    condition &= StockLevelRecord.available >= after.min_stock - total.available
            if after.low != before.low:
                actions.append(StockLevelRecord.low.set(after.low))
                if after.low:
                    index = keys.stock_below_minimum_index(tenant_id, sku)
                    actions += [StockLevelRecord.gsi1pk.set(index.pk), StockLevelRecord.gsi1sk.set(index.sk)]
                else:
                    actions += [StockLevelRecord.gsi1pk.remove(), StockLevelRecord.gsi1sk.remove()]
        elif total.available:
            raise ValueError("a change of available stock needs the level it was decided from")
        if actions:
            uow.update(record, actions=actions, condition=condition, on_fail=on_fail)

    def list_levels(self, tenant_id: str, below_minimum: bool | None, limit: int, cursor: str | None) -> Page[StockLevel]:
        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[StockLevel, dict[str, str]]]:
            if below_minimum:
                index = keys.stock_below_minimum_index(tenant_id, "x")
                rows = query_rows(StockLevelRecord, index.pk, None, n, position, by_gsi1=True)
            else:
                prefix = keys.stock_level_prefix(tenant_id)
                rows = query_rows(StockLevelRecord, prefix.pk, StockLevelRecord.sk.startswith(prefix.sk), n, position,
                                  filter_condition=(StockLevelRecord.low == False) if below_minimum is False else None)  # noqa: E712
            return [(_level_from(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:stock:{below_minimum}", limit, cursor, fetch)

    # Movements
    def stage_movement(self, uow: UnitOfWork, tenant_id: str, movement: Movement) -> None:
        by_sku = keys.stock_movement_sku_index(tenant_id, movement.sku, movement.id)
        uow.put(StockMovementRecord.at(keys.stock_movement(tenant_id, movement.id), kind="stock_movement",
                                       doc=movement.model_dump(mode="json"), gsi1pk=by_sku.pk, gsi1sk=by_sku.sk),
                condition=StockMovementRecord.pk.does_not_exist())

    def list_movements(self, tenant_id: str, sku: str | None, limit: int, cursor: str | None) -> Page[Movement]:
        return newest_page(StockMovementRecord, f"{tenant_id}:movements:{sku or '*'}", limit, cursor,
                           lambda r: Movement.model_validate(r.doc), prefix=keys.stock_movement_prefix(tenant_id),
                           index=keys.stock_movement_sku_index(tenant_id, sku, "x") if sku else None)

    # Warehouses: `main` is built in, so it is answered without a read and never stored.
    def get_warehouse(self, tenant_id: str, code: str) -> Warehouse:
        if code == DEFAULT_WAREHOUSE:
            return built_in_warehouse()
        key = keys.warehouse(tenant_id, code)
        try:
            return Warehouse.model_validate(WarehouseRecord.get(key.pk, key.sk, consistent_read=True).doc)
        except WarehouseRecord.DoesNotExist:
            raise NotFoundError(f"No warehouse {code}.") from None

    def stage_new_warehouse(self, uow: UnitOfWork, tenant_id: str, warehouse: Warehouse, on_fail: OnFail = None) -> None:
        uow.put(WarehouseRecord.at(keys.warehouse(tenant_id, warehouse.code), kind="warehouse",
                                   doc=warehouse.model_dump(mode="json")),
                condition=WarehouseRecord.pk.does_not_exist(), on_fail=on_fail)

    def stage_warehouse_check(self, uow: UnitOfWork, tenant_id: str, code: str, on_fail: OnFail = None) -> None:
        """A condition in the caller's transaction that the (registered) warehouse exists."""
        uow.check(WarehouseRecord, keys.warehouse(tenant_id, code), WarehouseRecord.pk.exists(), on_fail=on_fail)

    def list_warehouses(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Warehouse]:
        """By code; the built-in `main` takes its place in the order as if it were stored."""
        prefix = keys.warehouse_prefix(tenant_id)
        main_position = {"pk": prefix.pk, "sk": keys.warehouse(tenant_id, DEFAULT_WAREHOUSE).sk}

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Warehouse, dict[str, str]]]:
            rows = [(Warehouse.model_validate(r.doc), pos) for r, pos in
                    query_rows(WarehouseRecord, prefix.pk, WarehouseRecord.sk.startswith(prefix.sk), n, position)]
            main_is_ahead = position is None or position["sk"] < main_position["sk"]
            if main_is_ahead and (len(rows) < n or rows[-1][1]["sk"] > main_position["sk"]):
                rows.append((built_in_warehouse(), main_position))
                rows.sort(key=lambda row: row[1]["sk"])
            return rows[:n]

        return paginate(f"{tenant_id}:warehouses", limit, cursor, fetch)

    # Reservations
    def get_reservation(self, tenant_id: str, reservation_id: str) -> Reservation:
        key = keys.stock_reservation(tenant_id, reservation_id)
        try:
            record = ReservationRecord.get(key.pk, key.sk, consistent_read=True)
        except ReservationRecord.DoesNotExist:
            raise NotFoundError(f"No stock reservation {reservation_id}.") from None
        return Reservation.model_validate(record.doc)

    def stage_new_reservation(self, uow: UnitOfWork, tenant_id: str, reservation: Reservation,
                              on_fail: OnFail = None) -> None:
        uow.put(ReservationRecord.at(keys.stock_reservation(tenant_id, reservation.id), kind="stock_reservation",
                                     doc=reservation.model_dump(mode="json"), status=reservation.status),
                condition=ReservationRecord.pk.does_not_exist(), on_fail=on_fail)

    def stage_reservation_status(self, uow: UnitOfWork, tenant_id: str, reservation: Reservation, expected: str,
                                 on_fail: OnFail = None) -> None:
        record = ReservationRecord.at(keys.stock_reservation(tenant_id, reservation.id))
        uow.update(record, actions=[ReservationRecord.doc.set(reservation.model_dump(mode="json")),
                                    ReservationRecord.status.set(reservation.status)],
                   condition=ReservationRecord.status == expected, on_fail=on_fail)

    # The audit behind the invariant checks: everything of one tenant's stock, as stored.
    def snapshot(self, tenant_id: str) -> dict[str, Any]:
        def everything(record_cls: Any, prefix: Key) -> list[Any]:
            return list(record_cls.query(prefix.pk, record_cls.sk.startswith(prefix.sk), consistent_read=True))

        levels = [_raw_levels(r) for r in everything(StockLevelRecord, keys.stock_level_prefix(tenant_id))]
        movements = [Movement.model_validate(r.doc) for r in
                     everything(StockMovementRecord, keys.stock_movement_prefix(tenant_id))]
        reservations = [Reservation.model_validate(r.doc) for r in
                        everything(ReservationRecord, keys.stock_reservation_prefix(tenant_id))]
        return {"levels": levels, "movements": movements, "reservations": reservations}
