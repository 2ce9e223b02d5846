"""Reports (DynamoDB Local): the sales report's latency and DynamoDB items read for a tenant with 1,000 and
one with 100,000 orders in its history, both with the same last 30 days (900 orders), printed with the ratio
(the goal: ≤ 1.2, since a report reads its period's buckets, never the history). The history's buckets are
written in batches as the projection computes them (model.Projection, the one the consumer's tests check the
table against); the last 30 days go through the consumer itself."""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.support import dynamodb_local_table

RECENT = 900
SKUS = [f"SKU-{n:03d}" for n in range(200)]
CUSTOMERS = [f"cus_{n:04d}" for n in range(500)]


def _order(rng: random.Random, n: int, at: datetime) -> dict:
    lines = [{"sku": sku, "name": sku, "quantity": (q := rng.randint(1, 5)), "unit_price_cents": (p := rng.randint(500, 9000)),
              "total_cents": q * p} for sku in rng.sample(SKUS, rng.randint(1, 4))]
    return {"id": f"ord_{n}", "customer_id": rng.choice(CUSTOMERS), "lines": lines,
            "total_cents": sum(line["total_cents"] for line in lines) + 1500,
            "created_at": at.isoformat().replace("+00:00", "Z")}


def _seed(tenant: str, history: int, now: datetime) -> None:
    import app
    from chalicelib.platform.ids import UlidGenerator
    from chalicelib.reports import keys
    from chalicelib.reports.model import Projection, sale_of
    from chalicelib.reports.repository import BucketRecord

    rng = random.Random(history)
    older = history - RECENT
    projection = Projection()
    for n in range(older):  # spread over the three years before the last 30 days
        projection.apply(sale_of(_order(rng, n, now - timedelta(days=31 + rng.randint(0, 1095), hours=rng.randint(0, 9))), 1))
    with BucketRecord.batch_write() as batch:
        for kind, buckets in ((keys.DAY, projection.days.values()), (keys.PRODUCT, projection.products.values()),
                              (keys.CUSTOMER, projection.customers.values())):
            for b in buckets:
                batch.save(BucketRecord.at(keys.bucket(tenant, kind, b.day, b.member), kind="report_bucket", day=b.day,
                                           member=b.member or None, name=b.name or None, orders=b.orders,
                                           quantity=b.quantity, gross_cents=b.gross_cents))
    ids = UlidGenerator()
    for n in range(RECENT):  # the recent month through the consumer, as events
        order = _order(rng, older + n, now - timedelta(days=rng.randint(0, 29), minutes=rng.randint(0, 600)))
        envelope = {"id": ids.new("evt"), "type": "order.confirmed", "tenant_id": tenant,
                    "occurred_at": order["created_at"], "data": {"order": order}}
        message = {"messageId": envelope["id"], "body": json.dumps({"detail-type": "order.confirmed", "detail": envelope})}
        assert app.reports_consumer({"Records": [message]}, None) == {"batchItemFailures": []}


def main() -> None:
    with dynamodb_local_table() as (_, counter):
        from app import root
        from chalicelib.platform.ids import UlidGenerator
        from chalicelib.reports import service

        now = datetime.now(UTC)
        figures: dict[str, dict[int, tuple[float, float]]] = {}
        for history in (1_000, 100_000):
            tenant = UlidGenerator().new("ten")
            started = time.perf_counter()
            _seed(tenant, history, now)
            print(f"seeded a tenant with {history:,} orders in {time.perf_counter() - started:.0f} s")
            for group_by in ("day", "month", "product", "customer"):
                timings, reads = [], []
                for _ in range(5):
                    counter.reset()
                    started = time.perf_counter()
                    report = service.sales(tenant, None, None, group_by, root().reports)  # the last 30 days
                    timings.append((time.perf_counter() - started) * 1000)
                    reads.append(counter.items_read)
                assert report["totals"]["orders"] >= RECENT - 60
                figures.setdefault(group_by, {})[history] = (statistics.median(timings), statistics.median(reads))
        for group_by, by_history in figures.items():
            (small_ms, small_items), (big_ms, big_items) = by_history[1_000], by_history[100_000]
            print(f"sales by {group_by:<8} last 30 days: 1,000 orders {small_ms:6.1f} ms {small_items:5.0f} items; "
                  f"100,000 orders {big_ms:6.1f} ms {big_items:5.0f} items; ratio {big_ms / small_ms:.2f}x time, "
                  f"{big_items / small_items:.2f}x items")


if __name__ == "__main__":
    main()
