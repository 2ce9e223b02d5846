"""NF-e emissions per second through the consumer path (number + build + sign + XSD + store +
authorize locally + save), and where the time goes, against DynamoDB Local and moto's server
(S3, Secrets Manager). Each emission is one `order.confirmed` handled by the invoicing consumer."""

from __future__ import annotations

import json
import logging
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.support import dynamodb_local_table

ORDERS = 40


def _timed(bucket: dict[str, list[float]], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[name].append(time.perf_counter() - start)

    return wrapper


def main() -> None:
    from moto.server import ThreadedMotoServer

    from local.services import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT"] = f"http://127.0.0.1:{port}"
    try:
        with dynamodb_local_table() as (_, _counter):
            _run(f"http://127.0.0.1:{port}", os.environ["DYNAMODB_ENDPOINT"])
    finally:
        server.stop()


def _run(aws_endpoint: str, dynamodb_endpoint: str) -> None:
    from app import app, install, root
    from chalicelib.invoicing import service
    from chalicelib.platform.aws import client, reset_clients
    from chalicelib.platform.config import get_settings
    from local.gateway import test_client
    from tests.api.conftest import tenant_body
    from tests.api.test_catalog import customer_body, product_body

    # tests/conftest.py (imported for its fixtures' bodies) clears the endpoints: set them again.
    os.environ.update(AWS_ENDPOINT=aws_endpoint, DYNAMODB_ENDPOINT=dynamodb_endpoint)
    get_settings.cache_clear()
    reset_clients()
    install(None)
    client("s3").create_bucket(Bucket=get_settings().documents_bucket)
    http = test_client(app).http
    admin = {"Authorization": f"Bearer {get_settings().admin_api_key}", "Content-Type": "application/json"}
    created = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
    key = {"Authorization": f"Bearer {created['api_key']}", "Content-Type": "application/json"}
    tenant_id = created["id"]

    def post(path: str, body: Any) -> Any:
        answer = http.post(path, headers=key, body=json.dumps(body).encode())
        assert answer.status_code < 300, answer.body
        return json.loads(answer.body)

    customer = post("/v1/customers", customer_body())["id"]
    post("/v1/products", product_body(min_stock=0))
    post("/v1/stock/movements", {"sku": "CAFE-500G", "type": "receipt", "quantity": 100_000})
    orders = [post("/v1/orders", {"customer_id": customer, "payment": {"method": "boleto", "installments": 3},
                                  "lines": [{"sku": "CAFE-500G", "quantity": 1}]})["id"] for _ in range(ORDERS + 1)]
    parts: dict[str, list[float]] = defaultdict(list)
    service.build_nfe = _timed(parts, "build", service.build_nfe)
    service.sign_nfe = _timed(parts, "sign", service.sign_nfe)
    service.validate_nfe = _timed(parts, "xsd", service.validate_nfe)
    deps = root().invoicing
    deps.documents.put = _timed(parts, "storage (S3)", deps.documents.put)  # type: ignore[method-assign]
    authority = root().local_authority
    authority.authorize = _timed(parts, "authorize (local)", authority.authorize)  # type: ignore[method-assign]
    service.emit_invoice(tenant_id, orders[0], deps)  # first one: test certificate, XSD compile
    parts.clear()
    totals = []
    for order_id in orders[1:]:
        start = time.perf_counter()
        invoice = service.emit_invoice(tenant_id, order_id, deps)
        totals.append(time.perf_counter() - start)
        assert invoice.status == "authorized", invoice
    median = statistics.median(totals)
    print(f"NF-e emitted and authorized locally: {len(totals)}, median {median * 1000:.1f} ms "
          f"-> {1 / median:.1f} NF-e/s on one worker")
    accounted = 0.0
    for name, values in sorted(parts.items(), key=lambda kv: -sum(kv[1])):
        per = sum(values) / len(totals)
        accounted += per
        print(f"  {name:20} {per * 1000:7.1f} ms per NF-e  ({per / median * 100:4.0f}%)")
    rest = median - accounted
    print(f"  {'numbering + reads + save':20} {rest * 1000:7.1f} ms per NF-e  ({rest / median * 100:4.0f}%)")


if __name__ == "__main__":
    main()
