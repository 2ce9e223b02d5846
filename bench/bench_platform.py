"""Foundation figures: the API function's cold import, and DynamoDB calls per request.

(a) cold import of `app.py` as a ratio to a bare `import boto3`, both in fresh processes,
    median of several runs, in the same run of this bench;
(b) DynamoDB calls (botocore events) and capacity units (DynamoDB Local) for an
    authenticated GET and for a POST, through the Chalice test client (authorizer included).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.support import dynamodb_local_table

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def cold_import() -> None:
    _import_seconds("import app")  # warm the bytecode cache once, as a shipped package with .pyc would be
    app_times = [_import_seconds("import app") for _ in range(RUNS)]
    boto_times = [_import_seconds("import boto3") for _ in range(RUNS)]
    app_ms, boto_ms = statistics.median(app_times) * 1000, statistics.median(boto_times) * 1000
    print(f"cold import app.py:   {app_ms:7.1f} ms (median of {RUNS} fresh processes)")
    print(f"cold import boto3:    {boto_ms:7.1f} ms")
    print(f"ratio app / boto3:    {app_ms / boto_ms:7.2f}x")


def calls_per_request() -> None:
    with dynamodb_local_table() as (_, counter):
        from app import app
        from local.gateway import test_client
        from tests.api.conftest import tenant_body

        http = test_client(app).http
        admin = {"Authorization": "Bearer bench-admin", "Content-Type": "application/json"}
        created = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
        tenant = {"Authorization": f"Bearer {created['api_key']}", "Content-Type": "application/json"}
        rows = [
            ("GET  /v1/tenant", lambda: http.get("/v1/tenant", headers=tenant)),
            ("GET  /v1/api-keys", lambda: http.get("/v1/api-keys", headers=tenant)),
            ("POST /v1/api-keys", lambda: http.post("/v1/api-keys", headers=tenant,
                                                     body=b'{"name": "b", "scopes": ["orders:read"]}')),
            ("POST /v1/api-keys + Idempotency-Key", lambda: http.post(
                "/v1/api-keys", headers={**tenant, "Idempotency-Key": "bench-1"},
                body=b'{"name": "b", "scopes": ["orders:read"]}')),
            ("POST /v1/tenants (admin)", lambda: http.post(
                "/v1/tenants", headers=admin, body=json.dumps(tenant_body(cnpj="45723174000110")).encode())),
        ]
        print(f"{'request':40} {'DynamoDB calls':>15} {'capacity units':>15}  by operation")
        for name, send in rows:
            counter.reset()
            answer = send()
            assert answer.status_code < 300, answer.body
            ops = ", ".join(f"{op} {n}" for op, n in sorted(counter.calls.items()))
            print(f"{name:40} {counter.total:>15} {counter.capacity:>15.1f}  {ops}")


def main() -> None:
    cold_import()
    calls_per_request()


if __name__ == "__main__":
    main()
