"""The real local stack, as `make run` starts it: DynamoDB Local + moto server + chalice local + runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from local.services import ROOT, dynamodb_local_available, free_port, stop

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    url: str
    admin_key: str
    demo_tenant_id: str
    demo_key: str
    log: Path

    def call(self, method: str, path: str, key: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, data: bytes | None = None) -> requests.Response:
        hdrs = {"Connection": "close", **(headers or {})}
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        return requests.request(method, self.url + path, json=body if data is None else None, data=data,
                                headers=hdrs, timeout=30)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"condition not met in {timeout}s; stack log: {self.log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not dynamodb_local_available():
        if os.environ.get("CI"):
            pytest.fail("the e2e stack needs DynamoDB Local in CI: run `make install` with Java 17")
        pytest.skip("DynamoDB Local is not installed")
    data = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "RETAGUARDA_"))}
    env.update({"ADMIN_API_KEY": "e2e-admin-key", "PYTHONUNBUFFERED": "1", "LOCAL_SCHEDULES": "payables-daily=2",
                "DFE_WAIT_SECONDS": "3"})
    log = data / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "local.run", "--port", str(port), "--data-dir", str(data),
                                    "--in-memory"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"make run's stack exited: {log.read_text()[-3000:]}")
            try:
                if requests.get(url + "/v1/health", timeout=2).ok and (data / "demo-tenant.json").exists():
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(log.read_text()[-3000:])
            time.sleep(0.3)
        demo = json.loads((data / "demo-tenant.json").read_text())
        yield Stack(url, "e2e-admin-key", demo["id"], demo["api_key"], log)
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stop(process)
