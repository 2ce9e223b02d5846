"""Concurrent writers against DynamoDB Local (moto's transactions are not thread-safe)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest

from chalicelib import stock
from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.platform.errors import AppError
from chalicelib.stock import StockLine
from tests.deps import root
from tests.integration.stock_helpers import TENANT, assert_stock_invariants, events, make_product

pytestmark = pytest.mark.dynamodb_local


def run_concurrently(n: int, work: Callable[[int], str]) -> Counter[str]:
    outcomes: list[str] = []
    start = threading.Barrier(n)

    def worker(i: int) -> None:
        start.wait()
        try:
            outcomes.append(work(i))
        except AppError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - counted, and the test fails on it
            outcomes.append(f"unexpected {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_fifty_concurrent_reservations_for_the_last_ten_units_leave_exactly_ten_winners(ddb_local):
    make_product("LAST", on_hand=10, min_stock=3)

    def reserve_one(i: int) -> str:
        def attempt() -> str:
            uow = UnitOfWork()
            stock.reserve_stock(uow, TENANT, f"ord_{i}", [StockLine("LAST", 1)], root().stock)
            uow.commit()
            return "reserved"

        return stock.retry_on_conflict(attempt, attempts=60)

    outcomes = run_concurrently(50, reserve_one)
    assert outcomes == Counter({"reserved": 10, "insufficient_stock": 40})
    level = stock.get_stock_level(TENANT, "LAST", root().stock)
    assert (level.on_hand, level.reserved, level.available) == (10, 10, 0)
    assert len(events("stock.low")) == 1  # one crossing (3 → 2), however many writers raced
    assert_stock_invariants()


def test_concurrent_creates_of_one_sku_leave_one_product(ddb_local):
    from chalicelib.catalog import service as catalog

    def create(i: int) -> str:
        catalog.create_product(TENANT, {"sku": "DUP", "name": f"Produto {i}", "price_cents": i, "ncm": "09012100"},
                               root().catalog)
        return "created"

    assert run_concurrently(10, create) == Counter({"created": 1, "conflict": 9})
    assert len(events("product.created")) == 1
    assert_stock_invariants()


def test_concurrent_adjustments_never_take_available_below_zero(ddb_local):
    from chalicelib.stock import service

    make_product("ADJ", on_hand=5)

    def take_one(i: int) -> str:
        service.record_movement(TENANT, service.NewMovement("ADJ", "adjustment", -1, "main"), root().stock)
        return "moved"

    assert run_concurrently(12, take_one) == Counter({"moved": 5, "insufficient_stock": 7})
    assert stock.get_stock_level(TENANT, "ADJ", root().stock).available == 0
    assert_stock_invariants()
