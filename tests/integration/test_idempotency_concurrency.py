"""Concurrent requests with one Idempotency-Key run the command once (DynamoDB Local)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from chalice import Response

from chalicelib.platform.http import problem
from chalicelib.platform.idempotency import run_idempotently


def test_twenty_concurrent_retries_run_the_command_once(ddb_local):
    runs = []
    lock = threading.Lock()

    def command() -> Response:
        with lock:
            runs.append(1)
        time.sleep(0.3)
        return Response(body=json.dumps({"id": "key_1"}), status_code=201, headers={"Content-Type": "application/json"})

    def attempt(_: int) -> Response:
        return run_idempotently("ten_1", "retry-me", "hash-1", command, problem)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(attempt, range(20)))
    assert len(runs) == 1
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    in_flight = [json.loads(a.body)["code"] for a in answers if a.status_code == 409]
    assert set(in_flight) <= {"conflict"}
    replay = attempt(0)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(runs) == 1
