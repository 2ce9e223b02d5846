"""Outbound webhooks through `make run`'s stack, to a real receiver on loopback (no tunnel): registered, the
event signed and verified by the reference `standardwebhooks` package, a first failure retried after 5 s
through the queue's delay, exactly one accepted delivery, and the delivery list telling the story."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator

import pytest
from standardwebhooks.webhooks import Webhook

from local.services import free_port
from tests.api.conftest import tenant_body
from tests.api.test_catalog import product_body
from tests.documents import fresh_cnpj

pytestmark = pytest.mark.e2e


class Receiver(http.server.BaseHTTPRequestHandler):
    secret = ""
    fail_first = 1
    accepted: list[dict] = []
    seen: list[str] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.seen.append(self.headers["webhook-id"])
        if len(Receiver.seen) <= Receiver.fail_first:
            self.send_response(503)
        else:
            Receiver.accepted.append(Webhook(Receiver.secret).verify(body, dict(self.headers)))
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()


def test_a_signed_event_reaches_a_loopback_receiver_once_after_a_retry(stack, receiver):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj=fresh_cnpj()))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    endpoint = stack.call("POST", "/v1/webhook-endpoints", key, {"url": receiver, "events": ["product.*"]})
    assert endpoint.status_code == 201, endpoint.text
    Receiver.secret, Receiver.accepted, Receiver.seen = endpoint.json()["secret"], [], []
    sku = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    assert stack.call("POST", "/v1/products", key, product_body(sku=sku, gtin=None)).status_code == 201

    stack.wait_for(lambda: Receiver.accepted, timeout=40)
    [event] = Receiver.accepted
    assert event["type"] == "product.created" and event["data"]["product"]["sku"] == sku
    assert Receiver.seen == [event["id"], event["id"]]  # one failure, one success, the same webhook-id
    path = f"/v1/webhook-endpoints/{endpoint.json()['id']}/deliveries"
    [delivery] = stack.wait_for(lambda: [d for d in stack.call("GET", path, key).json()["data"]
                                         if d["status"] == "delivered"])
    assert delivery["attempt"] == 2 and [a["status_code"] for a in delivery["attempts"]] == [503, 204]
    logged = stack.call("GET", f"/v1/events/{event['id']}", key).json()
    assert json.dumps(logged["data"], sort_keys=True) == json.dumps(event["data"], sort_keys=True)
