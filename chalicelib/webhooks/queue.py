"""The webhooks queue as a work queue: the context puts its own messages on it (a delivery due, a replay's
next page) beside the events the bus brings, with SQS's per-message delay (at most 15 minutes)."""

from __future__ import annotations

import json
from typing import Any

MAX_DELAY_SECONDS = 900


class SqsWorkQueue:
    """Adapter: SendMessageBatch, ten at a time; a message SQS refuses is an error (the caller's message is
    redelivered, and what it queued again is harmless twice)."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs, self._url = sqs, queue_url

    def send(self, messages: list[tuple[dict[str, Any], int]]) -> None:
        for start in range(0, len(messages), 10):
            batch = messages[start:start + 10]
            answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(n), "MessageBody": json.dumps(body, separators=(",", ":")),
                 "DelaySeconds": max(0, min(MAX_DELAY_SECONDS, delay))} for n, (body, delay) in enumerate(batch)])
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused {len(answer['Failed'])} webhook messages: {answer['Failed'][0]}")
