"""Test doubles of the webhooks context's two ports: a receiver behind the Sender port, and a recording
work queue (the real HTTP sender and SQS queue have tests of their own in tests/integration)."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.webhooks.sender import Outcome


class Receiver:
    """Answers each POST with the next scripted status (0: no answer, as a refused connection), then 200."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []
        self._lock = threading.Lock()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        with self._lock:
            self.calls.append((url, body, headers))
            status = self.script.pop(0) if self.script else 200
        return Outcome(status or None, 12, None if status else "ConnectionRefusedError: refused")


class Queue:
    def __init__(self) -> None:
        self.messages: list[tuple[dict[str, Any], int]] = []

    def send(self, messages: list[tuple[dict[str, Any], int]]) -> None:
        self.messages.extend(messages)
