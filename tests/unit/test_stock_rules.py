"""Pure stock rules: level arithmetic, shortfalls, line checks, transitions and the invariants."""

from __future__ import annotations

import pytest

from chalicelib.stock.invariants import violations
from chalicelib.stock.model import (
    RESERVATION_TRANSITIONS,
    Change,
    Movement,
    Reservation,
    ReservationLine,
    StockLevel,
    StockLine,
    WarehouseLevel,
    can_transition,
    line_errors,
    merge_lines,
    new_level,
    shortfalls,
)


def level(**warehouses: tuple[int, int]) -> StockLevel:
    return StockLevel("A", 5, False, {code: WarehouseLevel(*figures) for code, figures in warehouses.items()})


def test_applying_changes_moves_totals_and_recomputes_the_low_flag():
    after = level(main=(10, 2)).apply({"main": Change(reserved=4), "b": Change(on_hand=1)})
    assert (after.on_hand, after.reserved, after.available, after.low) == (11, 6, 5, False)
    assert after.apply({"main": Change(reserved=1)}).low is True


def test_a_new_level_is_low_only_when_its_minimum_is_positive():
    assert new_level("A", 0).low is False
    assert new_level("A", 1).low is True


def test_repeated_lines_add_up_and_every_short_line_is_reported_once():
    merged = merge_lines([StockLine("A", 3), StockLine("B", 1), StockLine("A", 4), StockLine("A", 1, "b")])
    assert merged == {("A", "main"): (0, 7), ("B", "main"): (1, 1), ("A", "b"): (3, 1)}
    levels = {"A": level(main=(10, 4)), "B": level(main=(1, 0))}
    short = shortfalls(levels, merged)
    assert [(s.index, s.sku, s.warehouse, s.requested, s.available) for s in short] == [
        (0, "A", "main", 7, 6), (3, "A", "b", 1, 0)]


@pytest.mark.parametrize(("line", "field"), [
    (StockLine("A", 0), "quantity"), (StockLine("A", -2), "quantity"), (StockLine("A", 10**9 + 1), "quantity"),
    (StockLine("A", True), "quantity"), (StockLine("A#1", 1), "sku"), (StockLine("A", 1, "MAIN"), "warehouse"),
])
def test_a_malformed_line_names_its_field(line, field):
    assert [(i, f) for i, f, _ in line_errors([line])] == [(0, field)]


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (current, target, target in RESERVATION_TRANSITIONS[current])
    for current in RESERVATION_TRANSITIONS for target in ("open", "released", "shipped")
])
def test_reservation_transitions_follow_the_table(current, target, allowed):
    assert can_transition(current, target) is allowed
    assert allowed == (current == "open" and target != "open")


def stored(on_hand: int, reserved: int, min_stock: int = 0, **override: object) -> dict[str, object]:
    row = {"sku": "A", "on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved,
           "min_stock": min_stock, "low": on_hand - reserved < min_stock, "indexed_low": on_hand - reserved < min_stock,
           "wh_on_hand": {"main": on_hand}, "wh_reserved": {"main": reserved},
           "wh_available": {"main": on_hand - reserved}}
    row.update(override)
    return row


MOVEMENT = Movement(id="mov_1", sku="A", warehouse="main", type="receipt", quantity=10, created_at="t")
OPEN = Reservation(id="ord_1", status="open", created_at="t", updated_at="t",
                   lines=[ReservationLine(sku="A", warehouse="main", quantity=3)])


def test_the_invariants_hold_for_a_consistent_snapshot():
    assert violations([stored(10, 3)], [MOVEMENT], [OPEN]) == []
    assert violations([stored(10, 0)], [MOVEMENT], [OPEN.model_copy(update={"status": "released"})]) == []


@pytest.mark.parametrize(("row", "needle"), [
    (stored(11, 3), "Σ movements"),
    (stored(10, 2), "Σ open reservations"),
    (stored(10, 3, wh_available={"main": 8}), "on_hand − reserved"),
    (stored(10, 3, available=6), "available 6 != Σ warehouses"),
    (stored(10, 3, min_stock=8, low=False, indexed_low=False), "low flag"),
    (stored(10, 3, indexed_low=True), "index entry"),
])
def test_each_broken_invariant_is_reported(row, needle):
    assert any(needle in problem for problem in violations([row], [MOVEMENT], [OPEN]))
