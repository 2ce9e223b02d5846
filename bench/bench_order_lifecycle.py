"""The whole life of an order, as production runs it, in DynamoDB calls and capacity units:
`POST /v1/orders` (1 line, 2 installments) → NF-e emitted and authorized → order invoiced →
2 charges created → both paid through the PSP webhook → order paid. Every event goes through the
publisher (its `published_at` mark) and to each consumer whose rule matches it, as Lambda-shaped
SQS messages, exactly as the local event runner does. DynamoDB Local for the table (size-based
capacity), moto's server for S3 and Secrets Manager. These are the figures docs/deploy.md's cost
table should use per order."""

from __future__ import annotations

import json
from typing import Any

from bench.support import LocalApi, local_api

ORDERS = 5


def main() -> None:
    with local_api() as api:
        _run(api)


def _run(api: LocalApi) -> None:
    import app as app_module
    from app import root
    from chalicelib.platform.clock import rfc3339
    from chalicelib.platform.publisher import _mark_published
    from chalicelib.platform.resources import DEFINITIONS
    from tests.api.test_catalog import customer_body, product_body

    http, tenant, key, counter = api.http, api.tenant, api.key, api.counter
    delivered: set[str] = set()

    def post(path: str, body: Any) -> Any:
        answer = http.post(path, headers=key, body=json.dumps(body).encode())
        assert answer.status_code < 300, answer.body
        return json.loads(answer.body)

    def drain() -> None:
        """Publish and deliver every new event until none is left (the runner's job)."""
        while True:
            page = root().event_log.list(tenant["id"], None, 100, None)
            fresh = [event for event, _ in reversed(page.items) if event.id not in delivered]
            if not fresh:
                return
            for event in fresh:
                delivered.add(event.id)
                _mark_published(event, rfc3339(root().clock.now()))
                for consumer in DEFINITIONS.consumers:
                    if event.type in consumer.event_types:
                        message = {"messageId": event.id, "body": json.dumps(
                            {"detail-type": event.type, "detail": event.envelope()})}
                        answer = getattr(app_module, consumer.handler)({"Records": [message]}, None)
                        assert answer == {"batchItemFailures": []}, (consumer.name, answer)

    customer = post("/v1/customers", customer_body())["id"]
    post("/v1/products", product_body(min_stock=0))
    post("/v1/stock/movements", {"sku": "CAFE-500G", "type": "receipt", "quantity": 1000})
    drain()
    post_order = {"customer_id": customer, "lines": [{"sku": "CAFE-500G", "quantity": 1}], "shipping_cents": 990,
                  "payment": {"method": "boleto", "installments": 2, "first_due_in_days": 3}}
    # warm-up: the tenant's test certificate, the XSD, the webhook secret
    warm = post("/v1/orders", post_order)
    drain()
    for charge_id in json.loads(http.get(f"/v1/orders/{warm['id']}", headers=key).body)["charge_ids"]:
        post(f"/v1/sandbox/charges/{charge_id}/pay", {})
    drain()

    counter.reset()
    steps: dict[str, tuple[int, float]] = {}

    def step(name: str, fn: Any) -> Any:
        before_calls, before_units = counter.total, counter.capacity
        result = fn()
        calls, units = steps.get(name, (0, 0.0))
        steps[name] = (calls + counter.total - before_calls, units + counter.capacity - before_units)
        return result

    for _ in range(ORDERS):
        order = step("POST /v1/orders", lambda: post("/v1/orders", post_order))
        step("events: NF-e, invoiced, charges", drain)
        charges = json.loads(http.get(f"/v1/orders/{order['id']}", headers=key).body)["charge_ids"]
        assert len(charges) == 2
        for charge_id in charges:
            step("2 payments (sandbox → webhook)", lambda c=charge_id: post(f"/v1/sandbox/charges/{c}/pay", {}))
        step("events: paid, order paid, usage", drain)
        final = json.loads(http.get(f"/v1/orders/{order['id']}", headers=key).body)
        assert final["status"] == "invoiced" and final["payment_status"] == "paid", final
    print(f"per order (mean of {ORDERS}; 1 line, 2 installments, boleto):")
    total_calls, total_units = 0, 0.0
    for name, (calls, units) in steps.items():
        total_calls += calls
        total_units += units
        print(f"  {name:34} {calls / ORDERS:6.1f} calls {units / ORDERS:8.1f} capacity units")
    print(f"  {'whole life of the order':34} {total_calls / ORDERS:6.1f} calls {total_units / ORDERS:8.1f} capacity units")


if __name__ == "__main__":
    main()
