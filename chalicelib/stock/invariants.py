"""The stock invariants, checked against what is stored (tests, and an audit an operator can run).

See the algebra in `model.py`. `violations` is pure: it takes the stored levels (raw
figures, not the domain mapping), the whole movement ledger and every reservation of one
tenant, and says what does not add up. An empty list means every invariant holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from chalicelib.stock.model import Movement, Reservation


def violations(levels: list[dict[str, Any]], movements: list[Movement], reservations: list[Reservation]) -> list[str]:
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for movement in movements:
        moved[(movement.sku, movement.warehouse)] += movement.quantity
    held: dict[tuple[str, str], int] = defaultdict(int)
    for reservation in reservations:
        if reservation.status == "open":
            for line in reservation.lines:
                held[(line.sku, line.warehouse)] += line.quantity
    problems = []
    seen: set[tuple[str, str]] = set()
    for level in levels:
        sku = level["sku"]
        warehouses = set(level["wh_on_hand"]) | set(level["wh_reserved"]) | set(level["wh_available"])
        for code in sorted(warehouses):
            seen.add((sku, code))
            on_hand = level["wh_on_hand"].get(code, 0)
            reserved = level["wh_reserved"].get(code, 0)
            available = level["wh_available"].get(code, 0)
            where = f"{sku}@{code}"
            if on_hand != moved[(sku, code)]:
                problems.append(f"{where}: on_hand {on_hand} != Σ movements {moved[(sku, code)]}")
            if reserved != held[(sku, code)]:
                problems.append(f"{where}: reserved {reserved} != Σ open reservations {held[(sku, code)]}")
            if available != on_hand - reserved:
                problems.append(f"{where}: available {available} != on_hand − reserved {on_hand - reserved}")
            if available < 0 or reserved < 0:
                problems.append(f"{where}: negative figure (available {available}, reserved {reserved})")
        for total in ("on_hand", "reserved", "available"):
            summed = sum(level[f"wh_{total}"].values())
            if level[total] != summed:
                problems.append(f"{sku}: {total} {level[total]} != Σ warehouses {summed}")
        if level["low"] != (level["available"] < level["min_stock"]):
            problems.append(f"{sku}: low flag {level['low']} but available {level['available']}, "
                            f"min_stock {level['min_stock']}")
        if level["indexed_low"] != level["low"]:
            problems.append(f"{sku}: below-minimum index entry disagrees with the low flag")
    for key in sorted((set(moved) | set(held)) - seen):
        if moved[key] or held[key]:
            problems.append(f"{key[0]}@{key[1]}: movements or reservations without a level")
    return problems


def audit(tenant_id: str, repo: Any) -> list[str]:
    """Read one tenant's stock as stored (through `repo`'s snapshot) and return every invariant violation."""
    snapshot = repo.snapshot(tenant_id)
    return violations(snapshot["levels"], snapshot["movements"], snapshot["reservations"])
