"""The real HTTP sender against a receiver on loopback (local mode, as `make run` delivers), and the SQS
work queue in moto."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

from chalicelib.webhooks.sender import HttpSender
from local.services import free_port


class _Handler(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body, dict(self.headers)))
        if self.path == "/slow":
            time.sleep(1.5)
        status = {"/ok": 204, "/fail": 500, "/moved": 302, "/busy": 429, "/slow": 200}.get(self.path, 404)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        if status == 429:
            self.send_header("Retry-After", "120")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    _Handler.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_post_carries_the_body_and_headers_and_reads_the_status(receiver):
    sender = HttpSender(local_mode=True, timeout_seconds=1)
    outcome = sender.post(receiver + "/ok", b'{"a":1}', {"webhook-id": "evt_1", "content-type": "application/json"})
    assert outcome.ok and outcome.status_code == 204 and outcome.duration_ms >= 0
    path, body, headers = _Handler.received[0]
    assert (path, body, headers["webhook-id"]) == ("/ok", b'{"a":1}', "evt_1")
    assert headers["User-Agent"].startswith("Retaguarda-Webhooks/")
    assert not sender.post(receiver + "/fail", b"{}", {}).ok


def test_a_redirect_is_a_failure_not_followed(receiver):
    outcome = HttpSender(local_mode=True, timeout_seconds=1).post(receiver + "/moved", b"{}", {})
    assert outcome.status_code == 302 and not outcome.ok and len(_Handler.received) == 1


def test_a_throttle_says_when_and_a_slow_or_absent_receiver_is_a_timeout_or_refusal(receiver):
    sender = HttpSender(local_mode=True, timeout_seconds=0.5)
    assert sender.post(receiver + "/busy", b"{}", {}).retry_after == 120
    slow = sender.post(receiver + "/slow", b"{}", {})
    assert slow.status_code is None and "Timeout" in (slow.error or "") and slow.duration_ms < 1400
    refused = sender.post(f"http://127.0.0.1:{free_port()}/x", b"{}", {})
    assert refused.status_code is None and refused.error


def test_outside_local_mode_loopback_is_refused_before_any_connection(receiver):
    outcome = HttpSender(local_mode=False).post(receiver + "/ok", b"{}", {})
    assert outcome.status_code is None and outcome.error.startswith("unsafe_url") and _Handler.received == []


def test_the_work_queue_sends_with_sqs_delays(aws):
    from chalicelib.platform.aws import client
    from chalicelib.webhooks.queue import SqsWorkQueue

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="retaguarda-webhooks")["QueueUrl"]
    SqsWorkQueue(sqs, url).send([({"webhook_delivery": {"n": n}}, 0 if n % 2 else 600) for n in range(12)])
    got = []
    for _ in range(3):
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(json.loads(m["Body"])["webhook_delivery"]["n"] for m in got) == [1, 3, 5, 7, 9, 11]
