"""The daily dunning run's reads grow with what falls due, not with every charge: one tenant's run with
100 charges due among 10,000, then among 100,000 (DynamoDB Local; the background charges are written
straight to the table, due on days no step reads), with the items read, the calls and their ratio
(goal ≤ 1.05); and messages rendered and sent per second (e-mail through moto's SES, one customer per
charge so one message each, the Pix QR attached)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench.support import LocalApi, local_api

DUE = 100
SIZES = (10_000, 100_000)


def main() -> None:
    with local_api() as api:
        _run(api)


def _background(tenant_id: str, template: Any, count: int, start: int, today: Any) -> None:
    """`count` open charges of the tenant, due 40 to 400 days ahead (no step of a run today reads them)."""
    from chalicelib.collections.repository import ChargeRecord, _record

    with ChargeRecord.batch_write() as batch:
        for i in range(start, start + count):
            charge = template.model_copy(update={"id": f"chg_01BENCH{i:018d}",
                                                 "due_date": today + timedelta(days=40 + i % 360)})
            batch.save(_record(tenant_id, charge))


def _run(api: LocalApi) -> None:
    from app import root
    from chalicelib.platform.clock import business_date
    from tests.api.test_catalog import customer_body

    tenant, counter, call = api.tenant, api.counter, api.call
    from validate_docbr import CPF

    today = business_date(root().clock.now())
    documents: set[str] = set()
    while len(documents) < DUE:
        documents.add(CPF().generate())
    due_dates = [today + timedelta(days=3), today + timedelta(days=4)]  # the −3 steps of today and tomorrow
    made = []
    for document in sorted(documents):
        customer = call("POST", "/v1/customers", customer_body(document=document, email=f"c{document}@example.com"))
        for due in due_dates:
            made.append(call("POST", "/v1/charges", {"customer_id": customer["id"], "amount_cents": 12_345,
                                                     "due_date": due.isoformat(), "method": "pix",
                                                     "description": "Mensalidade"}))
    from chalicelib.collections.model import Charge

    template = root().charge_repository.get(tenant["id"], made[0]["id"])
    assert isinstance(template, Charge)
    written = len(made)
    figures = []
    for size, day in zip(SIZES, (today, today + timedelta(days=1)), strict=True):
        started = time.perf_counter()
        _background(tenant["id"], template, size - written, written, today)
        load = time.perf_counter() - started
        written = size
        counter.reset()
        started = time.perf_counter()
        result = call("POST", "/v1/dunning/runs", {"date": day.isoformat()})
        elapsed = time.perf_counter() - started
        assert result["messages_sent"] == DUE, result
        figures.append((size, counter.items_read, counter.total, counter.capacity, elapsed, result))
        print(f"{size:>7} charges ({load:5.1f} s to load): run of {day}: {result['charges_evaluated']} charges "
              f"evaluated, {counter.items_read} items read in {counter.total} DynamoDB calls "
              f"({', '.join(f'{op} {n}' for op, n in sorted(counter.calls.items()))}), "
              f"{counter.capacity:.1f} capacity units; {result['messages_sent']} messages in {elapsed:.2f} s "
              f"= {result['messages_sent'] / elapsed:.1f} messages/s")
    (small, small_read, *_), (large, large_read, *_) = figures
    print(f"items read at {large:,} ÷ at {small:,} charges: {large_read / small_read:.3f} (goal ≤ 1.05)")


if __name__ == "__main__":
    main()
