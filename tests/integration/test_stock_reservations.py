"""The reservation primitives other contexts stage into their own transaction.

One behaviour suite, run against moto and against DynamoDB Local; every test ends by
asserting the stock invariants.
"""

from __future__ import annotations

import pytest

from chalicelib import stock
from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.platform.errors import (
    ConflictError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
)
from chalicelib.stock import InsufficientStockError, StockLine, keys
from tests.deps import root
from tests.integration.stock_helpers import TENANT, assert_stock_invariants, events, make_product


def reserve(reservation_id: str, *lines: StockLine) -> stock.Reservation:
    def attempt() -> stock.Reservation:
        uow = UnitOfWork()
        reservation = stock.reserve_stock(uow, TENANT, reservation_id, list(lines), root().stock)
        uow.commit()
        return reservation

    return stock.retry_on_conflict(attempt)


def level(sku: str) -> tuple[int, int, int]:
    current = stock.get_stock_level(TENANT, sku, root().stock)
    return current.on_hand, current.reserved, current.available


def test_a_reservation_holds_every_line_in_the_callers_transaction(store):
    make_product("A", on_hand=10)
    make_product("B", on_hand=5, warehouse="filial")
    reservation = reserve("ord_1", StockLine("A", 3), StockLine("B", 5, "filial"), StockLine("A", 1))
    assert [(line.sku, line.quantity) for line in reservation.lines] == [("A", 4), ("B", 5)]
    assert level("A") == (10, 4, 6)
    assert level("B") == (5, 5, 0)
    assert_stock_invariants()


def test_a_shortfall_reserves_nothing_and_lists_every_short_sku(store):
    make_product("A", on_hand=10)
    make_product("B", on_hand=2)
    make_product("C", on_hand=1)
    with pytest.raises(InsufficientStockError) as failure:
        reserve("ord_1", StockLine("A", 10), StockLine("B", 3), StockLine("C", 2))
    assert [e.as_dict() for e in failure.value.errors] == [
        {"field": "lines.1.quantity", "message": "requested 3, available 2", "sku": "B", "warehouse": "main",
         "requested": 3, "available": 2},
        {"field": "lines.2.quantity", "message": "requested 2, available 1", "sku": "C", "warehouse": "main",
         "requested": 2, "available": 1},
    ]
    assert level("A") == (10, 0, 10)
    assert_stock_invariants()


def test_nothing_is_reserved_when_the_callers_own_write_fails(store):
    from chalicelib.stock.repository import ReservationRecord  # stands in for the caller's own item

    make_product("A", on_hand=10)
    reserve("ord_taken", StockLine("A", 1))
    uow = UnitOfWork()
    stock.reserve_stock(uow, TENANT, "ord_2", [StockLine("A", 5)], root().stock)
    uow.check(ReservationRecord, keys.stock_reservation(TENANT, "ord_taken"), ReservationRecord.status == "released")
    with pytest.raises(Exception):  # noqa: B017 - the caller's condition fails, whatever it maps to
        uow.commit()
    assert level("A") == (10, 1, 9)
    assert_stock_invariants()


def test_release_returns_the_units_and_ship_turns_them_into_an_outbound_movement(store):
    make_product("A", on_hand=10)
    make_product("B", on_hand=4)
    reserve("ord_1", StockLine("A", 3), StockLine("B", 4))
    reserve("ord_2", StockLine("A", 2))
    uow = UnitOfWork()
    stock.release_reservation(uow, TENANT, "ord_2", root().stock)
    uow.commit()
    assert level("A") == (10, 3, 7)
    uow = UnitOfWork()
    movements = stock.ship_reservation(uow, TENANT, "ord_1", reason="pedido ord_1", deps=root().stock)
    uow.commit()
    assert [(m.sku, m.type, m.quantity, m.reference) for m in movements] == [
        ("A", "shipment", -3, "ord_1"), ("B", "shipment", -4, "ord_1")]
    assert level("A") == (7, 0, 7)
    assert level("B") == (0, 0, 0)
    assert [len(e["movements"]) for e in events("stock.moved")] == [2, 1, 1]
    assert_stock_invariants()


def test_a_reservation_is_released_or_shipped_once(store):
    make_product("A", on_hand=10)
    reserve("ord_1", StockLine("A", 3))
    uow = UnitOfWork()
    stock.release_reservation(uow, TENANT, "ord_1", root().stock)
    uow.commit()
    for primitive in (stock.release_reservation, stock.ship_reservation):
        with pytest.raises(InvalidStateError):
            primitive(UnitOfWork(), TENANT, "ord_1", deps=root().stock)
    with pytest.raises(NotFoundError):
        stock.ship_reservation(UnitOfWork(), TENANT, "ord_unknown", deps=root().stock)
    with pytest.raises(ConflictError):
        reserve("ord_1", StockLine("A", 1))
    assert level("A") == (10, 0, 10)
    assert_stock_invariants()


def test_bad_lines_are_refused_before_any_io(store):
    make_product("A", on_hand=10)
    cases = [
        ([], "lines"),
        ([StockLine("A", 0)], "lines.0.quantity"),
        ([StockLine("A", -1)], "lines.0.quantity"),
        ([StockLine("A", 10**12)], "lines.0.quantity"),
        ([StockLine("A", 1.5)], "lines.0.quantity"),  # type: ignore[arg-type]
        ([StockLine("A#", 1)], "lines.0.sku"),
        ([StockLine("A", 1, "Main")], "lines.0.warehouse"),
        ([StockLine("A", 1)] * 51, "lines"),
    ]
    for lines, field in cases:
        with pytest.raises(InvalidRequestError) as failure:
            stock.reserve_stock(UnitOfWork(), TENANT, "ord_1", lines, root().stock)
        assert field in {e.field for e in failure.value.errors}, lines
    with pytest.raises(NotFoundError) as failure:
        stock.reserve_stock(UnitOfWork(), TENANT, "ord_1", [StockLine("A", 1), StockLine("NOPE", 1)], root().stock)
    assert [e.field for e in failure.value.errors] == ["lines.1.sku"]
    assert_stock_invariants()


def test_reserving_in_a_warehouse_without_stock_is_a_shortfall(store):
    make_product("A", on_hand=10)
    with pytest.raises(InsufficientStockError) as failure:
        reserve("ord_1", StockLine("A", 1, "filial"))
    assert failure.value.errors[0].extra == {"sku": "A", "warehouse": "filial", "requested": 1, "available": 0}
    assert_stock_invariants()


def test_a_reservation_below_the_minimum_sends_stock_low_once(store):
    make_product("A", on_hand=10, min_stock=5)
    reserve("ord_1", StockLine("A", 4))  # 6: above
    reserve("ord_2", StockLine("A", 2))  # 4: crossing
    reserve("ord_3", StockLine("A", 1))  # 3: still below
    assert events("stock.low") == [{"sku": "A", "available": 4, "min_stock": 5}]
    uow = UnitOfWork()
    stock.release_reservation(uow, TENANT, "ord_2", root().stock)  # 5: recovered
    uow.commit()
    assert stock.get_stock_level(TENANT, "A", root().stock).low is False
    assert_stock_invariants()


@pytest.mark.dynamodb_local
def test_a_50_line_reservation_fits_one_transaction(ddb_local):
    # DynamoDB Local only: moto copies the table once per transaction action (seconds here).
    for n in range(50):
        make_product(f"S{n:02d}", on_hand=2)
    reserve("ord_big", *[StockLine(f"S{n:02d}", 2) for n in range(50)])
    assert level("S49") == (2, 2, 0)
    assert_stock_invariants()


def test_a_failed_condition_reaches_the_on_fail_of_its_own_action_whatever_the_staging_order(store):
    # PynamoDB sends puts before updates: the UnitOfWork must map reasons back to its own order.
    make_product("A", on_hand=1)
    uow = UnitOfWork()
    stock.reserve_stock(uow, TENANT, "ord_1", [StockLine("A", 1)], root().stock)  # put (reservation), then update (level)
    other = UnitOfWork()
    stock.reserve_stock(other, TENANT, "ord_2", [StockLine("A", 1)], root().stock)
    uow.commit()
    with pytest.raises(InsufficientStockError):
        other.commit()
    assert_stock_invariants()
