"""Shared bench plumbing: a DynamoDB Local table, a call counter, capacity totals, the API over them."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "RETAGUARDA_STAGE": "test",
                   "ADMIN_API_KEY": "bench-admin", "POWERTOOLS_LOG_LEVEL": "ERROR",
                   "WEBHOOKS_LOCAL_KEY": "YmVuY2gncyB3ZWJob29rIG1hc3RlciBrZXksIDMyIGI="})


class CallCounter:
    """Counts DynamoDB API calls (botocore before-call events) and sums consumed capacity
    (after-call events, ReturnConsumedCapacity=TOTAL injected by a before-parameter-build hook)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.capacity = 0.0
        self.items_read = 0  # items a read touched: Query's ScannedCount, GetItem's item, BatchGetItem's

    def _before_params(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _before(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.items_read += int(parsed.get("ScannedCount", 0)) + (1 if parsed.get("Item") else 0)
        self.items_read += sum(len(items) for items in (parsed.get("Responses") or {}).values()
                               if isinstance(items, list))
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.capacity += float(entry.get("CapacityUnits", 0))

    def attach(self, client: Any) -> None:
        events = client.meta.events
        for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "TransactWriteItems",
                   "TransactGetItems", "BatchGetItem", "BatchWriteItem"):
            events.register(f"before-parameter-build.dynamodb.{op}", self._before_params)
        events.register("before-call.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)

    def reset(self) -> None:
        self.calls.clear()
        self.capacity = 0.0
        self.items_read = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@contextmanager
def dynamodb_local_table() -> Iterator[tuple[str, CallCounter]]:
    """A fresh table in a DynamoDB Local started for the bench; every record class points at it."""
    import boto3

    from app import install
    from chalicelib.platform.dynamo import BaseRecord, configure_table
    from chalicelib.platform.resources import table_definition
    from local.services import dynamodb_local_available, free_port, start_dynamodb_local, stop

    if not dynamodb_local_available():
        raise SystemExit("DynamoDB Local is needed: `make install` with Java 17")
    port = free_port()
    process = start_dynamodb_local(port, None)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        table = f"bench-{uuid.uuid4().hex[:6]}"
        boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1").create_table(
            **table_definition(table))
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
        configure_table(table, host=endpoint)
        install(None)
        counter = CallCounter()
        counter.attach(BaseRecord._get_connection().connection.client)
        yield table, counter
    finally:
        stop(process)


@dataclass
class LocalApi:
    """The API over DynamoDB Local and moto's server (S3, SES, Secrets Manager), with one fresh tenant."""

    http: Any
    tenant: dict[str, Any]
    key: dict[str, str]
    counter: CallCounter

    def call(self, method: str, path: str, body: object = None) -> Any:
        answer = self.http.request(method, path, headers=self.key,
                                   body=json.dumps(body).encode() if body is not None else b"")
        assert answer.status_code < 300, answer.body
        return json.loads(answer.body)


@contextmanager
def local_api() -> Iterator[LocalApi]:
    """DynamoDB Local for the table, moto's server for the other services, the app installed over them
    and one tenant created through the admin API."""
    import logging

    from moto.server import ThreadedMotoServer

    from local.services import free_port

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with dynamodb_local_table() as (_, counter):
            import app as app_module
            from chalicelib.platform.aws import client, reset_clients
            from chalicelib.platform.config import get_settings
            from local.gateway import test_client
            from tests.api.conftest import tenant_body

            os.environ.update(AWS_ENDPOINT=f"http://127.0.0.1:{port}")
            get_settings.cache_clear()
            reset_clients()
            app_module.install(None)
            client("s3").create_bucket(Bucket=get_settings().documents_bucket)
            client("ses").verify_email_identity(EmailAddress=get_settings().notifications_sender)
            http = test_client(app_module.app).http
            admin = {"Authorization": f"Bearer {get_settings().admin_api_key}", "Content-Type": "application/json"}
            tenant = json.loads(http.post("/v1/tenants", headers=admin, body=json.dumps(tenant_body()).encode()).body)
            key = {"Authorization": f"Bearer {tenant['api_key']}", "Content-Type": "application/json"}
            yield LocalApi(http, tenant, key, counter)
    finally:
        server.stop()
