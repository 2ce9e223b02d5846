"""The daily dunning run's reads grow with what falls due, not with every charge: one tenant's run with
100 charges due among 10,000, then among 100,000 (DynamoDB Local; the background charges are written
straight to the table, due on days no step reads), with the items read, the calls and their ratio
(goal ≤ 1.05); and messages rendered and sent per second (e-mail through moto's SES, one customer per
charge so one message each, the Pix QR attached)."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import timedelta
from typing import Any

from bench.support import dynamodb_local_table

DUE = 100
SIZES = (10_000, 100_000)


def main() -> None:
    from moto.server import ThreadedMotoServer

    from local.services import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with dynamodb_local_table() as (_, counter):
            _run(f"http://127.0.0.1:{port}", os.environ["DYNAMODB_ENDPOINT"], counter)
    finally:
        server.stop()


def _background(tenant_id: str, template: Any, count: int, start: int, today: Any) -> None:
    """`count` open charges of the tenant, due 40 to 400 days ahead (no step of a run today reads them)."""
    from chalicelib.collections.repository import ChargeRecord, _record

    with ChargeRecord.batch_write() as batch:
        for i in range(start, start + count):
            charge = template.model_copy(update={"id": f"chg_01BENCH{i:018d}",
                                                 "due_date": today + timedelta(days=40 + i % 360)})
            batch.save(_record(tenant_id, charge))


def _run(aws_endpoint: str, dynamodb_endpoint: str, counter: Any) -> None:
    import app as app_module
    from app import install, root
    from chalicelib.platform.aws import client, reset_clients
    from chalicelib.platform.clock import business_date
    from chalicelib.platform.config import get_settings
    from local.gateway import test_client
    from tests.api.conftest import tenant_body
    from tests.api.test_catalog import customer_body

    os.environ.update(AWS_ENDPOINT=aws_endpoint, DYNAMODB_ENDPOINT=dynamodb_endpoint)
    get_settings.cache_clear()
    reset_clients()
    install(None)
    client("ses").verify_email_identity(EmailAddress=get_settings().notifications_sender)
    http = test_client(app_module.app).http
    admin = {"Authorization": f"Bearer {get_settings().admin_api_key}", "Content-Type": "application/json"}
    tenant = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
    key = {"Authorization": f"Bearer {tenant['api_key']}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: object = None) -> Any:
        answer = http.request(method, path, headers=key, body=json.dumps(body).encode() if body is not None else b"")
        assert answer.status_code < 300, answer.body
        return json.loads(answer.body)

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
