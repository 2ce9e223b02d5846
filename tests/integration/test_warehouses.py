"""Warehouses in the single table: `main` is built in, others are registered, and a movement
into an unregistered one writes nothing. Run against moto and against DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.platform.errors import ConflictError, InvalidRequestError
from tests.integration.stock_helpers import TENANT, assert_stock_invariants, make_product, make_warehouse


def codes(limit: int) -> list[str]:
    from tests.deps import root

    repo, seen, cursor = root().stock_repository, [], None
    while True:
        page = repo.list_warehouses(TENANT, limit, cursor)
        seen += [w.code for w in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


def test_main_takes_its_place_in_every_page_size(store):
    for code in ("a-1", "lz", "ma", "main-2", "zz"):
        make_warehouse(code)
    for limit in range(1, 8):
        assert codes(limit) == ["a-1", "lz", "ma", "main", "main-2", "zz"], limit


def test_a_code_is_registered_once(store):
    from chalicelib.stock import service
    from tests.deps import root

    service.create_warehouse(TENANT, "filial", "Filial", root().stock)
    for code in ("filial", "main"):
        with pytest.raises(ConflictError):
            service.create_warehouse(TENANT, code, "Outra", root().stock)


def test_a_receipt_into_an_unregistered_warehouse_is_refused_by_the_transaction(store):
    from chalicelib import stock
    from chalicelib.stock import service
    from tests.deps import root

    make_product("A", on_hand=3)
    with pytest.raises(InvalidRequestError) as refused:
        service.record_movement(TENANT, service.NewMovement("A", "receipt", 2, "nowhere"), root().stock)
    assert [e.field for e in refused.value.errors] == ["warehouse"]
    assert stock.get_stock_level(TENANT, "A", root().stock).on_hand == 3
    make_warehouse("nowhere")
    service.record_movement(TENANT, service.NewMovement("A", "receipt", 2, "nowhere"), root().stock)
    assert stock.get_stock_level(TENANT, "A", root().stock).warehouse("nowhere").on_hand == 2
    assert_stock_invariants()
