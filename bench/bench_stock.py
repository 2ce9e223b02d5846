"""Stock figures: DynamoDB calls and capacity units per stock movement and per k-line reservation.

Calls are counted with botocore before-call events; capacity units are DynamoDB Local's
(ReturnConsumedCapacity=TOTAL), which are size-based like the real service. A reservation is
measured as the orders context runs it: read the k levels (one consistent BatchGetItem), stage
k conditional updates + the reservation item, commit one TransactWriteItems. The caller's own
items (the order, its event) are not included. Each figure is the median of a few runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from bench.support import CallCounter, dynamodb_local_table

TENANT = "ten_01JBENCHBENCHBENCHBENCHBEN"
RUNS = 3


def _measure(counter: CallCounter, action: Callable[[int], Any]) -> tuple[int, float, str]:
    calls, capacity, ops = [], [], ""
    for run in range(RUNS):
        counter.reset()
        action(run)
        calls.append(counter.total)
        capacity.append(counter.capacity)
        ops = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
    return int(statistics.median(calls)), statistics.median(capacity), ops


def _products(prefix: str, n: int, on_hand: int) -> list[str]:
    from app import root
    from chalicelib.catalog import service as catalog
    from chalicelib.stock import service

    skus = [f"{prefix}{i:03d}" for i in range(n)]
    for sku in skus:
        catalog.create_product(TENANT, {"sku": sku, "name": f"Produto {sku}", "price_cents": 1000,
                                        "ncm": "09012100", "min_stock": 1}, root().catalog)
        service.record_movement(TENANT, service.NewMovement(sku, "receipt", on_hand, "main"), root().stock)
    return skus


def main() -> None:
    with dynamodb_local_table() as (_, counter):
        from app import root
        from chalicelib import stock
        from chalicelib.platform.dynamo import UnitOfWork
        from chalicelib.stock import service
        from chalicelib.stock.invariants import audit

        deps = root().stock
        print(f"{'operation':34} {'DynamoDB calls':>15} {'capacity units':>15}  by operation")

        (sku,) = _products("MOV", 1, 1000)
        for label, quantity in (("movement (receipt)", 5), ("movement (adjustment -1)", -1)):
            kind = "receipt" if quantity > 0 else "adjustment"
            calls, units, ops = _measure(counter, lambda _, q=quantity, k=kind: service.record_movement(
                TENANT, service.NewMovement(sku, k, q, "main"), deps))
            print(f"{label:34} {calls:>15} {units:>15.1f}  {ops}")

        for k in (1, 10, 50):
            skus = _products(f"R{k}-", k, 1000)

            def reserve(run: int, skus: list[str] = skus, k: int = k) -> None:
                uow = UnitOfWork()
                stock.reserve_stock(uow, TENANT, f"bench_{k}_{run}", [stock.StockLine(s, 1) for s in skus], root().stock)
                uow.commit()

            calls, units, ops = _measure(counter, reserve)
            print(f"{f'reservation, k = {k}':34} {calls:>15} {units:>15.1f}  {ops}")
            per_line = units / k
            print(f"{'':34} {'':>15} {per_line:>15.1f}  capacity units per line")

        for k in (1, 10):
            def ship(run: int, k: int = k) -> None:
                uow = UnitOfWork()
                stock.ship_reservation(uow, TENANT, f"bench_{k}_{run}", deps=root().stock)
                uow.commit()

            calls, units, ops = _measure(counter, ship)
            print(f"{f'ship reservation, k = {k}':34} {calls:>15} {units:>15.1f}  {ops}")
        problems = audit(TENANT, root().stock_repository)
        print(f"stock invariants after the bench: {'hold' if not problems else problems}")


if __name__ == "__main__":
    main()
