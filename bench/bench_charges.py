"""Settlement figures, against DynamoDB Local, through `POST /v1/psp/local/webhooks` (Chalice test client).

(a) Signed payment notices settled per second, one after another (each a fresh charge's first notice),
    with the DynamoDB calls and capacity units per settlement. The design's minimum is one read of
    the tenant's webhook secret, one of the notice claim, one of the charge and one TransactWriteItems
    (charge + notice claim + `charge.paid`).
(b) The same notice repeated: what a duplicate costs (it must write nothing).
"""

from __future__ import annotations

import json
import statistics
import time

from bench.support import dynamodb_local_table

N = 100


def main() -> None:
    with dynamodb_local_table() as (_, counter):
        from app import app
        from chalicelib.collections.signatures import sign
        from local.gateway import test_client
        from tests.api.conftest import tenant_body
        from tests.api.test_catalog import customer_body

        http = test_client(app).http
        admin = {"Authorization": "Bearer bench-admin", "Content-Type": "application/json"}
        tenant = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
        key = {"Authorization": f"Bearer {tenant['api_key']}", "Content-Type": "application/json"}

        def call(method: str, path: str, body: object = None) -> dict:
            answer = http.request(method, path, headers=key, body=json.dumps(body).encode() if body else b"")
            assert answer.status_code < 300, answer.body
            return json.loads(answer.body)

        customer = call("POST", "/v1/customers", customer_body())["id"]
        secret = call("GET", "/v1/psp/local/webhook-secret")["secret"]
        due = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 5 * 86400))
        charges = [call("POST", "/v1/charges", {"customer_id": customer, "amount_cents": 10_000, "due_date": due,
                                                "method": "pix", "description": "bench"})["id"] for _ in range(N)]

        def notice(charge_id: str, event_id: str) -> tuple[bytes, dict[str, str]]:
            raw = json.dumps({"id": event_id, "type": "payment.received", "tenant_id": tenant["id"],
                              "charge_id": charge_id, "amount_cents": 10_000, "paid_at": "2026-01-01T12:00:00Z",
                              "method": "pix"}).encode()
            return raw, {"Content-Type": "application/json", "X-Signature": sign(secret, raw, int(time.time()))}

        calls, units, ops = [], [], ""
        start = time.perf_counter()
        for i, charge_id in enumerate(charges):
            raw, headers = notice(charge_id, f"evt-{i}")
            counter.reset()
            answer = http.post("/v1/psp/local/webhooks", headers=headers, body=raw)
            assert answer.status_code == 200 and json.loads(answer.body)["outcome"] == "paid", answer.body
            calls.append(counter.total)
            units.append(counter.capacity)
            ops = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
        elapsed = time.perf_counter() - start
        print(f"settled notices: {N} in {elapsed:.2f} s = {N / elapsed:.0f}/s; per settlement: "
              f"{statistics.median(calls):.0f} DynamoDB calls ({ops}), {statistics.median(units):.1f} capacity units "
              f"(minimum 4 calls: secret, claim, charge, 1 transaction)")

        raw, headers = notice(charges[0], "evt-0")
        dup_calls = []
        start = time.perf_counter()
        for _ in range(N):
            counter.reset()
            answer = http.post("/v1/psp/local/webhooks", headers=headers, body=raw)
            assert json.loads(answer.body)["replayed"] is True
            dup_calls.append(counter.total)
        elapsed = time.perf_counter() - start
        print(f"duplicate notices: {N / elapsed:.0f}/s; per duplicate: {statistics.median(dup_calls):.0f} DynamoDB "
              f"calls ({', '.join(f'{op} {n}' for op, n in sorted(counter.calls.items()))}), no write")


if __name__ == "__main__":
    main()
