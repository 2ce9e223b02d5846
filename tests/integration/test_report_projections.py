"""The report projections equal a from-scratch recomputation over the event log, whatever the scenario:
orders placed on random days, some cancelled, every event delivered once or more and in any order."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.platform.clock import rfc3339
from chalicelib.platform.events import Event
from chalicelib.platform.ids import UlidGenerator
from chalicelib.reports import keys
from chalicelib.reports.model import Projection, sale_of
from tests.deps import root

START = datetime(2026, 3, 1, 15, tzinfo=UTC)
SKUS = ("CAFE-500G", "ACUCAR-1KG", "FILTRO-103", "LEITE-1L")

orders = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 2),
                            st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5), st.integers(100, 5000)),
                                     min_size=1, max_size=4),
                            st.booleans()), min_size=1, max_size=12)


def _order(n: int, day: int, customer: int, lines: list[tuple[str, int, int]]) -> dict:
    body = [{"sku": sku, "name": sku.title(), "quantity": q, "unit_price_cents": p, "total_cents": q * p}
            for sku, q, p in lines]
    return {"id": f"ord_{n}", "customer_id": f"cus_{customer}", "lines": body,
            "total_cents": sum(line["total_cents"] for line in body) + 1500,
            "created_at": rfc3339(START + timedelta(days=day, hours=n % 10))}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=orders, seed=st.integers(0, 10_000))
def test_projections_equal_a_recomputation_from_the_events(memory_table, scenario, seed):
    import app

    tenant = UlidGenerator().new("ten")
    events, expected = [], Projection()
    for n, (day, customer, lines, cancel) in enumerate(scenario):
        order = _order(n, day, customer, lines)
        placed = Event(UlidGenerator().new("evt"), "order.confirmed", tenant, order["created_at"], {"order": order})
        events.append(placed)
        expected.apply(sale_of(order, 1))
        if cancel:
            events.append(Event(UlidGenerator().new("evt"), "order.cancelled", tenant, order["created_at"],
                                {"order": {**order, "status": "cancelled"}}))
            expected.apply(sale_of(order, -1))
    rng = random.Random(seed)
    deliveries = [e for e in events for _ in range(rng.randint(1, 3))]  # at least once, in any order
    rng.shuffle(deliveries)
    for event in deliveries:
        message = {"messageId": event.id, "body": json.dumps({"detail-type": event.type, "detail": event.envelope()})}
        assert app.reports_consumer({"Records": [message]}, None) == {"batchItemFailures": []}

    repo = root().reports.repo
    first, last = "2026-02-01", "2026-05-01"

    def table(kind: str) -> dict:
        return {(b.day, b.member): (b.orders, b.quantity, b.gross_cents) for b in repo.buckets(tenant, kind, first, last)}

    def memory(buckets: dict) -> dict:
        return {(b.day, b.member): (b.orders, b.quantity, b.gross_cents) for b in buckets.values()}

    assert table(keys.DAY) == memory(expected.days)
    assert table(keys.PRODUCT) == memory(expected.products)
    assert table(keys.CUSTOMER) == memory(expected.customers)
