"""Reports, the pure part: what an order adds to the sales projections, and how buckets add up into a
report's rows. An order counts on the day it was placed (São Paulo's date); its cancellation takes it
back out of that same day, so a period's sales never include cancelled orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from chalicelib.platform.clock import business_date

GroupBy = Literal["day", "month", "product", "customer"]


@dataclass(frozen=True)
class Sale:
    """What one order is to the projections (sign +1 when placed, −1 when cancelled)."""

    day: str
    customer_id: str
    total_cents: int
    lines: tuple[tuple[str, str, int, int], ...]  # (sku, name, quantity, total_cents)
    sign: int


def sale_of(order: dict[str, Any], sign: int) -> Sale:
    placed = datetime.fromisoformat(str(order["created_at"]).replace("Z", "+00:00"))
    lines: dict[str, list[Any]] = {}
    for line in order["lines"]:
        got = lines.setdefault(line["sku"], [line["name"], 0, 0])
        got[1] += int(line["quantity"])
        got[2] += int(line["total_cents"])
    return Sale(day=business_date(placed).isoformat(), customer_id=order["customer_id"],
                total_cents=int(order["total_cents"]),
                lines=tuple((sku, name, qty, cents) for sku, (name, qty, cents) in sorted(lines.items())), sign=sign)


@dataclass
class Bucket:
    """One projection item: a day's (or a product's or customer's day's) counts."""

    day: str
    member: str = ""
    name: str = ""
    orders: int = 0
    quantity: int = 0
    gross_cents: int = 0


@dataclass
class Projection:
    """The three projections in memory: what the table holds, recomputed from events (tests, and the
    bench's check)."""

    days: dict[str, Bucket] = field(default_factory=dict)
    products: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    customers: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def apply(self, sale: Sale) -> None:
        day = self.days.setdefault(sale.day, Bucket(sale.day))
        day.orders += sale.sign
        day.gross_cents += sale.sign * sale.total_cents
        customer = self.customers.setdefault((sale.day, sale.customer_id), Bucket(sale.day, sale.customer_id))
        customer.orders += sale.sign
        customer.gross_cents += sale.sign * sale.total_cents
        for sku, name, quantity, cents in sale.lines:
            product = self.products.setdefault((sale.day, sku), Bucket(sale.day, sku, name))
            product.orders += sale.sign
            product.quantity += sale.sign * quantity
            product.gross_cents += sale.sign * cents


def average(total: int, count: int) -> int:
    return (total + count // 2) // count if count > 0 else 0


def sales_rows(group_by: GroupBy, buckets: Iterable[Bucket]) -> list[dict[str, Any]]:
    """A report's rows from its period's buckets: by day or month (orders, gross, average ticket), or by
    product (quantity, revenue) or customer (orders, revenue), biggest first; empty buckets left out."""
    grouped: dict[str, Bucket] = defaultdict(lambda: Bucket(""))
    for bucket in buckets:
        key = {"day": bucket.day, "month": bucket.day[:7]}.get(group_by, bucket.member)
        into = grouped[key]
        into.day, into.member, into.name = key, bucket.member, bucket.name or into.name
        into.orders += bucket.orders
        into.quantity += bucket.quantity
        into.gross_cents += bucket.gross_cents
    live = [b for b in grouped.values() if b.orders or b.gross_cents or b.quantity]
    if group_by in ("day", "month"):
        return [{group_by: b.day, "orders": b.orders, "gross_cents": b.gross_cents,
                 "average_ticket_cents": average(b.gross_cents, b.orders)} for b in sorted(live, key=lambda b: b.day)]
    ranked = sorted(live, key=lambda b: (-b.gross_cents, b.member))
    if group_by == "product":
        return [{"sku": b.member, "name": b.name, "quantity": b.quantity, "orders": b.orders,
                 "revenue_cents": b.gross_cents} for b in ranked]
    return [{"customer_id": b.member, "orders": b.orders, "revenue_cents": b.gross_cents} for b in ranked]


def totals(days: Iterable[Bucket]) -> dict[str, int]:
    orders = gross = 0
    for bucket in days:
        orders += bucket.orders
        gross += bucket.gross_cents
    return {"orders": orders, "gross_cents": gross, "average_ticket_cents": average(gross, orders)}
