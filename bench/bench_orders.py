"""Order figures, for orders of k = 1, 10 and 45 lines (45 is the cap, see orders/model.py).

(a) DynamoDB calls and capacity units per `POST /v1/orders` through the Chalice test client
    (authorizer and metering included), against DynamoDB Local, next to the design's
    theoretical minimum: one TransactWriteItems of k + 3 items (the order, the reservation,
    k stock levels, the `order.confirmed` event), i.e. 2 × (k + 3) write units for items
    under 1 KB (transactions cost double), plus the GSI entries of the order and the event.
(b) The time per order create in-process as a ratio to the time of the bare
    TransactWriteItems it issues, both measured in this run: the captured request replayed
    with its conditions dropped and its new items put in a scratch partition (same items,
    same sizes; the stock updates hit the same items), so the ratio is the cost of everything
    around the one write that must happen.
"""

from __future__ import annotations

import copy
import json
import statistics
import time
from typing import Any

from bench.support import dynamodb_local_table

RUNS = 5


def _scratch(params: dict[str, Any], n: int) -> dict[str, Any]:
    bare = copy.deepcopy(params)
    for item in bare["TransactItems"]:
        (kind, action), = item.items()
        for field in ("ConditionExpression",):
            action.pop(field, None)
        names = action.get("ExpressionAttributeNames", {})
        values = action.get("ExpressionAttributeValues", {})
        used = json.dumps({k: v for k, v in action.items() if k.endswith("Expression")})
        action["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in used}
        action["ExpressionAttributeValues"] = {k: v for k, v in values.items() if k in used}
        for key in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            if not action[key]:
                action.pop(key)
        if kind == "Put":  # new items go to a scratch partition; updates hit the same stock items
            action["Item"]["pk"] = {"S": f"BENCH#{n}#{action['Item']['pk']['S']}"}
    return bare


def main() -> None:
    with dynamodb_local_table() as (_, counter):
        from app import app
        from chalicelib.platform.dynamo import BaseRecord
        from local.gateway import test_client
        from tests.api.conftest import tenant_body
        from tests.api.test_catalog import customer_body

        http = test_client(app).http
        admin = {"Authorization": "Bearer bench-admin", "Content-Type": "application/json"}
        created = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
        key = {"Authorization": f"Bearer {created['api_key']}", "Content-Type": "application/json"}

        def post(path: str, body: Any) -> Any:
            answer = http.post(path, headers=key, body=json.dumps(body).encode())
            assert answer.status_code < 300, answer.body
            return json.loads(answer.body)

        customer = post("/v1/customers", customer_body())["id"]
        client = BaseRecord._get_connection().connection.client
        captured: list[dict[str, Any]] = []
        client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems",
                                    lambda params, **_: captured.append(copy.deepcopy(params)))
        print(f"{'order lines':12} {'calls':>6} {'capacity':>9} {'minimum':>8} {'min WCU':>8} "
              f"{'ms/order':>9} {'ms/bare tx':>11} {'ratio':>6}  by operation")
        for k in (1, 10, 45):
            skus = [f"K{k}-{i:03d}" for i in range(k)]
            for sku in skus:
                post("/v1/products", {"sku": sku, "name": f"Produto {sku}", "price_cents": 1000, "ncm": "09012100"})
                post("/v1/stock/movements", {"sku": sku, "type": "receipt", "quantity": 1000})
            body = json.dumps({"customer_id": customer, "lines": [{"sku": s, "quantity": 1} for s in skus],
                               "payment": {"method": "boleto"}}).encode()
            calls, units, order_ms, ops = [], [], [], ""
            for _ in range(RUNS):
                counter.reset()
                captured.clear()
                start = time.perf_counter()
                answer = http.post("/v1/orders", headers=key, body=body)
                order_ms.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 201, answer.body
                calls.append(counter.total)
                units.append(counter.capacity)
                ops = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
            transaction = captured[-1]
            bare_ms = []
            for n in range(RUNS):
                bare = _scratch(transaction, n)
                start = time.perf_counter()
                client.transact_write_items(**bare)
                bare_ms.append((time.perf_counter() - start) * 1000)
            order_t, bare_t = statistics.median(order_ms), statistics.median(bare_ms)
            print(f"{k:>12} {int(statistics.median(calls)):>6} {statistics.median(units):>9.1f} {1:>8} "
                  f"{2 * (k + 3):>8} {order_t:>9.1f} {bare_t:>11.1f} {order_t / bare_t:>6.2f}  {ops}")


if __name__ == "__main__":
    main()
