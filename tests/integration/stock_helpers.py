"""Shared helpers for the stock suites: a product with stock, and the invariant assertion."""

from __future__ import annotations

from typing import Any

from tests.deps import root

TENANT = "ten_01JSTOCKSTOCKSTOCKSTOCKSTK"


def make_product(sku: str, *, on_hand: int = 0, min_stock: int = 0, warehouse: str = "main") -> None:
    from chalicelib.catalog import service as catalog
    from chalicelib.stock import service

    catalog.create_product(TENANT, {"sku": sku, "name": f"Produto {sku}", "price_cents": 1000, "ncm": "09012100",
                                    "min_stock": min_stock}, root().catalog)
    if warehouse != "main":
        make_warehouse(warehouse)
    if on_hand:
        service.record_movement(TENANT, service.NewMovement(sku, "receipt", on_hand, warehouse), root().stock)


def make_warehouse(code: str) -> None:
    """Register a warehouse (other than `main`) once; stock can only move into registered ones."""
    from chalicelib.platform.errors import ConflictError
    from chalicelib.stock import service

    try:
        service.create_warehouse(TENANT, code, f"Depósito {code}", root().stock)
    except ConflictError:
        pass


def assert_stock_invariants(tenant_id: str = TENANT) -> None:
    from chalicelib.stock.invariants import audit

    assert audit(tenant_id, root().stock_repository) == []


def events(event_type: str, tenant_id: str = TENANT) -> list[dict[str, Any]]:

    page = root().event_log.list(tenant_id, event_type, 100, None)
    return [event.data for event, _ in page.items]
